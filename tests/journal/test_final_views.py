"""The final-marks page of a course: columns, averages and their explanation, warnings,
per-cell saves with htmx and without JavaScript, access (R-FIN-1..3, R-MRK-7..9, R-ROLE-3)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import WorkType
from journal.models import Mark, PeriodMark
from journal.services.cells import token
from schedule.models import Group

from .. import factories as f
from .conftest import lesson_on

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def whole_5a(people):
    return people.class_5a.groups.get(is_whole_class=True)


@pytest.fixture
def url(people, journal, whole_5a):
    return reverse("journal_course_finals", args=["lyceum", whole_5a.pk, people.maths.pk])


def mark_make(people, day, value, code="answer", student=None, part=1):
    lesson = lesson_on(people, day)
    return Mark.objects.create(
        school=people.lyceum,
        lesson=lesson,
        student=student or people.student_record,
        work_type=WorkType.objects.get(school=people.lyceum, code=code),
        part=part,
        value=str(value),
        points=value,
        created_at=lesson.school.today() and dt.datetime(2026, 10, 6, tzinfo=dt.UTC),
        created_by=people.teacher,
        updated_at=dt.datetime(2026, 10, 6, tzinfo=dt.UTC),
        updated_by=people.teacher,
    )


def post(client, url, people, value, column=None, expected="", htmx=True, **extra):
    data = {
        "student": people.student_record.pk,
        "column": column or f"p{people.quarters[0].pk}",
        "value": value,
        "expected": expected,
        **extra,
    }
    return client.post(url, data, **(HX if htmx else {}))


@pytest.fixture(autouse=True)
def _quarters_on_people(people, journal):
    people.quarters = journal.quarters


def test_r_fin_1_teacher_sees_students_and_every_column(client, people, url):
    client.force_login(people.teacher)
    html = client.get(url).content.decode()
    assert "Родителев Степан" in html and "Другов Дмитрий" in html
    for header in ("1 четверть", "4 четверть", "Годовая", "Экзамен", "Итоговая"):
        assert header in html
    assert html.count('name="value"') == 2 * 7  # two students × 4 quarters, year, exam, final
    assert "5 ч в неделю: не менее 7 текущих отметок за период." in html


def test_r_mrk_7_period_cell_shows_the_weighted_average_and_how_it_was_computed(
    client, people, url
):
    mark_make(people, dt.date(2026, 9, 14), 5)
    mark_make(people, dt.date(2026, 9, 15), 4, code="control")  # weight 3
    mark_make(people, dt.date(2026, 9, 16), 3, code="dictation", part=1)  # weight 2, two marks
    mark_make(people, dt.date(2026, 9, 16), 5, code="dictation", part=2)
    mark_make(people, dt.date(2026, 11, 9), 2)  # the second quarter: not in the first
    client.force_login(people.teacher)
    html = client.get(url).content.decode()
    # (5 + 12 + 6 + 10) / 8 = 4.125 → 4.13
    assert "(5×1 + 4×3 + 3×2 + 5×2) ÷ (1 + 3 + 2 + 2) = 4,13 → 4" in html
    assert "4 отметки, среднее арифметическое 4,25" in html
    assert "(2) ÷ 1 = 2 → 2" in html


def test_r_fin_3_warnings_for_a_mark_far_from_the_average_and_too_few_marks(client, people, url):
    mark_make(people, dt.date(2026, 9, 14), 3)
    mark_make(people, dt.date(2026, 9, 15), 3)
    PeriodMark.objects.create(
        school=people.lyceum,
        student=people.student_record,
        subject=people.maths,
        year=people.year,
        kind="period",
        period=people.quarters[0],
        group=people.class_5a.groups.get(is_whole_class=True),
        value="5",
        points=5,
        set_at=dt.datetime(2026, 10, 6, tzinfo=dt.UTC),
        set_by=people.teacher,
    )
    client.force_login(people.teacher)
    html = client.get(url).content.decode()
    assert "Оценка 5 далека от средневзвешенного балла 3." in html
    assert "Мало оценок: 2 при минимуме 7." in html
    assert "В периоде нет оценки за контрольную" in html


def test_r_fin_1_teacher_saves_a_cell_with_htmx_and_the_year_suggestion_follows(
    client, people, url
):
    client.force_login(people.teacher)
    response = post(client, url, people, "5")
    assert response.status_code == 200
    body = response.content.decode()
    mark = PeriodMark.objects.get()
    assert (mark.value, mark.period) == ("5", people.quarters[0])
    assert body.startswith(f'<td id="final-{people.student_record.pk}-p{people.quarters[0].pk}"')
    assert f'value="{token(mark)}"' in body and "Сохранено." in body
    # the year cell is swapped out of band with its new suggestion
    assert f'id="final-{people.student_record.pk}-year" class="final" hx-swap-oob="true"' in body
    assert "(5) ÷ 1 = 5 → 5" in body


def test_r_fin_2_the_cell_says_that_2_became_academic_debt(client, people, url):
    client.force_login(people.teacher)
    body = post(client, url, people, "2").content.decode()
    assert PeriodMark.objects.get().value == "а/з"
    assert "«2» заменена на «а/з»" in body


def test_r_fin_1_a_refused_value_shows_in_the_cell(client, people, url):
    client.force_login(people.teacher)
    response = post(client, url, people, "7")
    assert response.status_code == 403
    assert "«7» — не отметка шкалы школы" in response.content.decode()
    assert not PeriodMark.objects.exists()
    later = post(client, url, people, "5", column=f"p{people.quarters[1].pk}")
    assert later.status_code == 403
    assert "ставятся с 05.11.2026" in later.content.decode()


def test_r_fin_1_a_conflict_shows_the_current_value(client, people, url):
    client.force_login(people.teacher)
    post(client, url, people, "4")
    response = post(client, url, people, "3", expected="")
    assert response.status_code == 409
    body = response.content.decode()
    assert "«4»" in body
    assert f'value="{token(PeriodMark.objects.get())}"' in body  # the cell now holds the new token


def test_r_fin_1_without_javascript_a_cell_form_saves_and_comes_back(client, people, url):
    client.force_login(people.teacher)
    response = post(client, url, people, "н/а", htmx=False)
    assert response.status_code == 302
    assert response["Location"] == f"{url}#row-{people.student_record.pk}"
    html = client.get(url).content.decode()
    assert "Родителев Степан: Сохранено." in html
    assert PeriodMark.objects.get().value == "н/а"
    refused = post(client, url, people, "9", htmx=False, expected=token(PeriodMark.objects.get()))
    assert refused.status_code == 302
    assert "не отметка шкалы школы" in client.get(url).content.decode()


def test_r_fin_1_year_exam_and_final_columns_save(client, people, url):
    with time_machine.travel(dt.datetime(2027, 5, 30, 5, tzinfo=dt.UTC), tick=False):
        client.force_login(people.teacher)  # a session of that day
        for column in ("year", "exam", "final"):
            assert post(client, url, people, "4", column=column).status_code == 200
    assert sorted(PeriodMark.objects.values_list("kind", flat=True)) == ["exam", "final", "year"]


def test_r_role_3_class_teacher_reads_without_forms(client, people, url):
    client.force_login(people.class_teacher)
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="value"' not in response.content.decode()
    assert post(client, url, people, "5").status_code == 403
    assert not PeriodMark.objects.exists()


def test_r_fin_1_deputy_edits_with_a_reason(client, people, url):
    client.force_login(people.deputy)
    assert 'name="reason"' in client.get(url).content.decode()
    refused = post(client, url, people, "5")
    assert refused.status_code == 403
    assert "только с указанием причины" in refused.content.decode()
    assert post(client, url, people, "5", reason="приказ").status_code == 200
    assert PeriodMark.objects.get().set_by == people.deputy


def test_r_role_3_wrong_roles_are_refused(client, people, journal, url):
    client.force_login(journal.english_teacher)  # a teacher, not of this course or class
    assert client.get(url).status_code == 403
    client.force_login(people.parent)
    assert client.get(url).status_code == 403
    client.force_login(people.student)
    assert client.get(url).status_code == 403


def test_foreign_school_is_not_found(client, people, whole_5a):
    client.force_login(people.outsider)
    assert (
        client.get(
            reverse("journal_course_finals", args=["lyceum", whole_5a.pk, people.maths.pk])
        ).status_code
        == 404
    )
    # the lyceum's teacher asking for a gymnasium course by id
    other_year = people.gymnasium.academic_years.get()
    other_class = f.class_make(people.gymnasium, other_year, 7, "В")
    other_subject = f.subject_make(people.gymnasium, "Химия")
    client.force_login(people.teacher)
    other = other_class.groups.get(is_whole_class=True)
    assert (
        client.get(
            reverse("journal_course_finals", args=["lyceum", other.pk, people.maths.pk])
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("journal_course_finals", args=["lyceum", whole_5a.pk, other_subject.pk])
        ).status_code
        == 404
    )


def test_a_subgroup_of_another_subject_is_not_a_course(client, people):
    client.force_login(people.teacher)
    url = reverse("journal_course_finals", args=["lyceum", people.english_1.pk, people.maths.pk])
    assert client.get(url).status_code == 404


def test_unknown_column_or_student_is_not_found(client, people, url):
    client.force_login(people.teacher)
    assert post(client, url, people, "5", column="p999999").status_code == 404
    assert post(client, url, people, "5", column="month").status_code == 404
    assert client.post(url, {"student": 999999, "column": "year", "value": "5"}).status_code == 404
    assert client.post(url, {"student": "x", "column": "year", "value": "5"}).status_code == 404


def test_wrong_method(client, people, url):
    client.force_login(people.teacher)
    assert client.put(url).status_code == 405
    assert client.delete(url).status_code == 405


def test_r_mrk_7_the_page_costs_the_same_queries_whatever_the_class_size(
    client, people, url, django_assert_max_num_queries
):
    """session, user, memberships with the school (school_view); group, subject, teaching
    load (teaches_course); grade periods; students, period and final marks, current marks of
    the year, hours; the session's savepoint, update and release: 14."""
    mark_make(people, dt.date(2026, 9, 14), 5)
    client.force_login(people.teacher)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = count()
    for n in range(12):
        student = f.student_make(people.lyceum, people.class_5a, f"Новиков{n}")
        mark_make(people, dt.date(2026, 9, 15), 4, student=student)
        mark_make(people, dt.date(2026, 11, 10), 3, student=student)
    assert count() == small
    with django_assert_max_num_queries(14):
        client.get(url)


def test_r_fin_1_subgroup_course_lists_its_members_only(client, people, journal):
    url = reverse("journal_course_finals", args=["lyceum", people.english_1.pk, people.english.pk])
    client.force_login(people.teacher)
    html = client.get(url).content.decode()
    assert "Родителев Степан" in html and "Другов Дмитрий" not in html
    assert Group.objects.filter(pk=people.english_1.pk).exists()
    assert Decimal("3") == people.english_1.teaching_loads.get().hours_per_week
    assert "3 ч в неделю: не менее 7 текущих отметок за период." in html


def test_r_fin_1_students_of_the_course_over_the_year(people, journal, whole_5a):
    """Exempted for the whole year: not listed; exempted from October: listed (he was in the
    course in September); attached from another class: listed (R-STR-7)."""
    from journal.marks_selectors import course_students_between
    from schedule.models import IndividualCurriculum

    start, end = people.year.starts_on, people.year.ends_on
    for student, kind, group, starts_on in (
        (people.other_student_record, "exempt", whole_5a, start),
        (people.student_record, "exempt", whole_5a, dt.date(2026, 10, 1)),
        (people.sibling_record, "attach", whole_5a, dt.date(2027, 1, 12)),
    ):
        IndividualCurriculum.objects.create(
            school=people.lyceum,
            student=student,
            kind=kind,
            group=group,
            subject=people.maths,
            starts_on=starts_on,
            basis="приказ",
        )
    names = [s.short_name for s in course_students_between(whole_5a, people.maths, start, end)]
    assert names == ["Родителев Степан", "Родителева Софья"]


# ------------------------------------------------------------------ in a browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_r_fin_1_teacher_sets_period_marks_in_a_browser(live_server, page, people, journal):
    """The teacher types a quarter mark and tabs on: the cell saves by htmx, the year's
    suggestion follows out of band; a 2 comes back as а/з with the notice; a value outside
    the scale is refused in its cell; after a reload the marks are there."""
    with time_machine.travel(dt.datetime(2026, 10, 6, 3, 0, tzinfo=dt.UTC), tick=True):
        whole = people.class_5a.groups.get(is_whole_class=True)
        address = reverse("journal_course_finals", args=["lyceum", whole.pk, people.maths.pk])
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_login", "teacher")
        page.fill("#id_password", "secret-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/s/lyceum/")
        page.goto(f"{live_server.url}{address}")
        me, other = people.student_record.pk, people.other_student_record.pk
        q1 = journal.quarters[0].pk

        page.fill(f"#final-{me}-p{q1} input[name=value]", "5")
        page.keyboard.press("Tab")
        page.wait_for_selector(f"#final-{me}-p{q1} .saved")
        assert page.inner_text(f"#final-{me}-year summary") == "5 → 5"
        assert PeriodMark.objects.get(student=people.student_record).value == "5"

        page.fill(f"#final-{other}-p{q1} input[name=value]", "2")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#final-{other}-p{q1} .notice")
        assert page.input_value(f"#final-{other}-p{q1} input[name=value]") == "а/з"

        page.fill(f"#final-{other}-exam input[name=value]", "8")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#final-{other}-exam .error")
        assert "не отметка шкалы школы" in page.inner_text(f"#final-{other}-exam .error")

        page.reload()
        assert page.input_value(f"#final-{me}-p{q1} input[name=value]") == "5"
        assert page.input_value(f"#final-{other}-p{q1} input[name=value]") == "а/з"
