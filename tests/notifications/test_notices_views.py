"""The notification centre (R-NOT-5): the user's own notifications of the school, newest
first, the unread highlighted; opening one marks it read and follows its link."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from notifications.models import Kind, Notification
from notifications.services.notices import notify
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def index_url(slug="lyceum"):
    return reverse("notifications_index", args=[slug])


def open_url(pk, slug="lyceum"):
    return reverse("notifications_open", args=[slug, pk])


def read_all_url(slug="lyceum"):
    return reverse("notifications_read_all", args=[slug])


def make(people, user=None, title="Математика: 5 (Ответ на уроке)", school=None, **kw):
    return notify(
        school=school or people.lyceum,
        users=[user or people.parent],
        kind=kw.pop("kind", Kind.MARK_NEW),
        title=title,
        **kw,
    )[0]


def test_r_not_5_the_centre_lists_the_users_notifications_newest_first(client, people):
    """R-NOT-5: his own, of this school only; the unread ones are highlighted."""
    first = make(people, title="Первое", body="Урок 05.10.2026, №2.")
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        make(people, title="Второе")
    make(people, user=people.student, title="Чужое")
    make(people, title="Из гимназии", school=people.gymnasium)
    Notification.objects.filter(pk=first.pk).update(read_at=NOW)
    client.force_login(people.parent)
    response = client.get(index_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert [n.title for n in response.context["rows"]] == ["Второе", "Первое"]
    assert "Чужое" not in html and "Из гимназии" not in html
    assert html.count('class="unread"') == 1
    assert "1 непрочитанное" in html and "Урок 05.10.2026, №2." in html
    assert "06.10.2026 10:05" in html  # the school's time
    assert reverse("notifications_settings", args=["lyceum"]) in html


def test_r_not_5_the_centre_is_paginated(client, people):
    for n in range(35):
        make(people, title=f"Уведомление {n}")
    client.force_login(people.parent)
    first = client.get(index_url()).context
    assert len(first["rows"]) == 30 and first["page"].has_next()
    second = client.get(index_url() + "?page=2").context
    assert len(second["rows"]) == 5
    assert client.get(index_url() + "?page=x").status_code == 200


def test_r_not_5_an_empty_centre_says_so(client, people):
    client.force_login(people.teacher)
    response = client.get(index_url())
    assert 'data-testid="empty"' in response.content.decode()


def test_r_not_5_opening_marks_read_and_follows_the_link(client, people):
    row = make(people, url="/s/lyceum/diary/1/?date=2026-10-06")
    client.force_login(people.parent)
    response = client.get(open_url(row.pk))
    assert response.status_code == 302
    assert response["Location"] == "/s/lyceum/diary/1/?date=2026-10-06"
    row.refresh_from_db()
    assert row.read_at == NOW
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        client.get(open_url(row.pk))
    row.refresh_from_db()
    assert row.read_at == NOW  # the first reading stays


def test_r_not_5_opening_without_a_safe_link_returns_to_the_centre(client, people):
    for url in ("", "https://evil.example.com/", "//evil.example.com/"):
        row = make(people, url=url)
        client.force_login(people.parent)
        response = client.get(open_url(row.pk))
        assert response["Location"] == index_url(), url


def test_r_not_5_read_all_marks_only_the_users_notifications_of_the_school(client, people):
    mine = [make(people), make(people)]
    other = make(people, user=people.student)
    elsewhere = make(people, school=people.gymnasium)
    client.force_login(people.parent)
    response = client.post(read_all_url(), follow=True)
    assert response.redirect_chain == [(index_url(), 302)]
    assert "Все уведомления отмечены как прочитанные." in response.content.decode()
    assert all(Notification.objects.get(pk=r.pk).read_at == NOW for r in mine)
    assert Notification.objects.get(pk=other.pk).read_at is None
    assert Notification.objects.get(pk=elsewhere.pk).read_at is None


# --- access --------------------------------------------------------------------------------


def test_another_users_or_schools_notification_is_404(client, people):
    """Someone else's id, or one's own from another school opened here, tells nothing."""
    other = make(people, user=people.student)
    elsewhere = make(people, school=people.gymnasium)
    client.force_login(people.parent)
    assert client.get(open_url(other.pk)).status_code == 404
    assert client.get(open_url(elsewhere.pk)).status_code == 404
    assert client.get(open_url(999999)).status_code == 404
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_a_foreign_school_is_404_and_a_guest_is_sent_to_log_in(client, people):
    row = make(people)
    client.force_login(people.outsider)
    for url in (index_url(), open_url(row.pk)):
        assert client.get(url).status_code == 404
    assert client.post(read_all_url()).status_code == 404
    client.logout()
    assert client.get(index_url()).status_code == 302


def test_read_all_without_the_csrf_token_is_403(people):
    row = make(people)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.parent)
    assert client.post(read_all_url()).status_code == 403
    assert Notification.objects.get(pk=row.pk).read_at is None


def test_wrong_methods_are_405(client, people):
    row = make(people)
    client.force_login(people.parent)
    assert client.post(index_url()).status_code == 405
    assert client.post(open_url(row.pk)).status_code == 405
    assert client.get(read_all_url()).status_code == 405
    assert Notification.objects.get(pk=row.pk).read_at is None


# --- cost -----------------------------------------------------------------------------------


def test_the_centre_costs_the_same_queries_whatever_the_number_of_notifications(
    client, people, django_assert_num_queries
):
    """The user, the school with his roles and the header's unread counts (one query), the
    count and the page of the paginator: 4 (the session is in the cache)."""
    make(people)
    client.force_login(people.parent)
    client.get(index_url())
    with django_assert_num_queries(4):
        assert client.get(index_url()).status_code == 200
    for n in range(40):
        make(people, title=f"Ещё {n}")
    with django_assert_num_queries(4):
        assert client.get(index_url()).status_code == 200


def test_opening_and_reading_all_cost_few_queries(client, people, django_assert_num_queries):
    row = make(people)
    client.force_login(people.parent)
    client.get(index_url())
    # the user, the school with his roles, the notification, the update
    with django_assert_num_queries(4):
        client.get(open_url(row.pk))
    with django_assert_num_queries(3):  # the user, the school with his roles, the update
        client.post(read_all_url())
