"""The lesson plan (КТП) pages (R-PLAN-1..3).

- journal_plan: a course's plan over a reporting period — its dated lessons with the planned
  topics, the proposals to confirm several at once, the items not placed, the fill form;
- journal_plan_import: upload a CSV or XLSX plan, see every row checked (the real import
  rolled back), confirm to import exactly that file (kept in the session under a token);
- journal_plan_fill, journal_plan_confirm: the fill and the confirmation (POST);
- journal_plan_progress: planned vs held lessons per course and period, with the lag —
  a teacher's own courses, the class teacher's class, every course for the deputies and
  the director (filter by class);
- journal_plan_sample: a sample file.

The course's teachers load, fill and confirm; the class teacher, the deputies and the
director read; anybody else gets 403."""

import base64
import io
import secrets
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import CLASS_TEACHER, school_view
from accounts.models import Role
from schedule.control_selectors import grade_periods, period_pick
from schedule.models import (
    GradeLevel,
    Group,
    PeriodKind,
    ReportingPeriod,
    SchoolClass,
    Subject,
    TeachingLoad,
)
from schedule.selectors import current_year

from .history import request_ip
from .lesson_selectors import course_year_lessons, plan_items_placed, plan_progress
from .models import CoursePlan
from .permissions import READ_ALL_ROLES, can_read_course, teaches_course
from .plan_import import (
    COLUMNS,
    MAX_FILE_BYTES,
    check_file_size,
    file_kind,
    plan_import,
    sample_file,
)
from .rules import Refusal
from .services.lessons import lesson_started
from .services.plans import can_plan_course, plan_fill, plan_topics_confirm

PLAN_ROLES = (Role.TEACHER, Role.SUBSTITUTE, Role.DEPUTY, Role.DIRECTOR)
SESSION_KEY = "plan_import"

COLUMN_HELP = {
    "number": gettext_lazy("The topic's number in the plan: 1, 2, 3…; each number once."),
    "topic": gettext_lazy("The topic of the lesson (or of several lessons)."),
    "hours": gettext_lazy(
        "How many lessons the topic takes, a whole number; empty means one lesson."
    ),
    "work_type": gettext_lazy(
        "Optional: the work type of the topic's mark column, by its name or code "
        "(e.g. «Контрольная работа» or «control»)."
    ),
    "homework": gettext_lazy("Optional: the planned homework."),
}


@dataclass
class Course:
    group: Group
    subject: Subject
    can_edit: bool

    @property
    def school_class(self) -> SchoolClass:
        return self.group.school_class

    @property
    def year(self):
        return self.group.school_class.year


def _course(request, group_id: int, subject_id: int) -> Course:
    """The course of the URL in this school (404 otherwise), and whether the user loads its
    plan (a teacher of the course) or only reads it (the class teacher, deputies, the
    director); 403 for anybody else. Three or four queries."""
    school, user = request.school, request.user
    group = get_object_or_404(
        Group.objects.select_related("school_class__year"), school=school, pk=group_id
    )
    subject = get_object_or_404(Subject, school=school, pk=subject_id)
    if group.subject_id and group.subject_id != subject.pk:
        raise Http404
    can_edit = can_plan_course(user, school.pk, group.pk, subject.pk, school.today())
    if not can_edit:
        teaches = teaches_course(user, school.pk, group.pk, subject.pk)
        if not can_read_course(request.access, user, group.school_class, teaches):
            raise PermissionDenied
    return Course(group, subject, can_edit)


def _plan(course: Course) -> CoursePlan | None:
    return (
        CoursePlan.objects.filter(
            school=course.group.school_id,
            year=course.year,
            group=course.group,
            subject=course.subject,
        )
        .select_related("imported_by", "year")
        .first()
    )


def _int_param(request, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


# --- the course's plan ------------------------------------------------------------------


@require_GET
@school_view(*PLAN_ROLES)
def journal_plan(request, group_id: int, subject_id: int):
    """The course's lessons of a period with their planned topics; the teacher confirms
    the proposals, several at once (R-PLAN-2). Queries: the access (4), the plan, the
    periods, the lessons with their records, the items with their placements (2)."""
    course = _course(request, group_id, subject_id)
    plan = _plan(course)
    periods = grade_periods(course.school_class)
    period_id = _int_param(request, "period")
    period = period_pick(periods, period_id, request.school.today())
    if period is None and period_id is not None:
        raise Http404
    year = course.year
    start, end = (period.starts_on, period.ends_on) if period else (year.starts_on, year.ends_on)
    lessons = list(course_year_lessons(course.group, course.subject.pk, start, end))
    rows = []
    for lesson in lessons:
        lesson.school = request.school
        record = getattr(lesson, "record", None)
        started = lesson_started(lesson)
        proposed = bool(record and record.topic and not record.topic_confirmed)
        rows.append(
            {
                "lesson": lesson,
                "record": record,
                "started": started,
                "proposed": proposed,
                "confirmable": proposed and not lesson.is_cancelled,
            }
        )
    items = plan_items_placed(plan) if plan else []
    return render(
        request,
        "journal/plan.html",
        {
            "course": course,
            "plan": plan,
            "periods": periods,
            "period": period,
            "rows": rows,
            "items": items,
            "not_placed": [(item, n) for item, n in items if n < item.hours],
            "plan_hours": sum(item.hours for item, _n in items),
            "confirmable": sum(1 for row in rows if row.get("confirmable")),
        },
    )


def _plan_url(request, course: Course, period: str | None = None) -> str:
    url = reverse("journal_plan", args=[request.school.slug, course.group.pk, course.subject.pk])
    return f"{url}?period={int(period)}" if period and period.isdigit() else url


class FillForm(forms.Form):
    from_date = forms.DateField(
        label=gettext_lazy("From the date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


@require_POST
@school_view(Role.TEACHER, Role.SUBSTITUTE)
def journal_plan_fill(request, group_id: int, subject_id: int):
    """Put the plan's topics into the course's lessons (R-PLAN-2)."""
    course = _course(request, group_id, subject_id)
    if not course.can_edit:
        raise PermissionDenied
    back = _plan_url(request, course, request.POST.get("period"))
    plan = _plan(course)
    if plan is None:
        messages.error(request, _("Load the plan first."))
        return redirect(back)
    form = FillForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the date as dd.mm.yyyy."))
        return redirect(back)
    try:
        result = plan_fill(
            actor=request.user,
            plan=plan,
            from_date=form.cleaned_data["from_date"],
            ip=request_ip(request),
        )
    except Refusal as refusal:
        raise PermissionDenied(refusal.message) from None
    messages.success(request, _fill_text(result))
    if result.not_placed:
        messages.warning(request, _not_placed_text(result.not_placed))
    return redirect(back)


def _fill_text(result) -> str:
    return _(
        "Lessons given planned topics: %(filled)s; kept with a confirmed topic: %(kept)s; "
        "old proposals withdrawn: %(withdrawn)s."
    ) % {"filled": result.filled, "kept": result.kept, "withdrawn": result.withdrawn}


def _not_placed_text(hours: int) -> str:
    return _(
        "Hours of the plan that do not fit into the course's lessons of the year: %(count)s."
    ) % {"count": hours}


@require_POST
@school_view(Role.TEACHER, Role.SUBSTITUTE)
def journal_plan_confirm(request, group_id: int, subject_id: int):
    """Confirm the proposed topics of the ticked lessons at once (R-PLAN-2)."""
    course = _course(request, group_id, subject_id)
    if not course.can_edit:
        raise PermissionDenied
    back = _plan_url(request, course, request.POST.get("period"))
    plan = _plan(course)
    lesson_ids = request.POST.getlist("lessons")
    if plan is None or not lesson_ids:
        messages.error(request, _("Tick the lessons whose topics you confirm."))
        return redirect(back)
    count = plan_topics_confirm(actor=request.user, plan=plan, lesson_ids=lesson_ids)
    messages.success(request, _("Topics confirmed: %(count)s.") % {"count": count})
    return redirect(back)


# --- the import ---------------------------------------------------------------------------


class PlanImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))
    fill = forms.BooleanField(
        label=gettext_lazy("Put the topics into the course's lessons right away"),
        required=False,
        initial=True,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        kind = file_kind(upload.name)
        check_file_size(upload.size)  # before reading it into memory
        return {"name": upload.name, "kind": kind, "content": upload.read()}


def _import_form_page(request, course, form=None, *, errors=(), status=200):
    if form is None:
        form = PlanImportForm()
    return render(
        request,
        "journal/plan_import.html",
        {
            "course": course,
            "plan": _plan(course),
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


def _preview_page(request, course, result, *, name, token=None, status=200):
    return render(
        request,
        "journal/plan_import_preview.html",
        {"course": course, "result": result, "file_name": name, "token": token},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@school_view(Role.TEACHER, Role.SUBSTITUTE)
def journal_plan_import(request, group_id: int, subject_id: int):
    """Upload the course's plan and see every row checked before anything is saved
    (R-PLAN-1); a second POST with the token imports exactly that file."""
    course = _course(request, group_id, subject_id)
    if not course.can_edit:
        raise PermissionDenied
    if request.method == "GET":
        return _import_form_page(request, course)
    if "token" in request.POST:
        return _import_confirm(request, course)
    request.session.pop(SESSION_KEY, None)
    form = PlanImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_form_page(request, course, form, status=400)
    upload, fill = form.cleaned_data["file"], form.cleaned_data["fill"]
    try:
        result = plan_import(
            actor=request.user,
            school=request.school,
            group=course.group,
            subject=course.subject,
            content=upload["content"],
            kind=upload["kind"],
            file_name=upload["name"],
            fill=fill,
            dry_run=True,
            ip=request_ip(request),
        )
    except ValidationError as e:
        form.add_error(None, e)
        return _import_form_page(request, course, form, status=400)
    token = None
    if result.ok:
        token = secrets.token_urlsafe(16)
        request.session[SESSION_KEY] = {
            "token": token,
            "school": request.school.pk,
            "group": course.group.pk,
            "subject": course.subject.pk,
            "name": upload["name"],
            "kind": upload["kind"],
            "fill": fill,
            "content": base64.b64encode(upload["content"]).decode("ascii"),
        }
    return _preview_page(request, course, result, name=upload["name"], token=token)


def _import_confirm(request, course):
    """Import the previewed file: all rows or none."""
    pending = request.session.pop(SESSION_KEY, None)
    if (
        not pending
        or (pending.get("school"), pending.get("group"), pending.get("subject"))
        != (request.school.pk, course.group.pk, course.subject.pk)
        or not secrets.compare_digest(pending.get("token", ""), request.POST["token"])
    ):
        return _import_form_page(
            request,
            course,
            errors=[_("The checked file is no longer kept: upload it and check it again.")],
            status=400,
        )
    try:
        result = plan_import(
            actor=request.user,
            school=request.school,
            group=course.group,
            subject=course.subject,
            content=base64.b64decode(pending["content"]),
            kind=pending["kind"],
            file_name=pending["name"],
            fill=pending["fill"],
            dry_run=False,
            ip=request_ip(request),
        )
    except ValidationError as e:
        return _import_form_page(request, course, errors=e.messages, status=400)
    if not result.saved:
        return _preview_page(request, course, result, name=pending["name"], status=400)
    saved = result.plan
    messages.success(
        request,
        _(
            "The plan is loaded. Topics: %(items)s, hours: %(hours)s; new: %(created)s, "
            "changed: %(updated)s, removed: %(deleted)s."
        )
        % {
            "items": len(result.rows),
            "hours": result.hours,
            "created": saved.created,
            "updated": saved.updated,
            "deleted": saved.deleted,
        },
    )
    if result.filled is not None:
        messages.success(request, _fill_text(result.filled))
        if result.filled.not_placed:
            messages.warning(request, _not_placed_text(result.filled.not_placed))
    return redirect(_plan_url(request, course))


@require_GET
@school_view(*PLAN_ROLES)
def journal_plan_sample(request):
    """A sample plan with the right headers and a few rows, as CSV or XLSX."""
    kind = request.GET.get("format", "csv")
    if kind not in ("csv", "xlsx"):
        raise Http404
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if kind == "xlsx"
        else "text/csv; charset=utf-8"
    )
    return FileResponse(
        io.BytesIO(sample_file(kind)),
        as_attachment=True,
        filename=f"ktp-sample.{kind}",
        content_type=content_type,
    )


# --- programme completion -----------------------------------------------------------------


def _grade_kinds(school, year) -> dict[int, str]:
    return dict(
        GradeLevel.objects.filter(school=school, year=year).values_list("grade", "period_kind")
    )


def _visible_loads(request, year):
    """The teaching loads the user sees: his own, those of the class he leads, or every
    load of the school for the deputies and the director (one query)."""
    school, user, access = request.school, request.user, request.access
    loads = TeachingLoad.objects.filter(school=school, group__school_class__year=year)
    if not access.has_any(READ_ALL_ROLES):
        mine = TeachingLoad.objects.filter(
            teacher=user, group=OuterRef("group"), subject=OuterRef("subject")
        )
        own = loads.filter(Exists(mine))
        if CLASS_TEACHER in access.roles:
            loads = own | loads.filter(group__school_class__class_teacher=user)
        else:
            loads = own
    return loads.select_related("group__school_class", "subject", "teacher").order_by(
        "group__school_class__grade",
        "group__school_class__letter",
        "-group__is_whole_class",
        "group__name",
        "subject__name",
        "teacher__last_name",
    )


@require_GET
@school_view(*PLAN_ROLES)
def journal_plan_progress(request):
    """R-PLAN-3: per course and reporting period, the lessons planned, held and in the
    timetable, and the lag. Queries, whatever the number of courses or lessons: the access
    (2), the year, the periods, the grades' kinds of period, the loads, the plans' hours,
    the lessons' counts."""
    school = request.school
    today = school.today()
    year = current_year(school, today)
    if year is None:
        return render(request, "journal/plan_progress.html", {"year": None})
    periods = list(
        ReportingPeriod.objects.filter(school=school, year=year).order_by("kind", "starts_on")
    )
    kinds = _grade_kinds(school, year)
    period_id = _int_param(request, "period")
    if period_id is not None:
        period = next((p for p in periods if p.pk == period_id), None)
        if period is None:
            raise Http404
    else:
        quarters = [p for p in periods if p.kind == PeriodKind.QUARTER] or periods
        period = period_pick(quarters, None, today)
    loads = list(_visible_loads(request, year))
    classes = list({load.group.school_class_id: load.group.school_class for load in loads}.values())
    class_id = _int_param(request, "class")
    if class_id is not None:
        if class_id not in {c.pk for c in classes}:
            raise Http404
        loads = [load for load in loads if load.group.school_class_id == class_id]
    if period is not None:
        # each grade studies by its own kind of period (quarters by default)
        loads = [
            load
            for load in loads
            if kinds.get(load.group.school_class.grade, PeriodKind.QUARTER) == period.kind
        ]
    rows = []
    if period is not None:
        rows = plan_progress(
            loads=loads, year=year, period=period, now_local=school.local(timezone.now())
        )
    return render(
        request,
        "journal/plan_progress.html",
        {
            "year": year,
            "periods": periods,
            "period": period,
            "classes": classes,
            "class_id": class_id,
            "rows": rows,
            "limit": min(today, period.ends_on) if period else None,
        },
    )


urlpatterns = [
    path("plan/", journal_plan_progress, name="journal_plan_progress"),
    path("plan/sample/", journal_plan_sample, name="journal_plan_sample"),
    path("plan/<int:group_id>/<int:subject_id>/", journal_plan, name="journal_plan"),
    path(
        "plan/<int:group_id>/<int:subject_id>/import/",
        journal_plan_import,
        name="journal_plan_import",
    ),
    path(
        "plan/<int:group_id>/<int:subject_id>/fill/",
        journal_plan_fill,
        name="journal_plan_fill",
    ),
    path(
        "plan/<int:group_id>/<int:subject_id>/confirm/",
        journal_plan_confirm,
        name="journal_plan_confirm",
    ),
]
