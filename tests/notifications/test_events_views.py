"""The events calendar's pages (R-NOT-4, R-ROLE-2, R-NFR-4): the month list by who may see
what, in the school's local time; proposing with Russian errors; the administration's
queue and decisions; wrong roles, other schools, wrong methods and the query counts."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from notifications.models import Notification, SchoolEvent

from .. import factories as f
from . import conftest_news
from .conftest_news import News, event_make, html, local, url

news = conftest_news.news  # the fixture

Status = SchoolEvent.Status


def shown(response) -> list[str]:
    return re.findall(r'data-testid="event">\s*<h3>(.*?)</h3>', html(response))


@pytest.fixture
def calendar(people, news: News):
    """October 2026 in the lyceum: a whole-school event, one each for 5А, 5Б and 6А, one
    awaiting approval and one rejected; and one at 01:00 on 1 November, local time."""
    school = people.lyceum
    by = {"proposed_by": people.teacher, "decided_by": people.deputy}
    event_make(school, "Линейка", local(school, 2026, 10, 1, 8, 30), **by)
    event_make(
        school,
        "Собрание 5А",
        local(school, 2026, 10, 15, 18, 0),
        ends_at=local(school, 2026, 10, 15, 19, 30),
        classes=[people.class_5a],
        **by,
    )
    event_make(
        school, "Экскурсия 5Б", local(school, 2026, 10, 9, 10), classes=[people.class_5b], **by
    )
    event_make(school, "Поход 6А", local(school, 2026, 10, 9, 9), classes=[news.class_6a], **by)
    event_make(school, "Ждёт", local(school, 2026, 10, 20, 12), status=Status.PROPOSED, **by)
    event_make(school, "Отклонено", local(school, 2026, 10, 21, 12), status=Status.REJECTED, **by)
    event_make(school, "Ночной старт", local(school, 2026, 11, 1, 1, 0), **by)


# ------------------------------------------------------------------ the month


@pytest.mark.parametrize(
    ("who", "titles"),
    [
        ("parent", ["Линейка", "Экскурсия 5Б", "Собрание 5А"]),
        ("student", ["Линейка", "Собрание 5А"]),
        ("trusted", ["Линейка", "Собрание 5А"]),
        ("teacher", ["Линейка", "Поход 6А", "Экскурсия 5Б", "Собрание 5А"]),
        ("psychologist", ["Линейка", "Поход 6А", "Экскурсия 5Б", "Собрание 5А"]),
        ("deputy", ["Линейка", "Поход 6А", "Экскурсия 5Б", "Собрание 5А"]),
    ],
)
def test_r_not_4_the_month_shows_the_published_events_the_user_may_see(
    client, people, news: News, calendar, who, titles
):
    """Families see the whole school's events and their classes'; staff see every
    published event; proposals and rejected events are nobody's calendar."""
    client.force_login(getattr(news, who, None) or getattr(people, who))
    response = client.get(url("events_index", people.lyceum) + "?month=2026-10")
    assert response.status_code == 200
    assert shown(response) == titles


def test_r_not_4_the_current_month_is_the_default_and_times_are_local(
    client, people, news: News, calendar
):
    """Today is 6 October in Tomsk; the 5А meeting is 18:00–19:30 there (11:00 UTC)."""
    client.force_login(people.student)
    response = client.get(url("events_index", people.lyceum))
    text = html(response)
    assert "Октябрь 2026" in text
    assert "<strong>18:00–19:30</strong>" in text
    assert 'data-day="2026-10-15"' in text
    assert "вся школа" in text and "классы: 5А" in text
    for bad in ("bad", "2026-13", "0001-01", "9999-12"):
        other = client.get(url("events_index", people.lyceum) + f"?month={bad}")
        assert other.status_code == 200 and shown(other) == shown(response)


def test_r_ten_2_an_event_belongs_to_the_month_of_the_schools_local_time(
    client, people, news: News, calendar
):
    """01:00 on 1 November in Tomsk is 31 October in UTC: it is November's."""
    client.force_login(people.deputy)
    november = client.get(url("events_index", people.lyceum) + "?month=2026-11")
    assert shown(november) == ["Ночной старт"]
    assert 'data-day="2026-11-01"' in html(november)
    assert "<strong>01:00</strong>" in html(november)
    assert "Ночной старт" not in shown(
        client.get(url("events_index", people.lyceum) + "?month=2026-10")
    )


def test_r_not_4_an_event_running_into_the_month_is_listed_on_its_first_day(
    client, people, news: News
):
    school = people.lyceum
    event_make(
        school,
        "Каникулы в лагере",
        local(school, 2026, 10, 28, 9),
        ends_at=local(school, 2026, 11, 3, 18),
        proposed_by=people.deputy,
    )
    client.force_login(people.parent)
    response = client.get(url("events_index", school) + "?month=2026-11")
    assert shown(response) == ["Каникулы в лагере"]
    assert 'data-day="2026-11-01"' in html(response)
    assert "28.10 09:00 – 03.11 18:00" in html(response)


def test_r_not_4_the_month_links_to_its_neighbours_and_the_staffs_pages(
    client, people, news: News, calendar
):
    client.force_login(people.deputy)
    text = html(client.get(url("events_index", people.lyceum) + "?month=2026-01"))
    assert 'href="?month=2025-12"' in text and 'href="?month=2026-02"' in text
    assert url("events_propose", people.lyceum) in text
    assert "Ждут согласования: 1" in text
    client.force_login(people.parent)
    text = html(client.get(url("events_index", people.lyceum)))
    assert url("events_propose", people.lyceum) not in text
    assert url("events_pending", people.lyceum) not in text


def _more_events(people, news: News):
    school = people.lyceum
    for day in range(1, 29):
        event_make(
            school,
            f"Ещё {day}",
            local(school, 2026, 10, day, 12),
            classes=[people.class_5a, people.class_5b, news.class_6a],
            proposed_by=people.deputy,
        )
        event_make(
            school, f"Для всех {day}", local(school, 2026, 10, day, 13), proposed_by=people.deputy
        )
        event_make(
            school,
            f"Предложено {day}",
            local(school, 2026, 10, day, 14),
            proposed_by=people.teacher,
            status=Status.PROPOSED,
        )


@pytest.mark.parametrize(("who", "expected"), [("parent", 4), ("teacher", 4), ("deputy", 5)])
def test_r_nfr_4_the_month_costs_a_fixed_number_of_queries(
    client, people, news: News, calendar, django_assert_num_queries, who, expected
):
    """Queries: the user, his memberships (school_view); the month's events the user may
    see (the family's classes are a subquery); their classes; for the administration,
    the number awaiting approval."""
    client.force_login(getattr(people, who))
    address = url("events_index", people.lyceum) + "?month=2026-10"
    client.get(address)
    with django_assert_num_queries(expected):
        client.get(address)
    _more_events(people, news)
    with django_assert_num_queries(expected):
        response = client.get(address)
    assert len(shown(response)) > 50


def test_r_not_4_the_month_refuses_other_schools_and_methods(client, people, news: News):
    client.force_login(people.outsider)
    assert client.get(url("events_index", people.lyceum)).status_code == 404
    client.force_login(people.parent)
    assert client.post(url("events_index", people.lyceum)).status_code == 405


# ------------------------------------------------------------------ proposing


def form_data(**fields):
    data = {
        "title": "Осенний кросс",
        "starts_at": "2026-10-20T18:00",
        "ends_at": "2026-10-20T19:30",
        "place": "Стадион",
        "description": "Форма спортивная.",
    }
    data.update(fields)
    return data


def test_r_not_4_a_teacher_proposes_in_the_schools_local_time(client, people, news: News):
    client.force_login(people.teacher)
    address = url("events_propose", people.lyceum)
    form = client.get(address)
    assert form.status_code == 200
    assert 'type="datetime-local"' in html(form)
    assert f'value="{people.class_5a.pk}"' in html(form)
    assert f'value="{news.gym_class.pk}"' not in html(form)
    response = client.post(address, form_data(classes=[people.class_5a.pk]), follow=True)
    assert response.redirect_chain == [(url("events_pending", people.lyceum), 302)]
    assert "Событие предложено" in html(response)
    event = SchoolEvent.objects.get()
    assert event.status == Status.PROPOSED and event.proposed_by == people.teacher
    assert event.starts_at == dt.datetime(2026, 10, 20, 11, 0, tzinfo=dt.UTC)  # Tomsk, UTC+7
    assert event.ends_at == dt.datetime(2026, 10, 20, 12, 30, tzinfo=dt.UTC)
    assert list(event.classes.all()) == [people.class_5a]
    assert "20.10.2026 18:00–19:30" in html(response)  # shown back in local time


def test_r_ten_2_another_schools_administrator_publishes_in_its_own_time(
    client, people, news: News
):
    """The gymnasium is in Yekaterinburg (UTC+5): 18:00 there is 13:00 UTC; its
    administrator's event is published at once."""
    client.force_login(people.outsider)
    response = client.post(url("events_propose", people.gymnasium), form_data(ends_at=""))
    assert response.status_code == 302
    assert response["Location"] == url("events_index", people.gymnasium) + "?month=2026-10"
    event = SchoolEvent.objects.get()
    assert event.school == people.gymnasium and event.status == Status.APPROVED
    assert event.starts_at == dt.datetime(2026, 10, 20, 13, 0, tzinfo=dt.UTC)
    assert event.ends_at is None
    month = client.get(response["Location"])
    assert shown(month) == ["Осенний кросс"] and "<strong>18:00</strong>" in html(month)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "   "}, "Обязательное поле."),
        ({"ends_at": "2026-10-20T17:59"}, "Событие заканчивается раньше, чем начинается."),
        ({"starts_at": ""}, "Обязательное поле."),
        ({"starts_at": "завтра"}, "Введите правильную дату и время."),
        ("foreign class", "Выберите классы этой школы."),
    ],
)
def test_r_nfr_4_a_bad_event_is_refused_in_russian_on_the_page(
    client, people, news: News, fields, message
):
    if fields == "foreign class":
        fields = {"classes": [people.class_5a.pk, news.gym_class.pk]}
    client.force_login(people.teacher)
    response = client.post(url("events_propose", people.lyceum), form_data(**fields))
    assert response.status_code == 400
    assert message in html(response)
    assert 'value="Стадион"' in html(response)  # the rest of the input is kept
    assert not SchoolEvent.objects.exists()


@pytest.mark.parametrize("who", ["parent", "student", "trusted"])
def test_r_not_4_families_may_not_propose(client, people, news: News, who):
    client.force_login(getattr(news, who, None) or getattr(people, who))
    assert client.get(url("events_propose", people.lyceum)).status_code == 403
    assert client.post(url("events_propose", people.lyceum), form_data()).status_code == 403
    assert not SchoolEvent.objects.exists()


def test_r_not_4_proposing_refuses_other_schools_and_methods(client, people, news: News):
    client.force_login(people.outsider)
    assert client.get(url("events_propose", people.lyceum)).status_code == 404
    client.force_login(people.teacher)
    assert client.put(url("events_propose", people.lyceum)).status_code == 405


# ------------------------------------------------------------------ the queue


def test_r_not_4_the_administration_sees_the_queue_with_its_forms(
    client, people, news: News, calendar
):
    client.force_login(people.deputy)
    response = client.get(url("events_pending", people.lyceum))
    assert response.status_code == 200
    text = html(response)
    proposals = re.findall(r'data-testid="proposal">\s*<h3>(.*?)</h3>', text)
    assert proposals == ["Ждёт"]
    waiting = SchoolEvent.objects.get(title="Ждёт")
    assert f'action="{url("events_decide", people.lyceum, waiting.pk)}"' in text
    assert 'value="approve"' in text and 'value="reject"' in text
    assert "Отклонено" in text  # among the latest decisions


def test_r_not_4_a_teacher_sees_his_own_proposals_and_their_status(
    client, people, news: News, calendar
):
    event_make(
        people.lyceum,
        "Чужое предложение",
        local(people.lyceum, 2026, 10, 22, 12),
        proposed_by=news.teacher_6a,
        status=Status.PROPOSED,
    )
    client.force_login(people.teacher)
    response = client.get(url("events_pending", people.lyceum))
    assert response.status_code == 200
    text = html(response)
    assert 'data-testid="proposal"' not in text and 'data-testid="decide-form"' not in text
    mine = re.findall(
        r'data-testid="my-event">\s*<h3>(.*?) <span[^>]*data-testid="status">(.*?)</span>', text
    )
    assert ("Ждёт", "ждёт согласования администрации") in mine
    assert ("Отклонено", "не согласовано") in mine
    assert ("Линейка", "опубликовано в календаре") in mine
    assert "Чужое предложение" not in text


@pytest.mark.parametrize("who", ["parent", "student", "trusted"])
def test_r_not_4_families_have_no_queue(client, people, news: News, who):
    client.force_login(getattr(news, who, None) or getattr(people, who))
    assert client.get(url("events_pending", people.lyceum)).status_code == 403


def test_r_not_4_the_queue_refuses_other_schools_and_methods(client, people, news: News):
    client.force_login(people.outsider)
    assert client.get(url("events_pending", people.lyceum)).status_code == 404
    client.force_login(people.deputy)
    assert client.post(url("events_pending", people.lyceum)).status_code == 405


@pytest.mark.parametrize(("who", "expected"), [("deputy", 8), ("teacher", 4)])
def test_r_nfr_4_the_queue_costs_a_fixed_number_of_queries(
    client, people, news: News, calendar, django_assert_num_queries, who, expected
):
    """Queries: the user, his memberships (school_view); for the administration the
    proposals and their classes, the latest decisions and their classes; the user's own
    proposals and their classes. (A prefetch of no rows costs nothing: each list has one.)"""
    user = getattr(people, who)
    event_make(people.lyceum, "Своё", local(people.lyceum, 2026, 10, 2, 9), proposed_by=user)
    client.force_login(user)
    address = url("events_pending", people.lyceum)
    client.get(address)
    with django_assert_num_queries(expected):
        client.get(address)
    _more_events(people, news)
    with django_assert_num_queries(expected):
        client.get(address)


# ------------------------------------------------------------------ deciding


@pytest.fixture
def proposal(people, news: News):
    return event_make(
        people.lyceum,
        "Кросс",
        local(people.lyceum, 2026, 10, 20, 15),
        proposed_by=people.teacher,
        classes=[people.class_5a],
        status=Status.PROPOSED,
    )


def test_r_not_4_the_deputy_approves_and_the_event_is_in_the_calendar(
    client, people, news: News, proposal
):
    client.force_login(people.deputy)
    response = client.post(
        url("events_decide", people.lyceum, proposal.pk),
        {"decision": "approve", "note": ""},
        follow=True,
    )
    assert response.redirect_chain == [(url("events_pending", people.lyceum), 302)]
    assert "«Кросс» опубликовано." in html(response)
    proposal.refresh_from_db()
    assert proposal.status == Status.APPROVED and proposal.decided_by == people.deputy
    assert set(Notification.objects.values_list("user__username", flat=True)) == {
        "teacher",
        "parent",
        "student",
    }
    client.force_login(people.student)
    assert shown(client.get(url("events_index", people.lyceum))) == ["Кросс"]


def test_r_not_4_a_rejection_without_a_note_is_refused_on_the_page(
    client, people, news: News, proposal
):
    client.force_login(people.director)
    response = client.post(
        url("events_decide", people.lyceum, proposal.pk), {"decision": "reject", "note": " "}
    )
    assert response.status_code == 400
    assert "Напишите, почему событие отклонено." in html(response)
    assert f'id="event-{proposal.pk}"' in html(response)
    proposal.refresh_from_db()
    assert proposal.status == Status.PROPOSED
    response = client.post(
        url("events_decide", people.lyceum, proposal.pk),
        {"decision": "reject", "note": "Совпадает с ВПР"},
        follow=True,
    )
    assert "«Кросс» отклонено." in html(response)
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED and proposal.decision_note == "Совпадает с ВПР"


def test_r_not_4_a_second_decision_is_refused_with_a_message(client, people, news: News, proposal):
    client.force_login(people.deputy)
    address = url("events_decide", people.lyceum, proposal.pk)
    client.post(address, {"decision": "approve"})
    response = client.post(address, {"decision": "reject", "note": "Поздно"}, follow=True)
    assert "По этому событию уже принято решение." in html(response)
    proposal.refresh_from_db()
    assert proposal.status == Status.APPROVED


def test_r_not_4_an_unknown_decision_is_refused(client, people, news: News, proposal):
    client.force_login(people.deputy)
    response = client.post(url("events_decide", people.lyceum, proposal.pk), {"decision": "maybe"})
    assert response.status_code == 400
    assert "Выберите корректный вариант." in html(response)


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "psychologist", "parent", "student"])
def test_r_not_4_only_the_administration_decides_on_the_page(
    client, people, news: News, proposal, who
):
    client.force_login(getattr(news, who, None) or getattr(people, who))
    response = client.post(
        url("events_decide", people.lyceum, proposal.pk), {"decision": "approve"}
    )
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == Status.PROPOSED


def test_r_not_4_deciding_another_schools_event_or_none_is_404(client, people, news: News):
    gym_teacher = f.UserFactory(username="gymteacher")
    foreign = event_make(
        people.gymnasium,
        "Чужое",
        local(people.gymnasium, 2026, 10, 20, 15),
        proposed_by=gym_teacher,
        status=Status.PROPOSED,
    )
    client.force_login(people.deputy)
    assert (
        client.post(
            url("events_decide", people.lyceum, foreign.pk), {"decision": "approve"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            url("events_decide", people.lyceum, 999999), {"decision": "approve"}
        ).status_code
        == 404
    )
    address = reverse("events_decide", args=[people.gymnasium.slug, foreign.pk])
    assert client.post(address, {"decision": "approve"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Status.PROPOSED


def test_r_not_4_deciding_refuses_other_methods(client, people, news: News, proposal):
    client.force_login(people.deputy)
    assert client.get(url("events_decide", people.lyceum, proposal.pk)).status_code == 405
