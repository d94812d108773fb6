"""The history report (R-MRK-6): every journal change of a year for the administration,
filtered by teacher, class, dates and kind, 100 a page or all as CSV; the tamper-evident
chain is verified on demand, by the page and by `manage.py journal_verify`."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.models import Role, WorkType
from journal.history import chain_lock, chain_verify, change_record
from journal.models import Attendance, JournalChange
from journal.services.cells import attendance_set, mark_set
from journal.services.corrections import correction_decide, correction_request_create
from schedule.models import AcademicYear

from .. import factories as f
from .conftest import lesson_on

# 7 October 00:30 in Tomsk is still 6 October in UTC: the report filters by the local day
JUST_AFTER_MIDNIGHT = dt.datetime(2026, 10, 6, 17, 30, tzinfo=dt.UTC)
WEDNESDAY = dt.datetime(2026, 10, 7, 3, 0, tzinfo=dt.UTC)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL"
)


@pytest.fixture
def answer(people):
    return WorkType.objects.get(school=people.lyceum, code="answer")


@pytest.fixture
def changes(people, journal, answer):
    """Four entries: 1 and 3 maths marks of 6 October (3 entered at 00:30 on the 7th, local
    time), 2 an English absence of group 2 (the English teacher), 4 a maths mark of the 7th."""
    mark = dict(actor=people.teacher, work_type=answer, expected=None, ip="10.0.0.5")
    mark_set(**mark, lesson=journal.maths_today, student=people.student_record, value="5")
    attendance_set(
        actor=journal.english_teacher,
        lesson=journal.english_2_today,
        student=people.other_student_record,
        kind=Attendance.Kind.ABSENT,
        expected=None,
    )
    with time_machine.travel(JUST_AFTER_MIDNIGHT, tick=False):
        mark_set(**mark, lesson=journal.maths_today, student=people.other_student_record, value="3")
    with time_machine.travel(WEDNESDAY, tick=False):
        mark_set(
            **mark,
            lesson=lesson_on(people, dt.date(2026, 10, 7)),
            student=people.student_record,
            value="4",
        )
    return list(JournalChange.objects.order_by("seq"))


def url(people, name="journal_history", slug=None):
    return reverse(name, args=[slug or people.lyceum.slug])


def seqs(response) -> list[int]:
    return [c.seq for c in response.context["rows"]]


def _many(people, lesson, count: int):
    """Append `count` chained entries about a lesson of 5А (quicker than the services)."""
    with transaction.atomic():
        head = chain_lock(people.lyceum.pk)
        for n in range(count):
            change_record(
                head=head,
                actor=people.teacher,
                ip="10.0.0.9",
                action="update",
                subject_kind="topic",
                object_id=n + 1,
                label=f"5А · Математика · тема {n}",
                old="старая",
                new=f"новая {n}",
                lesson=lesson,
            )


def test_r_mrk_6_report_lists_the_years_changes_newest_first(client, people, changes):
    client.force_login(people.admin)
    response = client.get(url(people))
    assert response.status_code == 200
    assert seqs(response) == [4, 3, 2, 1]
    html = response.content.decode()
    # local time of the school, author, address, what, old → new
    assert "07.10.2026 00:30:00" in html
    assert "Учителев У." in html and "10.0.0.5" in html
    assert "Родителев Степан" in html
    assert response.context["check"] is None  # no chain check on an ordinary view
    assert "Цепочка целостна" not in html


@pytest.mark.parametrize("who", ["director", "deputy"])
def test_r_mrk_6_leadership_reads_the_report(client, people, changes, who):
    client.force_login(getattr(people, who))
    assert seqs(client.get(url(people))) == [4, 3, 2, 1]


def test_r_mrk_6_filter_by_teacher_class_and_kind(client, people, journal, changes):
    client.force_login(people.deputy)
    base = url(people)
    assert seqs(client.get(f"{base}?person={journal.english_teacher.pk}")) == [2]
    assert seqs(client.get(f"{base}?person={people.teacher.pk}")) == [4, 3, 1]
    assert seqs(client.get(f"{base}?school_class={people.class_5a.pk}")) == [4, 3, 2, 1]
    assert seqs(client.get(f"{base}?school_class={people.class_5b.pk}")) == []
    assert seqs(client.get(f"{base}?kind=attendance")) == [2]
    assert seqs(client.get(f"{base}?kind=mark&action=create")) == [4, 3, 1]


def test_r_mrk_6_filter_by_the_local_day_of_the_change(client, people, changes):
    client.force_login(people.deputy)
    base = url(people)
    assert seqs(client.get(f"{base}?changed_from=2026-10-07")) == [4, 3]
    assert seqs(client.get(f"{base}?changed_to=2026-10-06")) == [2, 1]
    assert seqs(client.get(f"{base}?changed_from=2026-10-06&changed_to=2026-10-06")) == [2, 1]


def test_r_mrk_6_filter_by_the_lesson_date(client, people, changes):
    client.force_login(people.deputy)
    base = url(people)
    assert seqs(client.get(f"{base}?lesson_from=2026-10-06&lesson_to=2026-10-06")) == [3, 2, 1]
    assert seqs(client.get(f"{base}?lesson_from=2026-10-07")) == [4]


def test_r_mrk_6_filter_by_year(client, people, changes):
    earlier = f.year_make(people.lyceum, "2025/2026", dt.date(2025, 9, 1), dt.date(2026, 5, 31))
    client.force_login(people.deputy)
    response = client.get(url(people))
    assert response.context["form"].cleaned_data["year"] == people.year.pk  # the current one
    assert seqs(response) == [4, 3, 2, 1]
    assert seqs(client.get(f"{url(people)}?year={earlier.pk}")) == []


def test_r_mrk_6_bad_filters_are_said_and_show_nothing(client, people, changes):
    client.force_login(people.deputy)
    response = client.get(f"{url(people)}?changed_from=2026-10-08&changed_to=2026-10-01")
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "Дата окончания раньше даты начала." in response.content.decode()
    gymnasium_year = AcademicYear.objects.get(school=people.gymnasium)
    assert client.get(f"{url(people)}?year={gymnasium_year.pk}").context["page"] is None
    assert client.get(f"{url(people)}?person=999999").context["page"] is None
    bad_csv = client.get(f"{url(people, 'journal_history_csv')}?changed_from=bad")
    assert bad_csv.status_code == 400


def test_r_mrk_6_the_deputys_approval_is_found_under_him_and_the_teacher(
    client, people, journal, answer, changes
):
    with time_machine.travel(dt.datetime(2026, 10, 15, 3, 0, tzinfo=dt.UTC), tick=False):
        request = correction_request_create(
            actor=people.teacher,
            kind="mark",
            lesson=journal.maths_today,
            student=people.student_record,
            work_type=answer,
            new_value="4",
            reason="Ошибка при вводе",
        )
        correction_decide(actor=people.deputy, request=request, approve=True)
    client.force_login(people.director)
    response = client.get(f"{url(people)}?person={people.deputy.pk}")
    assert seqs(response) == [5]
    html = response.content.decode()
    assert "Завучева З." in html and f"заявка №{request.pk}, одобрил Завучева З." in html
    assert seqs(client.get(f"{url(people)}?person={people.teacher.pk}"))[0] == 5


def test_r_mrk_6_pages_of_100_and_the_csv_has_every_row(client, people, journal, changes):
    _many(people, journal.maths_today, 120)
    client.force_login(people.admin)
    first = client.get(url(people))
    assert len(first.context["rows"]) == 100 and seqs(first)[0] == 124
    second = client.get(f"{url(people)}?page=2")
    assert seqs(second) == list(range(24, 0, -1))

    response = client.get(url(people, "journal_history_csv"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["№", "Когда", "Кто", "Откуда"]
    assert len(rows) == 1 + 124
    by_seq = {row[0]: row for row in rows[1:]}
    assert by_seq["3"][1] == "07.10.2026 00:30:00"
    assert by_seq["3"][2:4] == ["Учителев У.", "10.0.0.5"]
    assert by_seq["3"][8:10] == ["", "3"]
    assert by_seq["2"][5] == "посещаемость" and by_seq["2"][9] == "н"


def test_r_mrk_6_csv_follows_the_filters(client, people, journal, changes):
    client.force_login(people.deputy)
    response = client.get(
        f"{url(people, 'journal_history_csv')}?person={journal.english_teacher.pk}"
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["2"]
    page = client.get(f"{url(people)}?person={journal.english_teacher.pk}").content.decode()
    assert f"history/csv/?person={journal.english_teacher.pk}" in page


def test_r_mrk_6_report_query_count_is_fixed(
    client, people, journal, changes, django_assert_max_num_queries
):
    client.force_login(people.deputy)
    # session, user, the school with the user's roles in it (one or two queries), the years,
    # the staff, the year's classes, the page's count and rows; savepoint, session update,
    # release
    with django_assert_max_num_queries(12) as few:
        response = client.get(url(people))
    assert len(response.context["rows"]) == 4
    _many(people, journal.maths_today, 150)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(people))
    assert len(response.context["rows"]) == 100


def test_r_mrk_6_verify_on_demand(client, people, changes):
    client.force_login(people.deputy)
    response = client.get(f"{url(people)}?kind=mark&verify=1")
    assert response.context["check"].intact
    assert "Цепочка целостна: 4 записи." in response.content.decode()
    assert seqs(response) == [4, 3, 1]  # the filters stay


# --- access ----------------------------------------------------------------------------


def test_r_mrk_6_teachers_do_not_read_the_report(client, people, journal, changes):
    for user in (people.teacher, people.class_teacher, journal.english_teacher, people.parent):
        client.force_login(user)
        assert client.get(url(people)).status_code == 403
        assert client.get(url(people, "journal_history_csv")).status_code == 403


def test_r_mrk_6_outsider_sees_nothing(client, people, changes):
    client.force_login(people.outsider)
    assert client.get(url(people)).status_code == 404
    assert client.get(url(people, "journal_history_csv")).status_code == 404
    # in his own school he reads his school's (empty) history
    own = client.get(url(people, slug=people.gymnasium.slug))
    assert own.status_code == 200 and seqs(own) == []


def test_r_mrk_6_report_wrong_method(client, people, changes):
    client.force_login(people.admin)
    assert client.post(url(people)).status_code == 405
    assert client.post(url(people, "journal_history_csv")).status_code == 405


# --- tampering -------------------------------------------------------------------------


@postgres_only
def test_r_mrk_6_history_rows_cannot_be_updated_or_deleted(people, changes):
    for statement in (
        "UPDATE journal_journalchange SET new = '5' WHERE seq = 3",
        "DELETE FROM journal_journalchange WHERE seq = 4",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert [c.new for c in JournalChange.objects.order_by("seq")] == ["5", "н", "3", "4"]
    assert chain_verify(people.lyceum.pk).intact


def _bypass_trigger(statement: str, params=()):
    """What only the tables' owner can do: switch the trigger off, inside the test's
    transaction (rolled back with it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE journal_journalchange DISABLE TRIGGER journal_change_append_only"
        )
        cursor.execute(statement, params)
        cursor.execute(
            "ALTER TABLE journal_journalchange ENABLE TRIGGER journal_change_append_only"
        )


@postgres_only
def test_r_mrk_6_a_modified_row_breaks_the_chain(client, people, changes):
    _bypass_trigger(
        "UPDATE journal_journalchange SET new = '5' WHERE school_id = %s AND seq = 3",
        [people.lyceum.pk],
    )
    check = chain_verify(people.lyceum.pk)
    assert (check.intact, check.broken_at, check.entries) == (False, 3, 4)
    client.force_login(people.admin)
    html = client.get(f"{url(people)}?verify=1").content.decode()
    assert "Цепочка нарушена с записи №3" in html
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("journal_verify", "--school", "lyceum", stdout=out)
    assert failed.value.returncode == 1
    assert "lyceum: 4 entries, BROKEN from entry 3" in out.getvalue()


@postgres_only
def test_r_mrk_6_a_removed_last_row_breaks_the_chain(client, people, changes):
    _bypass_trigger(
        "DELETE FROM journal_journalchange WHERE school_id = %s AND seq = 4", [people.lyceum.pk]
    )
    check = chain_verify(people.lyceum.pk)
    assert (check.intact, check.broken_at, check.entries) == (False, None, 3)
    client.force_login(people.deputy)
    html = client.get(f"{url(people)}?verify=1").content.decode()
    assert "Цепочка нарушена после записи №3" in html


def test_r_mrk_6_journal_verify_command(people, changes):
    out = io.StringIO()
    call_command("journal_verify", stdout=out)
    assert out.getvalue().splitlines() == [
        "gymnasium: 0 entries, intact",
        "lyceum: 4 entries, intact",
    ]
    out = io.StringIO()
    call_command("journal_verify", "--school", "lyceum", stdout=out)
    assert out.getvalue().splitlines() == ["lyceum: 4 entries, intact"]
    with pytest.raises(CommandError):
        call_command("journal_verify", "--school", "nowhere", stdout=io.StringIO())


def test_r_mrk_6_deputy_role_ending_closes_the_report(client, people, changes):
    people.deputy.memberships.filter(role=Role.DEPUTY).update(ends_on=dt.date(2026, 10, 1))
    client.force_login(people.deputy)
    assert client.get(url(people)).status_code == 404
