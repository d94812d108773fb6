"""The PDF reports (R-NOT-1, R-NOT-2), opened with pypdf: a page a student, his name, his
class, his subjects, his marks and the class teacher's name; nothing of another child
(R-ROLE-2)."""

import datetime as dt

import pytest
import time_machine

from reports import pdf
from reports.selectors import class_reports

from .conftest import FRIDAY, FRIDAY_15_TOMSK, MONDAY, pdf_text

pytestmark = pytest.mark.django_db


def reports_of(people, first=MONDAY, last=FRIDAY, **kwargs):
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False):
        return {
            r.student.last_name: r for r in class_reports(people.class_5a, first, last, **kwargs)
        }


def test_r_not_1_the_weekly_report_is_one_page_signed_by_the_class_teacher(people, week):
    report = reports_of(people)["Родителев"]
    data = pdf.weekly_pdf(report, school=people.lyceum, class_teacher=people.class_teacher)
    assert data.startswith(b"%PDF")
    pages, (text,) = pdf_text(data)
    assert pages == 1
    for expected in (
        "Лицей №1",
        "Родителев Степан",
        "5А",
        "05.10.2026 – 09.10.2026",
        "Математика",
        "Английский язык",
        "Классова Клара",  # the class teacher: "Классный руководитель: Классова Клара"
        "4,4",  # maths' weighted average of the week
        "3,64",  # and of the quarter so far
        "Тест",
    ):
        assert expected in text, expected
    assert "Другов" not in text  # R-ROLE-2


def test_r_not_1_a_class_without_a_class_teacher_says_so(people, week):
    report = reports_of(people)["Родителев"]
    _pages, (text,) = pdf_text(pdf.weekly_pdf(report, school=people.lyceum, class_teacher=None))
    assert "Классова" not in text and "Родителев Степан" in text


def test_r_not_2_the_printed_reports_are_a_page_a_student(people, week):
    reports = list(reports_of(people, dt.date(2026, 9, 1), dt.date(2026, 9, 30)).values())
    data = pdf.period_pdf(
        reports,
        school=people.lyceum,
        school_class=people.class_5a,
        class_teacher=people.class_teacher,
        made_on=dt.date(2026, 10, 1),
    )
    pages, texts = pdf_text(data)
    assert pages == 2
    first, second = texts
    assert "Другов Дмитрий" in first and "Родителев" not in first
    assert "Родителев Степан" in second and "Другов" not in second
    for text in texts:
        assert "Классова" in text and "01.09.2026 – 30.09.2026" in text
    # September: maths every weekday (lessons held), the student's control work
    assert "Контрольная работа" in second and "Математика" in second
