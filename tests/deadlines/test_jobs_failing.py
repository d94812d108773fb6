"""Failing students, weekly (R-NOT-3): the class teacher gets his class's list with each
student's subjects and why, each failing child's parents a notice; by the weighted average
of the current period or by the unsatisfactory marks of the last 7 days (each rule can be
switched off); five-point and pass/fail scales; in Tomsk and Kaliningrad; a fixed number of
queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, SchoolSettings, WorkType
from journal.models import Mark
from notifications.deadlines import engine
from notifications.deadlines.jobs_failing import failing
from notifications.models import DeadlineFinding, DeadlineKind, DeadlineRun, Kind, Notification
from schedule.models import Lesson, ReportingPeriod, TeachingLoad

from .. import factories as f
from ..journal.conftest import lesson_on
from .engine_fixtures import school_in

pytestmark = pytest.mark.django_db

K = DeadlineKind
FRIDAY = dt.date(2026, 10, 9)
MOMENT = dt.datetime(2026, 10, 6, tzinfo=dt.UTC)


def at(school, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=school.tz)


def dispatch_at(moment, capture) -> list[DeadlineRun]:
    with time_machine.travel(moment, tick=False), capture(execute=False):
        created = engine.dispatch(moment).created
    return list(DeadlineRun.objects.filter(pk__in=created, kind=K.FAILING))


def execute(run: DeadlineRun) -> bool:
    with time_machine.travel(run.due_at + dt.timedelta(minutes=1), tick=False):
        return engine.run_execute(run.pk)


def run_make(school, day=FRIDAY):
    due_at = at(school, day, 15, 30)
    run = DeadlineRun.objects.create(
        school=school, kind=K.FAILING, date=day, due_at=due_at, created_at=due_at, queued_at=due_at
    )
    return DeadlineRun.objects.select_related("school").get(pk=run.pk)


def mark(lesson, student, value: str, points: int | None, code="answer"):
    return Mark.objects.create(
        school=lesson.school,
        lesson=lesson,
        student=student,
        work_type=WorkType.objects.get(school=lesson.school, code=code),
        value=value,
        points=points,
        created_at=MOMENT,
        created_by=lesson.teacher,
        updated_at=MOMENT,
        updated_by=lesson.teacher,
    )


def by_user() -> dict[str, Notification]:
    return {
        n.user.username: n
        for n in Notification.objects.filter(kind=Kind.REPORT).select_related("user", "sender")
    }


def settings_set(school, **fields):
    SchoolSettings.objects.filter(school=school).update(**fields)


@pytest.fixture
def week(people, journal):
    """Другов: maths 2, 2, 3 in September (weighted 2,33: failing by the average).
    Степан: maths 5, 4 in September and two 2s this week, Monday and Wednesday (average
    3,5: failing by the week's marks), a 4 in English."""
    maths = people.maths
    for day, value in ((14, 2), (15, 2), (16, 3)):
        mark(
            lesson_on(people, dt.date(2026, 9, day), subject=maths),
            people.other_student_record,
            str(value),
            value,
        )
    for day, value in ((14, 5), (15, 4)):
        mark(lesson_on(people, dt.date(2026, 9, day)), people.student_record, str(value), value)
    for day in (5, 7):
        mark(lesson_on(people, dt.date(2026, 10, day)), people.student_record, "2", 2)
    english = lesson_on(people, dt.date(2026, 9, 15), people.english_1, people.english)
    mark(english, people.student_record, "4", 4)


def test_r_not_3_failing_students_end_to_end_on_friday_in_tomsk(
    people, journal, week, django_capture_on_commit_callbacks
):
    """R-NOT-3: through the dispatcher on Friday at 15:30 in Tomsk (not at 15:29): the class
    teacher gets both failing students with subjects and why; Степан's parent a notice about
    him in the class teacher's name; Другов has no parent with an account; nothing twice."""
    school = people.lyceum
    capture = django_capture_on_commit_callbacks
    assert not dispatch_at(at(school, FRIDAY, 15, 29), capture)
    assert not dispatch_at(at(school, FRIDAY - dt.timedelta(days=1), 15, 40), capture)
    (run,) = dispatch_at(at(school, FRIDAY, 15, 31), capture)
    assert run.date == FRIDAY
    assert execute(run)

    got = by_user()
    assert set(got) == {"classteacher", "parent"}
    teacher = got["classteacher"]
    assert teacher.title == "Неуспевающие ученики 5А: 2"
    assert teacher.url == (
        f"/s/lyceum/journal/class/{people.class_5a.pk}/summary/?period={journal.quarters[0].pk}"
    )
    assert teacher.body.splitlines() == [
        "Неуспевающие ученики за неделю по 09.10.2026:",
        "",
        "Другов Д.:",
        "— Математика: средневзвешенный балл 2,33",
        "",
        "Родителев С.:",
        "— Математика: неудовлетворительных оценок за неделю: 2",
        "",
        "Неуспевающим считается ученик, у которого:",
        "— средневзвешенный балл по предмету за период ниже 2,5;",
        "— не менее 2 неудовлетворительных оценок за последние 7 дней.",
    ]
    parent = got["parent"]
    assert parent.title == "Родителев Степан: неудовлетворительная успеваемость"
    assert parent.sender == people.class_teacher
    assert parent.url == (
        f"/s/lyceum/diary/{people.student_record.pk}/marks/?period={journal.quarters[0].pk}"
    )
    assert "— Математика: неудовлетворительных оценок за неделю: 2" in parent.body.splitlines()
    assert "Английский" not in parent.body
    assert not DeadlineFinding.objects.exists()
    assert not dispatch_at(at(school, FRIDAY, 15, 45), capture)
    assert not execute(run)
    assert Notification.objects.count() == 2


def test_r_not_3_each_rule_can_be_switched_off(people, journal, week):
    """R-NOT-3: 0 turns a rule off; both off, no report."""
    school = people.lyceum
    settings_set(school, failing_average_below=0)
    assert failing(run_make(school)) == 2  # Степан by the week's marks: teacher, parent
    assert "Другов" not in by_user()["classteacher"].body
    Notification.objects.all().delete()
    DeadlineRun.objects.all().delete()
    settings_set(school, failing_average_below="2.5", failing_recent_marks=0)
    assert failing(run_make(school)) == 1
    assert "Родителев" not in by_user()["classteacher"].body
    Notification.objects.all().delete()
    DeadlineRun.objects.all().delete()
    settings_set(school, failing_average_below=0, failing_recent_marks=0)
    assert failing(run_make(school)) == 0
    # marks of 8 days ago are not this week's
    settings_set(school, failing_average_below=0, failing_recent_marks=3)
    mark(lesson_on(people, dt.date(2026, 10, 2)), people.student_record, "2", 2)
    DeadlineRun.objects.all().delete()
    assert failing(run_make(school)) == 0
    mark(lesson_on(people, dt.date(2026, 10, 9)), people.student_record, "1", 1)
    DeadlineRun.objects.all().delete()
    assert failing(run_make(school)) == 2


@pytest.fixture
def baltic(db):
    """A pass/fail school in Kaliningrad (UTC+2) reporting on Thursdays: 3В with its
    class teacher and a student with a parent; «Музыка» lessons every weekday."""
    school = school_in(
        "baltic",
        "Europe/Kaliningrad",
        mark_scale=SchoolSettings.MarkScale.PASS_FAIL,
        failing_report_weekday=3,
    )
    year = school.academic_year
    ReportingPeriod.objects.create(
        school=school, year=year, kind="quarter", number=1,
        starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 10, 25),
    )  # fmt: skip
    teacher = f.UserFactory(username="bteacher", last_name="Янтарный", first_name="Ян")
    f.member(teacher, school, Role.TEACHER)
    school_class = f.class_make(school, year, 3, "В", class_teacher=teacher)
    music = f.subject_make(school, "Музыка")
    whole = school_class.groups.get(is_whole_class=True)
    TeachingLoad.objects.create(
        school=school, teacher=teacher, group=whole, subject=music, hours_per_week=1
    )
    pupil = f.student_make(school, school_class, "Морской", "Марк")
    mother = f.UserFactory(username="bmother", last_name="Морская", first_name="Мария")
    f.parent_make(school, mother, pupil)
    lessons = {}
    for day in range(1, 10):
        date = dt.date(2026, 10, day)
        if date.weekday() < 5:
            lessons[date] = Lesson.objects.create(
                school=school, date=date, number=1, starts_at=dt.time(9, 0),
                ends_at=dt.time(9, 45), school_class=school_class, group=whole,
                subject=music, teacher=teacher,
            )  # fmt: skip
    return school, pupil, lessons


def test_r_not_3_pass_fail_school_in_kaliningrad_on_thursday(
    baltic, django_capture_on_commit_callbacks
):
    """R-NOT-3 with незачёт on a pass/fail scale, in UTC+2, on the school's Thursday: a
    незачёт of 1.10 is 8 days old; two in the week make the child failing."""
    school, pupil, lessons = baltic
    capture = django_capture_on_commit_callbacks
    thursday = dt.date(2026, 10, 8)
    mark(lessons[dt.date(2026, 10, 1)], pupil, "нз", None)
    mark(lessons[dt.date(2026, 10, 2)], pupil, "нз", None)
    mark(lessons[dt.date(2026, 10, 5)], pupil, "зч", None)
    (run,) = dispatch_at(at(school, thursday, 15, 30), capture)
    assert run.due_at == dt.datetime(2026, 10, 8, 13, 30, tzinfo=dt.UTC)
    assert execute(run)
    assert not Notification.objects.exists()  # one незачёт in the 7 days
    mark(lessons[dt.date(2026, 10, 8)], pupil, "нз", None)
    DeadlineRun.objects.all().delete()
    (run,) = dispatch_at(at(school, thursday, 15, 31), capture)
    assert execute(run)
    got = by_user()
    assert set(got) == {"bteacher", "bmother"}
    assert got["bmother"].school == school
    assert "— Музыка: неудовлетворительных оценок за неделю: 2" in got["bmother"].body


def _grow(people, classes: int, students: int):
    """More 6th-grade classes, each with a maths lesson this week, failing students with
    parents."""
    for i in range(classes):
        teacher = f.UserFactory(username=f"ft{i}")
        f.member(teacher, people.lyceum, Role.TEACHER)
        school_class = f.class_make(people.lyceum, people.year, 6, f"Ф{i}", class_teacher=teacher)
        group = school_class.groups.get(is_whole_class=True)
        lesson = Lesson.objects.create(
            school=people.lyceum, date=dt.date(2026, 10, 7), number=1, starts_at=dt.time(8, 0),
            ends_at=dt.time(8, 45), school_class=school_class, group=group,
            subject=people.maths, teacher=teacher,
        )  # fmt: skip
        for j in range(students):
            student = f.student_make(people.lyceum, school_class, f"Ученик{j}")
            f.parent_make(people.lyceum, f.UserFactory(username=f"fp{i}_{j}"), student)
            mark(lesson, student, "2", 2)


def test_r_not_3_a_fixed_number_of_queries(people, journal, week, django_assert_max_num_queries):
    """Settings, classes, current periods, enrolments, marks, parents, recipients, notices:
    8, however many classes and students."""

    def count() -> int:
        DeadlineRun.objects.all().delete()
        run = run_make(people.lyceum)
        with CaptureQueriesContext(connection) as ctx:
            failing(run)
        return len(ctx.captured_queries)

    few = count()
    _grow(people, classes=4, students=5)
    many = count()
    assert few == many == 8
    DeadlineRun.objects.all().delete()
    run = run_make(people.lyceum)
    with django_assert_max_num_queries(8):
        written = failing(run)
    assert written == 2 + 4 * (5 + 1)  # the 5А teacher and parent; each new class
