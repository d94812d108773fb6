"""The teacher's journal grid (per course and period) and its cells.

Each cell saves on its own (htmx POST answered by the cell's partial, with out-of-band
updates of the row's other cells of that lesson and its averages). Without JavaScript every
cell is a link to a small form page, so the journal works through plain forms too."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import CLASS_TEACHER, school_view
from accounts.models import Role, Student, WorkType
from schedule.control_selectors import grade_periods, period_pick
from schedule.models import Group, Lesson, SchoolClass, Subject, TeachingLoad
from schedule.selectors import current_year

from . import values
from .averages import accumulation_minimum, period_mark_warnings
from .grid_html import (
    CellUrls,
    PeriodCellContext,
    averages_html,
    cell_html,
    header_rows_html,
    period_cell_html,
    row_html,
)
from .grid_selectors import (
    Cell,
    Column,
    course_grid,
    lesson_period_averages,
    student_period_averages,
)
from .history import request_ip
from .models import Attendance, FinalKind, Mark, PeriodMark
from .permissions import READ_ALL_ROLES
from .rules import Refusal, lesson_start
from .services.cells import Conflict, attendance_set, mark_set, token


def _course(request, group_id: int, subject_id: int):
    """The course of the URL in this school (404 otherwise) and whether the user may read
    it and edit it; 403 when he may not read it (R-ROLE-3). One query."""
    user = request.user
    loads = TeachingLoad.objects.filter(group=OuterRef("pk"), subject=subject_id)
    group = get_object_or_404(
        Group.objects.select_related("school_class__year").annotate(
            teaches=Exists(loads.filter(teacher=user)),
            hours=Subquery(loads.values("hours_per_week")[:1]),
            subject_name=Subquery(
                Subject.objects.filter(pk=subject_id, school=OuterRef("school")).values("name")
            ),
            subject_no_attestation=Subquery(
                Subject.objects.filter(pk=subject_id).values("no_attestation")
            ),
            substitutes=Exists(
                Lesson.objects.filter(group=OuterRef("pk"), subject=subject_id, substitute=user)
            ),
        ),
        pk=group_id,
        school=request.school,
    )
    if group.subject_name is None or (group.subject_id and group.subject_id != subject_id):
        raise Http404
    subject = Subject(
        pk=subject_id,
        school=request.school,
        name=group.subject_name,
        no_attestation=group.subject_no_attestation,
    )
    access = request.access
    reads = (
        group.teaches
        or group.substitutes
        or access.has_any(READ_ALL_ROLES)
        or (CLASS_TEACHER in access.roles and group.school_class.class_teacher_id == user.pk)
    )
    if not reads:
        raise PermissionDenied
    return group, subject


@require_GET
@school_view()
def journal_index(request):
    """The courses the user may open: his own (teaching load), those of his class (class
    teacher), every course of the school by class (deputy, director)."""
    school, user, access = request.school, request.user, request.access
    year = current_year(school, school.today())
    loads = (
        TeachingLoad.objects.filter(school=school, group__school_class__year=year)
        .select_related("group__school_class", "subject", "teacher")
        .order_by("group__school_class__grade", "group__school_class__letter", "subject__name")
    )
    own = [load for load in loads if load.teacher_id == user.pk]
    led = SchoolClass.objects.filter(school=school, year=year, class_teacher=user)
    led_ids = set(led.values_list("pk", flat=True)) if CLASS_TEACHER in access.roles else set()
    class_courses = [load for load in loads if load.group.school_class_id in led_ids]
    all_courses = list(loads) if access.has_any(READ_ALL_ROLES) else []
    if not (own or class_courses or all_courses) and not access.has_any(
        {Role.TEACHER, Role.SUBSTITUTE} | READ_ALL_ROLES
    ):
        raise PermissionDenied
    return render(
        request,
        "journal/index.html",
        {
            "own": own,
            "class_courses": class_courses,
            "all_courses": all_courses,
            "year": year,
        },
    )


def _editable_lessons(grid, user, teaches: bool) -> set[int]:
    return {
        lesson.pk
        for lesson in grid.lessons
        if teaches or user.pk in (lesson.teacher_id, lesson.substitute_id)
    }


@require_GET
@school_view()
def journal_course(request, group_id: int, subject_id: int):
    school = request.school
    group, subject = _course(request, group_id, subject_id)
    periods = grade_periods(group.school_class)
    try:
        period_id = int(request.GET["period"]) if request.GET.get("period") else None
    except ValueError:
        raise Http404 from None
    today = school.today()
    period = period_pick(periods, period_id, today)
    if period is None and period_id is not None:
        raise Http404
    if period is None:
        messages.warning(request, _("The school has not set the reporting periods of this grade."))
        return render(request, "journal/index.html", {"year": group.school_class.year})
    grid = course_grid(
        group=group, subject=subject, period=period, settings=school.settings, today=today
    )
    editable = _editable_lessons(grid, request.user, group.teaches)
    # today's lessons that have begun and whose register is not taken yet (R-ATT-1)
    now = timezone.now()
    register_due = {
        lesson.pk
        for lesson in grid.lessons
        if getattr(lesson, "register_missing", False) and now >= lesson_start(school, lesson)
    }
    for column in grid.columns:
        column.editable = column.lesson.pk in editable
    urls = CellUrls(school.slug)
    can_set_period_marks = bool(group.teaches and not subject.no_attestation)
    period_shared = PeriodCellContext(
        reverse("journal_period_cell", args=[school.slug, group.pk, subject.pk]),
        period.pk,
        get_token(request),
        can_set_period_marks,
    )
    for row in grid.rows:
        row.warnings = period_mark_warnings(
            averages=row.averages,
            value=row.period_mark.value if row.period_mark else "",
            minimum=row.minimum,
            has_control_work=row.has_control_work,
        )
        row.html = row_html(row, urls, period_shared)
    return render(
        request,
        "journal/course.html",
        {
            "group": group,
            "subject": subject,
            "grid": grid,
            "header_rows": header_rows_html(grid.columns, school.slug, register_due),
            "periods": periods,
            "period": period,
            "editable": editable,
            "can_edit": bool(editable),
            "can_set_period_marks": can_set_period_marks,
            "scale_hint": values.scale_hint(school.settings.mark_scale),
            "grade_one": school.settings.grade_one_without_marks and group.school_class.grade == 1,
        },
    )


# --- one cell ----------------------------------------------------------------------------


def _cell_objects(request, lesson_id: int, data):
    school = request.school
    lesson = get_object_or_404(
        Lesson.objects.select_related("school_class", "subject", "group"),
        pk=lesson_id,
        school=school,
    )
    lesson.school = school  # with its settings, already read by the access helper
    try:
        student = Student.objects.get(pk=int(data.get("student", "")), school=school)
        work_type = WorkType.objects.get(pk=int(data.get("work_type", "")), school=school)
        part = int(data.get("part", "1"))
    except (ValueError, Student.DoesNotExist, WorkType.DoesNotExist):
        raise Http404 from None
    if part not in (1, 2):
        raise Http404
    return lesson, student, work_type, part


UNKNOWN = object()


def _cell_context(
    lesson,
    student,
    work_type,
    part,
    first,
    *,
    mark=UNKNOWN,
    attendance=UNKNOWN,
    error="",
    locked=False,
    tried="",
):
    """The cell as it is now; what a service has just returned is not read again."""
    if mark is UNKNOWN:
        mark = Mark.objects.filter(
            lesson=lesson, student=student, work_type=work_type, part=part
        ).first()
    if attendance is UNKNOWN:
        attendance = (
            Attendance.objects.filter(lesson=lesson, student=student).first() if first else None
        )
    return Cell(
        column=Column(lesson, work_type, part, first=first, last=False),
        student=student,
        active=True,
        mark=mark,
        attendance=attendance,
        error=error,
        locked_error=locked,
        value_tried=tried,
    )


@require_http_methods(["GET", "POST"])
@school_view(Role.TEACHER, Role.SUBSTITUTE)
def journal_cell(request, lesson_id: int):
    """GET: the no-JavaScript form of one cell. POST: save the cell (htmx or form)."""
    data = request.POST if request.method == "POST" else request.GET
    lesson, student, work_type, part = _cell_objects(request, lesson_id, data)
    school = request.school
    if request.method == "GET":
        cell = _cell_context(lesson, student, work_type, part, first=True)
        return render(
            request,
            "journal/cell_form.html",
            {
                "cell": cell,
                "lesson": lesson,
                "mark_token": token(cell.mark),
                "att_token": token(cell.attendance),
                "back": _grid_url(school, lesson),
            },
        )
    raw = data.get("value", "")
    comment = data.get("comment", "")
    text = values.normalise(raw)
    error, locked = "", False
    known: dict = {}
    try:
        if data.get("op") == "clear":
            if data.get("mark_token"):
                known["mark"] = mark_set(
                    actor=request.user,
                    lesson=lesson,
                    student=student,
                    work_type=work_type,
                    part=part,
                    value="",
                    expected=data.get("mark_token", ""),
                    ip=request_ip(request),
                )
            else:
                known["attendance"] = attendance_set(
                    actor=request.user,
                    lesson=lesson,
                    student=student,
                    kind="",
                    expected=data.get("att_token", ""),
                    ip=request_ip(request),
                )
        elif text in values.ABSENT_LETTERS or text in values.LATE_LETTERS:
            kind = Attendance.Kind.ABSENT if text in values.ABSENT_LETTERS else Attendance.Kind.LATE
            known["attendance"] = attendance_set(
                actor=request.user,
                lesson=lesson,
                student=student,
                kind=kind,
                expected=data.get("att_token", ""),
                ip=request_ip(request),
            )
        else:
            known["mark"] = mark_set(
                actor=request.user,
                lesson=lesson,
                student=student,
                work_type=work_type,
                part=part,
                value=raw,
                comment=comment,
                expected=data.get("mark_token", ""),
                ip=request_ip(request),
            )
    except Refusal as refusal:
        error, locked, known = refusal.message, refusal.locked, {}
    except Conflict as conflict:
        error, known = conflict.message, {}
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(_grid_url(school, lesson))
    cell = _cell_context(
        lesson,
        student,
        work_type,
        part,
        first=data.get("first") == "1",
        error=error,
        locked=locked,
        tried=raw,
        **known,
    )
    averages = lesson_period_averages(
        lesson=lesson, student_id=student.pk, settings=school.settings
    )
    urls = CellUrls(school.slug)
    return render(
        request,
        "journal/_cell_response.html",
        {
            "cell": cell,
            "cell_html": cell_html(cell, urls, editable=True),
            "siblings_html": [
                cell_html(sibling, urls, editable=True, oob=True)
                # the lesson's other cells show the attendance only a letter changes
                for sibling in (
                    _siblings(request, lesson, student, cell) if "attendance" in known else ()
                )
            ],
            "averages_html": averages_html(student.pk, averages, oob=True) if averages else "",
        },
    )


def _siblings(request, lesson, student, cell) -> list[Cell]:
    """The other cells of the lesson for that student, re-rendered out of band: they show
    the attendance that one of them may just have changed."""
    cells = []
    keys = request.POST.getlist("sibling")
    wanted = []
    for key in keys:
        try:
            wt, part, first = (int(x) for x in key.split("-"))
        except ValueError:
            continue
        if (wt, part) != (cell.column.work_type.pk, cell.column.part):
            wanted.append((wt, part, first))
    if not wanted:
        return cells
    types = {w.pk: w for w in WorkType.objects.filter(pk__in=[w for w, _, _ in wanted])}
    marks = {
        (m.work_type_id, m.part): m for m in Mark.objects.filter(lesson=lesson, student=student)
    }
    for wt, part, first in wanted:
        if wt in types:
            cells.append(
                Cell(
                    column=Column(lesson, types[wt], part, first=bool(first), last=False),
                    student=student,
                    active=True,
                    mark=marks.get((wt, part)),
                    attendance=cell.attendance,
                )
            )
    return cells


def _grid_url(school, lesson) -> str:
    return reverse("journal_course", args=[school.slug, lesson.group_id, lesson.subject_id])


# --- the period mark column --------------------------------------------------------------


@require_http_methods(["POST"])
@school_view(Role.TEACHER, Role.DEPUTY, Role.DIRECTOR)
def journal_period_cell(request, group_id: int, subject_id: int):
    from .services.period_marks import period_mark_set

    school = request.school
    group, subject = _course(request, group_id, subject_id)
    periods = grade_periods(group.school_class)
    try:
        period = next(p for p in periods if p.pk == int(request.POST.get("period", "")))
        student = Student.objects.get(pk=int(request.POST.get("student", "")), school=school)
    except (ValueError, StopIteration, Student.DoesNotExist):
        raise Http404 from None
    error, notices = "", []
    try:
        _mark, notices = period_mark_set(
            actor=request.user,
            group=group,
            subject=subject,
            student=student,
            kind=FinalKind.PERIOD,
            period=period,
            value=request.POST.get("value", ""),
            expected=request.POST.get("token", ""),
            ip=request_ip(request),
            reason=request.POST.get("reason", ""),
        )
    except Refusal as refusal:
        error = refusal.message
    except Conflict as conflict:
        error = conflict.message
    url = reverse("journal_course", args=[school.slug, group.pk, subject.pk])
    if not request.htmx:
        for notice in notices:
            messages.info(request, notice)
        if error:
            messages.error(request, error)
        return redirect(f"{url}?period={period.pk}")
    period_mark = PeriodMark.objects.filter(
        school=school, student=student, subject=subject.pk, kind=FinalKind.PERIOD, period=period
    ).first()
    averages = student_period_averages(
        lesson=Lesson(group_id=group.pk, subject_id=subject.pk),
        student_id=student.pk,
        period=period,
        settings=school.settings,
    )
    minimum = accumulation_minimum(school.settings, group.hours)
    warnings = period_mark_warnings(
        averages=averages,
        value=period_mark.value if period_mark else "",
        minimum=minimum,
        has_control_work=None,
    )
    shared = PeriodCellContext(
        reverse("journal_period_cell", args=[school.slug, group.pk, subject.pk]),
        period.pk,
        get_token(request),
        can_set=True,
    )
    html = period_cell_html(
        shared, student.pk, period_mark, warnings, error=error, notices=notices, oob=True
    )
    return HttpResponse(html)


urlpatterns = [
    path("", journal_index, name="journal_index"),
    path("course/<int:group_id>/<int:subject_id>/", journal_course, name="journal_course"),
    path("lesson/<int:lesson_id>/cell/", journal_cell, name="journal_cell"),
    path(
        "course/<int:group_id>/<int:subject_id>/period-mark/",
        journal_period_cell,
        name="journal_period_cell",
    ),
]
