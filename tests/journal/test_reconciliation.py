"""The weekly reconciliation of a class's absences (R-ATT-3): each Monday the class teacher
goes through last week's absences and lates by subject, with who marked them and when, and
records the reasons still missing."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from journal.services.absence import absence_reason_set
from journal.services.cells import attendance_set
from schedule.models import AcademicYear

from .. import factories as f
from .conftest import lesson_on
from .test_absence_reason_set import at_noon, mark_absent

TUE_29 = dt.date(2026, 9, 29)
THU_1 = dt.date(2026, 10, 1)


def url(people, school_class=None, week=None):
    address = reverse(
        "journal_class_reconciliation",
        args=[people.lyceum.slug, (school_class or people.class_5a).pk],
    )
    return f"{address}?week={week}" if week else address


def html(response) -> str:
    return response.content.decode()


def sections(text: str) -> dict[str, str]:
    """{subject: its section} of the page."""
    found = re.findall(
        r'<section class="card" data-testid="subject">\s*<h2>([^<]+?) <(.*?)</section>', text, re.S
    )
    return {name: body for name, body in found}


@pytest.fixture
def last_week(people, journal):
    """Last week of 5А: the student absent from maths on Tuesday and Thursday and late for
    English (group 1) on Tuesday; the other student absent from English (group 2) on
    Tuesday, marked by the English teacher; an illness reason for the student's Tuesday."""
    mark_absent(people, TUE_29)
    mark_absent(people, THU_1)
    english_1 = lesson_on(people, TUE_29, group=people.english_1, subject=people.english)
    english_2 = lesson_on(people, TUE_29, group=people.english_2, subject=people.english)
    with time_machine.travel(at_noon(TUE_29), tick=False):
        attendance_set(
            actor=people.teacher,
            lesson=english_1,
            student=people.student_record,
            kind="late",
            expected=None,
        )
        attendance_set(
            actor=journal.english_teacher,
            lesson=english_2,
            student=people.other_student_record,
            kind="absent",
            expected=None,
        )
    absence_reason_set(
        actor=people.class_teacher,
        student=people.student_record,
        date_from=TUE_29,
        date_to=TUE_29,
        reason="illness",
        note="справка №7",
    )
    return people


def test_r_att_3_last_weeks_absences_by_subject_with_who_marked_them(client, last_week):
    people = last_week
    client.force_login(people.class_teacher)
    response = client.get(url(people))
    assert response.status_code == 200
    text = html(response)
    assert "28.09 — 04.10.2026" in text  # last week by default
    assert "Пропущено уроков: 3, опозданий: 1." in text
    by_subject = sections(text)
    assert list(by_subject) == ["Английский язык", "Математика"]
    english, maths = by_subject["Английский язык"], by_subject["Математика"]
    assert "пропусков: 1, опозданий: 1" in english and "без причины: 1" in english
    assert "пропусков: 2, опозданий: 0" in maths and "без причины: 1" in maths
    # who marked and when (the school's time), and the subject teachers
    assert "Англичанова А., 29.09 12:00" in english
    assert "Учителев У., 29.09 12:00" in english
    assert "Англичанова А." in english and "Учителев У." in english
    assert "(2 группа)" in english
    # the day's reason next to each absence
    maths_rows = re.findall(r"<tr>.*?</tr>", maths.split("<tbody>")[1], re.S)
    assert len(maths_rows) == 2
    assert "Вт 29.09" in maths_rows[0] and "болезнь" in maths_rows[0]
    assert "справка №7" in maths_rows[0]
    assert "Чт 01.10" in maths_rows[1] and "не указана" in maths_rows[1]


def test_r_att_3_days_without_a_reason_link_to_the_attendance_page(client, last_week):
    people = last_week
    client.force_login(people.class_teacher)
    text = html(client.get(url(people)))
    missing = re.search(r'data-testid="missing-reasons">(.*?)</section>', text, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", missing, re.S)
    assert len(items) == 2
    assert "Вт 29.09" in items[0] and "Другов Дмитрий" in items[0] and "Английский" in items[0]
    assert "Чт 01.10" in items[1] and "Родителев Степан" in items[1] and "Математика" in items[1]
    attendance = reverse("journal_class_attendance", args=[people.lyceum.slug, people.class_5a.pk])
    assert f"{attendance}?week=2026-09-28#student-{people.student_record.pk}" in items[1]


def test_r_att_3_reasons_recorded_empty_the_missing_list(client, last_week):
    people = last_week
    for student, day in (
        (people.student_record, THU_1),
        (people.other_student_record, TUE_29),
    ):
        absence_reason_set(
            actor=people.class_teacher,
            student=student,
            date_from=day,
            date_to=day,
            reason="invalid",
        )
    client.force_login(people.class_teacher)
    text = html(client.get(url(people)))
    assert "У всех пропусков недели указана причина." in text
    assert "без причины:" not in text and "att-unexplained" not in text


def test_r_att_3_a_changed_mark_shows_who_changed_it(client, last_week):
    people = last_week
    lesson = lesson_on(people, THU_1)
    with time_machine.travel(at_noon(dt.date(2026, 10, 2)), tick=False):
        attendance_set(
            actor=people.teacher,
            lesson=lesson,
            student=people.student_record,
            kind="late",
            expected=None,
        )
    client.force_login(people.class_teacher)
    maths = sections(html(client.get(url(people))))["Математика"]
    assert "изменил(а) Учителев У., 02.10 12:00" in maths
    assert "пропусков: 1, опозданий: 1" in maths


def test_r_att_3_other_weeks(client, last_week):
    people = last_week
    mark_absent(people, dt.date(2026, 10, 5))
    client.force_login(people.class_teacher)
    text = html(client.get(url(people, week="2026-10-07")))
    assert "05.10 — 11.10.2026" in text
    assert "Пропущено уроков: 1, опозданий: 0." in text
    text = html(client.get(url(people, week="2026-09-21")))
    assert "На этой неделе нет пропусков и опозданий." in text
    assert "У всех пропусков недели указана причина." in text


def test_r_att_3_absences_before_a_student_joined_are_not_the_class_teachers(
    client, people, journal
):
    """A student who left 5А on Wednesday: his Thursday in 5Б is not on 5А's page."""
    from schedule.models import Order
    from schedule.services.contingent import student_transfer

    mark_absent(people, TUE_29)
    order = Order.objects.create(
        school=people.lyceum, number="8-п", date=dt.date(2026, 9, 29), kind=Order.Kind.TRANSFER
    )
    # he is absent on Thursday before the transfer is entered ...
    mark_absent(people, THU_1)
    # ... which takes effect from Wednesday
    student_transfer(
        student=people.student_record,
        to_class=people.class_5b,
        order=order,
        on=dt.date(2026, 9, 30),
    )
    client.force_login(people.class_teacher)
    text = html(client.get(url(people)))
    assert "Пропущено уроков: 1, опозданий: 0." in text


# ------------------------------------------------------------------ access


@pytest.mark.parametrize("who", ["class_teacher", "deputy", "director"])
def test_r_att_3_who_reads_the_reconciliation(client, last_week, who):
    client.force_login(getattr(last_week, who))
    assert client.get(url(last_week)).status_code == 200


@pytest.mark.parametrize("who", ["teacher", "admin", "parent", "student"])
def test_r_att_3_others_are_refused_the_reconciliation(client, people, journal, who):
    client.force_login(getattr(people, who))
    assert client.get(url(people)).status_code == 403


def test_r_att_3_class_teacher_of_another_class_is_refused(client, people, journal):
    client.force_login(people.class_teacher)
    assert client.get(url(people, people.class_5b)).status_code == 403


def test_r_att_3_reconciliation_of_another_school(client, people, journal):
    client.force_login(people.outsider)
    assert client.get(url(people)).status_code == 404
    year = AcademicYear.objects.get(school=people.gymnasium)
    foreign = f.class_make(people.gymnasium, year, 7, "В")
    client.force_login(people.deputy)
    assert client.get(url(people, foreign)).status_code == 404


def test_r_att_3_reconciliation_is_read_only(client, people, journal):
    client.force_login(people.class_teacher)
    assert client.post(url(people)).status_code == 405


# ------------------------------------------------------------------ query count


def test_r_att_3_reconciliation_query_count_does_not_grow_with_students(
    client, last_week, django_assert_max_num_queries
):
    """Queries: the session, the user, the memberships with their schools (school_view);
    the class; the enrolments, the attendance marks with lessons, subjects, teachers and
    who marked them, the reasons (class_reconciliation); the session's save (3)."""
    people = last_week
    client.force_login(people.class_teacher)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(people)).status_code == 200
    for n in range(6):
        student = f.student_make(people.lyceum, people.class_5a, f"Ученик{n:02d}")
        mark_absent(people, TUE_29, student=student)
        mark_absent(people, THU_1, student=student, kind="late")
    with django_assert_max_num_queries(10):
        text = html(client.get(url(people)))
    assert "Пропущено уроков: 9, опозданий: 7." in text
    with CaptureQueriesContext(connection) as many:
        client.get(url(people))
    assert len(many) == len(few)
