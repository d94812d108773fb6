"""Period and final marks of a course (R-FIN-1..3, R-MRK-7..9) and the class summary sheet
(сводная ведомость, R-FIN-4).

- The final-marks page of a course: students × each period's mark (with the averages of the
  period's current marks and how they were computed), the year mark (with the suggestion
  from the period marks), the exam and the final mark, and warnings for marks the current
  marks do not justify. The course's teacher edits the cells, a deputy head or the director
  too with a reason; the class teacher reads them. Each cell saves on its own via htmx; without
  JavaScript each cell is a small form.
- The summary sheet of a class for a period or the year, live from the marks set; deputies,
  the director and the class teacher of the class read it; printable."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import school_view
from accounts.models import Role, Student
from schedule.control_selectors import grade_periods, period_pick
from schedule.models import Group, SchoolClass, Subject

from . import marks_selectors as selectors
from .history import request_ip
from .marks_selectors import FinalCell
from .models import FinalKind
from .permissions import READ_ALL_ROLES, TEACHING_ROLES, can_read_course, teaches_course
from .rules import Refusal
from .services.cells import Conflict
from .services.period_marks import period_mark_set

FINALS_ROLES = READ_ALL_ROLES | TEACHING_ROLES


def _course(request, group_id: int, subject_id: int):
    """The course (group × subject) of the request's school, 404 for another school's or a
    subgroup of another subject; 403 for those who may not read it. Returns the group, the
    subject, whether the user teaches the course and whether he may write its cells."""
    school, access, user = request.school, request.access, request.user
    group = get_object_or_404(
        Group.objects.select_related("school_class__year"), school=school, pk=group_id
    )
    subject = get_object_or_404(Subject, school=school, pk=subject_id)
    if group.subject_id not in (None, subject.pk):
        raise Http404
    group.school = school  # with its settings, read once by school_view
    group.school_class.school = school
    teaches = access.has_any(TEACHING_ROLES) and teaches_course(
        user, school.pk, group.pk, subject.pk
    )
    if not can_read_course(access, user, group.school_class, teaches):
        raise PermissionDenied
    return group, subject, teaches


def _finals(request, group, subject, periods, student_id=None):
    school_class = group.school_class
    return selectors.course_finals(
        group,
        subject,
        year=school_class.year,
        periods=periods,
        settings=request.school.settings,
        grade=school_class.grade,
        student_id=student_id,
    )


def _column(raw: str, periods) -> tuple[str, object]:
    """(kind, period) of a cell's column: "p<period id>", "year", "exam" or "final"."""
    if raw in (FinalKind.YEAR, FinalKind.EXAM, FinalKind.FINAL):
        return raw, None
    if raw.startswith("p") and raw[1:].isdigit():
        for period in periods:
            if period.pk == int(raw[1:]):
                return FinalKind.PERIOD, period
    raise Http404


def _cell_of(finals, student, kind, period) -> FinalCell:
    for row in finals.rows:
        for cell in row.cells:
            if cell.kind == kind and cell.period == period:
                return cell
    return FinalCell(student, kind, period, None)


def _year_cell(finals) -> FinalCell | None:
    return finals.rows[0].year if finals.rows else None


@require_http_methods(["GET", "POST"])
@school_view(*FINALS_ROLES)
def course_finals(request, group_id: int, subject_id: int):
    """GET: the final-marks table of the course. POST: save one cell (student, column,
    value, expected token; a reason from a deputy head or the director)."""
    group, subject, teaches = _course(request, group_id, subject_id)
    periods = grade_periods(group.school_class)
    leadership = request.access.has_any(READ_ALL_ROLES)
    context = {
        "group": group,
        "subject": subject,
        "school_class": group.school_class,
        "editable": (teaches or leadership) and not subject.no_attestation,
        "needs_reason": leadership and not teaches,
    }
    if request.method == "GET":
        finals = _finals(request, group, subject, periods)
        return render(
            request,
            "journal/finals.html",
            {
                **context,
                "finals": finals,
                "summary_readable": leadership
                or group.school_class.class_teacher_id == request.user.pk,
            },
        )

    student_id = request.POST.get("student", "")
    if not student_id.isdigit():
        raise Http404
    student = get_object_or_404(Student, school=request.school, pk=student_id)
    kind, period = _column(request.POST.get("column", ""), periods)
    expected = request.POST.get("expected")
    reason = request.POST.get("reason", "")
    outcome = {"error": "", "notices": [], "saved": False}
    status = 200
    try:
        _mark, outcome["notices"] = period_mark_set(
            actor=request.user,
            group=group,
            subject=subject,
            student=student,
            kind=kind,
            period=period,
            value=request.POST.get("value", ""),
            expected=expected,
            ip=request_ip(request),
            reason=reason,
        )
        outcome["saved"] = True
    except Conflict as conflict:
        outcome["error"], status = conflict.message, 409
    except Refusal as refusal:
        outcome["error"], status = refusal.message, 403

    if request.htmx:
        finals = _finals(request, group, subject, periods, student_id=student.pk)
        cell = _cell_of(finals, student, kind, period)
        return render(
            request,
            "journal/_final_cell.html",
            {
                **context,
                **outcome,
                "cell": cell,
                "reason": reason if status != 200 else "",
                # a period mark changes the year's suggestion: that cell is swapped too
                "year_cell": _year_cell(finals) if kind == FinalKind.PERIOD else None,
            },
            status=status,
        )
    if outcome["error"]:
        messages.error(request, f"{student.short_name}: {outcome['error']}")
    else:
        saved = _("Saved.")
        messages.success(request, f"{student.short_name}: {saved}")
    for notice in outcome["notices"]:
        messages.warning(request, f"{student.short_name}: {notice}")
    url = reverse("journal_course_finals", args=[request.school.slug, group.pk, subject.pk])
    return redirect(f"{url}#row-{student.pk}")


@require_GET
@school_view(Role.DEPUTY, Role.DIRECTOR, Role.TEACHER)
def class_summary(request, class_id: int):
    """The summary sheet (сводная ведомость) of a class: `?period=<id>` or `?period=year`,
    by default the current period. Deputies, the director and the class teacher."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("year", "class_teacher"),
        school=request.school,
        pk=class_id,
    )
    school_class.school = request.school
    if not request.access.has_any(READ_ALL_ROLES) and (
        school_class.class_teacher_id != request.user.pk
    ):
        raise PermissionDenied
    periods = grade_periods(school_class)
    raw = request.GET.get("period", "").strip()
    today = request.school.today()
    if raw == "year":
        period = None
    elif raw:
        if not raw.isdigit():
            raise Http404
        period = period_pick(periods, int(raw), today)
        if period is None:
            raise Http404
    else:
        period = period_pick(periods, None, today)
    summary = selectors.class_summary(
        school_class, period=period, periods=periods, settings=request.school.settings, today=today
    )
    return render(
        request,
        "journal/summary.html",
        {
            "school_class": school_class,
            "periods": periods,
            "period": period,
            "summary": summary,
        },
    )


urlpatterns = [
    path(
        "course/<int:group_id>/<int:subject_id>/finals/",
        course_finals,
        name="journal_course_finals",
    ),
    path("class/<int:class_id>/summary/", class_summary, name="journal_class_summary"),
]
