"""The class summary sheet (сводная ведомость): live period and year marks, hints from
averages where no mark is set yet, totals per subject, access, a fixed number of queries
(R-FIN-4, R-MRK-7)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import WorkType
from journal.models import Mark, PeriodMark
from journal.services.period_marks import period_mark_set
from schedule.models import TeachingLoad

from .. import factories as f
from .conftest import lesson_on


@pytest.fixture
def url(people, journal):
    return reverse("journal_class_summary", args=["lyceum", people.class_5a.pk])


def final_make(people, journal, student, subject, value, kind="period", period=0, group=None):
    points = int(value) if value.isdigit() else None
    return PeriodMark.objects.create(
        school=people.lyceum,
        student=student,
        subject=subject,
        year=people.year,
        kind=kind,
        period=journal.quarters[period] if kind == "period" else None,
        group=group or people.class_5a.groups.get(is_whole_class=True),
        value=value,
        points=points,
        set_at=dt.datetime(2026, 10, 6, tzinfo=dt.UTC),
        set_by=people.teacher,
    )


def mark_make(people, day, value, student, code="answer"):
    lesson = lesson_on(people, day)
    moment = dt.datetime(2026, 10, 6, tzinfo=dt.UTC)
    return Mark.objects.create(
        school=people.lyceum,
        lesson=lesson,
        student=student,
        work_type=WorkType.objects.get(school=people.lyceum, code=code),
        value=str(value),
        points=value,
        created_at=moment,
        created_by=people.teacher,
        updated_at=moment,
        updated_by=people.teacher,
    )


def cells(page: str, name: str) -> list[str]:
    """The texts of the mark cells of a student's row."""
    import re

    row = re.search(rf"<td class=\"name\">{name}</td>(.*?)</tr>", page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>.*?</td>", row, re.S)]


def test_r_fin_4_summary_is_live_from_the_period_marks_with_totals(client, people, journal, url):
    students = [people.other_student_record, people.student_record]  # Другов, Родителев
    extra = [f.student_make(people.lyceum, people.class_5a, name) for name in ("Яковлев", "Юрьев")]
    final_make(people, journal, students[0], people.maths, "5")
    final_make(people, journal, students[1], people.maths, "3")
    final_make(people, journal, extra[0], people.maths, "а/з")
    final_make(people, journal, extra[1], people.maths, "осв")
    final_make(people, journal, students[1], people.english, "4", group=people.english_1)
    client.force_login(people.class_teacher)
    page = client.get(url).content.decode()
    assert "Сводная ведомость 5А: 1 четверть" in page
    # subjects by name: Английский язык, Математика
    assert cells(page, "Родителев Степан") == ["4", "3"]
    assert cells(page, "Другов Дмитрий") == ["", "5"]
    # the live part: a period mark set now shows at once
    period_mark_set(
        actor=journal.english_teacher,
        group=people.english_2,
        subject=people.english,
        student=students[0],
        kind="period",
        period=journal.quarters[0],
        value="2",
        expected="",
    )
    page = client.get(url).content.decode()
    assert cells(page, "Другов Дмитрий") == ["а/з", "5"]
    totals = page[page.index("<tfoot>") :]
    # maths: one 5, one 3, one а/з, one осв (not attested: out of the rates)
    assert '<th colspan="2">успеваемость, %</th><td>50</td><td>66,7</td>' in totals
    assert '<th colspan="2">качество, %</th><td>50</td><td>33,3</td>' in totals
    assert '<th colspan="2">а/з</th><td>1</td><td>1</td>' in totals
    assert '<th colspan="2">не выставлено</th><td>2</td><td>0</td>' in totals


def test_r_fin_4_where_no_mark_is_set_the_weighted_average_is_a_hint(client, people, journal, url):
    mark_make(people, dt.date(2026, 9, 14), 5, people.student_record)
    mark_make(people, dt.date(2026, 9, 15), 4, people.student_record, code="control")
    client.force_login(people.deputy)
    page = client.get(url).content.decode()
    assert 'class="mark hint" title="(5×1 + 4×3) ÷ (1 + 3) = 4,25 → 4">4,25</td>' in page
    assert cells(page, "Родителев Степан") == ["", "4,25"]


def test_r_fin_4_year_sheet_with_the_suggestion_from_period_marks(client, people, journal, url):
    final_make(people, journal, people.student_record, people.maths, "5", period=0)
    final_make(people, journal, people.student_record, people.maths, "4", period=1)
    final_make(people, journal, people.other_student_record, people.maths, "4", kind="year")
    client.force_login(people.director)
    page = client.get(url + "?period=year").content.decode()
    assert "Сводная ведомость 5А: год" in page
    assert cells(page, "Другов Дмитрий") == ["", "4"]
    assert 'title="(5 + 4) ÷ 2 = 4,5 → 5">4,5</td>' in page


def test_r_fin_4_other_period_by_its_id_and_an_unknown_one(client, people, journal, url):
    final_make(people, journal, people.student_record, people.maths, "5", period=1)
    client.force_login(people.deputy)
    page = client.get(f"{url}?period={journal.quarters[1].pk}").content.decode()
    assert "Сводная ведомость 5А: 2 четверть" in page
    assert cells(page, "Родителев Степан") == ["", "5"]
    assert client.get(f"{url}?period=999999").status_code == 404
    assert client.get(f"{url}?period=first").status_code == 404


def test_r_fin_4_subjects_without_attestation_are_left_out(client, people, journal, url):
    elective = f.subject_make(people.lyceum, "Шахматы", no_attestation=True)
    TeachingLoad.objects.create(
        school=people.lyceum,
        teacher=people.teacher,
        group=people.class_5a.groups.get(is_whole_class=True),
        subject=elective,
        hours_per_week=1,
    )
    client.force_login(people.deputy)
    assert "Шахматы" not in client.get(url).content.decode()


def test_r_role_3_only_leadership_and_the_class_teacher_read_it(client, people, journal, url):
    for user in (people.deputy, people.director, people.class_teacher):
        client.force_login(user)
        assert client.get(url).status_code == 200
    for user in (people.teacher, journal.english_teacher, people.parent, people.student):
        client.force_login(user)
        assert client.get(url).status_code == 403
    # the class teacher of 5А does not read 5Б
    client.force_login(people.class_teacher)
    other = reverse("journal_class_summary", args=["lyceum", people.class_5b.pk])
    assert client.get(other).status_code == 403


def test_foreign_school_is_not_found(client, people, journal, url):
    client.force_login(people.outsider)
    assert client.get(url).status_code == 404
    other_class = f.class_make(people.gymnasium, people.gymnasium.academic_years.get(), 7, "В")
    client.force_login(people.deputy)
    other = reverse("journal_class_summary", args=["lyceum", other_class.pk])
    assert client.get(other).status_code == 404


def test_wrong_method(client, people, url):
    client.force_login(people.deputy)
    assert client.post(url).status_code == 405


def test_r_fin_4_the_sheet_costs_the_same_queries_whatever_the_class_size(
    client, people, journal, url, django_assert_max_num_queries
):
    """session, user, memberships with the school (school_view); the class; grade periods;
    subjects, students, period marks, current marks; the session's savepoint, update and
    release: 12."""
    client.force_login(people.deputy)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    final_make(people, journal, people.student_record, people.maths, "5")
    small = count()
    for n in range(12):
        student = f.student_make(people.lyceum, people.class_5a, f"Новиков{n}")
        final_make(people, journal, student, people.maths, "4")
        mark_make(people, dt.date(2026, 9, 15), 4, student)
    assert count() == small
    with django_assert_max_num_queries(12):
        client.get(url)
