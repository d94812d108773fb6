"""The deputy's deadline status page (R-ATT-1, R-ATT-3, R-MRK-5, R-FIN-1, R-TEN-2): each
deadline of the day in the school's local time with how its job ran, and per class and per
teacher what was done in time, late or not at all; for the deputy, the director and the
administrator; a fixed number of queries whatever the number of classes and teachers.

Today is Tuesday 6 October 2026, 10:00 in Tomsk (the lyceum): 5А's first lesson is maths
at 08:55 (lesson 2, `teacher`); English in two groups at 09:50 (`teacher`, `english_teacher`)."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from journal.models import AbsenceReason, Attendance, AttendanceCheck, FinalKind, PeriodMark
from notifications.deadlines import status as ds
from notifications.models import DeadlineFinding, DeadlineKind, DeadlineRun
from schedule.models import Lesson

from .. import factories as f
from . import engine_fixtures

registry = engine_fixtures.registry  # the fixture

pytestmark = pytest.mark.django_db

K = DeadlineKind
What = DeadlineFinding.What
TOMSK = zoneinfo.ZoneInfo("Asia/Tomsk")
TODAY = dt.date(2026, 10, 6)


def at(hhmm: str, day: dt.date = TODAY, tz=TOMSK) -> dt.datetime:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=tz)


def url(slug="lyceum", day: dt.date | None = None) -> str:
    base = reverse("deadlines_status", args=[slug])
    return f"{base}?date={day:%Y-%m-%d}" if day else base


def page(client, user, **kwargs):
    client.force_login(user)
    response = client.get(url(**kwargs))
    assert response.status_code == 200
    return response


def taken(lesson, when: dt.datetime, by) -> AttendanceCheck:
    return AttendanceCheck.objects.create(
        school=lesson.school, lesson=lesson, taken_at=when, taken_by=by
    )


def absent(lesson, student, when: dt.datetime, by, **fields) -> Attendance:
    return Attendance.objects.create(
        school=lesson.school,
        lesson=lesson,
        student=student,
        kind=Attendance.Kind.ABSENT,
        created_at=when,
        created_by=by,
        updated_at=when,
        updated_by=by,
        **fields,
    )


def reason(student, when: dt.datetime, by, day=TODAY) -> AbsenceReason:
    return AbsenceReason.objects.create(
        school=student.school,
        student=student,
        date=day,
        reason=AbsenceReason.Reason.ILLNESS,
        set_by=by,
        set_at=when,
    )


def run_make(school, kind, day=TODAY, *, due="09:30", finished=None, late=False, error=""):
    due_at = at(due, day, school.tz)
    return DeadlineRun.objects.create(
        school=school,
        kind=kind,
        date=day,
        due_at=due_at,
        created_at=due_at,
        queued_at=due_at,
        started_at=finished,
        finished_at=finished,
        late=late,
        attempts=1,
        error=error,
    )


def rows(response, testid: str) -> dict[str, dict]:
    """{key: attributes} of the rows the page marks with data-testid (a tiny HTML reader)."""
    from html.parser import HTMLParser

    found = {}

    class Reader(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("data-testid") == testid:
                key = attrs.get("data-kind") or attrs.get("data-class") or attrs.get("data-teacher")
                found[key] = attrs

    Reader().feed(response.content.decode())
    return found


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["deputy", "director", "admin"])
def test_r_att_1_the_leadership_reads_the_page(client, people, journal, role):
    response = page(client, getattr(people, role))
    assert "notifications/deadlines_status.html" in [t.name for t in response.templates]


@pytest.mark.parametrize("role", ["teacher", "class_teacher", "parent", "student"])
def test_r_att_1_other_roles_are_refused(client, people, journal, role):
    client.force_login(getattr(people, role))
    assert client.get(url()).status_code == 403


def test_r_att_1_another_schools_page_is_404(client, people, journal):
    client.force_login(people.outsider)  # an administrator of the gymnasium only
    assert client.get(url("lyceum")).status_code == 404
    assert client.get(url("gymnasium")).status_code == 200


def test_r_att_1_the_page_is_read_only(client, people, journal):
    client.force_login(people.deputy)
    assert client.post(url()).status_code == 405


def test_r_att_1_anonymous_users_are_sent_to_sign_in(client, people, journal):
    response = client.get(url())
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


# --- the deadlines of the day --------------------------------------------------------------


def test_r_ten_2_each_deadline_with_its_local_time_and_how_its_job_ran(
    client, people, journal, settings
):
    """Done at 09:31; a catch-up run; a failure; one queued; one not yet due (16:00)."""
    lyceum = people.lyceum
    run_make(lyceum, K.LESSON_CONTENT_DEPUTY, due="08:00", finished=at("08:01"))
    run_make(lyceum, K.FIRST_ATTENDANCE, finished=at("09:31"))
    run_make(lyceum, K.FIRST_ATTENDANCE_DEPUTY, due="10:00", error="RuntimeError: boom")
    run_make(lyceum, K.ABSENCE_REASONS, due="10:00", finished=at("10:00"), late=True)

    response = page(client, people.deputy)

    lines = rows(response, "deadline")
    assert {k: v["data-state"] for k, v in lines.items()} == {
        K.LESSON_CONTENT_DEPUTY: "done",
        K.FIRST_ATTENDANCE: "done",
        K.FIRST_ATTENDANCE_DEPUTY: "error",
        K.ABSENCE_REASONS: "late",
        K.ABSENCE_DIGEST: "not_yet",
        K.LESSON_CONTENT: "not_yet",
    }
    assert list(lines) == [  # in the order of their local times
        K.LESSON_CONTENT_DEPUTY,
        K.FIRST_ATTENDANCE,
        K.FIRST_ATTENDANCE_DEPUTY,
        K.ABSENCE_REASONS,
        K.ABSENCE_DIGEST,
        K.LESSON_CONTENT,
    ]
    text = response.content.decode()
    assert "RuntimeError: boom" in text
    status = response.context["status"]
    first = next(d for d in status.deadlines if d.kind == K.FIRST_ATTENDANCE)
    assert (first.at, first.finished_at.strftime("%H:%M")) == (dt.time(9, 30), "09:31")


def test_r_ten_2_the_page_is_in_russian(client, people, journal):
    """R-NFR-3: the page's words come from the catalogue (Russian by default)."""
    run_make(people.lyceum, K.FIRST_ATTENDANCE, finished=at("09:31"))
    run_make(people.lyceum, K.ABSENCE_REASONS, due="10:00", finished=at("10:20"), late=True)

    text = page(client, people.deputy).content.decode()

    assert "Сроки дня" in text
    assert "выполнен в 09:31" in text
    assert "с опозданием, в 10:20 (догоняющий запуск)" in text
    assert "ещё не наступил" in text


def test_r_ten_2_a_deadline_passed_without_its_run_is_waiting_today_and_not_run_before(
    client, people, journal, registry
):
    registry(K.FIRST_ATTENDANCE, engine_fixtures.Recorder())
    today = rows(page(client, people.deputy), "deadline")
    monday = rows(page(client, people.deputy, day=TODAY - dt.timedelta(days=1)), "deadline")

    assert today[K.FIRST_ATTENDANCE]["data-state"] == "waiting"
    assert monday[K.FIRST_ATTENDANCE]["data-state"] == "not_run"
    assert monday[K.RECONCILIATION]["data-state"] == "not_run"


def test_r_ten_2_today_is_the_schools_local_day(client, people, journal):
    """At 18:30 UTC on Tuesday it is already Wednesday 01:30 in Tomsk."""
    with time_machine.travel(dt.datetime(2026, 10, 6, 18, 30, tzinfo=dt.UTC), tick=False):
        response = page(client, people.deputy)
    assert response.context["status"].day == dt.date(2026, 10, 7)
    assert response.context["status"].now.strftime("%H:%M") == "01:30"


def test_r_ten_2_a_day_that_cannot_be_read_is_today(client, people, journal):
    client.force_login(people.deputy)
    response = client.get(reverse("deadlines_status", args=["lyceum"]) + "?date=06.10.2026")
    assert response.context["status"].day == TODAY


def test_r_ten_2_a_holiday_is_not_a_school_day(client, people, journal):
    response = page(client, people.deputy, day=dt.date(2026, 11, 4))
    assert response.context["status"].is_school_day is False
    assert rows(response, "deadline") == {}
    assert 'data-testid="no-school"' in response.content.decode()


# --- per class -----------------------------------------------------------------------------


def test_r_att_1_the_first_lessons_register_in_time_late_or_missing(client, people, journal):
    """5А's first lesson is maths at 08:55: done when the register was taken by 9:30."""
    maths = journal.maths_today
    assert rows(page(client, people.deputy), "class")["5А"]["data-attendance"] == "missing"

    check = taken(maths, at("09:29"), people.teacher)
    assert rows(page(client, people.deputy), "class")["5А"]["data-attendance"] == "done"

    AttendanceCheck.objects.filter(pk=check.pk).update(taken_at=at("09:40"))
    response = page(client, people.deputy)
    assert rows(response, "class")["5А"]["data-attendance"] == "late"
    assert rows(response, "teacher")[str(people.teacher.pk)]["data-attendance"] == "late"
    assert "09:40" in response.content.decode()


def test_r_att_1_an_absence_entered_counts_as_the_register(client, people, journal):
    absent(journal.maths_today, people.student_record, at("09:05"), people.teacher)
    assert rows(page(client, people.deputy), "class")["5А"]["data-attendance"] == "done"


def test_r_att_1_before_the_deadline_the_register_is_not_yet_due(client, people, journal):
    with time_machine.travel(at("09:15"), tick=False):
        response = page(client, people.deputy)
    assert rows(response, "class")["5А"]["data-attendance"] == "pending"
    assert rows(response, "deadline")[K.FIRST_ATTENDANCE]["data-state"] == "not_yet"


def test_r_att_1_a_class_starting_after_the_deadline_is_not_concerned(client, people, journal):
    """The second shift: 5Б's first lesson at 13:30."""
    whole_5b = people.class_5b.groups.get(is_whole_class=True)
    Lesson.objects.create(
        school=people.lyceum,
        date=TODAY,
        number=6,
        starts_at=dt.time(13, 30),
        ends_at=dt.time(14, 15),
        school_class=people.class_5b,
        group=whole_5b,
        subject=people.maths,
        teacher=people.class_teacher,
    )
    classes = rows(page(client, people.deputy), "class")
    assert classes["5Б"]["data-attendance"] == "none"
    assert classes["5А"]["data-attendance"] == "missing"


def test_r_att_3_absence_reasons_in_time_late_and_missing(client, people, journal):
    """Two absent by 10:00: one with a reason at 09:50, one without; at 10:30 one more
    reason is set late; an absence entered at 10:20 is not the 10:00 check's."""
    maths = journal.maths_today
    absent(maths, people.student_record, at("09:00"), people.teacher)
    absent(maths, people.other_student_record, at("09:05"), people.teacher)
    reason(people.student_record, at("09:50"), people.class_teacher)

    with time_machine.travel(at("10:30"), tick=False):
        response = page(client, people.deputy)
    assert rows(response, "class")["5А"]["data-reasons"] == "missing"
    reasons = response.context["status"].classes[0].reasons
    assert (reasons.absent, reasons.done, reasons.missing) == (2, 1, 1)

    reason(people.other_student_record, at("10:25"), people.class_teacher)
    late_one = f.student_make(people.lyceum, people.class_5a, "Опоздалов")
    absent(journal.english_1_today, late_one, at("10:20"), people.teacher)
    with time_machine.travel(at("10:30"), tick=False):
        response = page(client, people.deputy)
    reasons = response.context["status"].classes[0].reasons
    assert rows(response, "class")["5А"]["data-reasons"] == "late"
    assert (reasons.absent, reasons.done, reasons.late, reasons.after_deadline) == (2, 1, 1, 1)


def test_r_att_3_reasons_before_the_deadline_are_still_to_record(client, people, journal):
    absent(journal.maths_today, people.student_record, at("09:00"), people.teacher)
    with time_machine.travel(at("09:45"), tick=False):
        response = page(client, people.deputy)
    assert rows(response, "class")["5А"]["data-reasons"] == "pending"


# --- per teacher ---------------------------------------------------------------------------


def lessons_checked(people, journal):
    """The 16:00 check found maths without a topic (still open) and English group 2 without
    its register (taken since, at 16:30)."""
    run = run_make(people.lyceum, K.LESSON_CONTENT, due="16:00", finished=at("16:00"))
    for lesson, what in (
        (journal.maths_today, What.TOPIC),
        (journal.english_2_today, What.ATTENDANCE),
    ):
        DeadlineFinding.objects.create(
            school=people.lyceum,
            run=run,
            what=what,
            teacher=lesson.teacher,
            school_class=lesson.school_class,
            lesson=lesson,
            subject=lesson.subject,
            date=TODAY,
        )
    taken(journal.english_1_today, at("09:55"), people.teacher)
    taken(journal.english_2_today, at("16:30"), journal.english_teacher)
    return run


def test_r_mrk_5_each_teachers_lessons_in_time_late_or_missing(client, people, journal):
    lessons_checked(people, journal)
    with time_machine.travel(at("17:00"), tick=False):
        response = page(client, people.deputy)

    teachers = rows(response, "teacher")
    assert teachers[str(people.teacher.pk)]["data-lessons"] == "missing"
    assert teachers[str(journal.english_teacher.pk)]["data-lessons"] == "late"
    status = {t.pk: t for t in response.context["status"].teachers}
    mine = status[people.teacher.pk]
    assert (mine.lessons, mine.lessons_done) == (2, 1)
    assert [(i.number, i.missing) for i in mine.lessons_missing] == [(2, [What.TOPIC])]
    theirs = status[journal.english_teacher.pk]
    assert (theirs.lessons, theirs.lessons_done, len(theirs.lessons_late)) == (1, 0, 1)


def test_r_mrk_5_before_the_check_the_lessons_are_not_yet_due(client, people, journal):
    teachers = rows(page(client, people.deputy), "teacher")
    assert {t["data-lessons"] for t in teachers.values()} == {"pending"}


def test_r_fin_1_period_marks_per_teacher_and_course(client, people, journal):
    """The period marks check of 28 October found two students of 5А maths without their
    first-quarter mark; one has been given it since (late), one not (missing)."""
    quarter = journal.quarters[0]
    check_day = dt.date(2026, 10, 28)
    run = run_make(
        people.lyceum, K.PERIOD_MARKS, check_day, due="12:00", finished=at("12:00", check_day)
    )
    for student in (people.student_record, people.other_student_record):
        DeadlineFinding.objects.create(
            school=people.lyceum,
            run=run,
            what=What.PERIOD_MARK,
            teacher=people.teacher,
            school_class=people.class_5a,
            student=student,
            subject=people.maths,
            period=quarter,
            date=quarter.ends_on,
        )
    PeriodMark.objects.create(
        school=people.lyceum,
        student=people.other_student_record,
        subject=people.maths,
        year=people.year,
        kind=FinalKind.PERIOD,
        period=quarter,
        group=people.class_5a.groups.get(is_whole_class=True),
        value="4",
        set_at=at("09:00", dt.date(2026, 10, 29)),
        set_by=people.teacher,
    )
    day = dt.date(2026, 10, 29)
    with time_machine.travel(at("10:00", day), tick=False):
        response = page(client, people.deputy, day=day)

    assert rows(response, "teacher")[str(people.teacher.pk)]["data-period-marks"] == "missing"
    (course,) = {t.pk: t for t in response.context["status"].teachers}[people.teacher.pk].courses
    assert (course.course, course.subject, course.missing, course.late) == (
        "5А",
        "Математика",
        1,
        1,
    )


# --- the gymnasium, another zone ------------------------------------------------------------


def test_r_ten_2_the_gymnasiums_deadlines_are_in_its_own_zone(client, people, journal):
    """At 03:00 UTC it is 10:00 in Tomsk but 08:00 in Yekaterinburg: the gymnasium's 9:30
    has not come yet."""
    gymnasium = people.gymnasium
    f.member(people.deputy, gymnasium, Role.DEPUTY)

    lines = rows(page(client, people.deputy, slug="gymnasium"), "deadline")

    assert lines[K.FIRST_ATTENDANCE]["data-state"] == "not_yet"
    assert lines[K.LESSON_CONTENT_DEPUTY]["data-state"] == "waiting" or (
        lines[K.LESSON_CONTENT_DEPUTY]["data-state"] == "not_run"
    )


# --- cost ----------------------------------------------------------------------------------


def more_classes(people, n: int):
    """n more classes, each with a first lesson at 08:00 by a teacher of its own, an absence
    without a reason, and a finding of the 16:00 check."""
    run = DeadlineRun.objects.filter(kind=K.LESSON_CONTENT).first()
    maths = people.maths
    for i in range(n):
        teacher = f.UserFactory(username=f"more-teacher-{i}")
        f.member(teacher, people.lyceum, Role.TEACHER)
        school_class = f.class_make(people.lyceum, people.year, 6 + i % 5, "АБВГД"[i // 5])
        student = f.student_make(people.lyceum, school_class, f"Ученик{i}")
        lesson = Lesson.objects.create(
            school=people.lyceum,
            date=TODAY,
            number=1,
            starts_at=dt.time(8, 0),
            ends_at=dt.time(8, 45),
            school_class=school_class,
            group=school_class.groups.get(is_whole_class=True),
            subject=maths,
            teacher=teacher,
        )
        absent(lesson, student, at("08:10"), teacher)
        DeadlineFinding.objects.create(
            school=people.lyceum,
            run=run,
            what=What.HOMEWORK,
            teacher=teacher,
            school_class=school_class,
            lesson=lesson,
            subject=maths,
            date=TODAY,
        )


def test_r_att_1_the_page_costs_the_same_queries_for_2_or_12_classes(
    client, people, journal, django_assert_max_num_queries
):
    """Queries: the user (1; the session is in the cache), the school access (1), the
    calendar (3), the periods (1), the runs (1), the day's lessons (1), the absences (1),
    the findings (1), what was put right of them (the register 1, topics and homework 1):
    12, for 2 classes and 3 teachers as for 12 classes and 13 teachers."""
    lessons_checked(people, journal)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url()).status_code == 200
        return len(queries)

    with time_machine.travel(at("17:00"), tick=False):
        client.force_login(people.deputy)
        few = count()
        more_classes(people, 10)
        many = count()
        assert len(rows(client.get(url()), "class")) == 11
        assert len(rows(client.get(url()), "teacher")) == 12
        with django_assert_max_num_queries(12):
            client.get(url())
    assert many == few
    # the selector alone: the page's queries less the user and the access
    with CaptureQueriesContext(connection) as queries:
        ds.day_status(people.lyceum, TODAY)
    assert len(queries) == few - 2 == 10
