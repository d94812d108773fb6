"""E-mail delivery of notifications (R-NOT-5): once, retried with a growing wait, failed after
MAX_ATTEMPTS, swept up when its task was lost — and the row is never lost."""

import datetime as dt
from email.header import decode_header, make_header

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.urls import reverse
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from journal.models import Mark
from notifications import delivery, tasks
from notifications.delivery import MAX_ATTEMPTS, email_deliver_due, email_sweep
from notifications.models import Kind, Notification
from notifications.services.notices import notify
from tests.conftest import NOW

from . import notify_fixtures as nf

pytestmark = pytest.mark.django_db

# the fixtures
family = nf.family
journal = nf.journal
mail_backend = nf.mail_backend

FAILING = "tests.notifications.test_delivery.FailingBackend"


class FailingBackend(LocmemBackend):
    """A mail server that refuses every message."""

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


class ReentrantBackend(LocmemBackend):
    """While this worker sends, a second worker is handed the same ids."""

    def send_messages(self, messages):
        inner = email_deliver_due(ReentrantBackend.ids)
        ReentrantBackend.inner_sent.append(inner)
        return super().send_messages(messages)


def pending(people, user=None, **fields) -> Notification:
    notify(
        school=people.lyceum,
        users=[user or people.parent],
        kind=Kind.ABSENCE,
        title="Математика: отсутствие на уроке",
        body="Урок 06.10.2026, №2.",
        url="/s/lyceum/diary/1/?date=2026-10-06",
    )
    row = Notification.objects.latest("pk")
    if fields:
        Notification.objects.filter(pk=row.pk).update(**fields)
        row.refresh_from_db()
    return row


def at(minutes: float):
    return time_machine.travel(NOW + dt.timedelta(minutes=minutes), tick=False)


def test_r_not_5_the_email_is_sent_once(people, family, mail_backend):
    """R-NOT-5: a second delivery of the same id (a duplicate task) sends nothing."""
    row = pending(people)
    assert email_deliver_due([row.pk]) == 1
    assert email_deliver_due([row.pk]) == 0
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.email == Notification.Email.SENT
    assert row.email_sent_at == NOW and row.email_attempts == 1 and row.email_error == ""


def test_r_not_5_the_email_is_russian_with_the_prefix_and_an_absolute_link(
    people, family, mail_backend
):
    row = pending(people)
    email_deliver_due([row.pk])
    message = mail.outbox[0]
    assert message.subject == "[Отметка] Математика: отсутствие на уроке"
    assert message.to == ["parent@example.org"]
    assert "Открыть: https://otmetka.example.org/s/lyceum/diary/1/?date=2026-10-06" in message.body
    assert "Урок 06.10.2026, №2." in message.body
    assert "Лицей №1, 06.10.2026 10:00" in message.body
    settings_url = reverse("notifications_settings", args=["lyceum"])
    assert f"https://otmetka.example.org{settings_url}" in message.body


def test_r_not_5_two_workers_never_send_the_same_row(people, family, mail_backend, settings):
    """A second worker handed the ids while the first is sending the first row skips it
    (claimed) and wins the second, which the first worker then skips: two rows, two e-mails."""
    rows = [pending(people), pending(people, people.student)]
    settings.EMAIL_DELIVERY_BACKEND = "tests.notifications.test_delivery.ReentrantBackend"
    ReentrantBackend.ids, ReentrantBackend.inner_sent = [r.pk for r in rows], []
    outer = email_deliver_due(ReentrantBackend.ids)
    # the second worker sent row 2 (and a third, inside that send, found nothing)
    assert (outer, ReentrantBackend.inner_sent) == (1, [0, 1])
    assert sorted(m.to[0] for m in mail.outbox) == ["parent@example.org", "student@example.org"]
    assert set(Notification.objects.values_list("email_attempts", flat=True)) == {1}
    assert set(Notification.objects.values_list("email", flat=True)) == {"sent"}


def test_r_not_5_a_stale_claim_loses(people, family):
    """The claim is a conditional update on the attempt count the worker read."""
    row = pending(people)
    stale = Notification.objects.get(pk=row.pk)
    assert delivery._claim(row) is True
    assert delivery._claim(stale) is False
    assert Notification.objects.get(pk=row.pk).email_attempts == 1


def test_r_not_5_a_failure_is_retried_with_a_growing_wait_then_failed(
    people, family, mail_backend, settings
):
    """Waits of 1, 5, 25, 125 minutes after attempts 1-4; the 5th failure is final. The
    error is kept; the row is never lost."""
    settings.EMAIL_DELIVERY_BACKEND = FAILING
    row = pending(people)
    minutes = 0
    for attempt, wait in enumerate((1, 5, 25, 125), start=1):
        with at(minutes):
            assert email_deliver_due([row.pk]) == 0
        row.refresh_from_db()
        assert row.email == Notification.Email.PENDING
        assert row.email_attempts == attempt
        assert "ConnectionRefusedError" in row.email_error
        assert row.email_not_before == NOW + dt.timedelta(minutes=minutes + wait)
        with at(minutes + wait - 0.5):  # not due yet: nothing is tried
            email_deliver_due([row.pk])
        assert Notification.objects.get(pk=row.pk).email_attempts == attempt
        minutes += wait
    with at(minutes):
        email_deliver_due([row.pk])
    row.refresh_from_db()
    assert row.email == Notification.Email.FAILED and row.email_attempts == MAX_ATTEMPTS
    assert row.email_not_before is None and "Connection refused" in row.email_error
    with at(minutes + 1000):
        assert email_sweep() == 0
    assert Notification.objects.get(pk=row.pk).email == Notification.Email.FAILED


def test_r_not_5_a_retry_that_succeeds_sends_the_email(people, family, mail_backend, settings):
    settings.EMAIL_DELIVERY_BACKEND = FAILING
    row = pending(people)
    email_deliver_due([row.pk])
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with at(1):
        assert email_sweep() == 1
    row.refresh_from_db()
    assert row.email == Notification.Email.SENT and row.email_attempts == 2
    assert row.email_error == "" and len(mail.outbox) == 1


def test_r_not_5_a_user_without_email_is_marked_none(people, family, mail_backend):
    row = pending(people, family.father)
    assert email_deliver_due([row.pk]) == 0
    row.refresh_from_db()
    assert row.email == Notification.Email.NONE and row.email_attempts == 0
    assert mail.outbox == []


def test_r_not_5_the_sweep_sends_rows_whose_task_was_lost(people, family, mail_backend):
    """A row written while the broker was down has no task: the sweep sends it once it is
    a minute old, and leaves younger rows to their on-commit task."""
    row = pending(people)
    assert email_sweep() == 0  # a new row belongs to its task
    with at(1):
        assert email_sweep() == 1
        assert email_sweep() == 0
    assert Notification.objects.get(pk=row.pk).email == Notification.Email.SENT
    assert len(mail.outbox) == 1


def test_r_not_5_the_sweep_takes_over_a_row_whose_worker_died(people, family, mail_backend):
    """A claimed row whose worker never reported back is due again when the lease ends."""
    row = pending(people)
    assert delivery._claim(row)  # the worker dies here
    with at(5):
        assert email_sweep() == 0
    with at(10):
        assert email_sweep() == 1
    assert Notification.objects.get(pk=row.pk).email_attempts == 2


def test_r_not_5_a_lost_last_attempt_ends_failed(people, family, mail_backend):
    row = pending(people, email_attempts=MAX_ATTEMPTS)
    with at(1):
        assert email_sweep() == 0
    row.refresh_from_db()
    assert row.email == Notification.Email.FAILED
    assert row.email_error == delivery.LOST_LAST_ATTEMPT and mail.outbox == []


def test_r_not_5_quiet_hours_email_goes_with_the_sweep_after_they_end(people, family, mail_backend):
    """Quiet 09:00–11:00 in Tomsk; at 10:00 the e-mail waits; the sweep after 11:00 sends it."""
    from notifications.models import QuietHours

    QuietHours.objects.create(user=people.parent, starts_at=dt.time(9), ends_at=dt.time(11))
    row = pending(people)
    assert row.email_not_before == NOW + dt.timedelta(hours=1)
    assert email_deliver_due([row.pk]) == 0
    with at(59):
        assert email_sweep() == 0
    with at(60):
        assert email_sweep() == 1
    assert mail.outbox[0].to == ["parent@example.org"]


def test_r_not_5_the_sweep_works_in_batches(people, family, mail_backend):
    for _ in range(5):
        pending(people)
    with at(2):
        assert email_sweep(batch=2) == 5
    assert len(mail.outbox) == 5


def test_r_not_5_a_mark_save_survives_a_broker_down_and_the_sweep_sends_later(
    client, people, family, mail_backend, monkeypatch, django_capture_on_commit_callbacks
):
    """The teacher's cell POST while Redis is down: the mark and the notification rows are
    saved, the page answers; the sweep sends the e-mail later."""
    from notifications.models import NotificationPreference

    NotificationPreference.objects.create(user=people.parent, kind=Kind.MARK_NEW, channel="email")

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.notifications_email, "apply_async", broker_down)
    client.force_login(people.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("journal_cell", args=["lyceum", family_lesson(people).pk]),
            {
                "student": people.student_record.pk,
                "work_type": family.answer.pk,
                "part": 1,
                "first": "1",
                "value": "5",
                "mark_token": "",
                "att_token": "",
            },
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    assert Mark.objects.get().value == "5"
    row = Notification.objects.get(user=people.parent, kind=Kind.MARK_NEW)
    assert row.email == Notification.Email.PENDING and mail.outbox == []
    with at(1):
        assert email_sweep() == 1
    assert mail.outbox[0].to == ["parent@example.org"]


def family_lesson(people):
    from schedule.models import Lesson

    return Lesson.objects.get(
        group=people.class_5a.groups.get(is_whole_class=True),
        subject=people.maths,
        date=dt.date(2026, 10, 6),
    )


def test_r_not_5_the_beat_sweeps_every_five_minutes():
    entry = celery_app.conf.beat_schedule["notifications-email-sweep"]
    assert entry["task"] == "notifications.tasks.notifications_email_sweep"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].minute == set(range(0, 60, 5))


def test_r_not_5_the_tasks_call_delivery(people, family, mail_backend):
    row = pending(people)
    tasks.notifications_email.delay([row.pk])
    assert Notification.objects.get(pk=row.pk).email == Notification.Email.SENT
    other = pending(people, people.student)
    with at(2):
        tasks.notifications_email_sweep.delay()
    assert Notification.objects.get(pk=other.pk).email == Notification.Email.SENT


def test_r_not_1_a_notice_in_a_persons_name_carries_his_name_and_its_file(
    people, family, mail_backend, settings, tmp_path
):
    """R-NOT-1: the weekly report goes in the class teacher's name, with its PDF. The
    envelope's address stays the site's (mail servers refuse a foreign domain); the class
    teacher's name is on it and answers go to him."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = str(tmp_path)
    settings.DEFAULT_FROM_EMAIL = "Отметка <noreply@otmetka.local>"
    path = default_storage.save("reports/1/week.pdf", ContentFile(b"%PDF-1.7 report"))
    notify(
        school=people.lyceum,
        users=[people.parent],
        kind=Kind.REPORT,
        title="Еженедельный отчёт: Родителев Степан",
        sender=people.class_teacher,
        attachment=path,
    )
    row = Notification.objects.latest("pk")
    assert row.email == Notification.Email.PENDING  # reports go by e-mail by default
    assert email_deliver_due([row.pk]) == 1
    (message,) = mail.outbox
    assert message.from_email == '"Классова Клара" <noreply@otmetka.local>'
    header = str(make_header(decode_header(str(message.message()["From"]))))
    assert header == "Классова Клара <noreply@otmetka.local>"
    assert message.reply_to == [people.class_teacher.email]
    assert message.attachments == [("week.pdf", b"%PDF-1.7 report", "application/pdf")]


def test_r_not_5_a_notice_without_sender_or_file_is_from_the_site(people, family, mail_backend):
    row = pending(people)
    email_deliver_due([row.pk])
    (message,) = mail.outbox
    assert message.from_email == "Отметка <noreply@otmetka.local>"
    assert message.reply_to == [] and message.attachments == []
