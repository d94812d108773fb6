"""Reads of the timetable: dated lessons by class, teacher, room or student, and the weekly
timetable of a class. Each is one query whatever the number of lessons."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Student

from .models import (
    Enrolment,
    GroupMembership,
    IndividualCurriculum,
    Lesson,
    SchoolClass,
    TimetableEntry,
)

LESSON_RELATED = ("group__school_class", "subject", "teacher", "substitute", "room")


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _lessons(school) -> QuerySet[Lesson]:
    return (
        Lesson.objects.filter(school=school)
        .select_related(*LESSON_RELATED)
        .order_by("date", "starts_at", "group__school_class__grade", "group__school_class__letter")
    )


def class_lessons(school_class: SchoolClass, date_from: dt.date, date_to: dt.date):
    return _lessons(school_class.school_id).filter(
        school_class=school_class, date__range=(date_from, date_to)
    )


def teacher_lessons(school, teacher, date_from: dt.date, date_to: dt.date):
    """His own lessons, including those given to a substitute (shown as such), and the
    lessons he substitutes (R-TT-3)."""
    return _lessons(school).filter(
        Q(teacher=teacher) | Q(substitute=teacher), date__range=(date_from, date_to)
    )


def room_lessons(room, date_from: dt.date, date_to: dt.date):
    return _lessons(room.school_id).filter(room=room, date__range=(date_from, date_to))


def _dated(model, student, **match):
    """A correlated subquery: a row of `model` for the student that is in force on the
    outer lesson's date."""
    return model.objects.filter(
        student=student,
        starts_on__lte=OuterRef("date"),
        **match,
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=OuterRef("date")))


def student_lessons(student: Student, date_from: dt.date, date_to: dt.date):
    """The lessons a student attends: those of the class he is in on each date, for the
    whole class or his subgroups on that date, without the courses he is exempted from and
    with the courses he is attached to (R-STR-5, R-STR-7). One query."""
    course = {"group": OuterRef("group"), "subject": OuterRef("subject")}
    in_class = Exists(_dated(Enrolment, student, school_class=OuterRef("school_class")))
    in_group = Exists(_dated(GroupMembership, student, group=OuterRef("group")))
    exempt = Exists(
        _dated(IndividualCurriculum, student, kind=IndividualCurriculum.Kind.EXEMPT, **course)
    )
    attached = Exists(
        _dated(IndividualCurriculum, student, kind=IndividualCurriculum.Kind.ATTACH, **course)
    )
    return (
        _lessons(student.school_id)
        .filter(date__range=(date_from, date_to))
        .filter((in_class & (Q(group__is_whole_class=True) | in_group)) | attached)
        .exclude(exempt)
    )


@dataclass
class WeekRow:
    number: int
    starts_at: dt.time
    ends_at: dt.time
    cells: list[list] = field(default_factory=list)


@dataclass
class Week:
    days: list[dt.date]
    rows: list[WeekRow]

    @property
    def is_empty(self) -> bool:
        return not any(any(cell) for row in self.rows for cell in row.cells)


def week_grid(lessons, monday: dt.date, days: int = 6) -> Week:
    """Lay dated lessons out as rows of lesson numbers (by time) × days of the week."""
    dates = [monday + dt.timedelta(days=n) for n in range(days)]
    index = {day: n for n, day in enumerate(dates)}
    rows: dict[tuple, WeekRow] = {}
    for lesson in lessons:
        key = (lesson.starts_at, lesson.number)
        row = rows.get(key)
        if row is None:
            row = rows[key] = WeekRow(
                lesson.number, lesson.starts_at, lesson.ends_at, [[] for _ in dates]
            )
        row.cells[index[lesson.date]].append(lesson)
    return Week(dates, [rows[key] for key in sorted(rows)])


def class_entries_on(school_class: SchoolClass, on: dt.date):
    """The weekly timetable of a class in force on a date (one query)."""
    return (
        TimetableEntry.objects.filter(school_class=school_class)
        .active_on(on)
        .select_related("group", "subject", "teacher", "room")
        .order_by("weekday", "number", "-group__is_whole_class", "group__name")
    )
