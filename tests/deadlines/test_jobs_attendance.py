"""Attendance deadlines (R-ATT-1, R-ATT-3, R-ATT-5) in each school's own time: the first
lesson's teacher at 9:30 and the deputy at the next check, the class teacher's reasons at
10:00, the day's digest and the Monday reconciliation; findings; a fixed number of queries.

The lyceum is in Tomsk (UTC+7), the second school in Kaliningrad (UTC+2). Today is Tuesday
6 October 2026; in the lyceum 5А has maths at lesson 2 (08:55) every weekday and two English
groups at lesson 3 (09:50) on Tuesdays (tests/journal/conftest.py)."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from journal.models import AbsenceNotice, AbsenceReason, Attendance, AttendanceCheck
from journal.services.attendance_check import attendance_check_mark
from journal.services.cells import attendance_set
from notifications.deadlines import engine
from notifications.deadlines.jobs_attendance import (
    NotReady,
    absence_digest,
    absence_reasons,
    first_attendance,
    first_attendance_deputy,
    reconciliation,
)
from notifications.models import DeadlineFinding, DeadlineKind, DeadlineRun, Kind, Notification
from schedule.models import Group, Lesson

from .. import factories as f

pytestmark = pytest.mark.django_db

K = DeadlineKind
What = DeadlineFinding.What
MON = dt.date(2026, 10, 5)
TUE = dt.date(2026, 10, 6)
NEXT_MON = dt.date(2026, 10, 12)
OURS = {
    K.FIRST_ATTENDANCE,
    K.FIRST_ATTENDANCE_DEPUTY,
    K.ABSENCE_REASONS,
    K.ABSENCE_DIGEST,
    K.RECONCILIATION,
}


def local(school, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=school.tz)


def dispatch_at(moment, capture, school=None) -> dict[str, DeadlineRun]:
    """The runs a beat tick at `moment` creates (of `school` when given), by kind; their
    queueing after the commit is left out: the test executes them itself."""
    with time_machine.travel(moment, tick=False), capture(execute=False):
        created = engine.dispatch(moment).created
    runs = DeadlineRun.objects.filter(pk__in=created)
    if school is not None:
        runs = runs.filter(school=school)
    return {run.kind: run for run in runs}


def execute(run: DeadlineRun, at: dt.datetime | None = None) -> bool:
    with time_machine.travel(at or run.due_at, tick=False):
        return engine.run_execute(run.pk)


def run_make(school, kind, day, hour=12) -> DeadlineRun:
    due_at = local(school, day, hour)
    return DeadlineRun.objects.create(
        school=school, kind=kind, date=day, due_at=due_at, created_at=due_at, queued_at=due_at
    )


def sent(kind=Kind.REMINDER) -> dict[str, Notification]:
    rows = Notification.objects.filter(kind=kind).select_related("user").order_by("pk")
    return {n.user.username: n for n in rows}


def findings(run) -> list[tuple]:
    return sorted(
        DeadlineFinding.objects.filter(run=run).values_list(
            "what", "teacher__username", "school_class", "lesson", "student", "date"
        ),
        key=str,
    )


def lesson_make(school_class, subject, teacher, day, number, starts, *, group=None, **fields):
    group = group or school_class.groups.get(is_whole_class=True)
    start = dt.datetime.combine(day, starts)
    return Lesson.objects.create(
        school=school_class.school,
        date=day,
        number=number,
        starts_at=starts,
        ends_at=(start + dt.timedelta(minutes=45)).time(),
        school_class=school_class,
        group=group,
        subject=subject,
        teacher=teacher,
        **fields,
    )


def absence(lesson, student, kind=Attendance.Kind.ABSENT, by=None, **fields):
    now = local(lesson.school, lesson.date, 12)
    by = by or lesson.teacher
    return Attendance.objects.create(
        school=lesson.school,
        lesson=lesson,
        student=student,
        kind=kind,
        created_at=now,
        created_by=by,
        updated_at=now,
        updated_by=by,
        **fields,
    )


def notice_file(student, by, starts, ends=None, numbers="", reason="illness", created_at=None):
    return AbsenceNotice.objects.create(
        school=student.school,
        student=student,
        starts_on=starts,
        ends_on=ends or starts,
        lesson_numbers=numbers,
        reason=reason,
        created_by=by,
        created_at=created_at or local(student.school, TUE, 7),
    )


def reason_set(student, day, by):
    return AbsenceReason.objects.create(
        school=student.school,
        student=student,
        date=day,
        reason=AbsenceReason.Reason.ILLNESS,
        set_by=by,
        set_at=local(student.school, day, 11),
    )


@pytest.fixture
def kaliningrad(db):
    """A second school in Kaliningrad (UTC+2): class 7Б with its class teacher, a maths
    teacher, a deputy, two students, maths at 08:30 on Monday and Tuesday."""
    school = f.school_make("kaliningrad", "Europe/Kaliningrad", name="Школа №3")
    year = f.year_make(school)
    teacher = f.UserFactory(username="k_teacher", last_name="Балтийский", first_name="Борис")
    leader = f.UserFactory(username="k_class_teacher", last_name="Янтарева", first_name="Яна")
    deputy = f.UserFactory(username="k_deputy", last_name="Куршская", first_name="Ксения")
    f.member(teacher, school, Role.TEACHER)
    f.member(leader, school, Role.TEACHER)
    f.member(deputy, school, Role.DEPUTY)
    school_class = f.class_make(school, year, 7, "Б", class_teacher=leader)
    maths = f.subject_make(school, "Алгебра")
    students = [
        f.student_make(school, school_class, "Морской", "Максим"),
        f.student_make(school, school_class, "Песчаная", "Полина"),
    ]
    lessons = {
        day: lesson_make(school_class, maths, teacher, day, 1, dt.time(8, 30)) for day in (MON, TUE)
    }
    school.data = {
        "teacher": teacher,
        "class_teacher": leader,
        "deputy": deputy,
        "class": school_class,
        "students": students,
        "lessons": lessons,
    }
    return school


# --------------------------------------------------------------------------- R-ATT-1


def test_r_att_1_first_lesson_teacher_reminded_at_930_tomsk(
    people, journal, django_capture_on_commit_callbacks
):
    school = people.lyceum
    early = dispatch_at(local(school, TUE, 9, 29), django_capture_on_commit_callbacks, school)
    assert not set(early) & OURS
    runs = dispatch_at(local(school, TUE, 9, 30), django_capture_on_commit_callbacks, school)
    assert set(runs) & OURS == {K.FIRST_ATTENDANCE}
    run = runs[K.FIRST_ATTENDANCE]
    assert execute(run)
    run.refresh_from_db()
    assert run.finished_at and run.notices == 1
    notice = sent()["teacher"]
    assert notice.title == "Не отмечена посещаемость на первом уроке"
    assert "06.10.2026" in notice.body and "к 09:30" in notice.body
    assert "— 5А, урок 2, Математика" in notice.body
    assert "Английский" not in notice.body  # lesson 3 is not the first
    assert notice.url == reverse("journal_lesson", args=[school.slug, journal.maths_today.pk])
    assert set(sent()) == {"teacher"}
    assert findings(run) == [
        (What.ATTENDANCE, "teacher", people.class_5a.pk, journal.maths_today.pk, None, TUE)
    ]


def test_r_att_1_first_lesson_reminder_in_kaliningrad_time(
    people, kaliningrad, django_capture_on_commit_callbacks
):
    """9:30 in Kaliningrad is 07:30 UTC (14:30 in Tomsk); at 9:30 Tomsk it is 04:30 there."""
    assert K.FIRST_ATTENDANCE not in dispatch_at(
        local(people.lyceum, TUE, 9, 30), django_capture_on_commit_callbacks, kaliningrad
    )
    runs = dispatch_at(
        local(kaliningrad, TUE, 9, 30), django_capture_on_commit_callbacks, kaliningrad
    )
    assert runs[K.FIRST_ATTENDANCE].due_at == dt.datetime(2026, 10, 6, 7, 30, tzinfo=dt.UTC)
    assert execute(runs[K.FIRST_ATTENDANCE])
    notice = sent()["k_teacher"]
    assert "— 7Б, урок 1, Алгебра" in notice.body
    assert notice.school == kaliningrad


def test_r_att_1_register_taken_before_the_deadline_no_reminder(
    people, journal, django_capture_on_commit_callbacks
):
    school = people.lyceum
    with time_machine.travel(local(school, TUE, 9, 5), tick=False):
        attendance_check_mark(actor=people.teacher, lesson=journal.maths_today)
    run = dispatch_at(local(school, TUE, 9, 30), django_capture_on_commit_callbacks, school)[
        K.FIRST_ATTENDANCE
    ]
    assert execute(run)
    run.refresh_from_db()
    assert run.finished_at and run.notices == 0
    assert not Notification.objects.exists()
    assert not DeadlineFinding.objects.exists()


def test_r_att_1_an_absence_entered_counts_a_parents_pending_one_does_not(people, journal):
    school = people.lyceum
    notice = notice_file(people.student_record, people.parent, TUE)
    absence(journal.maths_today, people.student_record, notice=notice, pending=True)
    run = run_make(school, K.FIRST_ATTENDANCE, TUE, 9)
    assert execute(run, local(school, TUE, 9, 30))
    assert set(sent()) == {"teacher"}  # a pre-filled notice is not the teacher's register

    Notification.objects.all().delete()
    DeadlineRun.objects.all().delete()
    with time_machine.travel(local(school, TUE, 9, 10), tick=False):
        attendance_set(
            actor=people.teacher,
            lesson=journal.maths_today,
            student=people.other_student_record,
            kind=Attendance.Kind.LATE,
            expected="",
        )
    AttendanceCheck.objects.all().delete()  # the row alone says the register was taken
    run = run_make(school, K.FIRST_ATTENDANCE, TUE, 9)
    assert execute(run, local(school, TUE, 9, 30))
    assert not Notification.objects.exists()


def test_r_att_1_the_substitute_gets_the_reminder(people, journal):
    school = people.lyceum
    Lesson.objects.filter(pk=journal.maths_today.pk).update(
        substitute=journal.english_teacher, change_reason="Болезнь"
    )
    run = run_make(school, K.FIRST_ATTENDANCE, TUE, 9)
    assert execute(run, local(school, TUE, 9, 30))
    assert set(sent()) == {"englishteacher"}
    assert "5А, урок 2, Математика" in sent()["englishteacher"].body
    assert findings(run)[0][1] == "englishteacher"


def test_r_att_1_cancelled_lessons_second_shift_and_group_lessons(people, journal):
    """A cancelled lesson is not the first (the next one is); a second-shift class starting
    after the deadline is not concerned; two group lessons at the same first hour are both
    first; one teacher gets one notice for all his lessons."""
    school = people.lyceum
    cancelled = lesson_make(
        people.class_5a,
        people.english,
        journal.english_teacher,
        TUE,
        1,
        dt.time(8, 0),
        group=people.english_2,
        is_cancelled=True,
        change_reason="Болезнь",
    )
    groups_5b = [
        Group.objects.create(
            school=school, school_class=people.class_5b, name=name, subject=people.english
        )
        for name in ("1 группа", "2 группа")
    ]
    first_5b = [
        lesson_make(people.class_5b, people.english, teacher, TUE, 1, dt.time(8, 0), group=group)
        for group, teacher in zip(groups_5b, (people.teacher, journal.english_teacher), strict=True)
    ]
    later_5b = lesson_make(people.class_5b, people.maths, people.director, TUE, 2, dt.time(8, 55))
    second_shift = f.class_make(school, people.year, 6, "В")
    shift_lesson = lesson_make(second_shift, people.maths, people.deputy, TUE, 1, dt.time(13, 0))

    run = run_make(school, K.FIRST_ATTENDANCE, TUE, 9)
    assert execute(run, local(school, TUE, 9, 30))
    assert set(sent()) == {"teacher", "englishteacher"}
    body = sent()["teacher"].body
    assert "— 5А, урок 2, Математика" in body and "— 5Б 1 группа, урок 1, Английский язык" in body
    assert "5Б 2 группа, урок 1" in sent()["englishteacher"].body
    lessons = {row[3] for row in findings(run)}
    assert lessons == {journal.maths_today.pk, *(lesson.pk for lesson in first_5b)}
    assert not lessons & {cancelled.pk, later_5b.pk, shift_lesson.pk}


# --------------------------------------------------------------------------- deputy


def test_r_att_1_deputy_told_only_of_the_still_open_ones(
    people, journal, django_capture_on_commit_callbacks
):
    school = people.lyceum
    group = Group.objects.create(
        school=school, school_class=people.class_5b, name="Вся", subject=people.english
    )
    lesson_5b = lesson_make(
        people.class_5b, people.english, journal.english_teacher, TUE, 1, dt.time(8, 0), group=group
    )
    teachers = dispatch_at(local(school, TUE, 9, 30), django_capture_on_commit_callbacks, school)[
        K.FIRST_ATTENDANCE
    ]
    assert execute(teachers)
    assert len(findings(teachers)) == 2
    # the maths teacher takes the register at 9:40: late, but no longer missing
    with time_machine.travel(local(school, TUE, 9, 40), tick=False):
        attendance_check_mark(actor=people.teacher, lesson=journal.maths_today)
    runs = dispatch_at(local(school, TUE, 10, 0), django_capture_on_commit_callbacks, school)
    deputy_run = runs[K.FIRST_ATTENDANCE_DEPUTY]
    assert deputy_run.due_at == local(school, TUE, 10, 0)
    assert execute(deputy_run)
    notice = sent()["deputy"]
    assert notice.title == "Первые уроки без отметки посещаемости: 1"
    assert "— 5Б Вся, урок 1, Английский язык — Англичанова А." in notice.body
    assert "Математика" not in notice.body
    assert notice.url == reverse("deadlines_status", args=[school.slug]) + "?date=2026-10-06"
    assert [row[3] for row in findings(deputy_run)] == [lesson_5b.pk]
    deputy_run.refresh_from_db()
    assert deputy_run.notices == 1
    # the teacher's own reminders are not sent again
    assert Notification.objects.filter(user=people.teacher).count() == 1


def test_r_att_1_deputy_not_told_when_all_were_put_right(people, journal):
    school = people.lyceum
    teachers = run_make(school, K.FIRST_ATTENDANCE, TUE, 9)
    assert execute(teachers, local(school, TUE, 9, 30))
    attendance_check_mark(actor=people.teacher, lesson=journal.maths_today)
    deputy_run = run_make(school, K.FIRST_ATTENDANCE_DEPUTY, TUE, 10)
    assert execute(deputy_run, local(school, TUE, 10, 0))
    assert "deputy" not in sent()
    assert findings(deputy_run) == []


def test_r_att_1_deputy_waits_for_the_teachers_run(people, journal):
    """Caught up at once (both deadlines passed while the beat was down), the deputy's run
    may reach a worker first: it fails, stays unfinished and runs again after the lease."""
    school = people.lyceum
    teachers = run_make(school, K.FIRST_ATTENDANCE, TUE, 9)
    deputy_run = run_make(school, K.FIRST_ATTENDANCE_DEPUTY, TUE, 10)
    with pytest.raises(NotReady):
        execute(deputy_run, local(school, TUE, 10, 5))
    deputy_run.refresh_from_db()
    assert deputy_run.finished_at is None and "NotReady" in deputy_run.error
    assert execute(teachers, local(school, TUE, 10, 6))
    assert execute(deputy_run, local(school, TUE, 10, 20))
    assert "deputy" in sent() and "teacher" in sent()


def test_r_att_1_deputy_in_kaliningrad(kaliningrad, django_capture_on_commit_callbacks):
    data = kaliningrad.data
    runs = dispatch_at(
        local(kaliningrad, TUE, 10, 0), django_capture_on_commit_callbacks, kaliningrad
    )
    assert execute(runs[K.FIRST_ATTENDANCE], local(kaliningrad, TUE, 10, 0))
    assert execute(runs[K.FIRST_ATTENDANCE_DEPUTY], local(kaliningrad, TUE, 10, 1))
    notice = sent()["k_deputy"]
    assert "— 7Б, урок 1, Алгебра — Балтийский Б." in notice.body
    assert [row[3] for row in findings(runs[K.FIRST_ATTENDANCE_DEPUTY])] == [
        data["lessons"][TUE].pk
    ]


def test_r_att_1_a_rerun_sends_nothing_twice(people, journal, django_capture_on_commit_callbacks):
    school = people.lyceum
    run = dispatch_at(local(school, TUE, 9, 30), django_capture_on_commit_callbacks, school)[
        K.FIRST_ATTENDANCE
    ]
    assert execute(run)
    assert Notification.objects.count() == 1
    # a second tick, a duplicate message, a restarted beat
    again = dispatch_at(local(school, TUE, 9, 35), django_capture_on_commit_callbacks, school)
    assert K.FIRST_ATTENDANCE not in again
    assert not execute(run, local(school, TUE, 9, 36))
    assert Notification.objects.count() == 1
    assert DeadlineFinding.objects.count() == 1


@pytest.mark.parametrize(
    "day", [dt.date(2026, 10, 27), dt.date(2026, 11, 4), dt.date(2026, 10, 10)]
)
def test_r_att_1_no_run_in_holidays_or_at_weekends(
    people, journal, django_capture_on_commit_callbacks, day
):
    """The autumn vacation (26.10–03.11), the 4 November holiday, a Saturday."""
    school = people.lyceum
    runs = dispatch_at(local(school, day, 17, 0), django_capture_on_commit_callbacks, school)
    assert not set(runs) & OURS
    assert not DeadlineRun.objects.filter(school=school, kind__in=OURS).exists()


# --------------------------------------------------------------------------- R-ATT-3 daily


def test_r_att_3_absences_without_a_reason_to_the_class_teacher_at_10(
    people, journal, django_capture_on_commit_callbacks
):
    school = people.lyceum
    # a parent's notice pre-filled English for Степан; Дмитрий was marked absent at maths;
    # Софья (5Б) is already explained; a lateness asks for no reason
    notice = notice_file(people.student_record, people.parent, TUE, numbers="3")
    absence(journal.english_1_today, people.student_record, notice=notice, pending=True)
    absence(journal.maths_today, people.other_student_record)
    absence(journal.maths_today, people.student_record, kind=Attendance.Kind.LATE)
    runs = dispatch_at(local(school, TUE, 10, 0), django_capture_on_commit_callbacks, school)
    run = runs[K.ABSENCE_REASONS]
    assert execute(run)
    notice = sent()["classteacher"]
    assert notice.title == "5А: пропуски 06.10.2026 без причины"
    lines = notice.body.splitlines()
    assert "— Другов Дмитрий: урок 2" in lines
    assert "— Родителев Степан: урок 3; заявление родителя: болезнь" in lines
    assert notice.url == reverse("journal_class_attendance", args=[school.slug, people.class_5a.pk])
    assert {(w, who, c, s, d) for w, who, c, _lesson, s, d in findings(run)} == {
        (What.REASON, "classteacher", people.class_5a.pk, people.other_student_record.pk, TUE),
        (What.REASON, "classteacher", people.class_5a.pk, people.student_record.pk, TUE),
    }
    # a reason recorded since puts the finding right
    from notifications.deadlines.findings import findings_open

    reason_set(people.other_student_record, TUE, people.class_teacher)
    still = findings_open(DeadlineFinding.objects.filter(run=run))
    assert DeadlineFinding.objects.get(pk__in=still).student == people.student_record


def test_r_att_3_explained_absences_are_not_reminded(people, journal):
    school = people.lyceum
    absence(journal.maths_today, people.other_student_record)
    reason_set(people.other_student_record, TUE, people.class_teacher)
    run = run_make(school, K.ABSENCE_REASONS, TUE, 10)
    assert execute(run)
    assert not Notification.objects.exists()
    assert findings(run) == []


def test_r_att_3_reasons_in_kaliningrad(kaliningrad, django_capture_on_commit_callbacks):
    data = kaliningrad.data
    absence(data["lessons"][TUE], data["students"][1])
    assert K.ABSENCE_REASONS not in dispatch_at(
        local(kaliningrad, TUE, 9, 59), django_capture_on_commit_callbacks, kaliningrad
    )
    run = dispatch_at(
        local(kaliningrad, TUE, 10, 0), django_capture_on_commit_callbacks, kaliningrad
    )[K.ABSENCE_REASONS]
    assert run.due_at == dt.datetime(2026, 10, 6, 8, 0, tzinfo=dt.UTC)
    assert execute(run)
    notice = sent()["k_class_teacher"]
    assert notice.title == "7Б: пропуски 06.10.2026 без причины"
    assert "— Песчаная Полина: урок 1" in notice.body


def test_r_att_3_a_student_of_another_class_goes_to_his_own_class_teacher(people, journal):
    """An absence at a course of another class he attends (attached by an individual
    curriculum) reaches the class teacher of the class he is enrolled in."""
    school = people.lyceum
    leader_5b = f.UserFactory(username="leader5b", last_name="Бэшкина", first_name="Бэлла")
    f.member(leader_5b, school, Role.TEACHER)
    type(people.class_5b).objects.filter(pk=people.class_5b.pk).update(class_teacher=leader_5b)
    absence(journal.maths_today, people.sibling_record)  # Софья is in 5Б
    run = run_make(school, K.ABSENCE_REASONS, TUE, 10)
    assert execute(run)
    assert set(sent()) == {"leader5b"}
    assert sent()["leader5b"].title.startswith("5Б:")


# --------------------------------------------------------------------------- R-ATT-5


def test_r_att_5_the_days_absences_lates_and_notices_reach_the_class_teacher(
    people, journal, django_capture_on_commit_callbacks
):
    school = people.lyceum
    absence(journal.maths_today, people.other_student_record)
    absence(journal.english_2_today, people.other_student_record)
    absence(journal.maths_today, people.student_record, kind=Attendance.Kind.LATE)
    pending = notice_file(people.student_record, people.parent, TUE, numbers="3")
    absence(journal.english_1_today, people.student_record, notice=pending, pending=True)
    notice_file(
        people.student_record,
        people.parent,
        dt.date(2026, 10, 8),
        dt.date(2026, 10, 9),
        reason="medical",
        created_at=local(school, TUE, 0, 5),
    )
    # filed yesterday (23:55 Tomsk is still Monday there), withdrawn: not today's news
    notice_file(
        people.student_record,
        people.parent,
        dt.date(2026, 10, 12),
        created_at=local(school, MON, 23, 55),
    )
    gone = notice_file(people.student_record, people.parent, dt.date(2026, 10, 13))
    AbsenceNotice.objects.filter(pk=gone.pk).update(withdrawn_at=local(school, TUE, 8))
    runs = dispatch_at(local(school, TUE, 14, 0), django_capture_on_commit_callbacks, school)
    run = runs[K.ABSENCE_DIGEST]
    assert execute(run)
    notice = sent(Kind.REPORT)["classteacher"]
    assert notice.title == "5А: пропуски и опоздания 06.10.2026"
    lines = notice.body.splitlines()
    assert "Отсутствовали:" in lines and "Опоздали:" in lines
    assert "— Другов Дмитрий: уроки 2 (Математика), 3 (Английский язык)" in lines
    assert "— Родителев Степан: урок 3 (Английский язык, по заявлению родителя)" in lines
    assert "— Родителев Степан: урок 2 (Математика)" in lines
    assert "Заявления родителей, поданные сегодня:" in lines
    assert "— Родителев Степан: 06.10, болезнь, урок 3" in lines
    assert "— Родителев Степан: 08.10–09.10, приём у врача" in lines
    assert "12.10" not in notice.body and "13.10" not in notice.body
    assert findings(run) == []
    assert set(sent(Kind.REPORT)) == {"classteacher"}  # 5Б had nothing to say


def test_r_att_5_digest_in_kaliningrad(kaliningrad, django_capture_on_commit_callbacks):
    data = kaliningrad.data
    absence(data["lessons"][TUE], data["students"][0], kind=Attendance.Kind.LATE)
    runs = dispatch_at(
        local(kaliningrad, TUE, 14, 0), django_capture_on_commit_callbacks, kaliningrad
    )
    assert runs[K.ABSENCE_DIGEST].due_at == dt.datetime(2026, 10, 6, 12, 0, tzinfo=dt.UTC)
    assert execute(runs[K.ABSENCE_DIGEST])
    body = sent(Kind.REPORT)["k_class_teacher"].body
    assert "Опоздали:" in body and "— Морской Максим: урок 1 (Алгебра)" in body


def test_r_att_5_nothing_to_say_no_notice(people, journal):
    run = run_make(people.lyceum, K.ABSENCE_DIGEST, TUE, 14)
    assert execute(run)
    assert not Notification.objects.exists()


# --------------------------------------------------------------------------- R-ATT-3 weekly


def test_r_att_3_monday_reconciliation_of_last_week(
    people, journal, django_capture_on_commit_callbacks
):
    school = people.lyceum
    from tests.journal.conftest import lesson_on

    monday_maths = lesson_on(people, MON)
    absence(monday_maths, people.other_student_record)  # no reason: still to reconcile
    absence(journal.maths_today, people.other_student_record)  # 06.10, no reason either
    absence(journal.english_1_today, people.student_record)
    reason_set(people.student_record, TUE, people.class_teacher)
    absence(journal.maths_today, people.student_record, kind=Attendance.Kind.LATE)
    # this week's absence is next week's business
    absence(lesson_on(people, NEXT_MON), people.student_record)
    assert K.RECONCILIATION not in dispatch_at(
        local(school, NEXT_MON, 15, 59), django_capture_on_commit_callbacks, school
    )
    run = dispatch_at(local(school, NEXT_MON, 16, 0), django_capture_on_commit_callbacks, school)[
        K.RECONCILIATION
    ]
    assert execute(run)
    notice = sent()["classteacher"]
    assert notice.title == "5А: сверка пропусков за неделю 05.10–11.10.2026"
    assert "Пропущено уроков: 3, опозданий: 1." in notice.body
    assert "Дней пропусков без указанной причины: 2." in notice.body
    url = reverse("journal_class_reconciliation", args=[school.slug, people.class_5a.pk])
    assert notice.url == f"{url}?week=2026-10-05"
    assert {(row[0], row[4], row[5]) for row in findings(run)} == {
        (What.REASON, people.other_student_record.pk, MON),
        (What.REASON, people.other_student_record.pk, TUE),
    }
    # the page the link opens shows that week
    from django.test import Client

    client = Client()
    with time_machine.travel(local(school, NEXT_MON, 16, 5), tick=False):
        client.force_login(people.class_teacher)
        response = client.get(notice.url)
    assert response.status_code == 200
    assert response.context["report"].monday == MON


def test_r_att_3_reconciliation_in_kaliningrad(kaliningrad, django_capture_on_commit_callbacks):
    data = kaliningrad.data
    absence(data["lessons"][MON], data["students"][0])
    runs = dispatch_at(
        local(kaliningrad, NEXT_MON, 16, 0), django_capture_on_commit_callbacks, kaliningrad
    )
    assert runs[K.RECONCILIATION].due_at == dt.datetime(2026, 10, 12, 14, 0, tzinfo=dt.UTC)
    assert execute(runs[K.RECONCILIATION])
    notice = sent()["k_class_teacher"]
    assert "Дней пропусков без указанной причины: 1." in notice.body
    assert notice.url.endswith("?week=2026-10-05")


def test_r_att_3_a_quiet_week_no_reminder(people, journal):
    run = run_make(people.lyceum, K.RECONCILIATION, NEXT_MON, 16)
    assert execute(run)
    assert not Notification.objects.exists()


# --------------------------------------------------------------------------- queries


def _classes_add(people, journal, offset: int, count: int):
    """`count` more classes of the lyceum, each with its class teacher, a first lesson
    today by its own teacher without the register, three students absent or late at the
    second lesson today and on Monday, and a notice filed today."""
    school = people.lyceum
    for i in range(offset, offset + count):
        leader = f.UserFactory(username=f"leader{i}")
        teacher = f.UserFactory(username=f"first{i}")
        f.member(leader, school, Role.TEACHER)
        f.member(teacher, school, Role.TEACHER)
        school_class = f.class_make(school, people.year, 9, "АБВГДЕЖИКЛМН"[i], class_teacher=leader)
        students = [f.student_make(school, school_class, f"Ученик{i}", str(n)) for n in range(3)]
        lesson_make(school_class, people.maths, teacher, TUE, 1, dt.time(8, 0))
        for day in (MON, TUE):
            lesson = lesson_make(school_class, people.english, teacher, day, 2, dt.time(8, 55))
            absence(lesson, students[0])
            absence(lesson, students[1], kind=Attendance.Kind.LATE)
            absence(lesson, students[2])
        notice_file(students[0], leader, dt.date(2026, 10, 8))


HANDLERS = {
    K.FIRST_ATTENDANCE: (first_attendance, TUE),
    K.FIRST_ATTENDANCE_DEPUTY: (first_attendance_deputy, TUE),
    K.ABSENCE_REASONS: (absence_reasons, TUE),
    K.ABSENCE_DIGEST: (absence_digest, TUE),
    K.RECONCILIATION: (reconciliation, NEXT_MON),
}


def _run(people, kind) -> DeadlineRun:
    """A fresh run of the kind on the lyceum (the deputy's after a finished teachers' run)."""
    DeadlineRun.objects.all().delete()
    Notification.objects.all().delete()
    if kind == K.FIRST_ATTENDANCE_DEPUTY:
        teachers = run_make(people.lyceum, K.FIRST_ATTENDANCE, TUE, 9)
        first_attendance(teachers)
        DeadlineRun.objects.filter(pk=teachers.pk).update(finished_at=local(people.lyceum, TUE, 9))
    day = HANDLERS[kind][1]
    return DeadlineRun.objects.select_related("school").get(
        pk=run_make(people.lyceum, kind, day).pk
    )


@pytest.mark.parametrize("kind", list(HANDLERS))
def test_r_att_jobs_cost_a_fixed_number_of_queries(
    people, journal, kind, django_assert_max_num_queries
):
    """R-ATT-1, R-ATT-3, R-ATT-5: one class or six, the same queries."""
    handler = HANDLERS[kind][0]
    _classes_add(people, journal, 0, 1)
    run = _run(people, kind)
    with CaptureQueriesContext(connection) as few:
        few_notices = handler(run)
    assert few_notices > 0
    assert len(few.captured_queries) <= 7
    _classes_add(people, journal, 1, 5)
    run = _run(people, kind)
    with django_assert_max_num_queries(len(few.captured_queries)):
        many_notices = handler(run)
    if kind == K.FIRST_ATTENDANCE_DEPUTY:  # the deputy gets one notice however many
        assert DeadlineFinding.objects.filter(run=run).count() == 7
    else:
        assert many_notices > few_notices
