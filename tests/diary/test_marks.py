"""Marks by subject over a period in the diary (R-MRK-7, R-MRK-8, R-FIN-1, R-ROLE-2): every
mark with its date and work type, the simple and the weighted average, the forecast of the
period mark with how it is computed (shown from `forecast_days_before_end` days before the
period ends), period and year marks when set. A fixed number of queries."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import SchoolSettings
from journal.models import FinalKind, PeriodMark

from .. import factories as f
from .conftest import lesson_on, mark_make


def marks_url(people, query="", student=None):
    student = student or people.student_record
    return reverse("diary_marks", args=[people.lyceum.slug, student.pk]) + query


def subject_html(html: str, name: str) -> str:
    match = re.search(rf"<h2>{name}</h2>(.*?)</section>", html, re.S)
    assert match, name
    return match.group(1)


def period_mark_make(people, journal, subject, kind, value, period=None):
    return PeriodMark.objects.create(
        school=people.lyceum,
        student=people.student_record,
        subject=subject,
        year=people.year,
        kind=kind,
        period=period,
        group=people.class_5a.groups.get(is_whole_class=True),
        value=value,
        points=int(value),
        set_at=timezone.now(),
        set_by=people.teacher,
    )


@pytest.fixture
def marks(people, journal, diary):
    """Maths in the first quarter: 5 (answer, weight 1), 4 (test, 1.5), 3 (control, 3)
    and a зачёт without points; one in the second quarter; the other child's 2s."""
    sept = [lesson_on(people, dt.date(2026, 9, d)) for d in (14, 16, 18)]
    mark_make(people, sept[0], people.student_record, "5", comment="Умница")
    mark_make(people, sept[1], people.student_record, "4", code="test")
    mark_make(people, sept[2], people.student_record, "3", code="control")
    mark_make(people, sept[2], people.student_record, "зч", code="homework")
    mark_make(people, lesson_on(people, dt.date(2026, 11, 9)), people.student_record, "2")
    for lesson in sept:
        mark_make(people, lesson, people.other_student_record, "2", comment="Другову: слабо")


def test_r_mrk_7_every_mark_with_its_date_and_work_type_and_both_averages(
    client, people, journal, diary, marks
):
    client.force_login(people.parent)
    response = client.get(marks_url(people))
    assert response.status_code == 200
    assert response.context["period"] == journal.quarters[0]
    html = response.content.decode()
    maths = subject_html(html, "Математика")
    assert maths.count('data-testid="mark"') == 4
    assert re.search(
        r"p5\">5</span> <span class=\"when\">14\.09</span> <span class=\"work\">"
        r"Ответ на уроке",
        maths,
    )
    assert "16.09" in maths and "Тест" in maths and "Контрольная работа" in maths
    assert ">зч<" in maths and "Умница" in maths
    # (5 + 4 + 3) / 3 = 4; (5×1 + 4×1,5 + 3×3) / (1 + 1,5 + 3) = 20 / 5,5 = 3,64
    assert '<dd data-testid="simple">4</dd>' in maths
    assert '<dd data-testid="weighted">3,64</dd>' in maths
    assert "09.11" not in maths  # the second quarter's mark
    english = subject_html(html, "Английский язык")
    assert "Оценок пока нет." in english
    assert "Другов" not in html and "p2" not in maths


def test_r_mrk_8_the_forecast_shows_only_from_the_schools_date(
    client, people, journal, diary, marks
):
    """The quarter ends on 25 October; by default the forecast shows 14 days before, from
    11 October (today is 6 October)."""
    client.force_login(people.parent)
    html = client.get(marks_url(people)).content.decode()
    assert 'data-testid="forecast"' not in html and "Как считается" not in html
    assert "Прогноз отметок за период появится с 11.10.2026." in html
    SchoolSettings.objects.filter(school=people.lyceum).update(forecast_days_before_end=20)
    html = client.get(marks_url(people)).content.decode()
    maths = subject_html(html, "Математика")
    assert '<dd data-testid="forecast">4</dd>' in maths  # 3,64 ≥ 3,50
    assert "Как считается?" in maths
    assert "(5×1 + 4×1,5 + 3×3) ÷ (1 + 1,5 + 3) = 3,64 → 4" in maths
    assert "От 4,50 прогноз — 5, от 3,50 — 4, от 2,50 — 3" in maths
    assert 'data-testid="forecast"' not in subject_html(html, "Английский язык")


def test_r_fin_1_period_and_year_marks_when_set(client, people, journal, diary, marks):
    SchoolSettings.objects.filter(school=people.lyceum).update(forecast_days_before_end=20)
    q1 = journal.quarters[0]
    period_mark_make(people, journal, people.maths, FinalKind.PERIOD, "4", q1)
    period_mark_make(people, journal, people.maths, FinalKind.YEAR, "5")
    client.force_login(people.student)
    maths = subject_html(client.get(marks_url(people)).content.decode(), "Математика")
    assert '<dd data-testid="period-mark">4</dd>' in maths and "1 четверть" in maths
    assert '<dd data-testid="final-year">5</dd>' in maths
    assert 'data-testid="forecast"' not in maths  # the mark is set: no forecast
    # the second quarter: not the first quarter's mark, the year mark still
    html = client.get(marks_url(people, f"?period={journal.quarters[1].pk}")).content.decode()
    maths = subject_html(html, "Математика")
    assert 'data-testid="period-mark"' not in maths and 'data-testid="final-year"' in maths
    assert "09.11" in maths and maths.count('data-testid="mark"') == 1


def test_the_period_picker_chooses_among_the_grades_periods(client, people, journal, diary):
    client.force_login(people.parent)
    response = client.get(marks_url(people, f"?period={journal.quarters[2].pk}"))
    assert response.context["period"] == journal.quarters[2]
    assert f'<option value="{journal.quarters[2].pk}" selected>' in response.content.decode()
    assert client.get(marks_url(people, "?period=999999")).status_code == 404
    response = client.get(marks_url(people, "?period=первая"))
    assert response.status_code == 200 and response.context["period"] == journal.quarters[0]
    assert "Период «первая» не распознан; показан текущий." in response.content.decode()


def test_another_schools_period_is_404(client, people, journal):
    from ..journal.conftest import quarters_make

    gymnasium_q1 = quarters_make(people.gymnasium, people.gymnasium.academic_years.get())[0]
    client.force_login(people.parent)
    assert client.get(marks_url(people, f"?period={gymnasium_q1.pk}")).status_code == 404


def test_a_child_in_no_class_has_nothing_to_show(client, people, journal):
    lonely = f.student_make(people.lyceum, None, "Безклассов", "Борис")
    parent = f.UserFactory(username="lonelyparent", last_name="Безклассова")
    f.parent_make(people.lyceum, parent, lonely)
    client.force_login(parent)
    for name in ("diary_marks", "diary_attendance"):
        response = client.get(reverse(name, args=[people.lyceum.slug, lonely.pk]))
        assert response.status_code == 200
        assert "не зачислен в класс" in response.content.decode()
    url = reverse("diary_week", args=[people.lyceum.slug, lonely.pk])
    assert client.get(url).content.decode().count("Нет уроков.") == 5


def test_without_periods_the_whole_year_is_shown(client, people, journal, diary, marks):
    PeriodMark.objects.all().delete()
    from schedule.models import ReportingPeriod

    ReportingPeriod.objects.filter(school=people.lyceum).delete()
    client.force_login(people.parent)
    response = client.get(marks_url(people))
    assert response.status_code == 200
    html = response.content.decode()
    assert "показан весь год, 01.09.2026 — 31.05.2027" in html
    assert subject_html(html, "Математика").count('data-testid="mark"') == 5


def test_r_mrk_7_the_marks_page_costs_a_fixed_number_of_queries(
    client, people, journal, diary, django_assert_max_num_queries
):
    """Queries: the user, his roles (school_view), the students he reads (access and
    switcher), the grade's periods, the subjects of his lessons, his marks with their work
    types and lessons, his period and final marks; the header's unread counts: at most 8."""
    client.force_login(people.parent)
    mark_make(people, lesson_on(people, dt.date(2026, 9, 14)), people.student_record, "5")
    client.get(marks_url(people))
    with CaptureQueriesContext(connection) as few:
        client.get(marks_url(people))
    for day in range(1, 25):
        when = dt.date(2026, 9, day)
        if when.weekday() < 5 and day != 14:
            mark_make(people, lesson_on(people, when), people.student_record, "4", comment="x")
    period_mark_make(people, journal, people.maths, FinalKind.YEAR, "5")
    with django_assert_max_num_queries(8):
        response = client.get(marks_url(people))
    assert len(response.context["marks"].subjects[1].marks) == 18
    with CaptureQueriesContext(connection) as many:
        client.get(marks_url(people))
    assert len(many) == len(few)
