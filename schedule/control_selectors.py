"""Reads of the control-work schedule (R-TT-5): the reporting periods a page is shown for,
a course's lessons to plan on, and the planned works of a class or of one student. Each is a
fixed number of queries, whatever the number of lessons."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import School, Student

from .models import (
    AcademicYear,
    Enrolment,
    GradeLevel,
    Lesson,
    PeriodKind,
    ReportingPeriod,
    SchoolClass,
    TeachingLoad,
)
from .timetable_selectors import student_lessons

PLANNED_RELATED = ("group", "subject", "teacher", "substitute")


# --- the dates a page is shown for ------------------------------------------------------


def grade_periods(school_class: SchoolClass) -> list[ReportingPeriod]:
    """The reporting periods of the class's grade: those of the kind its grade level
    studies by (quarters when the grade level is not set up). One query."""
    kind = GradeLevel.objects.filter(
        school=school_class.school_id, year=school_class.year_id, grade=school_class.grade
    ).values("period_kind")[:1]
    return list(
        ReportingPeriod.objects.filter(school=school_class.school_id, year=school_class.year_id)
        .filter(kind=Coalesce(Subquery(kind), Value(PeriodKind.QUARTER)))
        .order_by("starts_on")
    )


def period_pick(
    periods: list[ReportingPeriod], period_id: int | None, today: dt.date
) -> ReportingPeriod | None:
    """The requested period (None when it is not one of `periods`), or by default the one
    containing today, else the next one, else the last one."""
    if period_id is not None:
        return next((p for p in periods if p.pk == period_id), None)
    for period in periods:
        if period.starts_on <= today <= period.ends_on:
            return period
    upcoming = [p for p in periods if p.starts_on > today]
    if upcoming:
        return upcoming[0]
    return periods[-1] if periods else None


@dataclass(frozen=True)
class Window:
    """The dates a schedule is shown for: a reporting period, or the whole year when the
    school has not entered its periods."""

    starts_on: dt.date
    ends_on: dt.date
    period: ReportingPeriod | None = None
    periods: tuple = ()


def window_for(
    school_class: SchoolClass | None,
    year: AcademicYear | None,
    period_id: int | None,
    today: dt.date,
) -> Window | None:
    """The window of a page for the class (one query); None when `period_id` is not a
    period of the class's grade."""
    periods = grade_periods(school_class) if school_class is not None else []
    period = period_pick(periods, period_id, today)
    if period is not None:
        return Window(period.starts_on, period.ends_on, period, tuple(periods))
    if period_id is not None:
        return None
    if year is not None:
        return Window(year.starts_on, year.ends_on)
    return Window(today, today)


# --- planning (the teacher's page) -------------------------------------------------------


def plan_courses(school: School, user, year: AcademicYear, *, every_course: bool):
    """The courses one plans control works for: the teacher's own, or, for the
    administration, every course of the year. One query."""
    loads = TeachingLoad.objects.filter(school=school, group__school_class__year=year)
    if not every_course:
        loads = loads.filter(teacher=user)
    return loads.select_related("group__school_class__year", "subject", "teacher").order_by(
        "group__school_class__grade",
        "group__school_class__letter",
        "-group__is_whole_class",
        "group__name",
        "subject__name",
        "teacher__last_name",
    )


@dataclass
class PlanRow:
    """A dated lesson of the course with what the class already has that day."""

    lesson: Lesson
    others: list[Lesson] = field(default_factory=list)  # the class's other works that day
    limit: int = 1

    @property
    def count(self) -> int:
        """Control works of the class that day, this lesson's included."""
        own = 1 if self.lesson.control_work and not self.lesson.is_cancelled else 0
        return len(self.others) + own

    @property
    def over_limit(self) -> bool:
        return self.count > self.limit


def _planned(school_id: int) -> QuerySet[Lesson]:
    return (
        Lesson.objects.filter(school=school_id, is_cancelled=False)
        .exclude(control_work="")
        .select_related(*PLANNED_RELATED)
        .order_by("date", "starts_at", "-group__is_whole_class", "group__name")
    )


def _works_by_day(lessons) -> dict[dt.date, list[Lesson]]:
    days = defaultdict(list)
    for lesson in lessons:
        days[lesson.date].append(lesson)
    return days


def course_plan(load: TeachingLoad, date_from: dt.date, date_to: dt.date, limit: int):
    """The course's dated lessons in the dates, each with the other control works its class
    has that day (the subgroups' too: a class is one set of students). Two queries."""
    lessons = (
        Lesson.objects.filter(
            school=load.school_id,
            group=load.group_id,
            subject=load.subject_id,
            date__range=(date_from, date_to),
        )
        .select_related("substitute")
        .order_by("date", "starts_at")
    )
    by_day = _works_by_day(
        _planned(load.school_id).filter(
            school_class=load.group.school_class_id, date__range=(date_from, date_to)
        )
    )
    return [
        PlanRow(lesson, [w for w in by_day.get(lesson.date, ()) if w.pk != lesson.pk], limit)
        for lesson in lessons
    ]


def lesson_plan_row(lesson: Lesson, limit: int) -> PlanRow:
    """One row of the plan, after a save. One query."""
    others = _planned(lesson.school_id).filter(
        school_class=lesson.school_class_id, date=lesson.date
    )
    return PlanRow(lesson, [w for w in others if w.pk != lesson.pk], limit)


# --- the schedules students, parents and staff read ---------------------------------------


@dataclass
class ControlDay:
    date: dt.date
    lessons: list[Lesson]
    limit: int

    @property
    def count(self) -> int:
        return len(self.lessons)

    @property
    def over_limit(self) -> bool:
        return self.count > self.limit


def _days(lessons, limit: int) -> list[ControlDay]:
    return [ControlDay(day, works, limit) for day, works in _works_by_day(lessons).items()]


def class_schedule(school_class: SchoolClass, date_from: dt.date, date_to: dt.date, limit: int):
    """The planned control works of the class in the dates, by day: the whole class's and
    every subgroup's. One query."""
    lessons = _planned(school_class.school_id).filter(
        school_class=school_class, date__range=(date_from, date_to)
    )
    return _days(lessons, limit)


def student_schedule(student: Student, date_from: dt.date, date_to: dt.date, limit: int):
    """The planned control works of the lessons the student attends, by day: not those of
    another subgroup, nor of a course he is exempted from (R-STR-5, R-STR-7). One query."""
    lessons = (
        student_lessons(student, date_from, date_to)
        .filter(is_cancelled=False)
        .exclude(control_work="")
        .order_by("date", "starts_at", "-group__is_whole_class", "group__name")
    )
    return _days(lessons, limit)


def student_class_on(student: Student, on: dt.date) -> SchoolClass | None:
    """The class the student is in on the date, else the last one he was in before it,
    else the first one he will be in. One query."""
    enrolments = list(
        Enrolment.objects.filter(student=student)
        .select_related("school_class__year")
        .order_by("starts_on")
    )
    before = [e for e in enrolments if e.starts_on <= on]
    chosen = before[-1] if before else (enrolments[0] if enrolments else None)
    return chosen.school_class if chosen else None


def year_classes(school: School, year: AcademicYear):
    """The classes of the year with their class teacher. One query."""
    return (
        SchoolClass.objects.filter(school=school, year=year)
        .select_related("class_teacher")
        .order_by("grade", "letter")
    )
