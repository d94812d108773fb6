"""notify(): a notification is a row first, by the user's channel for the kind, with the
e-mail held back in his quiet hours (R-NOT-5)."""

import datetime as dt
import logging

import pytest
import time_machine
from django.core import mail
from kombu.exceptions import OperationalError

from accounts.models import ParentLink
from notifications import tasks
from notifications.models import (
    Channel,
    Kind,
    Notification,
    NotificationPreference,
    QuietHours,
)
from notifications.services.notices import Notice, notify, notify_many

from . import notify_fixtures as nf

pytestmark = pytest.mark.django_db

# the fixtures
family = nf.family
journal = nf.journal
mail_backend = nf.mail_backend

TOMSK_23_30 = dt.datetime(2026, 10, 6, 16, 30, tzinfo=dt.UTC)  # 23:30 in Tomsk (UTC+7)


def prefer(user, kind, channel):
    NotificationPreference.objects.create(user=user, kind=kind, channel=channel)


def quiet(user, starts, ends):
    QuietHours.objects.create(user=user, starts_at=starts, ends_at=ends)


def test_r_not_5_each_user_gets_one_row_by_the_default_channel(people):
    """R-NOT-5: absence defaults to app + e-mail, a new mark to the app only."""
    rows = notify(
        school=people.lyceum,
        users=[people.parent, people.parent.pk, None, people.student],
        kind=Kind.ABSENCE,
        title="Математика: отсутствие",
        url="/s/lyceum/",
    )
    assert sorted(r.user_id for r in rows) == sorted([people.parent.pk, people.student.pk])
    assert {r.email for r in Notification.objects.all()} == {Notification.Email.PENDING}
    notify(school=people.lyceum, users=[people.parent], kind=Kind.MARK_NEW, title="5")
    assert Notification.objects.get(kind=Kind.MARK_NEW).email == Notification.Email.NONE


def test_r_not_5_preferences_are_honoured(people):
    """R-NOT-5: off → no row at all; app → a row and no e-mail; e-mail → a pending e-mail."""
    prefer(people.parent, Kind.HOMEWORK, Channel.OFF)
    prefer(people.student, Kind.ABSENCE, Channel.APP)
    prefer(people.teacher, Kind.HOMEWORK, Channel.EMAIL)
    notify(
        school=people.lyceum,
        users=[people.parent, people.teacher],
        kind=Kind.HOMEWORK,
        title="Математика: домашнее задание",
    )
    assert list(Notification.objects.values_list("user", "email")) == [
        (people.teacher.pk, Notification.Email.PENDING)
    ]
    notify(school=people.lyceum, users=[people.student], kind=Kind.ABSENCE, title="н")
    row = Notification.objects.get(user=people.student)
    assert row.email == Notification.Email.NONE and row.email_not_before is None


def test_r_not_5_nobody_to_notify_writes_nothing(people, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert notify(school=people.lyceum, users=[], kind=Kind.NEWS, title="x") == []


def test_r_not_5_notify_costs_two_queries_for_any_number_of_users(
    people, django_assert_num_queries
):
    """The recipients with their channels and quiet hours (one query), the rows (one)."""
    users = [people.parent, people.student, people.teacher, people.deputy, people.director]
    prefer(people.deputy, Kind.NEWS, Channel.EMAIL)
    quiet(people.director, dt.time(22), dt.time(7))
    with django_assert_num_queries(2):
        rows = notify(school=people.lyceum, users=users, kind=Kind.NEWS, title="Новость")
    assert len(rows) == 5


def test_r_not_5_a_queryset_of_users_joins_the_one_query(people, django_assert_num_queries):
    """Recipients given as a queryset (the parents of a child) cost no query of their own;
    the same user in two notices gets both."""
    parents = ParentLink.objects.filter(
        student=people.student_record, parent__user__isnull=False
    ).values("parent__user")
    with django_assert_num_queries(2):
        rows = notify_many(
            school=people.lyceum,
            kind=Kind.MARK_NEW,
            notices=[
                Notice(parents, "Родителев Степан — Математика: 5"),
                Notice([people.student.pk], "Математика: 5"),
                Notice([people.parent], "Родителева Софья — Математика: 4"),
            ],
        )
    assert sorted((r.user_id, r.title) for r in rows) == sorted(
        [
            (people.parent.pk, "Родителев Степан — Математика: 5"),
            (people.student.pk, "Математика: 5"),
            (people.parent.pk, "Родителева Софья — Математика: 4"),
        ]
    )


# --- quiet hours ---------------------------------------------------------------------------


def pending_until(people, user, kind=Kind.ABSENCE, school=None):
    notify(school=school or people.lyceum, users=[user], kind=kind, title="н")
    row = Notification.objects.filter(user=user).latest("pk")
    assert row.email == Notification.Email.PENDING
    return row.email_not_before


def test_r_not_5_quiet_hours_crossing_midnight_hold_the_email_until_morning(people):
    """22:00–07:00 in the school's time: at 23:30 the e-mail waits until 07:00 tomorrow, at
    03:00 until 07:00 today; the row itself is there at once."""
    quiet(people.parent, dt.time(22), dt.time(7))
    with time_machine.travel(TOMSK_23_30, tick=False):
        until = pending_until(people, people.parent)
    assert until == dt.datetime(2026, 10, 7, 0, 0, tzinfo=dt.UTC)  # 07:00 on the 7th, Tomsk
    with time_machine.travel(dt.datetime(2026, 10, 6, 20, 0, tzinfo=dt.UTC), tick=False):
        until = pending_until(people, people.parent)  # 03:00 on the 7th in Tomsk
    assert until == dt.datetime(2026, 10, 7, 0, 0, tzinfo=dt.UTC)


def test_r_not_5_outside_quiet_hours_the_email_goes_at_once(people):
    quiet(people.parent, dt.time(22), dt.time(7))
    assert pending_until(people, people.parent) is None  # 10:00 in Tomsk


def test_r_not_5_quiet_hours_within_a_day(people):
    """13:00–15:00: at 14:00 the e-mail waits until 15:00; the window's end is free."""
    quiet(people.parent, dt.time(13), dt.time(15))
    with time_machine.travel(dt.datetime(2026, 10, 6, 7, 0, tzinfo=dt.UTC), tick=False):
        assert pending_until(people, people.parent) == dt.datetime(2026, 10, 6, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 10, 6, 8, 0, tzinfo=dt.UTC), tick=False):
        assert pending_until(people, people.parent) is None


def test_r_not_5_quiet_hours_are_the_notices_schools_time(people):
    """The same moment, 23:30 in Tomsk, is 21:30 in the gymnasium (Yekaterinburg, UTC+5):
    quiet from 22:00 holds the lyceum's e-mail and not the gymnasium's."""
    quiet(people.outsider, dt.time(22), dt.time(7))
    with time_machine.travel(TOMSK_23_30, tick=False):
        assert pending_until(people, people.outsider) == dt.datetime(
            2026, 10, 7, 0, 0, tzinfo=dt.UTC
        )
        assert pending_until(people, people.outsider, school=people.gymnasium) is None


def test_r_not_5_email_in_quiet_hours_is_not_queued_at_commit(
    people, mail_backend, django_capture_on_commit_callbacks
):
    quiet(people.parent, dt.time(9), dt.time(11))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(school=people.lyceum, users=[people.parent], kind=Kind.ABSENCE, title="н")
    assert callbacks == [] and mail.outbox == []


# --- after the commit ----------------------------------------------------------------------


def test_r_not_5_the_email_is_queued_after_the_commit_and_sent(
    people, family, mail_backend, django_capture_on_commit_callbacks
):
    """The task runs eagerly in tests: the e-mail of the committed row is sent at once."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(school=people.lyceum, users=[people.parent], kind=Kind.ABSENCE, title="н")
    assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert [m.to for m in mail.outbox] == [["parent@example.org"]]
    assert Notification.objects.get().email == Notification.Email.SENT


def test_r_not_5_a_broker_down_at_the_commit_is_logged_and_the_row_stays(
    people, family, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.notifications_email, "apply_async", broker_down)
    with (
        caplog.at_level(logging.WARNING, logger="notifications.services.notices"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify(school=people.lyceum, users=[people.parent], kind=Kind.ABSENCE, title="н")
    assert "not queued" in caplog.text
    row = Notification.objects.get()
    assert row.email == Notification.Email.PENDING and row.email_attempts == 0
