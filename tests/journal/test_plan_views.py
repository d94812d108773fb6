"""The plan pages: a course's lessons with their planned topics, the fill, the confirmation
of several topics at once (R-PLAN-2), and programme completion per course and period
(R-PLAN-3); who reads, who writes (R-ROLE-3)."""

import datetime as dt

import pytest
from django.urls import reverse

from journal.models import LessonRecord
from journal.services.plans import ItemRow, plan_fill, plan_save
from schedule.models import Lesson, TeachingLoad

from .. import factories as f

TODAY = dt.date(2026, 10, 6)


def whole(people):
    return people.class_5a.groups.get(is_whole_class=True)


def plan_url(people, name="journal_plan", group=None, subject=None):
    return reverse(
        name, args=[people.lyceum.slug, (group or whole(people)).pk, (subject or people.maths).pk]
    )


def progress_url(people, **query):
    url = reverse("journal_plan_progress", args=[people.lyceum.slug])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def make_plan(people, hours_each=1, count=10, group=None, subject=None):
    return plan_save(
        actor=people.teacher,
        school=people.lyceum,
        year=people.year,
        group=group or whole(people),
        subject=subject or people.maths,
        items=[ItemRow(n, f"Тема {n}", hours_each, None, "") for n in range(1, count + 1)],
        file_name="ктп.xlsx",
    ).plan


def maths_lessons(people):
    return list(
        Lesson.objects.filter(group=whole(people), subject=people.maths).order_by("date", "number")
    )


# --- the course's plan page ---------------------------------------------------------------


def test_r_plan_2_the_plan_page_lists_the_period_lessons_with_proposals(client, people, journal):
    plan = make_plan(people, count=40)
    plan_fill(actor=people.teacher, plan=plan)
    client.force_login(people.teacher)
    response = client.get(plan_url(people))
    assert response.status_code == 200
    assert response.context["period"] == journal.quarters[0]
    rows = response.context["rows"]
    assert all(
        journal.quarters[0].starts_on <= r["lesson"].date <= dt.date(2026, 10, 25) for r in rows
    )
    assert rows[0]["record"].topic == "Тема 1"
    html = response.content.decode()
    assert "из КТП, не подтверждена" in html
    assert "Тем в плане: 40, часов: 40." in html
    # the lessons that have taken place are ticked for confirmation, the future ones not
    started = [r for r in rows if r["started"] and r["confirmable"]]
    future = [r for r in rows if not r["started"] and r["confirmable"]]
    assert started and future
    assert f'name="lessons" value="{started[0]["lesson"].pk}" checked' in html
    assert f'name="lessons" value="{future[0]["lesson"].pk}" aria-label' in html
    # items placed beyond the quarter are not "not placed"
    assert response.context["not_placed"] == []


def test_r_plan_2_the_plan_page_without_a_plan(client, people, journal):
    client.force_login(people.teacher)
    html = client.get(plan_url(people)).content.decode()
    assert "КТП этого курса ещё не загружено." in html
    assert "Загрузить КТП из файла" in html


def test_r_plan_2_fill_and_confirm_through_the_page(client, people, journal):
    make_plan(people, count=3)
    client.force_login(people.teacher)
    period = journal.quarters[0].pk
    response = client.post(plan_url(people, "journal_plan_fill"), {"period": str(period)})
    assert response.status_code == 302
    assert response.url == plan_url(people) + f"?period={period}"
    assert LessonRecord.objects.filter(plan_item__isnull=False).count() == 3
    page = client.get(response.url).content.decode()
    assert "Уроков с темами из КТП: 3" in page
    lessons = maths_lessons(people)[:3]
    response = client.post(
        plan_url(people, "journal_plan_confirm"),
        {"lessons": [str(lesson.pk) for lesson in lessons[:2]]},
    )
    assert response.status_code == 302
    assert LessonRecord.objects.filter(topic_confirmed=True).count() == 2
    assert "Подтверждено тем: 2." in client.get(response.url).content.decode()


def test_r_plan_2_fill_from_a_date_through_the_page(client, people, journal):
    make_plan(people, count=3)
    client.force_login(people.teacher)
    client.post(plan_url(people, "journal_plan_fill"), {"from_date": "2026-10-06"})
    first = LessonRecord.objects.order_by("lesson__date").select_related("lesson").first()
    assert first.lesson.date == TODAY
    bad = client.post(plan_url(people, "journal_plan_fill"), {"from_date": "вчера"})
    assert bad.status_code == 302
    assert "дд.мм.гггг" in client.get(bad.url).content.decode()


def test_r_plan_2_fill_without_a_plan_says_so(client, people, journal):
    client.force_login(people.teacher)
    response = client.post(plan_url(people, "journal_plan_fill"))
    assert "Сначала загрузите КТП." in client.get(response.url).content.decode()


def test_r_plan_2_the_plan_page_reports_topics_that_do_not_fit(client, people, journal):
    count = len(maths_lessons(people))
    plan = make_plan(people, count=count + 3)
    client.force_login(people.teacher)
    response = client.post(plan_url(people, "journal_plan_fill"))
    assert (
        "Часов плана, которые не помещаются в уроки курса за год: 3."
        in client.get(response.url).content.decode()
    )
    not_placed = client.get(plan_url(people)).context["not_placed"]
    assert [item.number for item, _n in not_placed] == [count + 1, count + 2, count + 3]
    assert plan.items.count() == count + 3
    progress = client.get(progress_url(people))
    assert progress_row(progress, whole(people), people.maths).not_placed == 3


@pytest.mark.parametrize("who", ["class_teacher", "deputy", "director"])
def test_r_role_3_readers_see_the_plan_without_actions(client, people, journal, who):
    plan_fill(actor=people.teacher, plan=make_plan(people, count=3))
    client.force_login(getattr(people, who))
    response = client.get(plan_url(people))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Тема 1" in html
    assert 'name="lessons"' not in html and "journal_plan_fill" not in html
    assert client.post(plan_url(people, "journal_plan_fill")).status_code == 403
    assert client.post(plan_url(people, "journal_plan_confirm")).status_code == 403


def test_r_role_3_another_teacher_gets_403_on_the_plan(client, people, journal):
    client.force_login(journal.english_teacher)
    assert client.get(plan_url(people)).status_code == 403
    assert client.post(plan_url(people, "journal_plan_fill")).status_code == 403


@pytest.mark.parametrize("who", ["admin", "parent", "student"])
def test_r_role_3_wrong_roles_get_403_on_plan_pages(client, people, journal, who):
    client.force_login(getattr(people, who))
    assert client.get(plan_url(people)).status_code == 403
    assert client.get(progress_url(people)).status_code == 403


def test_r_role_3_the_outsider_gets_404_on_plan_pages(client, people, journal):
    client.force_login(people.outsider)
    assert client.get(plan_url(people)).status_code == 404
    assert client.get(progress_url(people)).status_code == 404
    assert client.post(plan_url(people, "journal_plan_confirm")).status_code == 404


def test_plan_pages_refuse_wrong_methods(client, people, journal):
    client.force_login(people.teacher)
    assert client.post(plan_url(people)).status_code == 405
    assert client.get(plan_url(people, "journal_plan_fill")).status_code == 405
    assert client.get(plan_url(people, "journal_plan_confirm")).status_code == 405
    assert client.post(progress_url(people)).status_code == 405


def test_the_plan_page_of_a_subgroup_for_another_subject_is_404(client, people, journal):
    client.force_login(people.teacher)
    assert client.get(plan_url(people, group=people.english_1)).status_code == 404


def test_the_plan_page_costs_a_fixed_number_of_queries(
    client, people, journal, django_assert_max_num_queries
):
    plan_fill(actor=people.teacher, plan=make_plan(people, count=60))
    client.force_login(people.teacher)
    # session, user, access (1-3); the group, the subject, can_plan_course; the plan; the
    # periods; the lessons with records and items; the items' placements and the items;
    # the school switcher — whatever the number of lessons or items
    with django_assert_max_num_queries(14):
        response = client.get(plan_url(people))
    assert len(response.context["rows"]) > 30


# --- programme completion (R-PLAN-3) --------------------------------------------------------


def progress_row(response, group, subject):
    return next(
        r for r in response.context["rows"] if (r.group.pk, r.subject.pk) == (group.pk, subject.pk)
    )


def test_r_plan_3_planned_held_timetable_and_lag_of_a_course(client, people, journal):
    lessons = maths_lessons(people)
    quarter = journal.quarters[0]
    in_quarter = [
        lesson for lesson in lessons if quarter.starts_on <= lesson.date <= quarter.ends_on
    ]
    started = [lesson for lesson in in_quarter if lesson.date <= TODAY]  # lesson 2 has begun
    plan = make_plan(people, count=100)
    plan_fill(actor=people.teacher, plan=plan)
    # two past lessons cancelled afterwards (the proposals stay until a new fill)
    cancelled = started[3:5]
    Lesson.objects.filter(pk__in=[lesson.pk for lesson in cancelled]).update(
        is_cancelled=True, change_reason="болезнь учителя"
    )
    LessonRecord.objects.filter(lesson=started[0]).update(topic_confirmed=True)
    client.force_login(people.teacher)
    response = client.get(progress_url(people))
    assert response.status_code == 200
    row = progress_row(response, whole(people), people.maths)
    assert row.plan_hours == 100
    assert row.timetable == len(in_quarter) - 2
    assert row.cancelled == 2
    assert row.planned == len(in_quarter)  # the fill put a topic on every lesson
    assert row.held == len(started) - 2
    assert row.unconfirmed == len(started) - 3
    assert row.lag == 2  # the two cancelled lessons
    assert row.not_placed == 0  # the year has more lessons than the plan has hours
    html = response.content.decode()
    assert "Выполнение программы" in html and "Отставание" in html


def test_r_plan_3_a_course_without_a_plan_has_no_lag(client, people, journal):
    client.force_login(people.teacher)
    response = client.get(progress_url(people))
    row = progress_row(response, whole(people), people.maths)
    assert row.plan_hours is None and row.lag is None and row.not_placed is None
    assert "нет КТП" in response.content.decode()


def test_r_plan_3_a_past_period_counts_to_its_end(client, people, journal):
    plan = make_plan(people, count=300)
    plan_fill(actor=people.teacher, plan=plan)
    second = journal.quarters[1]
    client.force_login(people.teacher)
    response = client.get(progress_url(people, period=second.pk))
    row = progress_row(response, whole(people), people.maths)
    assert row.held == 0 and row.planned == row.timetable > 0
    assert response.context["limit"] == TODAY


def test_r_plan_3_who_sees_which_courses(client, people, journal):
    courses = lambda response: {(r.group.pk, r.subject.pk) for r in response.context["rows"]}  # noqa: E731
    maths = (whole(people).pk, people.maths.pk)
    english_1 = (people.english_1.pk, people.english.pk)
    english_2 = (people.english_2.pk, people.english.pk)
    whole_5b = people.class_5b.groups.get(is_whole_class=True)
    TeachingLoad.objects.create(
        school=people.lyceum,
        teacher=journal.english_teacher,
        group=whole_5b,
        subject=people.english,
        hours_per_week=3,
    )
    english_5b = (whole_5b.pk, people.english.pk)
    client.force_login(people.teacher)
    assert courses(client.get(progress_url(people))) == {maths, english_1}
    client.force_login(journal.english_teacher)
    assert courses(client.get(progress_url(people))) == {english_2, english_5b}
    client.force_login(people.class_teacher)  # 5А's class teacher, no load of his own
    assert courses(client.get(progress_url(people))) == {maths, english_1, english_2}
    client.force_login(people.deputy)
    everything = client.get(progress_url(people))
    assert courses(everything) == {maths, english_1, english_2, english_5b}
    only_5b = client.get(progress_url(people, **{"class": people.class_5b.pk}))
    assert courses(only_5b) == {english_5b}
    # a class the user does not see is 404, like a period of another school
    client.force_login(people.teacher)
    assert client.get(progress_url(people, **{"class": people.class_5b.pk})).status_code == 404
    other = f.year_make(people.gymnasium, name="2027/2028")
    assert client.get(progress_url(people, period=other.pk + 10_000)).status_code == 404


def test_r_plan_3_progress_costs_a_fixed_number_of_queries(
    client, people, journal, django_assert_max_num_queries
):
    plan_fill(actor=people.teacher, plan=make_plan(people, count=50))
    for n in range(3):
        school_class = f.class_make(people.lyceum, people.year, 6, f"В{n}")
        TeachingLoad.objects.create(
            school=people.lyceum,
            teacher=people.teacher,
            group=school_class.groups.get(is_whole_class=True),
            subject=people.maths,
            hours_per_week=4,
        )
    client.force_login(people.deputy)
    # session, user, access (1-3); the year; the periods; the grades' kinds of period; the
    # loads; the plans' hours; the lessons' counts; the school switcher
    with django_assert_max_num_queries(12):
        response = client.get(progress_url(people))
    assert len(response.context["rows"]) == 6
