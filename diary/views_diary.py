"""The diary of a student for himself, his parents and his trusted persons (R-ROLE-2,
R-ROLE-5, R-NFR-4): the week (lessons, topics, homework due, marks with the teacher's
comments, absences), marks by subject over a period with the averages and the forecast
(R-MRK-7, R-MRK-8), and attendance over a period. Every page has the child switcher: the
children of a parent in every school where he has a role, and the children a trusted
person was granted; a student sees only himself.

Staff do not read diaries here (403): they have the journal. Another child's id, or a
child of another school, is 404 (diary/access.py)."""

import datetime as dt

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.access import school_view
from config.files import private_file_response
from journal.models import HomeworkFile
from schedule.control_selectors import grade_periods, period_pick
from schedule.models import AcademicYear
from schedule.timetable_selectors import student_lessons, week_start

from . import selectors
from .access import (
    DIARY_ROLES,
    current_class,
    get_student_for_reader,
    switcher_students,
)

EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2200, 1, 1)


def _context(request, student, tab: str, **extra) -> dict:
    return {
        "student": student,
        "school_class": current_class(student),
        "children": switcher_students(request),
        "tab": tab,
        "today": request.school.today(),
        **extra,
    }


def _week(request, today: dt.date) -> tuple[dt.date, str]:
    """The Monday of the week of ?week= or ?date= (a jump to a date), else of today; with
    a message when the date cannot be read."""
    raw = (request.GET.get("date") or request.GET.get("week") or "").strip()
    if not raw:
        return week_start(today), ""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not (EARLIEST <= day <= LATEST):
        error = _("The date «%(date)s» is not understood; this week is shown.")
        return week_start(today), error % {"date": raw[:20]}
    return week_start(day), ""


@require_GET
@school_view(*DIARY_ROLES)
def diary_index(request):
    """The way in: straight to the week of the only child (or of the student himself),
    otherwise a list of the children to choose from."""
    students = switcher_students(request)
    if len(students) == 1:
        only = students[0]
        return redirect("diary_week", only.school.slug, only.pk)
    return render(
        request, "diary/index.html", {"children": students, "today": request.school.today()}
    )


@require_GET
@school_view(*DIARY_ROLES)
def diary_week(request, student_id: int):
    """The student's week by day. Queries: the user, his roles in the school, the students
    he reads (access and switcher), the lessons, the homework due, the marks."""
    student = get_student_for_reader(request, student_id)
    today = request.school.today()
    monday, error = _week(request, today)
    days = selectors.diary_week(student, monday)
    return render(
        request,
        "diary/week.html",
        _context(
            request,
            student,
            "diary_week",
            days=days,
            monday=monday,
            sunday=monday + dt.timedelta(days=6),
            previous=monday - dt.timedelta(days=7),
            next=monday + dt.timedelta(days=7),
            this_week=week_start(today),
            week_param=f"?week={monday:%Y-%m-%d}",
            error=error,
        ),
    )


def _window(request, student):
    """The reporting period of ?period= among those of the student's grade (404 for any
    other id), by default the current one; the whole year when the school has no periods.
    Returns (start, end, period, periods, year_id, error)."""
    today = request.school.today()
    school_class = current_class(student)
    raw = request.GET.get("period", "").strip()
    period_id, error = None, ""
    if raw:
        try:
            period_id = int(raw)
        except ValueError:
            error = _("The period «%(period)s» is not understood; the current one is shown.") % {
                "period": raw[:20]
            }
    if school_class is None:
        if period_id is not None:
            raise Http404
        return None, None, None, [], None, error
    periods = grade_periods(school_class)
    period = period_pick(periods, period_id, today)
    if period is None and period_id is not None:
        raise Http404
    if period is not None:
        return period.starts_on, period.ends_on, period, periods, school_class.year_id, error
    year = AcademicYear.objects.filter(pk=school_class.year_id).first()
    if year is None:
        return None, None, None, [], None, error
    return year.starts_on, year.ends_on, None, [], year.pk, error


@require_GET
@school_view(*DIARY_ROLES)
def diary_marks(request, student_id: int):
    """Marks by subject over a period with the averages and the forecast (R-MRK-7, R-MRK-8).
    Queries: user, roles, students read, periods, subjects, marks, period and final marks."""
    student = get_student_for_reader(request, student_id)
    start, end, period, periods, year_id, error = _window(request, student)
    marks = None
    if start is not None:
        marks = selectors.period_marks(
            student,
            start=start,
            end=end,
            year_id=year_id,
            period=period,
            settings=request.school.settings,
            today=request.school.today(),
        )
    return render(
        request,
        "diary/marks.html",
        _context(
            request,
            student,
            "diary_marks",
            start=start,
            end=end,
            period=period,
            periods=periods,
            marks=marks,
            settings=request.school.settings,
            error=error,
        ),
    )


@require_GET
@school_view(*DIARY_ROLES)
def diary_attendance(request, student_id: int):
    """Lessons missed and latenesses over a period, per subject and per day with the day's
    reason (R-ATT-3, R-ATT-4). Queries: user, roles, students read, periods, lessons held,
    attendance, reasons."""
    student = get_student_for_reader(request, student_id)
    start, end, period, periods, _year_id, error = _window(request, student)
    summary = None
    if start is not None:
        summary = selectors.period_attendance(
            student, start=start, end=end, now_local=selectors.school_now(request.school)
        )
    return render(
        request,
        "diary/attendance.html",
        _context(
            request,
            student,
            "diary_attendance",
            start=start,
            end=end,
            period=period,
            periods=periods,
            summary=summary,
            error=error,
        ),
    )


@require_GET
@school_view(*DIARY_ROLES)
def diary_homework_file(request, student_id: int, file_id: int):
    """A homework file for a reader of the student, when the lesson it was given at is one
    of the student's own lessons (his class, his subgroup); 404 otherwise. Never a public
    media URL."""
    student = get_student_for_reader(request, student_id)
    attached = get_object_or_404(
        HomeworkFile.objects.select_related("record__lesson"), school=request.school, pk=file_id
    )
    lesson = attached.record.lesson
    if not student_lessons(student, lesson.date, lesson.date).filter(pk=lesson.pk).exists():
        raise Http404
    return private_file_response(attached.file, attached.name)


urlpatterns = [
    path("", diary_index, name="diary_index"),
    path("<int:student_id>/", diary_week, name="diary_week"),
    path("<int:student_id>/marks/", diary_marks, name="diary_marks"),
    path("<int:student_id>/attendance/", diary_attendance, name="diary_attendance"),
    path(
        "<int:student_id>/homework/<int:file_id>/",
        diary_homework_file,
        name="diary_homework_file",
    ),
]
