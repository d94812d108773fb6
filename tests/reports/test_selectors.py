"""reports.selectors.class_reports (R-NOT-1, R-NOT-2, R-ROLE-2): per student and subject the
lessons held, the marks, the averages, absences and lates of a range and the weighted
average of the current quarter so far — in a fixed number of queries for the whole class,
and never another child's rows in a student's report."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from reports.selectors import class_reports
from schedule.models import GroupMembership, IndividualCurriculum, Lesson, Order

from .. import factories as f
from .conftest import (
    FRIDAY,
    FRIDAY_15_TOMSK,
    MONDAY,
    WEIGHTED_MATHS_QUARTER,
    WEIGHTED_MATHS_WEEK,
    mark_put,
)

pytestmark = pytest.mark.django_db


def by_name(reports):
    return {r.student.last_name: r for r in reports}


def subjects(report):
    return {s.name: s for s in report.subjects}


def test_r_not_1_the_week_of_each_student_per_subject(people, week):
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False):
        reports = class_reports(people.class_5a, MONDAY, FRIDAY)
    assert [r.student.last_name for r in reports] == ["Другов", "Родителев"]  # the class list
    mine = by_name(reports)["Родителев"]
    assert mine.period.number == 1 and (mine.first, mine.last) == (MONDAY, FRIDAY)
    maths, english = subjects(mine)["Математика"], subjects(mine)["Английский язык"]
    assert maths.lessons == 5  # Monday to Friday, lesson 2 (08:55) has begun on Friday
    assert [(m.date, m.value, m.work_type) for m in maths.marks] == [
        (MONDAY, "5", "Ответ на уроке"),
        (MONDAY + dt.timedelta(days=2), "4", "Тест"),
    ]
    assert maths.averages.simple == Decimal("4.50")
    assert maths.averages.weighted == WEIGHTED_MATHS_WEEK
    assert maths.period_averages.weighted == WEIGHTED_MATHS_QUARTER
    # absent on Thursday, late on Friday; Tuesday's parent's notice is not confirmed
    assert (maths.absent, maths.late) == (1, 1)
    assert english.lessons == 1 and [m.value for m in english.marks] == ["3"]
    assert (mine.lessons, mine.marks, mine.absent, mine.late) == (6, 3, 1, 1)
    assert mine.overall.count == 3


def test_r_role_2_a_report_holds_nothing_of_another_child(people, week):
    """R-ROLE-2: the other student's marks, his English group's lesson and his absence are
    in his report only."""
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False):
        reports = by_name(class_reports(people.class_5a, MONDAY, FRIDAY))
    mine, his = reports["Родителев"], reports["Другов"]
    values = [m.value for s in mine.subjects for m in s.marks]
    assert "2" not in values and values.count("5") == 1
    assert subjects(mine)["Английский язык"].lessons == 1  # group 1's, not group 2's
    his_subjects = subjects(his)
    assert [m.value for m in his_subjects["Математика"].marks] == ["2"]
    assert [m.value for m in his_subjects["Английский язык"].marks] == ["5"]
    assert his_subjects["Математика"].absent == 1 and his.late == 0
    assert his_subjects["Математика"].period_averages.weighted == Decimal("2.00")


def test_r_not_1_lessons_not_begun_are_not_held_yet(people, week):
    """At 10:00 on Tuesday: Monday's and Tuesday's maths (08:55) and English (09:50)."""
    reports = by_name(class_reports(people.class_5a, MONDAY, FRIDAY))  # frozen: Tue 10:00
    mine = subjects(reports["Родителев"])
    assert mine["Математика"].lessons == 2 and mine["Английский язык"].lessons == 1


def test_r_not_2_cancelled_lessons_are_not_held(people, week):
    Lesson.objects.filter(pk=week.maths_monday.pk).update(
        is_cancelled=True, change_reason="карантин"
    )
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False):
        mine = by_name(class_reports(people.class_5a, MONDAY, FRIDAY))["Родителев"]
    assert subjects(mine)["Математика"].lessons == 4


def test_r_not_2_a_student_counts_only_the_days_he_is_in_the_class(people, week):
    """Transferred in on Wednesday: two days of maths before are not his; a student of
    another class is not in the report; only the students asked for are read."""
    school = people.lyceum
    newcomer = f.student_make(
        school,
        people.class_5a,
        "Новиков",
        order=Order.objects.create(school=school, number="7-у", date=MONDAY, kind="enrol"),
        on=MONDAY + dt.timedelta(days=2),
    )
    mark_put(people, week.maths_monday, newcomer, "5")  # cannot be: before he came
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False):
        reports = by_name(class_reports(people.class_5a, MONDAY, FRIDAY))
        only = class_reports(people.class_5a, MONDAY, FRIDAY, students=[newcomer.pk])
    new = subjects(reports["Новиков"])
    assert new["Математика"].lessons == 3 and new["Математика"].marks == []
    assert "Английский язык" not in new  # a subgroup lesson, and he is in no group
    assert "Родителева" not in reports  # the sibling is in 5Б
    assert [r.student for r in only] == [newcomer]


def test_r_not_2_individual_curricula_exempt_and_attach(people, week):
    """An exempted course is not his; a course of another class he is attached to is."""
    school = people.lyceum
    other = people.other_student_record
    IndividualCurriculum.objects.create(
        school=school,
        student=other,
        kind=IndividualCurriculum.Kind.EXEMPT,
        group=people.class_5a.groups.get(is_whole_class=True),
        subject=people.maths,
        starts_on=dt.date(2026, 9, 1),
        basis="справка",
    )
    IndividualCurriculum.objects.create(
        school=school,
        student=other,
        kind=IndividualCurriculum.Kind.ATTACH,
        group=people.english_1,
        subject=people.english,
        starts_on=dt.date(2026, 9, 1),
        basis="заявление",
    )
    GroupMembership.objects.filter(student=other).delete()
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False):
        his = subjects(by_name(class_reports(people.class_5a, MONDAY, FRIDAY))["Другов"])
    assert his["Математика"].lessons == 0  # his mark and absence stay visible
    assert his["Английский язык"].lessons == 1  # group 1's lesson, by the attachment


def test_r_not_1_the_class_costs_the_same_queries_for_many_students(
    people, week, django_assert_num_queries
):
    """Queries: the periods of the grade, the enrolments, the subgroup memberships, the
    individual curricula, the lessons, the marks, the attendance (settings are cached on
    the school) — with 2 students or with 30 and their marks."""
    school_class = people.class_5a
    school_class.school = people.lyceum
    _ = people.lyceum.settings
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False):
        with django_assert_num_queries(7):
            few = class_reports(school_class, MONDAY, FRIDAY)
        for n in range(28):
            student = f.student_make(people.lyceum, school_class, f"Ученик{n:02}")
            mark_put(people, week.maths_monday, student, "4")
        with django_assert_num_queries(7):
            many = class_reports(school_class, MONDAY, FRIDAY)
    assert len(few) == 2 and len(many) == 30


def test_r_not_2_a_month_spanning_two_quarters_reports_the_current_one(people, week):
    """The range ends in the second quarter: its average so far has no first-quarter mark."""
    second = Lesson.objects.get(
        group=people.class_5a.groups.get(is_whole_class=True),
        subject=people.maths,
        date=dt.date(2026, 11, 5),
    )
    mark_put(people, second, people.student_record, "2")
    with time_machine.travel(dt.datetime(2026, 12, 1, 3, tzinfo=dt.UTC), tick=False):
        mine = by_name(class_reports(people.class_5a, dt.date(2026, 10, 1), dt.date(2026, 11, 30)))
    report = mine["Родителев"]
    assert report.period.number == 2
    maths = subjects(report)["Математика"]
    assert maths.period_averages.weighted == Decimal("2.00")
    assert len(maths.marks) == 3  # October's two and November's


def test_no_students_no_reports_and_one_query(people, django_assert_num_queries):
    people.class_5b.school = people.lyceum
    _ = people.lyceum.settings
    with django_assert_num_queries(2):  # the periods, the enrolments
        assert class_reports(people.class_5b, dt.date(2025, 1, 6), dt.date(2025, 1, 10)) == []
