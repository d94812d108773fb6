"""PDF reports (R-NOT-1, R-NOT-2) with WeasyPrint, from Django templates with print CSS
(A4). The stylesheet and the font configuration are parsed once per process and shared by
every document: a weekly report is one page of about a hundred table cells, laid out in a
few hundredths of a second (CONVENTIONS: ~1,400 cells/s; `table-layout: fixed` spares the
column measuring pass).

Texts follow the active language; the jobs render in the site's language."""

import datetime as dt
import functools
import logging
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from .selectors import StudentReport

STYLESHEET = "reports/report.css"


@functools.cache
def _weasy():
    """(HTML, the parsed stylesheet, the font configuration), loaded on first use: the
    web processes that never print do not import WeasyPrint."""
    # WeasyPrint logs every step of every document at INFO (from its import on): a line
    # per step and PDF in the worker's log on Fridays
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    path = finders.find(STYLESHEET)
    return HTML, CSS(filename=path, font_config=fonts), fonts


def _static_root() -> str:
    return str(Path(settings.BASE_DIR) / "static") + "/"


def pdf_render(template: str, context: dict) -> bytes:
    """The template rendered to a PDF document."""
    html_class, stylesheet, fonts = _weasy()
    html = render_to_string(template, context)
    document = html_class(string=html, base_url=_static_root())
    return document.write_pdf(stylesheets=[stylesheet], font_config=fonts)


def weekly_pdf(report: StudentReport, *, school, class_teacher) -> bytes:
    """One student's weekly report (R-NOT-1): a page with the week's marks, averages and
    absences per subject, signed by the class teacher."""
    return pdf_render(
        "reports/weekly_report.html",
        {"report": report, "school": school, "class_teacher": class_teacher},
    )


def period_pdf(
    reports: list[StudentReport], *, school, school_class, class_teacher, made_on: dt.date
) -> bytes:
    """The reports of some students of a class over a range of dates, a page (or more)
    each (R-NOT-2): the month's printed reports and the report for any range."""
    return pdf_render(
        "reports/print_batch.html",
        {
            "reports": reports,
            "school": school,
            "school_class": school_class,
            "class_teacher": class_teacher,
            "made_on": made_on,
        },
    )
