"""The control-work schedule (R-TT-5): teachers plan control works on dated lessons, staff
read a class's schedule, students and parents the student's own, with a warning on days
over the school's limit (SchoolSettings.max_control_works_per_day)."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.urls import reverse

from accounts.models import SchoolSettings
from schedule.models import Lesson, PeriodKind, ReportingPeriod, TeachingLoad
from schedule.services import lessons as lesson_services
from schedule.services.timetable import entry_add

from .. import factories as f

TUESDAY = 2
OCT_13 = dt.date(2026, 10, 13)  # a Tuesday of the first quarter, a week after "today"


@pytest.fixture
def quarters(people):
    """The lyceum's quarters (the fixture has none)."""
    dates = [
        (dt.date(2026, 9, 1), dt.date(2026, 10, 25)),
        (dt.date(2026, 11, 5), dt.date(2026, 12, 28)),
        (dt.date(2027, 1, 11), dt.date(2027, 3, 21)),
        (dt.date(2027, 3, 30), dt.date(2027, 5, 31)),
    ]
    return [
        ReportingPeriod.objects.create(
            school=people.lyceum,
            year=people.year,
            kind=PeriodKind.QUARTER,
            number=n,
            starts_on=start,
            ends_on=end,
        )
        for n, (start, end) in enumerate(dates, start=1)
    ]


@pytest.fixture
def week(people, timetable, quarters):
    """Every Tuesday of the year: 5А maths (teacher) 1st, the two English subgroups of 5А
    in parallel 2nd (teacher: 1 группа, class teacher: 2 группа), 5Б maths 3rd."""
    whole_5a = people.class_5a.groups.get(is_whole_class=True)
    whole_5b = people.class_5b.groups.get(is_whole_class=True)
    TeachingLoad.objects.create(
        school=people.lyceum,
        teacher=people.class_teacher,
        group=people.english_2,
        subject=people.english,
        hours_per_week=3,
    )
    TeachingLoad.objects.create(
        school=people.lyceum,
        teacher=people.class_teacher,
        group=whole_5b,
        subject=people.maths,
        hours_per_week=5,
    )
    for school_class, group, subject, teacher, number in (
        (people.class_5a, whole_5a, people.maths, people.teacher, 1),
        (people.class_5a, people.english_1, people.english, people.teacher, 2),
        (people.class_5a, people.english_2, people.english, people.class_teacher, 2),
        (people.class_5b, whole_5b, people.maths, people.class_teacher, 3),
    ):
        entry_add(
            actor=people.deputy,
            school_class=school_class,
            group=group,
            subject=subject,
            teacher=teacher,
            room=None,
            weekday=TUESDAY,
            number=number,
            starts_on=dt.date(2026, 9, 1),
        )
    return people


def lesson(group, subject, date=OCT_13) -> Lesson:
    return Lesson.objects.get(group=group, subject=subject, date=date)


def maths_5a(p, date=OCT_13):
    return lesson(p.class_5a.groups.get(is_whole_class=True), p.maths, date)


def url(name, p, *args):
    return reverse(name, args=[p.lyceum.slug, *args])


def save_url(p, the_lesson):
    return url("lesson_control_work", p, the_lesson.pk)


def page(response) -> str:
    return response.content.decode()


# --- planning ---------------------------------------------------------------------------


def test_r_tt_5_teacher_plans_a_control_work_on_his_lesson(client, week):
    p = week
    client.force_login(p.teacher)
    response = client.get(url("control_work_plan", p))
    assert response.status_code == 200
    rows = response.context["rows"]
    # his first course (5А maths), the current quarter by default: the Tuesdays from 1.09
    # to 20.10, the autumn vacation excluded
    assert response.context["window"].period.number == 1
    assert [r.lesson.date for r in rows][:2] == [dt.date(2026, 9, 1), dt.date(2026, 9, 8)]
    assert rows[-1].lesson.date == dt.date(2026, 10, 20) and len(rows) == 8
    target = maths_5a(p)
    assert f'action="{save_url(p, target)}"' in page(response)

    plan = url("control_work_plan", p) + f"?course={response.context['course'].pk}"
    response = client.post(
        save_url(p, target), {"title": "  Контрольная работа №1 ", "next": plan}, follow=True
    )
    assert response.redirect_chain == [(plan, 302)]
    target.refresh_from_db()
    assert target.control_work == "Контрольная работа №1"
    assert "Контрольная работа «Контрольная работа №1» запланирована на 13.10.2026" in page(
        response
    )
    assert 'value="Контрольная работа №1"' in page(response)

    # an empty title removes the work
    response = client.post(save_url(p, target), {"title": "", "next": plan}, follow=True)
    target.refresh_from_db()
    assert target.control_work == ""
    assert "На 13.10.2026, урок 1, контрольной работы больше нет." in page(response)


def test_r_tt_5_another_teacher_is_refused(client, week):
    p = week
    target = maths_5a(p)
    client.force_login(p.class_teacher)  # teaches 5А English (2 группа), not its maths
    response = client.post(save_url(p, target), {"title": "Чужая"})
    assert response.status_code == 403
    assert "Контрольные работы курса планирует только его учитель." in page(response)
    target.refresh_from_db()
    assert target.control_work == ""
    # and his plan page offers only his own courses
    response = client.get(url("control_work_plan", p) + f"?course={_load(p.teacher).pk}")
    assert response.status_code == 404


def _load(teacher):
    return TeachingLoad.objects.filter(teacher=teacher).order_by("pk").first()


def test_r_tt_5_cancelled_lesson_is_refused_and_has_no_field(client, week):
    p = week
    target = maths_5a(p)
    lesson_services.lesson_cancel(actor=p.deputy, lesson=target, reason="Карантин")
    client.force_login(p.teacher)
    html = page(client.get(url("control_work_plan", p)))
    assert f'action="{save_url(p, target)}"' not in html
    assert "Урок отменён." in html
    response = client.post(save_url(p, target), {"title": "КР"})
    assert response.status_code == 403
    assert "Урок отменён." in page(response)
    target.refresh_from_db()
    assert target.control_work == ""


def test_r_tt_5_leadership_plans_on_any_course(client, week):
    p = week
    client.force_login(p.deputy)
    response = client.get(url("control_work_plan", p))
    courses = response.context["courses"]
    assert len(courses) == 4  # every course of the year, each teacher's
    english_2 = next(c for c in courses if c.group == p.english_2)
    response = client.get(url("control_work_plan", p) + f"?course={english_2.pk}")
    assert "Классова К." in page(response)  # whose course it is
    target = lesson(p.english_2, p.english)
    response = client.post(save_url(p, target), {"title": "Словарный диктант"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.control_work == "Словарный диктант"


def test_r_tt_5_warning_when_class_exceeds_the_limit(client, week):
    p = week
    client.force_login(p.teacher)
    response = client.post(save_url(p, maths_5a(p)), {"title": "КР по дробям"}, follow=True)
    assert "school allows" not in page(response) and "допускает" not in page(response)
    response = client.post(
        save_url(p, lesson(p.english_1, p.english)), {"title": "Test 1"}, follow=True
    )
    assert (
        "5А: на 13.10.2026 запланировано контрольных работ — 2, школа допускает не более 1."
        in page(response)
    )
    assert lesson(p.english_1, p.english).control_work == "Test 1"  # planned all the same
    # back on the plan (of maths, his first course): the day is over the limit, and the
    # maths row says what else the class writes that day
    row = next(r for r in response.context["rows"] if r.lesson.date == OCT_13)
    assert row.lesson.control_work == "КР по дробям"
    assert row.over_limit and [o.control_work for o in row.others] == ["Test 1"]

    # a school allowing two: no warning
    SchoolSettings.objects.filter(school=p.lyceum).update(max_control_works_per_day=2)
    response = client.post(
        save_url(p, lesson(p.english_1, p.english)), {"title": "Test 1"}, follow=True
    )
    assert "допускает" not in page(response)


def test_r_tt_5_two_subgroups_works_count_for_the_class(client, week):
    """The subgroups of one class are one set of students for the limit: 5А has two works
    on a day when each English subgroup writes one."""
    p = week
    client.force_login(p.teacher)
    client.post(save_url(p, lesson(p.english_1, p.english)), {"title": "Test A"})
    client.force_login(p.class_teacher)
    response = client.post(
        save_url(p, lesson(p.english_2, p.english)), {"title": "Test B"}, follow=True
    )
    assert "5А: на 13.10.2026 запланировано контрольных работ — 2" in page(response)

    client.force_login(p.deputy)
    response = client.get(url("class_control_works", p, p.class_5a.pk))
    assert response.status_code == 200
    html = page(response)
    assert "Test A" in html and "Test B" in html
    assert "1 группа" in html and "2 группа" in html
    assert "Контрольных работ в этот день: 2; школа допускает не более 1." in html
    days = response.context["days"]
    assert [(d.date, d.count, d.over_limit) for d in days] == [(OCT_13, 2, True)]


def test_r_tt_5_cancelled_lessons_work_is_not_counted(client, week):
    p = week
    lesson_services.control_work_set(actor=p.teacher, lesson=maths_5a(p), title="КР")
    lesson_services.lesson_cancel(actor=p.deputy, lesson=maths_5a(p), reason="Карантин")
    client.force_login(p.teacher)
    response = client.post(
        save_url(p, lesson(p.english_1, p.english)), {"title": "Test"}, follow=True
    )
    assert "допускает" not in page(response)
    client.force_login(p.deputy)
    html = page(client.get(url("class_control_works", p, p.class_5a.pk)))
    assert "Test" in html and "КР" not in html


# --- htmx ---------------------------------------------------------------------------------


def test_r_tt_5_htmx_save_returns_the_row(client, week):
    p = week
    client.force_login(p.teacher)
    lesson_services.control_work_set(actor=p.deputy, lesson=maths_5a(p), title="КР по дробям")
    target = lesson(p.english_1, p.english)
    response = client.post(save_url(p, target), {"title": "Test 1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = page(response).strip()
    assert html.startswith("<tr") and "<html" not in html
    assert f'id="lesson-{target.pk}"' in html and 'value="Test 1"' in html
    assert "5А: на 13.10.2026 запланировано контрольных работ — 2" in html
    assert "Математика: КР по дробям" in html  # what else the class writes that day

    response = client.post(save_url(p, target), {"title": ""}, HTTP_HX_REQUEST="true")
    html = page(response)
    assert "Сохранено." in html and "допускает" not in html


def test_r_tt_5_htmx_refusal_shows_in_the_row(client, week):
    p = week
    client.force_login(p.class_teacher)
    target = maths_5a(p)
    response = client.post(save_url(p, target), {"title": "Чужая"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    html = page(response).strip()
    assert (
        html.startswith("<tr") and "Контрольные работы курса планирует только его учитель." in html
    )


def test_r_tt_5_plan_page_loads_htmx(client, week):
    client.force_login(week.teacher)
    html = page(client.get(url("control_work_plan", week)))
    assert "htmx" in html and 'hx-post="' in html and 'hx-target="closest tr"' in html


def test_r_tt_5_next_must_be_on_this_site(client, week):
    p = week
    client.force_login(p.teacher)
    response = client.post(
        save_url(p, maths_5a(p)), {"title": "КР", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("control_work_plan", p)


# --- the student's and the parent's schedule ------------------------------------------------


def _plan_english_in_both_subgroups(p):
    lesson_services.control_work_set(
        actor=p.teacher, lesson=lesson(p.english_1, p.english), title="Test A (1 группа)"
    )
    lesson_services.control_work_set(
        actor=p.class_teacher, lesson=lesson(p.english_2, p.english), title="Test B (2 группа)"
    )


def test_r_tt_5_student_sees_his_subgroups_works_only(client, week):
    p = week
    _plan_english_in_both_subgroups(p)
    client.force_login(p.student)
    response = client.get(url("student_control_works", p, p.student_record.pk))
    assert response.status_code == 200
    html = page(response)
    assert "Test A (1 группа)" in html
    assert "Test B (2 группа)" not in html
    # the class has two works that day, but he writes one: no warning for him
    assert "допускает" not in html
    # with maths the same day he writes two
    lesson_services.control_work_set(actor=p.teacher, lesson=maths_5a(p), title="КР по дробям")
    html = page(client.get(url("student_control_works", p, p.student_record.pk)))
    assert "КР по дробям" in html
    assert "Контрольных работ в этот день: 2; школа допускает не более 1." in html


def test_r_tt_5_student_cannot_read_another_student(client, week):
    client.force_login(week.student)
    for other in (week.other_student_record, week.sibling_record):
        response = client.get(url("student_control_works", week, other.pk))
        assert response.status_code == 404


def test_r_tt_5_parent_sees_his_children_and_not_another_child(client, week):
    p = week
    _plan_english_in_both_subgroups(p)
    lesson_services.control_work_set(
        actor=p.class_teacher,
        lesson=lesson(p.class_5b.groups.get(is_whole_class=True), p.maths),
        title="КР 5Б",
    )
    client.force_login(p.parent)
    html = page(client.get(url("student_control_works", p, p.student_record.pk)))
    assert "Test A (1 группа)" in html and "Test B" not in html and "КР 5Б" not in html
    html = page(client.get(url("student_control_works", p, p.sibling_record.pk)))
    assert "КР 5Б" in html and "Test A" not in html
    response = client.get(url("student_control_works", p, p.other_student_record.pk))
    assert response.status_code == 404


def test_r_tt_5_staff_read_a_students_schedule(client, week):
    p = week
    _plan_english_in_both_subgroups(p)
    client.force_login(p.class_teacher)
    html = page(client.get(url("student_control_works", p, p.other_student_record.pk)))
    assert "Test B (2 группа)" in html and "Test A" not in html


def test_r_tt_5_period_choice(client, week, quarters):
    p = week
    second_quarter = dt.date(2026, 11, 10)
    lesson_services.control_work_set(
        actor=p.teacher, lesson=maths_5a(p, second_quarter), title="КР за ноябрь"
    )
    lesson_services.control_work_set(actor=p.teacher, lesson=maths_5a(p), title="КР за октябрь")
    client.force_login(p.student)
    base = url("student_control_works", p, p.student_record.pk)
    html = page(client.get(base))
    assert "КР за октябрь" in html and "КР за ноябрь" not in html
    html = page(client.get(f"{base}?period={quarters[1].pk}"))
    assert "КР за ноябрь" in html and "КР за октябрь" not in html
    assert "2 четверть: 05.11.2026 – 28.12.2026" in html
    assert client.get(f"{base}?period=999999").status_code == 404
    assert client.get(f"{base}?period=abc").status_code == 404


def test_r_tt_5_default_period_follows_the_schools_local_day(client, week, quarters):
    """25.10 17:00 UTC is already 26.10 in Tomsk (UTC+7): the first quarter is over and the
    next one is shown by default (R-TEN-2)."""
    address = url("student_control_works", week, week.student_record.pk)
    with time_machine.travel(dt.datetime(2026, 10, 25, 16, 59, tzinfo=dt.UTC), tick=False):
        client.force_login(week.student)
        assert client.get(address).context["window"].period == quarters[0]
    with time_machine.travel(dt.datetime(2026, 10, 25, 17, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(week.student)
        assert client.get(address).context["window"].period == quarters[1]


def test_r_tt_5_without_periods_the_whole_year_is_shown(client, people, timetable):
    client.force_login(people.deputy)
    response = client.get(url("class_control_works", people, people.class_5a.pk))
    assert response.status_code == 200
    window = response.context["window"]
    assert (window.starts_on, window.ends_on) == (people.year.starts_on, people.year.ends_on)
    assert "Школа не ввела учебные периоды" in page(response)


def test_r_tt_5_grade_with_trimesters_offers_trimesters(client, week, quarters):
    from schedule.models import GradeLevel

    p = week
    GradeLevel.objects.create(
        school=p.lyceum, year=p.year, grade=5, period_kind=PeriodKind.TRIMESTER
    )
    trimester = ReportingPeriod.objects.create(
        school=p.lyceum,
        year=p.year,
        kind=PeriodKind.TRIMESTER,
        number=1,
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2026, 11, 30),
    )
    client.force_login(p.deputy)
    response = client.get(url("class_control_works", p, p.class_5a.pk))
    assert list(response.context["window"].periods) == [trimester]
    base = url("class_control_works", p, p.class_5a.pk)
    assert client.get(f"{base}?period={quarters[0].pk}").status_code == 404


# --- who may see what -----------------------------------------------------------------------


def test_r_tt_5_class_schedule_is_for_staff_only(client, week):
    p = week
    for user in (p.parent, p.student):
        client.force_login(user)
        assert client.get(url("class_control_works", p, p.class_5a.pk)).status_code == 403
    for user in (p.teacher, p.class_teacher, p.director, p.admin):
        client.force_login(user)
        assert client.get(url("class_control_works", p, p.class_5a.pk)).status_code == 200


def test_r_tt_5_plan_page_wrong_role(client, week):
    for user in (week.parent, week.student):
        client.force_login(user)
        assert client.get(url("control_work_plan", week)).status_code == 403
        response = client.post(save_url(week, maths_5a(week)), {"title": "КР"})
        assert response.status_code == 403
    assert maths_5a(week).control_work == ""


def test_r_tt_5_outsider_sees_nothing(client, week):
    p = week
    client.force_login(p.outsider)
    for address in (
        url("control_works", p),
        url("control_work_plan", p),
        url("class_control_works", p, p.class_5a.pk),
        url("student_control_works", p, p.student_record.pk),
    ):
        assert client.get(address).status_code == 404
    assert client.post(save_url(p, maths_5a(p)), {"title": "КР"}).status_code == 404
    # nor through his own school's address
    own = reverse("class_control_works", args=[p.gymnasium.slug, p.class_5a.pk])
    assert client.get(own).status_code == 404
    own = reverse("lesson_control_work", args=[p.gymnasium.slug, maths_5a(p).pk])
    assert client.post(own, {"title": "КР"}).status_code == 404
    assert maths_5a(p).control_work == ""


def test_r_tt_5_wrong_method(client, week):
    p = week
    client.force_login(p.teacher)
    assert client.get(save_url(p, maths_5a(p))).status_code == 405
    for address in (
        url("control_works", p),
        url("control_work_plan", p),
        url("class_control_works", p, p.class_5a.pk),
        url("student_control_works", p, p.student_record.pk),
    ):
        assert client.post(address).status_code == 405


def test_r_tt_5_other_roles_see_no_students_schedule(client, week):
    """A trusted person without a grant for this student finds no such student (R-ROLE-5:
    with a grant he reads it, tests/diary/test_access.py); a monitoring member is not
    staff."""
    p = week
    for role, answer in (("trusted", 404), ("monitoring", 403)):
        user = f.UserFactory(username=f"someone-{role}")
        f.member(user, p.lyceum, role)
        client.force_login(user)
        address = url("student_control_works", p, p.student_record.pk)
        assert client.get(address).status_code == answer
        assert client.get(url("class_control_works", p, p.class_5a.pk)).status_code == 403
        html = page(client.get(url("control_works", p)))
        assert "В этой школе график контрольных работ вам недоступен." in html


def test_r_tt_5_schedule_in_kazakh(client, week):
    client.force_login(week.deputy)
    client.cookies["django_language"] = "kk"
    html = page(client.get(url("class_control_works", week, week.class_5a.pk)))
    assert "Бақылау жұмыстарының кестесі, 5А сынып" in html


# --- the way in ---------------------------------------------------------------------------


def test_r_tt_5_index_sends_each_to_his_page(client, week):
    p = week
    client.force_login(p.teacher)
    assert client.get(url("control_works", p))["Location"] == url("control_work_plan", p)
    client.force_login(p.class_teacher)
    assert client.get(url("control_works", p))["Location"] == url("control_work_plan", p)
    client.force_login(p.student)
    assert client.get(url("control_works", p))["Location"] == url(
        "student_control_works", p, p.student_record.pk
    )
    # a parent of two chooses
    client.force_login(p.parent)
    response = client.get(url("control_works", p))
    assert response.status_code == 200
    html = page(response)
    assert url("student_control_works", p, p.student_record.pk) in html
    assert url("student_control_works", p, p.sibling_record.pk) in html
    assert url("class_control_works", p, p.class_5a.pk) not in html
    # a parent of one goes straight to the child
    father = f.UserFactory(username="father", last_name="Другов", first_name="Денис")
    f.parent_make(p.lyceum, father, p.other_student_record)
    client.force_login(father)
    assert client.get(url("control_works", p))["Location"] == url(
        "student_control_works", p, p.other_student_record.pk
    )
    # leadership chooses a class
    client.force_login(p.deputy)
    html = page(client.get(url("control_works", p)))
    assert url("class_control_works", p, p.class_5a.pk) in html
    assert url("class_control_works", p, p.class_5b.pk) in html
    assert url("control_work_plan", p) in html


# --- fixed query counts ---------------------------------------------------------------------

_titles = itertools.count(1)


def _plan_many(p, dates):
    """Control works on every lesson of 5А and 5Б on the dates."""
    for the_lesson in Lesson.objects.filter(school=p.lyceum, date__in=dates):
        the_lesson.control_work = f"КР {next(_titles)}"
        the_lesson.save(update_fields=["control_work"])


def _tuesdays(p, start, end):
    return list(
        Lesson.objects.filter(school=p.lyceum, date__range=(start, end))
        .values_list("date", flat=True)
        .distinct()
    )


def test_r_tt_5_class_schedule_query_count_is_fixed(client, week, django_assert_max_num_queries):
    p = week
    client.force_login(p.deputy)
    address = url("class_control_works", p, p.class_5a.pk)
    _plan_many(p, [OCT_13])
    # session, user, school+settings, roles, class with year and class teacher, the grade's
    # periods, the planned lessons with group, subject, teacher and substitute, the
    # switcher's schools; savepoint + session update + release
    with django_assert_max_num_queries(11) as few:
        response = client.get(address)
    assert sum(d.count for d in response.context["days"]) == 3
    _plan_many(p, _tuesdays(p, dt.date(2026, 9, 1), dt.date(2026, 10, 25)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(address)
    assert sum(d.count for d in response.context["days"]) == 24


def test_r_tt_5_student_schedule_query_count_is_fixed(client, week, django_assert_max_num_queries):
    p = week
    client.force_login(p.parent)
    address = url("student_control_works", p, p.student_record.pk)
    _plan_many(p, [OCT_13])
    # session, user, school+settings, roles, the student (his or his child), his
    # enrolments with class and year, the grade's periods, his lessons with control works,
    # the switcher's schools; savepoint + session update + release
    with django_assert_max_num_queries(12) as few:
        response = client.get(address)
    assert sum(d.count for d in response.context["days"]) == 2  # maths and his English
    _plan_many(p, _tuesdays(p, dt.date(2026, 9, 1), dt.date(2026, 10, 25)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(address)
    assert sum(d.count for d in response.context["days"]) == 16


def test_r_tt_5_plan_page_query_count_is_fixed(client, week, django_assert_max_num_queries):
    p = week
    client.force_login(p.teacher)
    address = url("control_work_plan", p)
    # session, user, school+settings, roles, "leads a class?", year, his courses, the
    # grade's periods, the course's lessons, the class's planned works, the switcher's
    # schools; savepoint + session update + release
    with django_assert_max_num_queries(14) as few:
        client.get(address)
    _plan_many(p, _tuesdays(p, dt.date(2026, 9, 1), dt.date(2026, 10, 25)))
    for n in range(3):  # more courses to choose from
        TeachingLoad.objects.create(
            school=p.lyceum,
            teacher=p.teacher,
            group=p.class_5b.groups.get(is_whole_class=True),
            subject=f.subject_make(p.lyceum, f"Предмет {n}"),
            hours_per_week=1,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(address)
    assert len(response.context["rows"]) == 8
    assert all(r.over_limit for r in response.context["rows"])
