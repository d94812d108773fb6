"""Lessons without topic, attendance or homework (R-MRK-5, R-LES-1, R-LES-2): the teacher at
the day's deadline (16:00 or 21:00, in the school's own time), the deputy the next morning
with what is still missing; findings per lesson and item; a fixed number of queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from journal.models import AttendanceCheck, HomeworkFile, LessonRecord
from notifications.deadlines import engine
from notifications.deadlines.jobs_lessons import lesson_content, lesson_content_deputy
from notifications.models import DeadlineFinding, DeadlineKind, DeadlineRun, Kind, Notification
from schedule.models import Lesson, TeachingLoad

from .. import factories as f

pytestmark = pytest.mark.django_db

K = DeadlineKind
What = DeadlineFinding.What
DAY = dt.date(2026, 10, 6)  # Tuesday
# 16:00 in Tomsk (UTC+7)
TOMSK_16 = dt.datetime(2026, 10, 6, 9, 0, tzinfo=dt.UTC)


def run_make(school, kind, day, due_at=None):
    due_at = due_at or dt.datetime.combine(day, dt.time(12, 0), tzinfo=school.tz)
    return DeadlineRun.objects.create(
        school=school, kind=kind, date=day, due_at=due_at, created_at=due_at, queued_at=due_at
    )


def run_of(created: list[int], kind) -> DeadlineRun:
    return DeadlineRun.objects.get(pk__in=created, kind=kind)


def dispatch_at(moment: dt.datetime, django_capture_on_commit_callbacks) -> list[int]:
    """The runs a beat tick at `moment` creates (their queueing after the commit is
    left out: the test executes them itself)."""
    with (
        time_machine.travel(moment, tick=False),
        django_capture_on_commit_callbacks(execute=False),
    ):
        return engine.dispatch(moment).created


def execute(run: DeadlineRun, at: dt.datetime | None = None) -> bool:
    with time_machine.travel(at or run.due_at, tick=False):
        return engine.run_execute(run.pk)


def notices(kind=Kind.REMINDER):
    return {
        n.user.username: n for n in Notification.objects.filter(kind=kind).select_related("user")
    }


def fill(lesson, *, topic="Дроби", homework="№ 12", taken_by=None, when=TOMSK_16):
    LessonRecord.objects.update_or_create(
        lesson=lesson,
        defaults={"school": lesson.school, "topic": topic, "homework": homework},
    )
    if taken_by is not None:
        AttendanceCheck.objects.get_or_create(
            lesson=lesson,
            defaults={"school": lesson.school, "taken_at": when, "taken_by": taken_by},
        )


def findings(run) -> list[tuple]:
    return sorted(
        DeadlineFinding.objects.filter(run=run).values_list("what", "teacher__username", "lesson")
    )


@pytest.fixture
def far(db):
    """A school in Kaliningrad (UTC+2) whose journal is due by 21:00: one 7Б class with a
    maths lesson at 17:00 (second shift) and one at 21:10, on the lesson day."""
    school = f.school_make(
        "kaliningrad", "Europe/Kaliningrad", current_marks_deadline=dt.time(21, 0)
    )
    year = f.year_make(school)
    teacher = f.UserFactory(username="kteacher", last_name="Балтийский", first_name="Борис")
    deputy = f.UserFactory(username="kdeputy", last_name="Заведующая", first_name="Зоя")
    f.member(teacher, school, Role.TEACHER)
    f.member(deputy, school, Role.DEPUTY)
    school_class = f.class_make(school, year, 7, "Б")
    maths = f.subject_make(school, "Алгебра")
    whole = school_class.groups.get(is_whole_class=True)
    lessons = [
        Lesson.objects.create(
            school=school,
            date=DAY,
            number=number,
            starts_at=starts,
            ends_at=(dt.datetime.combine(DAY, starts) + dt.timedelta(minutes=40)).time(),
            school_class=school_class,
            group=whole,
            subject=maths,
            teacher=teacher,
        )
        for number, starts in ((1, dt.time(17, 0)), (2, dt.time(21, 10)))
    ]
    return school, teacher, deputy, lessons


# --------------------------------------------------------------------------- the teacher


def test_r_mrk_5_r_les_2_at_16_00_in_tomsk_each_teacher_hears_of_his_unfilled_lessons(
    people, journal, django_capture_on_commit_callbacks
):
    """R-MRK-5, R-LES-2: end to end through the dispatcher: nothing before 16:00 local
    time; at 16:00 one notice per teacher listing each lesson and what it lacks, and one
    finding per lesson and missing item."""
    fill(journal.maths_today, topic="Дроби", homework="№ 12")  # register not taken
    fill(
        journal.english_2_today,
        topic="Present Simple",
        homework="",
        taken_by=journal.english_teacher,
    )
    before = dispatch_at(TOMSK_16 - dt.timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert not DeadlineRun.objects.filter(pk__in=before, kind=K.LESSON_CONTENT).exists()

    created = dispatch_at(TOMSK_16 + dt.timedelta(minutes=2), django_capture_on_commit_callbacks)
    run = run_of(created, K.LESSON_CONTENT)
    assert run.date == DAY and not run.late
    assert execute(run, TOMSK_16 + dt.timedelta(minutes=3))

    run.refresh_from_db()
    assert run.finished_at is not None and run.notices == 2
    got = notices()
    assert set(got) == {"teacher", "englishteacher"}
    body = got["teacher"].body
    assert "06.10 урок 2, 5А, Математика: не отмечена посещаемость" in body
    assert (
        "06.10 урок 3, 5А 1 группа, Английский язык: нет темы, не отмечена посещаемость, "
        "нет домашнего задания" in body
    )
    assert got["teacher"].title == "Не заполнены уроки за 06.10.2026"
    assert got["teacher"].url == f"/s/lyceum/journal/lesson/{journal.maths_today.pk}/"
    assert got["englishteacher"].body.endswith(
        "06.10 урок 3, 5А 2 группа, Английский язык: нет домашнего задания"
    )
    assert findings(run) == sorted(
        [
            (What.ATTENDANCE, "teacher", journal.maths_today.pk),
            (What.TOPIC, "teacher", journal.english_1_today.pk),
            (What.ATTENDANCE, "teacher", journal.english_1_today.pk),
            (What.HOMEWORK, "teacher", journal.english_1_today.pk),
            (What.HOMEWORK, "englishteacher", journal.english_2_today.pk),
        ]
    )
    row = DeadlineFinding.objects.filter(run=run, what=What.HOMEWORK, teacher=people.teacher).get()
    assert (row.school, row.school_class, row.subject, row.date) == (
        people.lyceum,
        people.class_5a,
        people.english,
        DAY,
    )
    # a second tick, a duplicate message: nothing twice
    assert not dispatch_at(TOMSK_16 + dt.timedelta(minutes=7), django_capture_on_commit_callbacks)
    assert not execute(run, TOMSK_16 + dt.timedelta(minutes=8))
    assert Notification.objects.count() == 2
    assert DeadlineFinding.objects.count() == 5


def test_r_mrk_5_complete_lessons_are_not_reported(people, journal):
    """R-MRK-5: topic, register and homework (text, pages, exercises or a file) all there:
    no notice, no finding."""
    fill(journal.maths_today, taken_by=people.teacher)
    fill(journal.english_1_today, homework="", taken_by=people.teacher)
    LessonRecord.objects.filter(lesson=journal.english_1_today).update(homework_pages="с. 12")
    fill(journal.english_2_today, homework="", taken_by=journal.english_teacher)
    HomeworkFile.objects.create(
        school=people.lyceum,
        record=journal.english_2_today.record,
        file="homework/x.pdf",
        name="x.pdf",
        size=10,
        uploaded_by=journal.english_teacher,
    )
    run = run_make(people.lyceum, K.LESSON_CONTENT, DAY, TOMSK_16)
    assert execute(run)
    run.refresh_from_db()
    assert run.finished_at is not None and run.notices == 0
    assert not Notification.objects.exists() and not DeadlineFinding.objects.exists()


def test_r_les_4_the_substitute_is_reminded_not_the_absent_teacher(people, journal):
    """R-MRK-5, R-LES-4: a lesson given by a substitute is his to fill; cancelled lessons and
    lessons not begun by the deadline are not asked for."""
    fill(journal.maths_today, taken_by=people.teacher)
    fill(journal.english_1_today, taken_by=people.teacher)
    Lesson.objects.filter(pk=journal.english_2_today.pk).update(
        substitute=people.class_teacher, change_reason="болезнь"
    )
    whole = people.class_5a.groups.get(is_whole_class=True)
    Lesson.objects.create(  # after the deadline
        school=people.lyceum,
        date=DAY,
        number=8,
        starts_at=dt.time(16, 5),
        ends_at=dt.time(16, 50),
        school_class=people.class_5a,
        group=whole,
        subject=people.english,
        teacher=people.teacher,
    )
    Lesson.objects.create(
        school=people.lyceum,
        date=DAY,
        number=5,
        starts_at=dt.time(11, 40),
        ends_at=dt.time(12, 25),
        school_class=people.class_5a,
        group=whole,
        subject=people.english,
        teacher=people.teacher,
        is_cancelled=True,
        change_reason="карантин",
    )
    run = run_make(people.lyceum, K.LESSON_CONTENT, DAY, TOMSK_16)
    assert execute(run)
    assert set(notices()) == {"classteacher"}
    assert findings(run) == sorted(
        (what, "classteacher", journal.english_2_today.pk)
        for what in (What.TOPIC, What.ATTENDANCE, What.HOMEWORK)
    )


def test_r_les_2_grade_1_is_not_asked_for_homework(people, journal):
    """R-LES-2: no homework in the first grade; its topic and register are still due."""
    fill(journal.maths_today, taken_by=people.teacher)
    fill(journal.english_1_today, taken_by=people.teacher)
    fill(journal.english_2_today, taken_by=journal.english_teacher)
    first = f.class_make(people.lyceum, people.year, 1, "А")
    lesson = Lesson.objects.create(
        school=people.lyceum,
        date=DAY,
        number=1,
        starts_at=dt.time(8, 0),
        ends_at=dt.time(8, 35),
        school_class=first,
        group=first.groups.get(is_whole_class=True),
        subject=people.maths,
        teacher=people.class_teacher,
    )
    run = run_make(people.lyceum, K.LESSON_CONTENT, DAY, TOMSK_16)
    assert execute(run)
    assert findings(run) == sorted(
        [(What.TOPIC, "classteacher", lesson.pk), (What.ATTENDANCE, "classteacher", lesson.pk)]
    )
    # filled without homework: complete
    fill(lesson, homework="", taken_by=people.class_teacher)
    DeadlineRun.objects.all().delete()
    Notification.objects.all().delete()
    assert execute(run_make(people.lyceum, K.LESSON_CONTENT, DAY, TOMSK_16))
    assert not Notification.objects.exists()


def test_r_mrk_5_the_21_00_setting_in_kaliningrad(far, django_capture_on_commit_callbacks):
    """R-MRK-5 with the 21:00 deadline in another time zone (UTC+2): no run at 20:59 local
    time; at 21:00 the lesson begun at 17:00 is asked for, the one at 21:10 is not."""
    school, teacher, _deputy, (evening, late) = far
    nine_pm = dt.datetime(2026, 10, 6, 19, 0, tzinfo=dt.UTC)
    before = dispatch_at(nine_pm - dt.timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert not DeadlineRun.objects.filter(pk__in=before, school=school, kind=K.LESSON_CONTENT)
    created = dispatch_at(nine_pm, django_capture_on_commit_callbacks)
    run = DeadlineRun.objects.get(pk__in=created, school=school, kind=K.LESSON_CONTENT)
    assert run.date == DAY and run.due_at == nine_pm
    assert execute(run)
    (notice,) = Notification.objects.all()
    assert notice.user == teacher and notice.school == school
    assert "06.10 урок 1, 7Б, Алгебра" in notice.body
    assert "урок 2" not in notice.body
    assert {r[2] for r in findings(run)} == {evening.pk}


# --------------------------------------------------------------------------- the deputy


def test_r_mrk_5_the_deputy_gets_next_morning_only_what_is_still_missing(
    people, journal, django_capture_on_commit_callbacks
):
    """R-MRK-5, R-LES-2: at 8:00 the next day (Tomsk) the deputy gets the lessons still
    unfilled, by teacher; what was put right in the evening is left out; the open findings
    are copied onto his run."""
    fill(journal.maths_today, topic="", homework="№ 1")
    run = run_make(people.lyceum, K.LESSON_CONTENT, DAY, TOMSK_16)
    assert execute(run)
    assert len(findings(run)) == 8  # maths: topic, register; english 1, 2: all three
    # in the evening the maths teacher fills the topic and the register
    fill(journal.maths_today, topic="Дроби", homework="№ 1", taken_by=people.teacher)
    fill(journal.english_2_today, topic="Present Simple", homework="", taken_by=None)
    Notification.objects.all().delete()

    morning = dt.datetime(2026, 10, 7, 1, 0, tzinfo=dt.UTC)  # 8:00 in Tomsk
    created = dispatch_at(morning, django_capture_on_commit_callbacks)
    deputy_run = run_of(created, K.LESSON_CONTENT_DEPUTY)
    assert deputy_run.date == DAY + dt.timedelta(days=1)
    assert execute(deputy_run)
    (notice,) = Notification.objects.all()
    assert notice.user == people.deputy and notice.kind == Kind.REMINDER
    assert notice.title == "Незаполненные уроки за 06.10.2026: 2"
    assert notice.url == "/s/lyceum/journal/"
    lines = notice.body.splitlines()
    assert lines[0] == "Уроки за 06.10.2026 всё ещё не заполнены:"
    assert "Англичанова А.:" in lines
    assert "Учителев У.:" in lines
    assert (
        "— 06.10 урок 3, 5А 2 группа, Английский язык: не отмечена посещаемость, "
        "нет домашнего задания" in lines
    )
    assert "Математика" not in notice.body
    assert findings(deputy_run) == sorted(
        [
            (What.TOPIC, "teacher", journal.english_1_today.pk),
            (What.ATTENDANCE, "teacher", journal.english_1_today.pk),
            (What.HOMEWORK, "teacher", journal.english_1_today.pk),
            (What.ATTENDANCE, "englishteacher", journal.english_2_today.pk),
            (What.HOMEWORK, "englishteacher", journal.english_2_today.pk),
        ]
    )
    # the next morning, with no teacher's run in between, the deputy is not told again
    Notification.objects.all().delete()
    next_run = run_make(people.lyceum, K.LESSON_CONTENT_DEPUTY, DAY + dt.timedelta(days=2))
    assert execute(next_run)
    assert not Notification.objects.exists()


def test_r_mrk_5_nothing_open_no_notice_to_the_deputy(people, journal):
    """R-MRK-5: all put right by the morning (or the teacher's job has not run): no notice;
    with no deputy the director is told."""
    assert execute(run_make(people.lyceum, K.LESSON_CONTENT_DEPUTY, DAY))
    run = run_make(people.lyceum, K.LESSON_CONTENT, DAY, TOMSK_16)
    assert execute(run)
    for lesson in (journal.maths_today, journal.english_1_today):
        fill(lesson, taken_by=people.teacher)
    Notification.objects.all().delete()
    tomorrow = DAY + dt.timedelta(days=1)
    from accounts.models import Membership

    Membership.objects.filter(user=people.deputy).update(ends_on=DAY)
    assert execute(run_make(people.lyceum, K.LESSON_CONTENT_DEPUTY, tomorrow))
    assert [n.user.username for n in Notification.objects.all()] == ["director"]
    fill(journal.english_2_today, taken_by=journal.english_teacher)
    Notification.objects.all().delete()
    DeadlineRun.objects.filter(kind=K.LESSON_CONTENT_DEPUTY).delete()
    assert execute(run_make(people.lyceum, K.LESSON_CONTENT_DEPUTY, tomorrow))
    assert not Notification.objects.exists()


# --------------------------------------------------------------------------- queries


def _more_lessons(people, journal, count: int):
    """`count` more classes with a maths lesson each today, none filled, each with its own
    teacher."""
    for i in range(count):
        teacher = f.UserFactory(username=f"t{i}")
        f.member(teacher, people.lyceum, Role.TEACHER)
        school_class = f.class_make(people.lyceum, people.year, 6 + i % 5, f"Л{i}")
        group = school_class.groups.get(is_whole_class=True)
        TeachingLoad.objects.create(
            school=people.lyceum,
            teacher=teacher,
            group=group,
            subject=people.maths,
            hours_per_week=4,
        )
        Lesson.objects.create(
            school=people.lyceum,
            date=DAY,
            number=1,
            starts_at=dt.time(8, 0),
            ends_at=dt.time(8, 45),
            school_class=school_class,
            group=group,
            subject=people.maths,
            teacher=teacher,
        )


def _counts(people) -> tuple[int, int]:
    """The queries of the teacher's job and of the next morning's deputy job."""
    DeadlineRun.objects.all().delete()
    Notification.objects.all().delete()
    teacher_run = run_make(people.lyceum, K.LESSON_CONTENT, DAY, TOMSK_16)
    deputy_run = run_make(people.lyceum, K.LESSON_CONTENT_DEPUTY, DAY + dt.timedelta(days=1))
    counts = []
    for handler, run in ((lesson_content, teacher_run), (lesson_content_deputy, deputy_run)):
        run = DeadlineRun.objects.select_related("school").get(pk=run.pk)
        with CaptureQueriesContext(connection) as ctx:
            handler(run)
        counts.append(len(ctx.captured_queries))
        DeadlineRun.objects.filter(pk=run.pk).update(finished_at=TOMSK_16)
    return counts[0], counts[1]


def test_r_mrk_5_a_fixed_number_of_queries_whatever_the_lessons(
    people, journal, django_assert_max_num_queries
):
    """Teacher's job: settings, lessons with what they have, the findings, the recipients,
    the notices (5). Deputy's: the earlier run, its findings, the registers taken (2), the
    records, the copies, the recipients, the notice (8)."""
    few = _counts(people)
    assert Notification.objects.filter(user=people.deputy).count() == 1
    _more_lessons(people, journal, 12)
    many = _counts(people)
    assert Notification.objects.filter(user=people.deputy).count() == 1
    assert Notification.objects.exclude(user=people.deputy).count() == 14  # one per teacher
    assert few == many, (few, many)
    assert many[0] <= 5 and many[1] <= 8
    DeadlineRun.objects.all().delete()
    with django_assert_max_num_queries(5):
        lesson_content(run_make(people.lyceum, K.LESSON_CONTENT, DAY, TOMSK_16))
    assert Notification.objects.exclude(user=people.deputy).count() == 14 + 14
