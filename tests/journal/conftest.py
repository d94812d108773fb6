"""A running journal on top of `people` and `timetable`: quarters, and a weekly timetable
with its dated lessons for the year.

- 5А maths (whole class, `teacher`): lesson 2 every day Monday to Friday;
- 5А English: group 1 (`teacher`) and group 2 (`english_teacher`) at lesson 3 on Tuesdays.
Today is Tuesday 6 October 2026, 10:00 in Tomsk: lesson 2 (08:55) has started, lesson 3
(09:50) too, lesson 4 and later lessons have not."""

import datetime as dt
from dataclasses import dataclass

import pytest

from accounts.models import Role
from schedule.models import Lesson, PeriodKind, ReportingPeriod, TeachingLoad
from schedule.services.timetable import entry_add

from .. import factories as f

QUARTERS = (
    (dt.date(2026, 9, 1), dt.date(2026, 10, 25)),
    (dt.date(2026, 11, 5), dt.date(2026, 12, 28)),
    (dt.date(2027, 1, 12), dt.date(2027, 3, 21)),
    (dt.date(2027, 4, 1), dt.date(2027, 5, 31)),
)


@dataclass
class Journal:
    quarters: list
    english_teacher: object
    maths_today: Lesson  # Tuesday 6 October, lesson 2
    english_1_today: Lesson
    english_2_today: Lesson


def quarters_make(school, year):
    return [
        ReportingPeriod.objects.create(
            school=school, year=year, kind=PeriodKind.QUARTER, number=n, starts_on=a, ends_on=b
        )
        for n, (a, b) in enumerate(QUARTERS, start=1)
    ]


@pytest.fixture
def journal(people, timetable) -> Journal:
    school = people.lyceum
    quarters = quarters_make(school, people.year)
    english_teacher = f.UserFactory(
        username="englishteacher", last_name="Англичанова", first_name="Алла"
    )
    f.member(english_teacher, school, Role.TEACHER)
    TeachingLoad.objects.create(
        school=school,
        teacher=english_teacher,
        group=people.english_2,
        subject=people.english,
        hours_per_week=3,
    )
    whole_5a = people.class_5a.groups.get(is_whole_class=True)
    start = people.year.starts_on
    for weekday in range(1, 6):
        entry_add(
            actor=None,
            check_role=False,
            school_class=people.class_5a,
            group=whole_5a,
            subject=people.maths,
            teacher=people.teacher,
            room=timetable.room_201,
            weekday=weekday,
            number=2,
            starts_on=start,
        )
    for group, teacher, room in (
        (people.english_1, people.teacher, timetable.room_202),
        (people.english_2, english_teacher, timetable.room_305),
    ):
        entry_add(
            actor=None,
            check_role=False,
            school_class=people.class_5a,
            group=group,
            subject=people.english,
            teacher=teacher,
            room=room,
            weekday=2,
            number=3,
            starts_on=start,
        )
    today = dt.date(2026, 10, 6)
    lessons = Lesson.objects.select_related("school__settings", "school_class", "subject", "group")
    return Journal(
        quarters=quarters,
        english_teacher=english_teacher,
        maths_today=lessons.get(group=whole_5a, subject=people.maths, date=today),
        english_1_today=lessons.get(group=people.english_1, date=today),
        english_2_today=lessons.get(group=people.english_2, date=today),
    )


def lesson_on(people, day: dt.date, group=None, subject=None) -> Lesson:
    group = group or people.class_5a.groups.get(is_whole_class=True)
    return Lesson.objects.select_related(
        "school__settings", "school_class", "subject", "group"
    ).get(group=group, subject=subject or people.maths, date=day)
