"""The class teacher's attendance page (R-ATT-1..3): absences and lates marked per lesson
are on it the same day; reasons per day (plain form and htmx) and per range; the way in;
access, other schools, methods and the query count."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from journal.models import AbsenceReason, JournalChange
from journal.services.absence import absence_reason_set
from journal.services.cells import attendance_set
from schedule.models import AcademicYear

from .. import factories as f
from .test_absence_reason_set import MON, TUE, mark_absent

WED = dt.date(2026, 10, 7)


def url(name, people, *args):
    return reverse(name, args=[people.lyceum.slug, *args])


def page_url(people, school_class=None, week=None):
    address = url("journal_class_attendance", people, (school_class or people.class_5a).pk)
    return f"{address}?week={week}" if week else address


def reason_url(people):
    return url("journal_absence_reason", people, people.class_5a.pk)


def html(response) -> str:
    return response.content.decode()


def row_of(text: str, student) -> str:
    """The <tr> of the student on the page."""
    match = re.search(rf'<tr id="student-{student.pk}".*?</tr>', text, re.S)
    assert match, f"no row for {student}"
    return match.group(0)


def cell_of(row: str, day: dt.date) -> str:
    match = re.search(rf'<td class="att-day[^"]*" data-day="{day:%Y-%m-%d}">.*?</td>', row, re.S)
    assert match, f"no cell for {day}"
    return match.group(0)


def totals_of(row: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="num[^"]*">(\d+)</td>', row)]


# ------------------------------------------------------------------ R-ATT-1, R-ATT-2


def test_r_att_1_an_absence_marked_this_morning_is_on_the_class_teachers_page(
    client, people, journal
):
    """Today (Tuesday, 10:00) the maths teacher marks the student absent at lesson 2: the
    class teacher sees it on his page at once, in today's cell, with the lesson."""
    attendance_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        kind="absent",
        expected="",
    )
    client.force_login(people.class_teacher)
    response = client.get(page_url(people))
    assert response.status_code == 200
    text = html(response)
    assert "05.10 — 11.10.2026" in text  # the current week by default
    cell = cell_of(row_of(text, people.student_record), TUE)
    assert "needs-reason" in cell
    assert "н&nbsp;1" in cell
    assert "2. Математика — н" in cell
    assert totals_of(row_of(text, people.student_record)) == [0, 0, 1, 0]
    assert totals_of(row_of(text, people.other_student_record)) == [0, 0, 0, 0]


def test_r_att_2_lates_and_absences_of_several_lessons_by_day(client, people, journal):
    mark_absent(people, MON)
    attendance_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        kind="absent",
        expected="",
    )
    attendance_set(
        actor=people.teacher,
        lesson=journal.english_1_today,
        student=people.student_record,
        kind="late",
        expected="",
    )
    client.force_login(people.class_teacher)
    text = html(client.get(page_url(people)))
    row = row_of(text, people.student_record)
    today = cell_of(row, TUE)
    assert "н&nbsp;1" in today and "оп&nbsp;1" in today
    assert "2. Математика — н" in today and "3. Английский язык — оп" in today
    assert "н&nbsp;1" in cell_of(row, MON)
    assert "н&nbsp;" not in cell_of(row, WED)
    # no reason yet for two missed lessons, one late
    assert totals_of(row) == [0, 0, 2, 1]


def test_r_att_3_totals_split_by_the_days_reasons(client, people, journal):
    mark_absent(people, MON)
    mark_absent(people, TUE, kind="late")
    mark_absent(people, MON, student=people.other_student_record)
    for student, reason in (
        (people.student_record, AbsenceReason.Reason.ILLNESS),
        (people.other_student_record, AbsenceReason.Reason.INVALID),
    ):
        absence_reason_set(
            actor=people.class_teacher, student=student, date_from=MON, date_to=MON, reason=reason
        )
    client.force_login(people.class_teacher)
    text = html(client.get(page_url(people)))
    assert totals_of(row_of(text, people.student_record)) == [1, 0, 0, 1]
    assert totals_of(row_of(text, people.other_student_record)) == [0, 1, 0, 0]
    totals = re.search(r'<tr data-testid="totals">.*?</tr>', text, re.S).group(0)
    assert totals_of(totals) == [1, 1, 0, 1]
    assert "needs-reason" not in text


# ------------------------------------------------------------------ R-ATT-3: saving reasons


def test_r_att_3_the_days_reason_saves_without_javascript(client, people, journal):
    mark_absent(people, MON)
    client.force_login(people.class_teacher)
    text = html(client.get(page_url(people)))
    cell = cell_of(row_of(text, people.student_record), MON)
    assert 'name="reason"' in cell and 'value="2026-10-05"' in cell
    response = client.post(
        reason_url(people),
        {
            "student": people.student_record.pk,
            "date": "2026-10-05",
            "reason": "illness",
            "note": "",
            "week": "2026-10-05",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(people, week="2026-10-05")
    row = AbsenceReason.objects.get()
    assert (row.date, row.reason, row.set_by) == (MON, "illness", people.class_teacher)
    text = html(client.get(response["Location"]))
    assert "Причина пропуска (Родителев Степан) указана за 1 учебный день." in text
    cell = cell_of(row_of(text, people.student_record), MON)
    assert '<option value="illness" selected>болезнь</option>' in cell
    assert "needs-reason" not in cell


def test_r_att_3_htmx_save_returns_the_students_row(client, people, journal):
    mark_absent(people, MON)
    absence_reason_set(
        actor=people.class_teacher,
        student=people.student_record,
        date_from=MON,
        date_to=MON,
        reason="invalid",
        note="справка №3",
    )
    client.force_login(people.class_teacher)
    response = client.post(
        reason_url(people),
        {
            "student": people.student_record.pk,
            "date": "2026-10-05",
            "reason": "valid",
            "note": "справка №3",
            "week": "2026-10-05",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = html(response)
    assert text.strip().startswith(f'<tr id="student-{people.student_record.pk}"')
    assert "<html" not in text
    cell = cell_of(text, MON)
    assert '<option value="valid" selected>' in cell
    assert "Сохранено." in cell and "справка №3" in cell
    assert totals_of(text) == [1, 0, 0, 0]
    # the note stays with the day when only the reason changes in the cell
    assert AbsenceReason.objects.get().note == "справка №3"
    # and an empty choice removes the reason
    response = client.post(
        reason_url(people),
        {"student": people.student_record.pk, "date": "2026-10-05", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert not AbsenceReason.objects.exists()
    assert totals_of(html(response)) == [0, 0, 1, 0]


def test_r_att_3_htmx_refusal_shows_in_the_cell(client, people, journal):
    client.force_login(people.class_teacher)
    response = client.post(
        reason_url(people),
        {"student": people.student_record.pk, "date": "2026-10-07", "reason": "illness"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    cell = cell_of(html(response), WED)
    assert "позже сегодняшнего дня" in cell and 'role="alert"' in cell
    assert not AbsenceReason.objects.exists()


def test_r_att_3_htmx_without_a_student_is_not_swapped_in(client, people, journal):
    """A save the page has no row for answers 422: the page's script says it was not saved."""
    client.force_login(people.class_teacher)
    response = client.post(
        reason_url(people),
        {"student": people.sibling_record.pk, "date": "2026-10-05", "reason": "illness"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Выберите ученика класса." in html(response)
    assert "<tr" not in html(response)


def test_r_att_3_range_form_records_a_sick_note(client, people, journal):
    mark_absent(people, dt.date(2026, 9, 29))
    client.force_login(people.class_teacher)
    response = client.post(
        reason_url(people),
        {
            "student": people.student_record.pk,
            "date_from": "2026-09-28",
            "date_to": "2026-10-06",
            "reason": "illness",
            "note": "справка №45",
            "week": "2026-09-28",
        },
        follow=True,
    )
    text = html(response)
    assert "Причина пропуска (Родителев Степан) указана за 7 учебных дней." in text
    assert AbsenceReason.objects.filter(note="справка №45").count() == 7
    assert JournalChange.objects.filter(subject_kind="reason").count() == 7
    cell = cell_of(row_of(text, people.student_record), dt.date(2026, 9, 29))
    assert '<option value="illness" selected>' in cell and "справка №45" in cell
    assert totals_of(row_of(text, people.student_record)) == [1, 0, 0, 0]


def test_r_att_3_range_removal(client, people, journal):
    absence_reason_set(
        actor=people.class_teacher,
        student=people.student_record,
        date_from=dt.date(2026, 9, 28),
        date_to=TUE,
        reason="illness",
    )
    client.force_login(people.class_teacher)
    response = client.post(
        reason_url(people),
        {
            "student": people.student_record.pk,
            "date_from": "2026-10-01",
            "date_to": "2026-10-06",
            "reason": "",
        },
        follow=True,
    )
    assert "с 01.10.2026 по 06.10.2026 удалены" in html(response)
    assert AbsenceReason.objects.count() == 3


@pytest.mark.parametrize(
    "data, message",
    [
        ({"date_from": "2026-10-05", "date_to": "2026-10-09"}, "позже сегодняшнего дня"),
        ({"date_from": "2026-10-05", "date_to": "2026-10-01"}, "Последний день периода раньше"),
        ({"date_from": "05.10.2026x"}, "Введите правильную дату"),
        ({"date_from": ""}, "Укажите первый день."),
        ({"date_from": "2026-10-03"}, "нет учебных дней"),
        ({"date_from": "2026-10-05", "reason": "flu"}, "Выберите корректный вариант"),
    ],
)
def test_r_att_3_bad_range_input_is_said_on_the_page(client, people, journal, data, message):
    client.force_login(people.class_teacher)
    response = client.post(
        reason_url(people),
        {"student": people.student_record.pk, "reason": "illness", "note": "справка", **data},
    )
    assert response.status_code == 400
    text = html(response)
    assert message in text
    assert 'data-testid="attendance"' in text  # the page with its form, not an error page
    assert 'value="справка"' in text  # what he typed is kept
    assert not AbsenceReason.objects.exists()


def test_r_att_3_another_class_student_is_refused(client, people, journal):
    client.force_login(people.class_teacher)
    response = client.post(
        reason_url(people),
        {"student": people.sibling_record.pk, "date": "2026-10-05", "reason": "illness"},
    )
    assert response.status_code == 400
    assert "Выберите ученика класса." in html(response)
    assert not AbsenceReason.objects.exists()


# ------------------------------------------------------------------ weeks and days


def test_r_att_3_week_navigation(client, people, journal):
    client.force_login(people.class_teacher)
    text = html(client.get(page_url(people, week="2026-09-30")))
    assert "28.09 — 04.10.2026" in text
    assert "?week=2026-09-21" in text and "?week=2026-10-05" in text
    assert 'data-day="2026-10-02"' in text and 'data-day="2026-10-03"' not in text  # Mon-Fri
    # a bad date falls back to the current week
    assert "05.10 — 11.10.2026" in html(client.get(page_url(people, week="tomorrow")))


def test_r_att_3_future_days_have_no_reason_select(client, people, journal):
    client.force_login(people.class_teacher)
    row = row_of(html(client.get(page_url(people))), people.student_record)
    assert 'name="reason"' in cell_of(row, TUE)
    assert 'name="reason"' not in cell_of(row, WED)


def test_r_att_3_vacation_days_have_no_lessons(client, people, journal):
    client.force_login(people.class_teacher)
    row = row_of(html(client.get(page_url(people, week="2026-10-26"))), people.student_record)
    cell = cell_of(row, dt.date(2026, 10, 26))
    assert "нет уроков" in cell and 'name="reason"' not in cell


def test_r_att_3_a_student_who_arrived_midweek(client, people, journal):
    newcomer = f.student_make(people.lyceum, people.class_5a, "Новиков", on=WED)
    client.force_login(people.class_teacher)
    row = row_of(html(client.get(page_url(people))), newcomer)
    assert "не в классе" in cell_of(row, MON)
    assert "не в классе" not in cell_of(row, WED)


# ------------------------------------------------------------------ the way in


def test_r_att_3_class_teacher_goes_straight_to_his_class(client, people, journal):
    client.force_login(people.class_teacher)
    response = client.get(url("journal_attendance_classes", people))
    assert response.status_code == 302
    assert response["Location"] == page_url(people)


def test_r_att_3_class_teacher_of_two_classes_chooses(client, people, journal):
    type(people.class_5b).objects.filter(pk=people.class_5b.pk).update(
        class_teacher=people.class_teacher
    )
    client.force_login(people.class_teacher)
    text = html(client.get(url("journal_attendance_classes", people)))
    assert page_url(people) in text and page_url(people, people.class_5b) in text
    assert url("journal_class_reconciliation", people, people.class_5a.pk) in text


@pytest.mark.parametrize("who", ["deputy", "director"])
def test_r_att_3_leadership_chooses_any_class(client, people, journal, who):
    client.force_login(getattr(people, who))
    response = client.get(url("journal_attendance_classes", people))
    assert response.status_code == 200
    text = html(response)
    assert page_url(people) in text and page_url(people, people.class_5b) in text
    assert "Классова К." in text


@pytest.mark.parametrize("who", ["teacher", "admin", "parent", "student"])
def test_r_att_3_way_in_is_refused_to_others(client, people, journal, who):
    client.force_login(getattr(people, who))
    assert client.get(url("journal_attendance_classes", people)).status_code == 403


# ------------------------------------------------------------------ access


@pytest.mark.parametrize("who", ["class_teacher", "deputy", "director"])
def test_r_att_3_who_reads_and_writes(client, people, journal, who):
    mark_absent(people, MON)
    client.force_login(getattr(people, who))
    assert client.get(page_url(people)).status_code == 200
    response = client.post(
        reason_url(people),
        {"student": people.student_record.pk, "date": "2026-10-05", "reason": "valid"},
    )
    assert response.status_code == 302
    assert AbsenceReason.objects.get().set_by == getattr(people, who)


@pytest.mark.parametrize("who", ["teacher", "admin", "parent", "student"])
def test_r_att_3_others_are_refused(client, people, journal, who):
    user = getattr(people, who)
    client.force_login(user)
    assert client.get(page_url(people)).status_code == 403
    response = client.post(
        reason_url(people),
        {"student": people.student_record.pk, "date": "2026-10-05", "reason": "valid"},
    )
    assert response.status_code == 403
    assert not AbsenceReason.objects.exists()


def test_r_att_3_english_teacher_is_refused(client, people, journal):
    client.force_login(journal.english_teacher)
    assert client.get(page_url(people)).status_code == 403


def test_r_att_3_class_teacher_cannot_open_another_class(client, people, journal):
    client.force_login(people.class_teacher)
    assert client.get(page_url(people, people.class_5b)).status_code == 403
    response = client.post(
        url("journal_absence_reason", people, people.class_5b.pk),
        {"student": people.sibling_record.pk, "date": "2026-10-05", "reason": "valid"},
    )
    assert response.status_code == 403


def test_r_att_3_outsider_gets_404(client, people, journal):
    client.force_login(people.outsider)
    assert client.get(page_url(people)).status_code == 404
    assert client.post(reason_url(people), {}).status_code == 404
    assert client.get(url("journal_attendance_classes", people)).status_code == 404


def test_r_att_3_another_schools_class_is_404(client, people, journal):
    year = AcademicYear.objects.get(school=people.gymnasium)
    foreign = f.class_make(people.gymnasium, year, 7, "В", class_teacher=people.outsider)
    client.force_login(people.deputy)
    assert client.get(page_url(people, foreign)).status_code == 404
    # and in his own school's address, the outsider's class is not reachable from the lyceum
    client.force_login(people.outsider)
    address = reverse("journal_class_attendance", args=[people.gymnasium.slug, people.class_5a.pk])
    assert client.get(address).status_code == 404


def test_r_att_3_wrong_methods(client, people, journal):
    client.force_login(people.class_teacher)
    assert client.post(page_url(people)).status_code == 405
    assert client.get(reason_url(people)).status_code == 405
    assert client.post(url("journal_attendance_classes", people)).status_code == 405


def test_r_att_3_anonymous_goes_to_login(client, people, journal):
    response = client.get(page_url(people))
    assert response.status_code == 302 and "login" in response["Location"]


# ------------------------------------------------------------------ query count


def _fill(people, count: int) -> None:
    """`count` more students of 5А, each absent on Monday with a reason and late today."""
    for n in range(count):
        student = f.student_make(people.lyceum, people.class_5a, f"Ученик{n:02d}")
        mark_absent(people, MON, student=student)
        mark_absent(people, TUE, student=student, kind="late")
        absence_reason_set(
            actor=people.class_teacher,
            student=student,
            date_from=MON,
            date_to=MON,
            reason="illness",
        )


def test_r_att_3_page_query_count_does_not_grow_with_students(
    client, people, journal, django_assert_max_num_queries
):
    """Queries: the session, the user, the memberships with their schools (school_view);
    the class; the enrolments, the class's lesson days, the attendance marks, the reasons
    (class_week); the session's save (a savepoint, the update, its release)."""
    mark_absent(people, MON)
    client.force_login(people.class_teacher)
    with CaptureQueriesContext(connection) as few:
        assert client.get(page_url(people)).status_code == 200
    _fill(people, 8)
    with django_assert_max_num_queries(11):  # 8 reads, 3 for the session
        response = client.get(page_url(people))
    assert response.status_code == 200
    assert html(response).count('data-testid="student-row"') == 10
    with CaptureQueriesContext(connection) as many:
        client.get(page_url(people))
    assert len(many) == len(few)


# ------------------------------------------------------------------ in a browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_r_att_3_class_teacher_records_reasons_in_a_browser(
    live_server,
    page,
    people,
    journal,
):
    """The class teacher opens his class's attendance, picks a reason in a day's cell (saved
    by htmx, the row's totals follow), enters a sick note for a range, and is refused a
    range reaching into the future with a message."""
    mark_absent(people, MON)
    mark_absent(people, TUE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "classteacher")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/s/lyceum/")
    page.goto(f"{live_server.url}{url('journal_attendance_classes', people)}")
    page.wait_for_selector("[data-testid=attendance]")  # straight to his one class
    page.goto(f"{live_server.url}{page_url(people, week='2026-10-05')}")
    row = f"#student-{people.student_record.pk}"
    assert "н\xa01" in page.inner_text(f"{row} td[data-day='2026-10-05'] summary")
    page.select_option("[aria-label='Причина пропуска: Родителев Степан, 05.10.2026']", "illness")
    page.wait_for_selector(f"{row} td[data-day='2026-10-05'] .saved")
    assert page.inner_text(f"{row} td.num >> nth=0") == "1"  # one lesson missed, valid
    assert page.inner_text(f"{row} td.num >> nth=2") == "1"  # Tuesday's still without
    assert AbsenceReason.objects.get().reason == "illness"

    form = "[data-testid=range-form]"
    page.select_option(f"{form} select[name=student]", label="Родителев Степан")
    page.fill(f"{form} input[name=date_from]", "2026-10-06")
    page.fill(f"{form} input[name=date_to]", "2026-10-09")
    page.select_option(f"{form} select[name=reason]", "valid")
    page.fill(f"{form} input[name=note]", "заявление родителей")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(".messages .success")
    assert "указана за 4 учебных дня" in page.inner_text(".messages")
    assert (
        page.input_value("[aria-label='Причина пропуска: Родителев Степан, 05.10.2026']")
        == "illness"
    )
    assert page.inner_text(f"{row} td.num >> nth=0") == "2"

    page.fill(f"{form} input[name=date_from]", "2026-10-12")
    page.fill(f"{form} input[name=date_to]", "2027-01-15")
    page.select_option(f"{form} select[name=student]", label="Родителев Степан")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(".messages .error")
    assert "15.01.2027 — позже сегодняшнего дня" in page.inner_text(".messages")
    assert AbsenceReason.objects.count() == 5
