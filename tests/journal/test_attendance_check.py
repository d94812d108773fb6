"""The register taken at a lesson (R-ATT-1, R-ATT-2): the "attendance marked, everybody
else present" button and its service, the check written by the first attendance cell the
teacher saves, the state on the lesson page and today's unmarked lesson in the grid."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import WorkType
from journal.models import AbsenceNotice, Attendance, AttendanceCheck
from journal.rules import Refusal
from journal.services.attendance_check import attendance_check_mark
from journal.services.cells import attendance_set
from journal.services.notices import absence_notice_file
from schedule.models import Lesson

from .conftest import lesson_on
from .test_grid import course_url, post_cell

pytestmark = pytest.mark.django_db

TUE = dt.date(2026, 10, 6)
WED = dt.date(2026, 10, 7)


def at_tomsk(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour - 7, minute, tzinfo=dt.UTC)


def url(people, lesson, name="journal_lesson_attendance_check"):
    return reverse(name, args=[people.lyceum.slug, lesson.pk])


@pytest.fixture
def answer(people):
    return WorkType.objects.get(school=people.lyceum, code="answer")


# --- the service -------------------------------------------------------------------------


def test_r_att_1_marking_records_who_and_when_and_a_second_press_keeps_the_first(people, journal):
    lesson = journal.maths_today  # 08:55; it is 10:00
    with time_machine.travel(at_tomsk(TUE, 9, 2), tick=False):
        check = attendance_check_mark(actor=people.teacher, lesson=lesson)
    assert check.taken_by == people.teacher
    assert check.taken_at == at_tomsk(TUE, 9, 2)
    assert check.school == people.lyceum
    again = attendance_check_mark(actor=people.teacher, lesson=lesson)
    assert again.taken_at == at_tomsk(TUE, 9, 2)
    assert AttendanceCheck.objects.count() == 1


def test_r_att_1_a_lesson_not_started_yet_is_refused(people, journal):
    with (
        time_machine.travel(at_tomsk(TUE, 8, 50), tick=False),
        pytest.raises(Refusal) as refused,
    ):
        attendance_check_mark(actor=people.teacher, lesson=journal.maths_today)
    assert refused.value.code == "future"
    assert "Урок ещё не начался" in refused.value.message
    assert not AttendanceCheck.objects.exists()


def test_r_att_1_only_the_teacher_or_the_substitute_marks(people, journal):
    for who in (journal.english_teacher, people.class_teacher, people.deputy):
        with pytest.raises(Refusal) as refused:
            attendance_check_mark(actor=who, lesson=journal.maths_today)
        assert refused.value.code == "forbidden"
    lesson = journal.maths_today
    Lesson.objects.filter(pk=lesson.pk).update(
        substitute=journal.english_teacher, change_reason="Болезнь"
    )
    lesson.refresh_from_db()
    check = attendance_check_mark(actor=journal.english_teacher, lesson=lesson)
    assert check.taken_by == journal.english_teacher


def test_r_att_2_cancelled_and_locked_lessons_are_refused(people, journal):
    lesson = journal.maths_today
    Lesson.objects.filter(pk=lesson.pk).update(is_cancelled=True, change_reason="Карантин")
    lesson.refresh_from_db()
    with pytest.raises(Refusal) as refused:
        attendance_check_mark(actor=people.teacher, lesson=lesson)
    assert refused.value.code == "cancelled"
    old = lesson_on(people, dt.date(2026, 9, 28))  # attendance is entered within 2 days
    with pytest.raises(Refusal) as refused:
        attendance_check_mark(actor=people.teacher, lesson=old)
    assert refused.value.code == "locked"
    assert not AttendanceCheck.objects.exists()


# --- the cell writes it --------------------------------------------------------------------


def test_r_att_1_the_first_saved_cell_writes_the_check_once(people, journal):
    lesson = journal.maths_today
    with (
        time_machine.travel(at_tomsk(TUE, 9, 5), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        attendance_set(
            actor=people.teacher,
            lesson=lesson,
            student=people.student_record,
            kind=Attendance.Kind.ABSENT,
            expected="",
        )
    inserts = [q for q in queries.captured_queries if "journal_attendancecheck" in q["sql"]]
    assert len(inserts) == 1  # one query more than before
    check = AttendanceCheck.objects.get()
    assert (check.lesson, check.taken_by, check.taken_at) == (
        lesson,
        people.teacher,
        at_tomsk(TUE, 9, 5),
    )
    # later changes keep the first time
    attendance_set(
        actor=people.teacher,
        lesson=lesson,
        student=people.student_record,
        kind="",
        expected=None,
    )
    attendance_set(
        actor=people.teacher,
        lesson=lesson,
        student=people.other_student_record,
        kind=Attendance.Kind.LATE,
        expected="",
    )
    assert AttendanceCheck.objects.get().taken_at == at_tomsk(TUE, 9, 5)


def test_r_att_1_a_cell_saved_in_the_grid_writes_the_check(client, people, journal, answer):
    client.force_login(people.teacher)
    response = post_cell(client, journal.maths_today, people.student_record, answer, "н")
    assert response.status_code == 200
    assert AttendanceCheck.objects.get().lesson == journal.maths_today


@pytest.mark.parametrize("kind", [Attendance.Kind.ABSENT, ""])
def test_r_att_4_confirming_or_clearing_a_parents_notice_takes_the_register(people, journal, kind):
    absence_notice_file(
        actor=people.parent,
        student=people.student_record,
        starts_on=WED,
        ends_on=WED,
        reason=AbsenceNotice.Reason.ILLNESS,
    )
    lesson = lesson_on(people, WED)
    assert Attendance.objects.get(lesson=lesson).pending  # not the teacher's register
    assert not AttendanceCheck.objects.exists()
    with time_machine.travel(at_tomsk(WED, 9), tick=False):
        attendance_set(
            actor=people.teacher,
            lesson=lesson,
            student=people.student_record,
            kind=kind,
            expected=None,
        )
    assert AttendanceCheck.objects.get().taken_at == at_tomsk(WED, 9)


# --- the lesson page -----------------------------------------------------------------------


def test_r_att_1_the_page_says_not_marked_and_offers_the_button(client, people, journal):
    client.force_login(people.teacher)
    html = client.get(url(people, journal.maths_today, "journal_lesson")).content.decode()
    assert "Посещаемость не отмечена" in html
    assert 'data-testid="register-mark"' in html
    assert "Посещаемость отмечена: остальные присутствуют" in html


def test_r_att_1_the_button_marks_it_and_the_page_shows_when_and_who(client, people, journal):
    with time_machine.travel(at_tomsk(TUE, 9, 12), tick=False):
        client.force_login(people.teacher)
        response = client.post(url(people, journal.maths_today))
        assert response.status_code == 302
        assert response.url == url(people, journal.maths_today, "journal_lesson")
        html = client.get(response.url).content.decode()
    assert "Посещаемость отмечена в 09:12 (Учителев У.)" in html  # Tomsk time, not UTC
    assert 'data-testid="register-mark"' not in html
    assert AttendanceCheck.objects.get().taken_by == people.teacher


def test_r_att_1_htmx_answers_with_the_partial(client, people, journal):
    client.force_login(people.teacher)
    response = client.post(url(people, journal.maths_today), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="attendance-check"')
    assert "Посещаемость отмечена в 10:00 (Учителев У.)" in html
    assert "<html" not in html


def test_r_att_1_a_lesson_not_started_is_refused_on_the_page(client, people, journal):
    client.force_login(people.teacher)
    later = lesson_on(people, WED)
    html = client.get(url(people, later, "journal_lesson")).content.decode()
    assert "Посещаемость не отмечена" in html
    assert 'data-testid="register-mark"' not in html  # no button before the lesson
    response = client.post(url(people, later))
    assert response.status_code == 400
    assert "Урок ещё не начался: посещаемость отмечают после его начала." in (
        response.content.decode()
    )
    response = client.post(url(people, later), headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert 'data-testid="register-error"' in response.content.decode()
    assert not AttendanceCheck.objects.exists()


def test_r_att_1_readers_see_the_state_without_the_button(client, people, journal):
    attendance_check_mark(actor=people.teacher, lesson=journal.maths_today)
    for who in (people.class_teacher, people.deputy, people.director):
        client.force_login(who)
        html = client.get(url(people, journal.maths_today, "journal_lesson")).content.decode()
        assert "Посещаемость отмечена в 10:00 (Учителев У.)" in html
        assert 'data-testid="register-mark"' not in html


def test_r_att_1_an_absence_entered_counts_as_marked(client, people, journal):
    attendance_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        kind=Attendance.Kind.ABSENT,
        expected="",
    )
    AttendanceCheck.objects.all().delete()  # a row entered before the check existed
    client.force_login(people.teacher)
    html = client.get(url(people, journal.maths_today, "journal_lesson")).content.decode()
    assert 'data-testid="register-taken"' in html
    assert 'data-testid="register-mark"' not in html


@pytest.mark.parametrize("who", ["class_teacher", "deputy", "director", "parent", "student"])
def test_r_role_3_readers_and_other_roles_cannot_mark(client, people, journal, who):
    client.force_login(getattr(people, who))
    assert client.post(url(people, journal.maths_today)).status_code == 403
    assert not AttendanceCheck.objects.exists()


def test_r_role_3_another_teacher_cannot_mark(client, people, journal):
    client.force_login(journal.english_teacher)
    assert client.post(url(people, journal.maths_today)).status_code == 403
    assert not AttendanceCheck.objects.exists()


def test_r_ten_1_a_lesson_of_another_school_is_404(client, people, journal):
    client.force_login(people.outsider)
    assert client.post(url(people, journal.maths_today)).status_code == 404
    own = reverse(
        "journal_lesson_attendance_check", args=[people.gymnasium.slug, journal.maths_today.pk]
    )
    assert client.post(own).status_code == 404
    assert not AttendanceCheck.objects.exists()


def test_the_button_refuses_other_methods(client, people, journal):
    client.force_login(people.teacher)
    assert client.get(url(people, journal.maths_today)).status_code == 405
    assert client.put(url(people, journal.maths_today)).status_code == 405


def test_the_page_reads_the_register_in_the_lessons_query(
    client, people, journal, django_assert_max_num_queries
):
    attendance_check_mark(actor=people.teacher, lesson=journal.maths_today)
    client.force_login(people.teacher)
    # as in test_lesson_views: the register costs no query of its own
    with django_assert_max_num_queries(17):
        response = client.get(url(people, journal.maths_today, "journal_lesson"))
    assert "Посещаемость отмечена в 10:00" in response.content.decode()


# --- the grid ------------------------------------------------------------------------------


def test_r_att_1_the_grid_flags_todays_started_lesson_until_marked(client, people, journal):
    client.force_login(people.teacher)
    with CaptureQueriesContext(connection) as before:
        html = client.get(course_url(people)).content.decode()
    head = f'data-lesson-head="{journal.maths_today.pk}"'
    assert html.count("data-register-due") == 1
    assert html.index(head) < html.index("data-register-due")
    # other days, past or future, are not flagged
    assert html.index("data-register-due") < html.index("</th>", html.index(head))
    attendance_check_mark(actor=people.teacher, lesson=journal.maths_today)
    with CaptureQueriesContext(connection) as after:
        html = client.get(course_url(people)).content.decode()
    assert "data-register-due" not in html
    assert len(after.captured_queries) == len(before.captured_queries)


def test_r_att_1_the_grid_does_not_flag_a_lesson_not_started(client, people, journal):
    with time_machine.travel(at_tomsk(TUE, 8, 30), tick=False):
        client.force_login(people.teacher)
        response = client.get(course_url(people))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-lesson-head="{journal.maths_today.pk}"' in html
    assert "data-register-due" not in html
