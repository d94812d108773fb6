"""Notification settings (R-NOT-5): per kind in the app / in the app and by e-mail / off, and
quiet hours; saved all together or not at all, with Russian errors."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import (
    DEFAULT_CHANNELS,
    Channel,
    Kind,
    Notification,
    NotificationPreference,
    QuietHours,
)
from notifications.services.notices import notify

pytestmark = pytest.mark.django_db


def url(slug="lyceum"):
    return reverse("notifications_settings", args=[slug])


def form_data(**changes):
    data = {f"kind_{k}": DEFAULT_CHANNELS[k] for k in Kind.values}
    data |= {"quiet_from": "", "quiet_until": ""}
    return data | changes


def chosen(user):
    return dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))


def test_r_not_5_the_page_shows_the_defaults_and_every_kind(client, people):
    client.force_login(people.parent)
    assert 'data-testid="no-email"' not in client.get(url()).content.decode()
    people.parent.email = ""
    people.parent.save(update_fields=["email"])
    response = client.get(url())
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("новая оценка", "изменение оценки", "пропуск урока", "домашнее задание"):
        assert label in html
    assert "в приложении и по почте" in html and "не уведомлять" in html
    assert 'data-testid="no-email"' in html
    form = response.context["form"]
    assert form["kind_absence"].value() == Channel.EMAIL
    assert form["kind_mark_new"].value() == Channel.APP


def test_r_not_5_choices_and_quiet_hours_are_saved_and_then_honoured(client, people):
    client.force_login(people.parent)
    response = client.post(
        url(),
        form_data(
            kind_mark_new=Channel.EMAIL,
            kind_homework=Channel.OFF,
            quiet_from="22:00",
            quiet_until="07:00",
        ),
        follow=True,
    )
    assert response.redirect_chain == [(url(), 302)]
    assert "Настройки уведомлений сохранены." in response.content.decode()
    assert chosen(people.parent)[Kind.MARK_NEW] == Channel.EMAIL
    assert len(chosen(people.parent)) == len(Kind.values)
    quiet = QuietHours.objects.get(user=people.parent)
    assert (quiet.starts_at, quiet.ends_at) == (dt.time(22), dt.time(7))
    form = response.context["form"]
    assert form["kind_homework"].value() == Channel.OFF
    assert 'value="22:00"' in response.content.decode()

    notify(school=people.lyceum, users=[people.parent], kind=Kind.HOMEWORK, title="ДЗ")
    notify(school=people.lyceum, users=[people.parent], kind=Kind.MARK_NEW, title="5")
    assert list(Notification.objects.values_list("kind", "email")) == [(Kind.MARK_NEW, "pending")]


def test_r_not_5_quiet_hours_can_be_changed_and_removed(client, people):
    client.force_login(people.parent)
    client.post(url(), form_data(quiet_from="21:30", quiet_until="06:45"))
    client.post(url(), form_data(quiet_from="13:00", quiet_until="15:00"))
    quiet = QuietHours.objects.get(user=people.parent)
    assert (quiet.starts_at, quiet.ends_at) == (dt.time(13), dt.time(15))
    client.post(url(), form_data())
    assert not QuietHours.objects.filter(user=people.parent).exists()


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"quiet_from": "22:00"}, "Укажите и начало, и конец тихих часов"),
        ({"quiet_until": "07:00"}, "Укажите и начало, и конец тихих часов"),
        ({"quiet_from": "22:00", "quiet_until": "22:00"}, "должны различаться"),
        ({"quiet_from": "25:00", "quiet_until": "07:00"}, "Введите время, например 22:00."),
        ({"kind_absence": "sms"}, "Выберите один из предложенных вариантов."),
        ({"kind_news": ""}, "Выберите, как вас уведомлять."),
    ],
)
def test_r_not_5_bad_input_saves_nothing_and_says_why_in_russian(client, people, changes, error):
    """All or nothing: a good channel next to bad quiet hours is not saved either."""
    client.force_login(people.parent)
    response = client.post(url(), form_data(kind_mark_new=Channel.OFF, **changes))
    assert response.status_code == 400
    assert error in response.content.decode()
    assert chosen(people.parent) == {}
    assert not QuietHours.objects.exists()


def test_a_foreign_school_is_404_and_a_guest_is_sent_to_log_in(client, people):
    client.force_login(people.outsider)
    assert client.get(url()).status_code == 404
    assert client.post(url(), form_data(kind_news=Channel.OFF)).status_code == 404
    assert chosen(people.outsider) == {}
    client.logout()
    assert client.get(url()).status_code == 302


def test_a_post_without_the_csrf_token_is_403(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.parent)
    assert client.post(url(), form_data(kind_news=Channel.OFF)).status_code == 403
    assert chosen(people.parent) == {}


def test_wrong_methods_are_405(client, people):
    client.force_login(people.parent)
    assert client.put(url()).status_code == 405
    assert client.delete(url()).status_code == 405


def test_the_page_and_the_save_cost_a_fixed_number_of_queries(
    client, people, django_assert_num_queries
):
    """GET: the user, the school with his roles, his channels, his quiet hours (4). POST:
    those, then the savepoint, the channels (one upsert), the quiet hours, the savepoint's
    release (8)."""
    client.force_login(people.parent)
    client.get(url())
    with django_assert_num_queries(4):
        assert client.get(url()).status_code == 200
    with django_assert_num_queries(8):
        client.post(url(), form_data(quiet_from="22:00", quiet_until="07:00"))
    with django_assert_num_queries(4):
        assert client.get(url()).status_code == 200
