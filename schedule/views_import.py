"""Import of the weekly timetable from a CSV or XLSX file with a preview (R-TT-1, R-TT-4).

The first POST checks the whole file in a transaction that is rolled back and shows every
row with its errors. The file itself stays in the session (base64, at most 1 MB) under a
random token; the confirming POST names the token and imports exactly that file with the
date and option of the preview, never a new upload. Any failing row: nothing is saved."""

import base64
import datetime as dt
import io
import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods
from import_export.formats.base_formats import CSV, XLSX

from accounts.access import school_view

from . import selectors
from .services.timetable import TIMETABLE_ROLES
from .timetable_import import (
    COLUMNS,
    KINDS,
    MAX_FILE_BYTES,
    check_file_size,
    file_kind,
    sample_file,
    timetable_import,
)

SESSION_KEY = "timetable_import"

COLUMN_HELP = {
    "school_class": gettext_lazy("The class, e.g. «5А» or «5 А»."),
    "weekday": gettext_lazy(
        "The day: Monday to Saturday, a short form («пн», «вт»…) or a number from 1 to 6."
    ),
    "number": gettext_lazy("The lesson number in the class's bell schedule."),
    "subject": gettext_lazy("The subject's name or short name."),
    "group": gettext_lazy(
        "Empty for the whole class; otherwise the name of the subgroup of this subject, "
        "e.g. «1 группа»."
    ),
    "teacher": gettext_lazy(
        "The teacher's login, full name («Фамилия Имя Отчество») or short name («Фамилия И. О.»)."
    ),
    "room": gettext_lazy(
        "The room number; may be empty. When two buildings have a room with this number, "
        "add the building's name."
    ),
}


class TimetableImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))
    starts_on = forms.DateField(
        label=gettext_lazy("Applies from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    replace = forms.BooleanField(
        label=gettext_lazy(
            "Replace the current timetable of the classes in the file from that date"
        ),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        kind = file_kind(upload.name)
        check_file_size(upload.size)  # before reading it into memory
        return {"name": upload.name, "kind": kind, "content": upload.read()}


def _default_start(school):
    """Today, or the first day of the coming year in summer."""
    today = school.today()
    year = selectors.current_year(school, today)
    if year is not None and year.starts_on > today:
        return year.starts_on
    return today


def _form_page(request, form=None, *, errors=(), status=200):
    """The upload form; `errors` are those of a confirmation, which has no form."""
    if form is None:
        form = TimetableImportForm(initial={"starts_on": _default_start(request.school)})
    return render(
        request,
        "schedule/timetable_import.html",
        {
            "form": form,
            "errors": [*form.non_field_errors(), *errors],
            "columns": [
                {"header": c.header, "required": c.required, "help": COLUMN_HELP[c.key]}
                for c in COLUMNS
            ],
            "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        },
        status=status,
    )


def _preview_page(request, result, *, name, token=None, status=200):
    return render(
        request,
        "schedule/timetable_import_preview.html",
        {
            "result": result,
            "file_name": name,
            "token": token,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@school_view(*TIMETABLE_ROLES)
def timetable_import_page(request):
    """Upload a timetable file and see every row checked before anything is saved."""
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    if request.method == "GET":
        return _form_page(request)
    request.session.pop(SESSION_KEY, None)
    form = TimetableImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    upload, data = form.cleaned_data["file"], form.cleaned_data
    try:
        result = timetable_import(
            actor=request.user,
            school=request.school,
            content=upload["content"],
            kind=upload["kind"],
            starts_on=data["starts_on"],
            replace=data["replace"],
            dry_run=True,
        )
    except ValidationError as e:
        form.add_error(None, e)
        return _form_page(request, form, status=400)
    token = None
    if result.ok:
        token = secrets.token_urlsafe(16)
        request.session[SESSION_KEY] = {
            "token": token,
            "school": request.school.pk,
            "name": upload["name"],
            "kind": upload["kind"],
            "content": base64.b64encode(upload["content"]).decode("ascii"),
            "starts_on": data["starts_on"].isoformat(),
            "replace": data["replace"],
        }
    return _preview_page(request, result, name=upload["name"], token=token)


def _confirm(request):
    """Import the previewed file, all rows or none."""
    pending = request.session.pop(SESSION_KEY, None)
    if (
        not pending
        or pending.get("school") != request.school.pk
        or not secrets.compare_digest(pending.get("token", ""), request.POST["token"])
    ):
        return _form_page(
            request,
            errors=[_("The checked file is no longer kept: upload it and check it again.")],
            status=400,
        )
    starts_on = dt.date.fromisoformat(pending["starts_on"])
    try:
        result = timetable_import(
            actor=request.user,
            school=request.school,
            content=base64.b64decode(pending["content"]),
            kind=pending["kind"],
            starts_on=starts_on,
            replace=pending["replace"],
            dry_run=False,
        )
    except ValidationError as e:  # e.g. "replace" from a date that has passed meanwhile
        return _form_page(request, errors=e.messages, status=400)
    if not result.saved:
        return _preview_page(request, result, name=pending["name"], status=400)
    messages.success(request, _success_text(result))
    if result.kept:
        messages.warning(
            request,
            ngettext(
                "%(count)s lesson holding work (a topic, marks or attendance) was kept in "
                "its place; check it in the class timetable.",
                "%(count)s lessons holding work (a topic, marks or attendance) were kept in "
                "their places; check them in the class timetable.",
                len(result.kept),
            )
            % {"count": len(result.kept)},
        )
    return redirect("timetable_import", request.school.slug)


def _entries_text(count: int) -> str:
    return ngettext("%(count)s timetable entry", "%(count)s timetable entries", count) % {
        "count": count
    }


def _lessons_text(count: int) -> str:
    return ngettext("%(count)s dated lesson", "%(count)s dated lessons", count) % {"count": count}


def _success_text(result) -> str:
    text = _("The timetable is imported. Created: %(entries)s, %(lessons)s.") % {
        "entries": _entries_text(result.entries),
        "lessons": _lessons_text(result.lessons),
    }
    if result.replace:
        text += " " + _(
            "The previous timetable of the classes ends from %(date)s: %(entries)s ended, "
            "%(lessons)s deleted."
        ) % {
            "date": date_format(result.starts_on),
            "entries": _entries_text(result.ended),
            "lessons": _lessons_text(result.deleted),
        }
    return text


@require_GET
@school_view(*TIMETABLE_ROLES)
def timetable_import_sample(request):
    """A sample file with the right headers and a few rows, as CSV or XLSX."""
    kind = request.GET.get("format", "csv")
    if kind not in KINDS:
        raise Http404
    fmt = XLSX() if kind == "xlsx" else CSV()
    content_type = fmt.get_content_type()
    if kind == "csv":
        content_type += "; charset=utf-8"
    return FileResponse(
        io.BytesIO(sample_file(kind)),
        as_attachment=True,
        filename=f"timetable-sample.{kind}",
        content_type=content_type,
    )


urlpatterns = [
    path(
        "s/<slug:school_slug>/timetable/import/",
        timetable_import_page,
        name="timetable_import",
    ),
    path(
        "s/<slug:school_slug>/timetable/import/sample/",
        timetable_import_sample,
        name="timetable_import_sample",
    ),
]
