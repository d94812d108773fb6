"""Period jobs: the forecast of period marks to students and parents and the class
teacher's preliminary report to the deputy two weeks before a period ends (R-MRK-8,
R-CTL-4); the period marks still missing after the days allowed, to the teacher and then
the deputy (R-FIN-1). In the lyceum's time (Tomsk) and Kaliningrad's, by the grade's kind
of period; a fixed number of queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, WorkType
from journal.models import Mark, PeriodMark
from notifications.deadlines import engine
from notifications.deadlines.calendar import calendars_load
from notifications.deadlines.jobs_periods import forecast, period_marks, period_marks_deputy
from notifications.deadlines.rules import forecast_day, period_marks_day
from notifications.models import DeadlineFinding, DeadlineKind, DeadlineRun, Kind, Notification
from schedule.models import (
    GradeLevel,
    IndividualCurriculum,
    Lesson,
    PeriodKind,
    ReportingPeriod,
    TeachingLoad,
)

from .. import factories as f
from ..journal.conftest import lesson_on
from .engine_fixtures import school_in

pytestmark = pytest.mark.django_db

K = DeadlineKind
What = DeadlineFinding.What
MOMENT = dt.datetime(2026, 10, 6, tzinfo=dt.UTC)


def at(school, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=school.tz)


def dispatch_at(moment, capture) -> list[DeadlineRun]:
    with time_machine.travel(moment, tick=False), capture(execute=False):
        created = engine.dispatch(moment).created
    return list(DeadlineRun.objects.filter(pk__in=created))


def run_of(runs, kind, school=None) -> DeadlineRun | None:
    found = [r for r in runs if r.kind == kind and (school is None or r.school_id == school.pk)]
    return found[0] if found else None


def execute(run: DeadlineRun) -> bool:
    with time_machine.travel(run.due_at + dt.timedelta(minutes=1), tick=False):
        return engine.run_execute(run.pk)


def run_make(school, kind, day, hour=12):
    """A run as run_execute reads it (with its school)."""
    due_at = at(school, day, hour)
    run = DeadlineRun.objects.create(
        school=school, kind=kind, date=day, due_at=due_at, created_at=due_at, queued_at=due_at
    )
    return DeadlineRun.objects.select_related("school").get(pk=run.pk)


def mark(lesson, student, value: int, code="answer", by=None):
    return Mark.objects.create(
        school=lesson.school,
        lesson=lesson,
        student=student,
        work_type=WorkType.objects.get(school=lesson.school, code=code),
        value=str(value),
        points=value,
        created_at=MOMENT,
        created_by=by or lesson.teacher,
        updated_at=MOMENT,
        updated_by=by or lesson.teacher,
    )


def period_mark(people, student, subject, period, group, value="4"):
    return PeriodMark.objects.create(
        school=people.lyceum,
        student=student,
        subject=subject,
        year=people.year,
        kind="period",
        period=period,
        group=group,
        value=value,
        points=int(value),
        set_at=MOMENT,
        set_by=people.teacher,
    )


def by_user(kind=None) -> dict[str, Notification]:
    rows = Notification.objects.select_related("user", "sender")
    if kind:
        rows = rows.filter(kind=kind)
    return {n.user.username: n for n in rows}


@pytest.fixture
def marks(people, journal):
    """Степан: maths 5, 4 (answers) and a test 4 in September (weighted 4,29 → 4), a 2 on
    12 October after the forecast day (not counted); English nothing. Другов: maths 2, 2,
    3 (2,33 → 2), English (group 2) 5."""
    maths = [lesson_on(people, dt.date(2026, 9, d)) for d in (14, 15, 16)]
    mark(maths[0], people.student_record, 5)
    mark(maths[1], people.student_record, 4)
    mark(maths[2], people.student_record, 4, code="test")
    mark(lesson_on(people, dt.date(2026, 10, 12)), people.student_record, 2)
    for lesson, value in zip(maths, (2, 2, 3), strict=True):
        mark(lesson, people.other_student_record, value)
    english_2 = lesson_on(people, dt.date(2026, 9, 15), people.english_2, people.english)
    mark(english_2, people.other_student_record, 5)
    return maths


# --------------------------------------------------------------------------- forecast


def test_r_mrk_8_the_forecast_day_of_the_first_quarter_is_friday_9_october(people, journal):
    """R-MRK-8: «not later than 2 weeks before the end»: Q1 ends on Sunday 25.10; 14 days
    before is Sunday 11.10, so the last school day before it, Friday 9.10."""
    settings = people.lyceum.settings
    calendar = calendars_load([people.lyceum.pk], dt.date(2026, 9, 1), dt.date(2026, 11, 30))[
        people.lyceum.pk
    ]
    assert forecast_day(settings, calendar, journal.quarters[0]) == dt.date(2026, 10, 9)
    assert period_marks_day(settings, journal.quarters[0]) == dt.date(2026, 10, 28)


def test_r_mrk_8_r_ctl_4_forecast_end_to_end_on_its_day_only(
    people, journal, marks, django_capture_on_commit_callbacks
):
    """R-MRK-8: through the dispatcher at 12:00 in Tomsk on Friday 9.10, not the day before
    nor at 11:59: the student and his parent get his forecast per subject with the weighted
    average and too few marks; R-CTL-4: the deputy gets the class's preliminary report in
    the class teacher's name; a child without an account or parent gets nothing; nothing
    twice."""
    school = people.lyceum
    capture = django_capture_on_commit_callbacks
    day = dt.date(2026, 10, 9)
    assert not run_of(
        dispatch_at(at(school, day - dt.timedelta(days=1), 12, 30), capture), K.FORECAST
    )
    assert not run_of(dispatch_at(at(school, day, 11, 59), capture), K.FORECAST)
    run = run_of(dispatch_at(at(school, day, 12, 1), capture), K.FORECAST, school)
    assert run.date == day
    assert execute(run)

    got = by_user(Kind.REPORT)
    assert set(got) == {"student", "parent", "deputy"}
    child = got["parent"]
    assert child.title == "Прогноз оценок за 1 четверть: Родителев Степан"
    assert got["student"].title == child.title and got["student"].body == child.body
    assert (
        child.url
        == f"/s/lyceum/diary/{people.student_record.pk}/marks/?period={journal.quarters[0].pk}"
    )
    assert child.body.splitlines() == [
        "1 четверть заканчивается 25.10.2026. Прогноз по текущим оценкам:",
        "Английский язык: оценок пока нет",
        "Математика: 4 (средневзвешенный балл 4,29); мало оценок: 3 из 7",
    ]
    report = got["deputy"]
    assert report.title == "Предварительный отчёт 5А за 1 четверть"
    assert report.sender == people.class_teacher
    assert (
        report.url
        == f"/s/lyceum/journal/class/{people.class_5a.pk}/summary/?period={journal.quarters[0].pk}"
    )
    body = report.body
    assert "«5» — 1; «4» — 1; «3» — 0; «2» — 1" in body  # Другов English 5, maths 2
    assert "Под угрозой «2»: 1\n— Другов Д.: Математика" in body
    assert "— Родителев С.: Английский язык (0/7), Математика (3/7)" in body
    assert "— Другов Д.: Английский язык (1/7), Математика (3/7)" in body
    run.refresh_from_db()
    assert run.notices == 3
    # a second tick the same day and Saturday: nothing more
    assert not run_of(dispatch_at(at(school, day, 12, 20), capture), K.FORECAST)
    assert not run_of(
        dispatch_at(at(school, day + dt.timedelta(days=1), 12, 20), capture), K.FORECAST
    )
    assert not execute(run)
    assert Notification.objects.filter(kind=Kind.REPORT).count() == 3


def test_r_mrk_8_individual_curricula_and_electives(people, journal, marks):
    """R-MRK-8, R-STR-7: a student exempted from a course gets no forecast for it; an
    elective without attestation is left out."""
    IndividualCurriculum.objects.create(
        school=people.lyceum,
        student=people.student_record,
        kind=IndividualCurriculum.Kind.EXEMPT,
        group=people.english_1,
        subject=people.english,
        basis="приказ № 5",
        starts_on=dt.date(2026, 9, 1),
    )
    elective = f.subject_make(people.lyceum, "Шахматы", no_attestation=True)
    lesson = Lesson.objects.create(
        school=people.lyceum,
        date=dt.date(2026, 9, 17),
        number=7,
        starts_at=dt.time(14, 0),
        ends_at=dt.time(14, 45),
        school_class=people.class_5a,
        group=people.class_5a.groups.get(is_whole_class=True),
        subject=elective,
        teacher=people.teacher,
    )
    mark(lesson, people.student_record, 5)
    assert execute(run_make(people.lyceum, K.FORECAST, dt.date(2026, 10, 9)))
    assert by_user()["student"].body.splitlines()[1:] == [
        "Математика: 4 (средневзвешенный балл 4,29); мало оценок: 3 из 7"
    ]


@pytest.fixture
def baltic(db):
    """Kaliningrad (UTC+2): grade 7 studies by trimesters (T1 ends Monday 30.11), other
    grades by quarters; 7Б with Алгебра (2 hours) and a student with an account and a
    parent."""
    school = school_in("baltic", "Europe/Kaliningrad")
    year = school.academic_year
    GradeLevel.objects.create(school=school, year=year, grade=7, period_kind=PeriodKind.TRIMESTER)
    quarter = ReportingPeriod.objects.create(
        school=school, year=year, kind=PeriodKind.QUARTER, number=1,
        starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 10, 25),
    )  # fmt: skip
    trimester = ReportingPeriod.objects.create(
        school=school, year=year, kind=PeriodKind.TRIMESTER, number=1,
        starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 11, 30),
    )  # fmt: skip
    teacher = f.UserFactory(username="bteacher", last_name="Янтарный", first_name="Ян")
    head = f.UserFactory(username="bhead", last_name="Директорова", first_name="Дина")
    f.member(teacher, school, Role.TEACHER)
    f.member(head, school, Role.DIRECTOR)  # no deputy: the director hears
    school_class = f.class_make(school, year, 7, "Б", class_teacher=teacher)
    algebra = f.subject_make(school, "Алгебра")
    whole = school_class.groups.get(is_whole_class=True)
    TeachingLoad.objects.create(
        school=school, teacher=teacher, group=whole, subject=algebra, hours_per_week=2
    )
    pupil_user = f.UserFactory(username="bpupil", last_name="Морской", first_name="Марк")
    pupil = f.student_make(school, school_class, "Морской", "Марк", user=pupil_user)
    mother = f.UserFactory(username="bmother", last_name="Морская", first_name="Мария")
    f.parent_make(school, mother, pupil)
    lessons = []
    for i, day in enumerate((dt.date(2026, 9, 7), dt.date(2026, 10, 5), dt.date(2026, 11, 9))):
        lessons.append(
            Lesson.objects.create(
                school=school, date=day, number=i + 1, starts_at=dt.time(9, 0),
                ends_at=dt.time(9, 45), school_class=school_class, group=whole,
                subject=algebra, teacher=teacher,
            )
        )  # fmt: skip
    for lesson, value in zip(lessons, (3, 3, 4), strict=True):
        mark(lesson, pupil, value)
    return school, quarter, trimester, pupil


def test_r_mrk_8_a_trimester_grade_in_kaliningrad(baltic, django_capture_on_commit_callbacks):
    """R-MRK-8 in UTC+2: the quarter's forecast day (9.10) concerns no trimester class; the
    trimester's is Monday 16.11 at 12:00 local time; no deputy, so the director gets the
    report."""
    school, quarter, trimester, pupil = baltic
    capture = django_capture_on_commit_callbacks
    run = run_of(dispatch_at(at(school, dt.date(2026, 10, 9), 12, 1), capture), K.FORECAST, school)
    assert run is not None and execute(run)
    assert not Notification.objects.exists()
    day = dt.date(2026, 11, 16)
    assert not run_of(dispatch_at(at(school, day, 11, 59), capture), K.FORECAST, school)
    run = run_of(dispatch_at(at(school, day, 12, 0), capture), K.FORECAST, school)
    assert run.due_at == dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.UTC)
    assert execute(run)
    got = by_user()
    assert set(got) == {"bpupil", "bmother", "bhead"}
    assert got["bmother"].title == "Прогноз оценок за 1 триместр: Морской Марк"
    assert got["bmother"].body.splitlines()[1] == (
        "Алгебра: 3 (средневзвешенный балл 3,33); мало оценок: 3 из 5"
    )
    assert got["bhead"].title == "Предварительный отчёт 7Б за 1 триместр"
    assert got["bhead"].school == school


# --------------------------------------------------------------------------- period marks


def test_r_fin_1_missing_period_marks_teacher_then_deputy(
    people, journal, marks, django_capture_on_commit_callbacks
):
    """R-FIN-1: Q1 ends Sunday 25.10; with 2 days allowed the teachers hear on Wednesday
    28.10 at 12:00 in Tomsk (not on the 27th), of each course's students without a period
    mark; one finding per student; the next weekday the deputy gets those still missing,
    by teacher and course; electives and grade 1 are not asked for; nothing twice."""
    school = people.lyceum
    capture = django_capture_on_commit_callbacks
    q1 = journal.quarters[0]
    whole = people.class_5a.groups.get(is_whole_class=True)
    period_mark(people, people.student_record, people.maths, q1, whole)
    elective = f.subject_make(school, "Шахматы", no_attestation=True)
    first = f.class_make(school, people.year, 1, "А")
    for school_class, subject in ((people.class_5a, elective), (first, people.maths)):
        Lesson.objects.create(
            school=school, date=dt.date(2026, 9, 17), number=7, starts_at=dt.time(14, 0),
            ends_at=dt.time(14, 45), school_class=school_class,
            group=school_class.groups.get(is_whole_class=True), subject=subject,
            teacher=people.class_teacher,
        )  # fmt: skip
    f.student_make(school, first, "Первоклассников")

    assert not run_of(
        dispatch_at(at(school, dt.date(2026, 10, 27), 12, 30), capture), K.PERIOD_MARKS
    )
    run = run_of(dispatch_at(at(school, dt.date(2026, 10, 28), 12, 1), capture), K.PERIOD_MARKS)
    assert execute(run)
    got = by_user(Kind.REMINDER)
    assert set(got) == {"teacher", "englishteacher"}
    assert got["teacher"].title == "Не выставлены оценки за период (период закончился 25.10.2026)"
    assert got["teacher"].body.splitlines() == [
        "Оценки за период выставляются в течение 2 дн. после его окончания:",
        "5А 1 группа, Английский язык, 1 четверть: без оценки 1 из 1",
        "5А, Математика, 1 четверть: без оценки 1 из 2",
    ]
    assert got["teacher"].url == "/s/lyceum/journal/"
    assert got["englishteacher"].url == (
        f"/s/lyceum/journal/course/{people.english_2.pk}/{people.english.pk}/?period={q1.pk}"
    )
    rows = sorted(
        DeadlineFinding.objects.filter(run=run).values_list(
            "what",
            "teacher__username",
            "student__last_name",
            "subject__name",
            "period",
            "school_class",
        )
    )
    assert rows == [
        ("period_mark", "englishteacher", "Другов", "Английский язык", q1.pk, people.class_5a.pk),
        ("period_mark", "teacher", "Другов", "Математика", q1.pk, people.class_5a.pk),
        ("period_mark", "teacher", "Родителев", "Английский язык", q1.pk, people.class_5a.pk),
    ]
    assert not execute(run)

    # the English teacher sets his mark on the 28th; the deputy hears on Thursday 29.10
    period_mark(people, people.other_student_record, people.english, q1, people.english_2)
    Notification.objects.all().delete()
    assert not run_of(
        dispatch_at(at(school, dt.date(2026, 10, 29), 11, 59), capture), K.PERIOD_MARKS_DEPUTY
    )
    deputy_run = run_of(
        dispatch_at(at(school, dt.date(2026, 10, 29), 12, 1), capture), K.PERIOD_MARKS_DEPUTY
    )
    assert execute(deputy_run)
    (notice,) = Notification.objects.all()
    assert notice.user == people.deputy
    assert notice.title == "Всё ещё не выставлены оценки за период: 2"
    assert notice.body.splitlines() == [
        "Всё ещё не выставлены оценки за период (учеников без оценки):",
        "",
        "Учителев У.:",
        "— 5А, Английский язык, 1 четверть: 1",
        "— 5А, Математика, 1 четверть: 1",
    ]
    assert DeadlineFinding.objects.filter(run=deputy_run).count() == 2
    assert not execute(deputy_run)
    assert Notification.objects.count() == 1


def test_r_fin_1_all_marks_set_nothing_sent(people, journal):
    """R-FIN-1: every student has his period mark: no notice, no finding; the deputy's
    check then finds nothing either."""
    q1 = journal.quarters[0]
    whole = people.class_5a.groups.get(is_whole_class=True)
    for student in (people.student_record, people.other_student_record):
        period_mark(people, student, people.maths, q1, whole)
    period_mark(people, people.student_record, people.english, q1, people.english_1)
    period_mark(people, people.other_student_record, people.english, q1, people.english_2)
    assert execute(run_make(people.lyceum, K.PERIOD_MARKS, dt.date(2026, 10, 28)))
    assert execute(run_make(people.lyceum, K.PERIOD_MARKS_DEPUTY, dt.date(2026, 10, 29)))
    assert not Notification.objects.exists() and not DeadlineFinding.objects.exists()


# --------------------------------------------------------------------------- queries


def _grow(people, classes: int, students: int):
    """More 6th-grade classes, each with a maths course, students with parents and marks."""
    for i in range(classes):
        teacher = f.UserFactory(username=f"pt{i}")
        f.member(teacher, people.lyceum, Role.TEACHER)
        school_class = f.class_make(people.lyceum, people.year, 6, f"П{i}", class_teacher=teacher)
        group = school_class.groups.get(is_whole_class=True)
        TeachingLoad.objects.create(
            school=people.lyceum,
            teacher=teacher,
            group=group,
            subject=people.maths,
            hours_per_week=4,
        )
        lesson = Lesson.objects.create(
            school=people.lyceum, date=dt.date(2026, 9, 21), number=1, starts_at=dt.time(8, 0),
            ends_at=dt.time(8, 45), school_class=school_class, group=group,
            subject=people.maths, teacher=teacher,
        )  # fmt: skip
        for j in range(students):
            user = f.UserFactory(username=f"ps{i}_{j}")
            student = f.student_make(people.lyceum, school_class, f"Ученик{j}", user=user)
            f.parent_make(people.lyceum, f.UserFactory(username=f"pp{i}_{j}"), student)
            mark(lesson, student, 2 + j % 4)


def _queries(handler, school, kind, day) -> int:
    DeadlineRun.objects.all().delete()
    run = run_make(school, kind, day)
    with CaptureQueriesContext(connection) as ctx:
        handler(run)
    return len(ctx.captured_queries)


def test_r_mrk_8_r_fin_1_a_fixed_number_of_queries(
    people, journal, marks, django_assert_max_num_queries
):
    """The forecast: settings, calendar (3), periods, classes, enrolments, lessons,
    enrolments, members and curricula of the courses (3), hours (2), marks, parents,
    recipients and notices (2): 17. The missing period marks: settings, calendar (3),
    periods, classes, lessons, rosters (3), period marks, loads, findings, recipients and
    notices (2): 15. The deputy's check: runs, findings, marks set, copies, notice (2): 6."""
    school = people.lyceum
    forecast_day_, marks_day = dt.date(2026, 10, 9), dt.date(2026, 10, 28)
    few = (
        _queries(forecast, school, K.FORECAST, forecast_day_),
        _queries(period_marks, school, K.PERIOD_MARKS, marks_day),
    )
    _grow(people, classes=4, students=6)
    Notification.objects.all().delete()
    many = (
        _queries(forecast, school, K.FORECAST, forecast_day_),
        _queries(period_marks, school, K.PERIOD_MARKS, marks_day),
    )
    assert few == many, (few, many)
    assert Notification.objects.filter(kind=Kind.REPORT).count() == 3 + 4 * 6 * 2 + 4
    DeadlineRun.objects.all().delete()
    forecast_run = run_make(school, K.FORECAST, forecast_day_)
    with django_assert_max_num_queries(17):
        forecast(forecast_run)
    teacher_run = run_make(school, K.PERIOD_MARKS, marks_day)
    with django_assert_max_num_queries(15):
        period_marks(teacher_run)
    DeadlineRun.objects.filter(pk=teacher_run.pk).update(finished_at=MOMENT)
    deputy_run = run_make(school, K.PERIOD_MARKS_DEPUTY, dt.date(2026, 10, 29))
    with django_assert_max_num_queries(6):
        period_marks_deputy(deputy_run)
    assert Notification.objects.filter(user=people.deputy, kind=Kind.REMINDER).count() == 1
