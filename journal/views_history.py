"""Correction requests for locked cells and the report of all journal changes (R-MRK-6).

- A teacher asks to change a locked cell (the grid links it here with the cell in the query
  string) and follows his requests; deputies and the director decide the school's requests.
- The school administrator, the director and the deputies read every change of a year,
  filtered, 100 a page or all of them as CSV, and verify the history's hash chain on demand
  (it reads the whole chain, so never on an ordinary page view)."""

import csv
import datetime as dt
import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import school_view
from accounts.models import Role, Student, WorkType
from schedule.models import Lesson

from . import history_selectors as hs
from .history import chain_verify, request_ip
from .models import CorrectionRequest, JournalChange
from .permissions import can_edit_lesson
from .rules import Refusal
from .services.corrections import (
    ATTENDANCE_KINDS,
    ATTENDANCE_TEXT,
    DECIDING_ROLES,
    cell_current,
    cell_value,
    correction_check,
    correction_decide,
    correction_request_create,
)

TEACHING_ROLES = (Role.TEACHER, Role.SUBSTITUTE)
HISTORY_ROLES = (Role.ADMIN, Role.DIRECTOR, Role.DEPUTY)
PAGE_SIZE = 100


def _int_param(data, name: str, default: int | None = None) -> int | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


def _safe_next(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


# --- a teacher's request ------------------------------------------------------------------


ATTENDANCE_CHOICES = (
    ("", gettext_lazy("present")),
    ("н", gettext_lazy("absent (н)")),
    ("оп", gettext_lazy("late (оп)")),
)


class CorrectionForm(forms.Form):
    new_value = forms.CharField(
        label=gettext_lazy("New mark"),
        required=False,
        max_length=10,
        help_text=gettext_lazy("Leave empty to remove the mark."),
    )
    new_comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=300)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Say why the cell must be corrected.")},
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        if kind == CorrectionRequest.Kind.ATTENDANCE:
            self.fields["new_value"] = forms.ChoiceField(
                label=gettext_lazy("Attendance"), choices=ATTENDANCE_CHOICES, required=False
            )
            del self.fields["new_comment"]


def _cell_from_query(request):
    """The cell named by ?lesson=&student=&kind=&work_type=&part=, in this school (404)."""
    school = request.school
    kind = request.GET.get("kind") or CorrectionRequest.Kind.MARK
    if kind not in CorrectionRequest.Kind.values:
        raise Http404
    lesson_id, student_id = _int_param(request.GET, "lesson"), _int_param(request.GET, "student")
    if lesson_id is None or student_id is None:
        raise Http404
    lesson = get_object_or_404(
        Lesson.objects.select_related(
            "school__settings", "school_class", "subject", "group", "teacher", "substitute"
        ),
        school=school,
        pk=lesson_id,
    )
    student = get_object_or_404(Student, school=school, pk=student_id)
    work_type, part = None, 1
    if kind == CorrectionRequest.Kind.MARK:
        work_type_id = _int_param(request.GET, "work_type")
        if work_type_id is None:
            raise Http404
        work_type = get_object_or_404(WorkType, school=school, pk=work_type_id)
        part = _int_param(request.GET, "part", 1)
        if part not in ((1, 2) if work_type.double_mark else (1,)):
            raise Http404
    return kind, lesson, student, work_type, part


def _tried_value(request, kind: str) -> str:
    """The value the teacher typed into the locked cell (the grid passes it as ?value=; an
    empty one asks to clear the cell)."""
    tried = (request.GET.get("value") or "").strip()[:10]
    if kind == CorrectionRequest.Kind.ATTENDANCE:
        letter = ATTENDANCE_KINDS.get(tried.lower())
        return ATTENDANCE_TEXT[letter] if letter else ""
    return tried


@require_http_methods(["GET", "POST"])
@school_view(*TEACHING_ROLES)
def correction_new(request):
    """Ask for a change of one locked cell, with the reason (R-MRK-6)."""
    school, user = request.school, request.user
    kind, lesson, student, work_type, part = _cell_from_query(request)
    if not can_edit_lesson(user, lesson, school.today()):
        raise PermissionDenied
    current = cell_current(
        kind=kind, lesson=lesson, student=student, work_type=work_type, part=part
    )
    pending = hs.pending_request(
        lesson=lesson, student=student, kind=kind, work_type=work_type, part=part
    )
    next_url = _safe_next(request)
    error, blocked = "", False
    if request.method == "POST":
        form = CorrectionForm(request.POST, kind=kind)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = correction_request_create(
                    actor=user,
                    kind=kind,
                    lesson=lesson,
                    student=student,
                    work_type=work_type,
                    part=part,
                    new_value=data["new_value"],
                    new_comment=data.get("new_comment", ""),
                    reason=data["reason"],
                )
            except Refusal as refusal:
                error = refusal.message
            else:
                messages.success(
                    request,
                    _("Request №%(number)s is sent to the deputy head.") % {"number": created.pk},
                )
                return redirect(next_url or reverse("journal_corrections", args=[school.slug]))
    else:
        form = CorrectionForm(
            kind=kind,
            initial={
                "new_value": (
                    _tried_value(request, kind) if "value" in request.GET else cell_value(current)
                ),
                "new_comment": getattr(current, "comment", ""),
            },
        )
        try:
            correction_check(
                kind=kind, lesson=lesson, work_type=work_type, current=current, now=timezone.now()
            )
        except Refusal as refusal:
            error, blocked = refusal.message, True
    return render(
        request,
        "journal/correction_new.html",
        {
            "form": form,
            "kind": kind,
            "lesson": lesson,
            "student": student,
            "work_type": work_type,
            "part": part,
            "current": current,
            "current_value": cell_value(current),
            "pending": pending,
            "error": error,
            "blocked": blocked,
            "next": next_url,
        },
    )


# --- the list and the deputy's decision ---------------------------------------------------


def _status_param(request, default: str) -> str:
    status = request.GET.get("status", default)
    if status not in ("", *CorrectionRequest.Status.values):
        raise Http404
    return status


@require_GET
@school_view(*TEACHING_ROLES, *DECIDING_ROLES)
def correction_list(request):
    """Deputies and the director: the school's requests, the waiting ones first; a teacher:
    his own requests and what became of them."""
    school, access, user = request.school, request.access, request.user
    decides = access.has_any(DECIDING_ROLES)
    status = _status_param(request, CorrectionRequest.Status.PENDING if decides else "")
    rows = hs.school_requests(school, status) if decides else hs.own_requests(school, user, status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    mine = []
    if decides and access.has_any(TEACHING_ROLES):
        mine = list(hs.own_requests(school, user, CorrectionRequest.Status.PENDING))
    return render(
        request,
        "journal/corrections.html",
        {
            "decides": decides,
            "status": status,
            "statuses": CorrectionRequest.Status.choices,
            "page": page,
            "rows": page.object_list,
            "mine": mine,
            "next": request.get_full_path(),
        },
    )


@require_POST
@school_view(*DECIDING_ROLES)
def correction_decide_page(request, pk):
    """Approve (the change is written now, by the deputy) or reject (with a note)."""
    school = request.school
    correction = get_object_or_404(CorrectionRequest, school=school, pk=pk)
    decision = request.POST.get("decision")
    error = ""
    if decision not in ("approve", "reject"):
        error = _("Choose to approve or to reject the request.")
    else:
        try:
            correction_decide(
                actor=request.user,
                request=correction,
                approve=decision == "approve",
                note=request.POST.get("note", ""),
                ip=request_ip(request),
            )
        except Refusal as refusal:
            error = refusal.message
    if request.htmx:
        row = hs.school_requests(school).get(pk=pk)
        return render(
            request,
            "journal/_correction_row.html",
            {"row": row, "decides": True, "error": error, "next": _safe_next(request)},
        )
    if error:
        messages.error(request, error)
    elif decision == "approve":
        messages.success(
            request, _("Request №%(number)s is approved and applied.") % {"number": pk}
        )
    else:
        messages.success(request, _("Request №%(number)s is rejected.") % {"number": pk})
    return redirect(_safe_next(request) or reverse("journal_corrections", args=[school.slug]))


# --- the history report -------------------------------------------------------------------


class HistoryForm(forms.Form):
    """Filters of the report; the choices are lists read beforehand (no query to validate)."""

    year = forms.TypedChoiceField(label=gettext_lazy("Academic year"), coerce=int)
    person = forms.TypedChoiceField(
        label=gettext_lazy("Teacher or author of the change"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    school_class = forms.TypedChoiceField(
        label=gettext_lazy("Class"), coerce=int, required=False, empty_value=None
    )
    changed_from = forms.DateField(
        label=gettext_lazy("Changed from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    changed_to = forms.DateField(
        label=gettext_lazy("Changed until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    lesson_from = forms.DateField(
        label=gettext_lazy("Lesson from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    lesson_to = forms.DateField(
        label=gettext_lazy("Lesson until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    kind = forms.ChoiceField(label=gettext_lazy("What"), required=False)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)

    def __init__(self, data, *, years, people, classes):
        super().__init__(data)
        everyone = [("", _("everyone"))]
        self.fields["year"].choices = [(y.pk, y.name) for y in years]
        self.fields["person"].choices = everyone + [(u.pk, u.full_name) for u in people]
        self.fields["school_class"].choices = [("", _("all classes"))] + [
            (c.pk, str(c)) for c in classes
        ]
        self.fields["kind"].choices = [("", _("everything"))] + JournalChange.Subject.choices
        self.fields["action"].choices = [("", _("any action"))] + JournalChange.Action.choices

    def clean(self):
        data = super().clean()
        for start, end in (("changed_from", "changed_to"), ("lesson_from", "lesson_to")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("The end date is before the start date."))
        return data


def _default_year(years, today: dt.date):
    """The year containing today, or the next one to start, or the latest (as
    schedule.selectors.current_year, on the list already read)."""
    coming = sorted((y for y in years if y.ends_on >= today), key=lambda y: y.starts_on)
    return (coming or years or [None])[0]


def _history_query(request):
    """The report's form and, when it is valid, the filter: three queries (the years, the
    staff, the classes of the chosen year)."""
    school = request.school
    years = list(hs.school_years(school))
    if not years:
        return None, None, years
    year = _default_year(years, school.today())
    year_id = _int_param(request.GET, "year")
    year = next((y for y in years if y.pk == year_id), year)
    data = request.GET.copy()
    data.setdefault("year", str(year.pk))
    form = HistoryForm(
        data,
        years=years,
        people=list(hs.school_staff(school)),
        classes=list(hs.year_classes(school, year)),
    )
    if not form.is_valid():
        return form, None, years
    d = form.cleaned_data
    chosen = hs.HistoryFilter(
        year=year,
        person_id=d["person"],
        class_id=d["school_class"],
        changed_from=d["changed_from"],
        changed_to=d["changed_to"],
        lesson_from=d["lesson_from"],
        lesson_to=d["lesson_to"],
        kind=d["kind"],
        action=d["action"],
    )
    return form, chosen, years


def _filter_query(form) -> str:
    """The filters as a query string, for the pages, the CSV and the verify links."""
    if form is None or not form.is_bound:
        return ""
    keep = {k: v for k, v in form.data.items() if k in form.fields and v}
    return urlencode(keep)


@require_GET
@school_view(*HISTORY_ROLES)
def history(request):
    """Every change of the journal in a year (R-MRK-6), 100 a page, newest first."""
    school = request.school
    form, chosen, years = _history_query(request)
    page = None
    if chosen is not None:
        page = Paginator(hs.history_changes(school, chosen, years), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    check = chain_verify(school.pk) if request.GET.get("verify") else None
    return render(
        request,
        "journal/history.html",
        {
            "form": form,
            "page": page,
            "rows": page.object_list if page else [],
            "check": check,
            "query": _filter_query(form),
            "no_year": not years,
        },
    )


def _csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(values)
    return out.getvalue()


@require_GET
@school_view(*HISTORY_ROLES)
def history_csv(request):
    """All the filtered rows as CSV (UTF-8 with BOM, «;»: what Excel opens), streamed."""
    school = request.school
    form, chosen, years = _history_query(request)
    if chosen is None:
        problems = form.errors.as_text() if form is not None else _("The school has no year.")
        return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")
    rows = hs.history_changes(school, chosen, years)
    header = [
        _("No."),
        _("When"),
        _("Who"),
        _("From where"),
        _("Action"),
        _("What"),
        _("Where"),
        _("Lesson date"),
        _("Was"),
        _("Became"),
        _("Reason"),
    ]
    kinds = {k: str(v) for k, v in JournalChange.Subject.choices}
    actions = {k: str(v) for k, v in JournalChange.Action.choices}
    tz = school.tz

    def lines():
        yield "\ufeff" + _csv_line(header)
        for change in rows.iterator(chunk_size=2000):
            yield _csv_line(
                [
                    change.seq,
                    timezone.localtime(change.at, tz).strftime("%d.%m.%Y %H:%M:%S"),
                    change.actor_name,
                    change.ip or "",
                    actions.get(change.action, change.action),
                    kinds.get(change.subject_kind, change.subject_kind),
                    change.label,
                    change.lesson_date.strftime("%d.%m.%Y") if change.lesson_date else "",
                    change.old,
                    change.new,
                    change.reason,
                ]
            )

    year = next(y for y in years if y.pk == chosen.year.pk)
    name = f"journal-history-{school.slug}-{year.starts_on.year}.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("corrections/", correction_list, name="journal_corrections"),
    path("corrections/new/", correction_new, name="journal_correction_new"),
    path("corrections/<int:pk>/decide/", correction_decide_page, name="journal_correction_decide"),
    path("history/", history, name="journal_history"),
    path("history/csv/", history_csv, name="journal_history_csv"),
]
