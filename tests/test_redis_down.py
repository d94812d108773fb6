"""R-NFR-1: "a slow or down background queue never blocks marking". With Redis down — the
cache and the broker both pointed at a port nobody listens on, tasks really sent (not run
in-process) — a teacher signs in and saves a mark: the page answers, the mark and its
notification rows are saved, their e-mail pending. Once Redis is back, the e-mail sweep
delivers them and the dispatcher queues the deadline run it could not queue before."""

import contextlib
import datetime as dt
import logging
import socket
import threading
import time

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache, caches
from django.urls import reverse

from config import cache as resilient
from config.celery import app as celery_app
from journal.models import Mark
from notifications.deadlines import engine
from notifications.delivery import email_sweep
from notifications.models import (
    DeadlineKind,
    DeadlineRun,
    Kind,
    Notification,
    NotificationPreference,
)
from notifications.services.notices import notify
from tests.conftest import NOW
from tests.deadlines import engine_fixtures
from tests.notifications import notify_fixtures as nf

pytestmark = pytest.mark.django_db

family = nf.family  # the fixtures
journal = nf.journal
mail_backend = nf.mail_backend
registry = engine_fixtures.registry


def closed_port() -> int:
    """A local port nobody listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _producers_reset():
    celery_app._pool = None
    with contextlib.suppress(AttributeError):
        celery_app.amqp._producer_pool = None


def redis_at(settings, url: str):
    """The cache and the broker at `url` (with the production settings of a Redis broker);
    sessions as in production (cached_db); tasks sent to the broker, not run in-process.
    A generator: the suite's settings come back after it."""
    settings.CACHES = {"default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": url}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager, conf.broker_transport_options
    conf.broker_url, conf.task_always_eager = url, False
    conf.broker_transport_options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    _producers_reset()
    yield url
    conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
    _producers_reset()


@pytest.fixture
def redis_down(settings):
    """Redis is down: nothing listens on its port."""
    yield from redis_at(settings, f"redis://127.0.0.1:{closed_port()}/0")


@pytest.fixture
def redis_hanging(settings):
    """Redis hangs: it accepts connections and never answers (a half-dead server, a
    firewall dropping packets)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield from redis_at(settings, f"redis://127.0.0.1:{server.getsockname()[1]}/0")
    finally:
        server.close()
        for connection in accepted:
            connection.close()


def back(settings):
    """Redis is back: the suite's cache and broker (tasks in-process again)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    celery_app.conf.task_always_eager = True


def test_r_nfr_1_the_cache_is_a_miss_while_redis_is_down(redis_down, caplog):
    """Reads are misses, writes are dropped, one warning per outage, and the calls of the
    next seconds do not even try (no timeout paid per call)."""
    assert isinstance(caches["default"], resilient.ResilientRedisCache)
    with caplog.at_level(logging.WARNING, "config.cache"):
        assert cache.get("key") is None
        assert cache.get("key", "default") == "default"
        cache.set("key", 1)
        assert cache.add("key", 1) is True  # allauth's lock: sign-in stays possible
        assert cache.get_many(["a", "b"]) == {}
        assert cache.set_many({"a": 1}) == ["a"]
        assert cache.has_key("a") is False
        assert cache.delete("a") is False
        assert cache.get_or_set("computed", lambda: 42) == 42
        with pytest.raises(ValueError):
            cache.incr("counter")
    assert caplog.text.count("Redis unreachable") == 1
    started = time.perf_counter()
    for _ in range(100):
        cache.get("key")
    assert time.perf_counter() - started < 0.5


def test_r_nfr_1_the_cache_tries_redis_again_after_a_pause(redis_down, monkeypatch):
    backend = caches["default"]
    assert backend.available()
    cache.get("key")
    assert not backend.available()
    clock = time.monotonic() + resilient.RETRY_AFTER + 0.1
    monkeypatch.setattr(resilient.time, "monotonic", lambda: clock)
    assert backend.available()


def sign_in_and_save_a_mark(client, people, family, caplog, capture) -> float:
    """The teacher signs in, opens his journal and saves a 5: the seconds the save took.
    The mark and the parent's notification are saved, its e-mail pending."""
    NotificationPreference.objects.create(user=people.parent, kind=Kind.MARK_NEW, channel="email")
    signed_in = client.post(
        reverse("account_login"), {"login": "teacher", "password": "secret-pass-123"}
    )
    assert signed_in.status_code == 302
    lesson = nf.journal_conftest.lesson_on(people, dt.date(2026, 10, 6))
    grid = client.get(
        reverse("journal_course", args=["lyceum", lesson.group_id, lesson.subject_id])
    )
    assert grid.status_code == 200  # signed in: the session came from the database

    started = time.perf_counter()
    with caplog.at_level(logging.WARNING), capture(execute=True):
        response = client.post(
            reverse("journal_cell", args=["lyceum", lesson.pk]),
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
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert Mark.objects.get(lesson=lesson, student=people.student_record).value == "5"
    row = Notification.objects.get(user=people.parent, kind=Kind.MARK_NEW)
    assert row.email == Notification.Email.PENDING
    assert "not queued (broker unavailable)" in caplog.text
    assert mail.outbox == []
    return elapsed


def test_r_nfr_1_a_teacher_signs_in_and_saves_a_mark_while_redis_is_down(
    client,
    people,
    family,
    mail_backend,
    redis_down,
    settings,
    caplog,
    django_capture_on_commit_callbacks,
):
    """R-NFR-1: the mark is saved and its notices written while the cache and the broker are
    down; once they are back the sweep e-mails the notices."""
    elapsed = sign_in_and_save_a_mark(
        client, people, family, caplog, django_capture_on_commit_callbacks
    )
    assert elapsed < 5  # a refused connection costs nothing

    back(settings)
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        assert email_sweep() >= 1
    row = Notification.objects.get(user=people.parent, kind=Kind.MARK_NEW)
    assert row.email == Notification.Email.SENT
    assert [m.to for m in mail.outbox] == [["parent@example.org"]]


def test_r_nfr_1_a_hanging_redis_holds_the_mark_save_seconds_not_for_ever(
    client,
    people,
    family,
    mail_backend,
    redis_hanging,
    caplog,
    django_capture_on_commit_callbacks,
):
    """R-NFR-1: a Redis that never answers costs the cache one short timeout (then it is not
    asked for a while) and the e-mail's hand-off two socket timeouts; without them the
    request would wait for ever after the mark was saved."""
    elapsed = sign_in_and_save_a_mark(
        client, people, family, caplog, django_capture_on_commit_callbacks
    )
    assert elapsed < 10


def test_r_nfr_1_a_deadline_run_found_while_the_broker_is_down_runs_once_it_is_back(
    people, registry, redis_down, settings, caplog, django_capture_on_commit_callbacks
):
    """The dispatcher ticks at 10:00 in Tomsk with the broker down: the 9:30 run is created
    and stays unqueued; after the broker is back the tick after the lease queues it, and
    the teacher gets his reminder once."""

    def reminder(run):
        notify(school=run.school, users=[people.teacher], kind=Kind.REMINDER, title="9:30")
        return 1

    registry(DeadlineKind.FIRST_ATTENDANCE, reminder)
    with (
        caplog.at_level(logging.WARNING, "notifications.deadlines.engine"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = engine.dispatch(NOW)
    run = DeadlineRun.objects.get(pk__in=report.created, school=people.lyceum)
    assert "not queued (broker unavailable)" in caplog.text
    assert run.finished_at is None and not Notification.objects.exists()

    back(settings)
    later = NOW + engine.LEASE + dt.timedelta(minutes=1)
    for moment, requeued in ((later, [run.pk]), (later + engine.LEASE * 2, [])):
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert engine.dispatch(moment).requeued == requeued
    run.refresh_from_db()
    assert run.finished_at is not None and run.notices == 1
    assert list(Notification.objects.values_list("user", "kind")) == [
        (people.teacher.pk, Kind.REMINDER)
    ]
