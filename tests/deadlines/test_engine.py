"""The engine's guarantees (R-TEN-2, R-NFR-1, R-ATT-1): a run per school, kind and local day
whatever ticks, duplicate messages, beat restarts or concurrent workers happen; a missed
deadline of today catches up once, marked late, one of yesterday never; a job that fails
leaves nothing and is queued again after the lease, up to MAX_ATTEMPTS; runs are queued
after the commit, acknowledged late, and a broker that is down loses nothing."""

import datetime as dt
import logging
import os
import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction
from kombu.exceptions import OperationalError

from config.celery import DEADLINES_TICK_SECONDS
from config.celery import app as celery_app
from notifications import tasks
from notifications.deadlines import engine
from notifications.models import DeadlineRun, Kind, Notification
from notifications.services.notices import notify

from .. import factories as f
from . import engine_fixtures
from .engine_fixtures import K, created, dispatch_at, local, runs_on, school_in

jobs = engine_fixtures.jobs  # the fixtures
registry = engine_fixtures.registry

TUE, MON = dt.date(2026, 10, 6), dt.date(2026, 10, 5)


# row locks (select_for_update ... skip_locked) and concurrent inserts: PostgreSQL's, not SQLite's
ON_POSTGRES = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL's row locks (CI sets DATABASE_URL)",
)


@pytest.fixture
def tomsk(db):
    return school_in("tomsk", "Asia/Tomsk")


def first_run(school, moment) -> DeadlineRun:
    dispatch_at(moment, [school])
    return DeadlineRun.objects.get(school=school, kind=K.FIRST_ATTENDANCE)


def teachers(school, n=2):
    users = [f.UserFactory(username=f"{school.slug}-teacher-{i}") for i in range(n)]
    for user in users:
        f.member(user, school, "teacher")
    return users


def reminder(run, users):
    notify(school=run.school, users=users, kind=Kind.REMINDER, title="Отметьте посещаемость")
    return len(users)


# --- idempotency ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_r_ten_2_a_second_tick_and_a_beat_restart_run_nothing_twice(
    jobs, tomsk, django_capture_on_commit_callbacks
):
    """Ticks at 9:30, 9:35 and a restarted beat ticking again at 9:35: one run, one job."""
    nine_thirty = local(tomsk, TUE, "09:30")
    with django_capture_on_commit_callbacks(execute=True):
        first = dispatch_at(nine_thirty)
    assert created(first) == {K.LESSON_CONTENT_DEPUTY, K.FIRST_ATTENDANCE}
    for moment in (nine_thirty + dt.timedelta(minutes=5),) * 2:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            again = dispatch_at(moment)
        assert (again.created, again.requeued, callbacks) == ([], [], [])
    assert sorted(jobs.calls) == [
        ("tomsk", K.FIRST_ATTENDANCE, TUE),
        ("tomsk", K.LESSON_CONTENT_DEPUTY, TUE),
    ]
    assert DeadlineRun.objects.filter(finished_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_r_ten_2_the_same_tick_twice_creates_nothing_the_second_time(jobs, tomsk):
    """A beat restarted within the same tick: the same `now` again."""
    moment = local(tomsk, TUE, "10:00")
    assert len(dispatch_at(moment).created) == 4
    again = dispatch_at(moment)
    assert (again.created, again.requeued) == ([], [])
    assert DeadlineRun.objects.count() == 4


@pytest.mark.django_db
def test_r_ten_2_a_duplicate_message_runs_the_job_once(jobs, tomsk):
    run = first_run(tomsk, local(tomsk, TUE, "09:30"))

    assert engine.run_execute(run.pk) is True
    assert engine.run_execute(run.pk) is False
    tasks.deadline_run.delay(run.pk)  # eager in tests: the task itself, a third time
    assert jobs.calls == [("tomsk", K.FIRST_ATTENDANCE, TUE)]
    run.refresh_from_db()
    assert run.finished_at is not None and run.attempts == 1


def _in_threads(*functions):
    """Run the functions at once in threads of their own (each with its own database
    connection); their results, in order."""
    barrier = threading.Barrier(len(functions))
    results, errors = [None] * len(functions), []

    def target(i, function):
        try:
            barrier.wait(timeout=10)
            results[i] = function()
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


@pytest.mark.needs_postgres
@ON_POSTGRES
@pytest.mark.django_db(transaction=True)
def test_r_nfr_1_two_workers_with_the_same_run_write_its_notices_once(registry, monkeypatch):
    """Two workers get the same run at the same moment (a duplicate message): one runs the
    job under the run's row lock, the other skips it."""
    school = school_in("tomsk", "Asia/Tomsk")
    users = teachers(school)
    calls = []

    def slow(run):
        calls.append(run.pk)
        written = reminder(run, users)
        time.sleep(0.5)  # the other worker arrives while this one holds the lock
        return written

    registry(K.FIRST_ATTENDANCE, slow)
    monkeypatch.setattr(engine, "runs_queue", lambda ids: None)  # the test is the worker
    run = first_run(school, local(school, TUE, "09:30"))

    results = _in_threads(lambda: engine.run_execute(run.pk), lambda: engine.run_execute(run.pk))

    assert sorted(results) == [False, True]
    assert calls == [run.pk]
    assert Notification.objects.filter(kind=Kind.REMINDER).count() == 2
    run.refresh_from_db()
    assert (run.attempts, run.notices) == (1, 2)


@pytest.mark.needs_postgres
@ON_POSTGRES
@pytest.mark.django_db(transaction=True)
def test_r_nfr_1_two_dispatchers_at_once_create_each_run_once(jobs):
    """Two beats (a restart overlapping the old one) tick at the same moment: the unique
    run holds; the jobs, queued by both, run once each."""
    schools = [school_in(f"school-{i}", "Asia/Tomsk") for i in range(3)]
    moment = local(schools[0], TUE, "10:00")

    reports = _in_threads(lambda: engine.dispatch(moment), lambda: engine.dispatch(moment))

    assert DeadlineRun.objects.count() == 3 * 4
    assert {pk for r in reports for pk in r.created} == set(
        DeadlineRun.objects.values_list("pk", flat=True)
    )
    assert len(jobs.calls) == len(set(jobs.calls)) == 12
    assert DeadlineRun.objects.filter(finished_at__isnull=True).count() == 0
    close_old_connections()


# --- catching up ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_r_att_1_a_tick_after_downtime_runs_the_missed_deadline_once_late(jobs, tomsk):
    """The beat was down all morning; at 13:00 it runs the 9:30 job once, marked late,
    and nothing of the afternoon."""
    one_pm = local(tomsk, TUE, "13:00")

    report = dispatch_at(one_pm)

    assert created(report) == {
        K.LESSON_CONTENT_DEPUTY,
        K.FIRST_ATTENDANCE,
        K.FIRST_ATTENDANCE_DEPUTY,
        K.ABSENCE_REASONS,
    }
    run = DeadlineRun.objects.get(kind=K.FIRST_ATTENDANCE)
    assert (run.due_at, run.created_at, run.late) == (local(tomsk, TUE, "09:30"), one_pm, True)
    assert dispatch_at(one_pm + dt.timedelta(minutes=5)).created == []
    assert DeadlineRun.objects.filter(kind=K.FIRST_ATTENDANCE).count() == 1


@pytest.mark.django_db
def test_r_att_1_late_means_more_than_three_ticks_after_the_deadline(jobs):
    on_time = school_in("on-time", "Asia/Tomsk")
    late = school_in("late", "Asia/Tomsk")
    deadline = local(on_time, TUE, "09:30")

    dispatch_at(deadline + engine.LATE_AFTER, [on_time])
    dispatch_at(deadline + engine.LATE_AFTER + dt.timedelta(seconds=1), [late])

    runs = DeadlineRun.objects.filter(kind=K.FIRST_ATTENDANCE)
    assert runs.get(school=on_time).late is False
    assert runs.get(school=late).late is True


@pytest.mark.django_db
def test_r_att_1_a_deadline_of_yesterday_is_not_run(jobs, tomsk):
    """Down from Monday morning to Tuesday: Monday's notices would be about the past."""
    dispatch_at(local(tomsk, TUE, "07:00"))
    dispatch_at(local(tomsk, TUE, "13:00"))

    assert runs_on(tomsk, MON) == set()
    assert not DeadlineRun.objects.exclude(date=TUE).exists()


# --- failures ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_r_nfr_1_a_job_that_fails_mid_way_leaves_nothing_and_runs_again_after_the_lease(
    registry, tomsk
):
    """The job writes its notices and then fails: the notices go with its transaction, the
    run stays unfinished with its error; after the lease the dispatcher queues it again and
    the rerun writes one notice per recipient."""
    users = teachers(tomsk)

    def broken(run):
        reminder(run, users)
        raise RuntimeError("the journal was unreachable")

    registry(K.FIRST_ATTENDANCE, broken)
    nine_thirty = local(tomsk, TUE, "09:30")
    run = first_run(tomsk, nine_thirty)

    with pytest.raises(RuntimeError):
        engine.run_execute(run.pk)

    assert not Notification.objects.exists()
    run.refresh_from_db()
    assert run.finished_at is None
    assert run.error == "RuntimeError: the journal was unreachable"
    assert run.attempts == 1
    assert dispatch_at(nine_thirty + engine.LEASE - dt.timedelta(seconds=1)).requeued == []
    later = nine_thirty + engine.LEASE + dt.timedelta(seconds=1)
    assert dispatch_at(later).requeued == [run.pk]
    run.refresh_from_db()
    assert run.queued_at == later

    registry(K.FIRST_ATTENDANCE, lambda run: reminder(run, users))
    assert engine.run_execute(run.pk) is True
    assert engine.run_execute(run.pk) is False

    assert sorted(Notification.objects.values_list("user", flat=True)) == sorted(
        u.pk for u in users
    )
    run.refresh_from_db()
    assert (run.attempts, run.notices, run.error) == (2, 2, "")
    assert dispatch_at(later + 2 * engine.LEASE).requeued == []


@pytest.mark.django_db
def test_r_nfr_1_a_run_is_given_up_after_max_attempts(registry, tomsk):
    def broken(run):
        raise RuntimeError("always")

    registry(K.FIRST_ATTENDANCE, broken)
    moment = local(tomsk, TUE, "09:30")
    run = first_run(tomsk, moment)
    for attempt in range(1, engine.MAX_ATTEMPTS + 1):
        with pytest.raises(RuntimeError):
            engine.run_execute(run.pk)
        run.refresh_from_db()
        assert run.attempts == attempt
        moment += engine.LEASE + dt.timedelta(seconds=1)
        requeued = dispatch_at(moment).requeued
        assert requeued == ([run.pk] if attempt < engine.MAX_ATTEMPTS else [])

    run.refresh_from_db()
    assert run.finished_at is None and run.error == "RuntimeError: always"


@pytest.mark.django_db
def test_r_nfr_1_the_lease_is_a_setting(registry, tomsk, settings):
    """DEADLINES_LEASE_SECONDS (the end-to-end test of a killed worker shortens it)."""
    settings.DEADLINES_LEASE_SECONDS = 5
    registry(K.FIRST_ATTENDANCE, lambda run: 0)
    moment = local(tomsk, TUE, "09:30")
    run = first_run(tomsk, moment)

    assert dispatch_at(moment + dt.timedelta(seconds=5)).requeued == []
    assert dispatch_at(moment + dt.timedelta(seconds=6)).requeued == [run.pk]


@pytest.mark.django_db
def test_r_nfr_1_a_long_job_is_claimed_for_the_lease(registry, tomsk):
    """A job that does its work in parts (atomic=False, the weekly reports): a second
    worker does not start it while the first holds the claim; after the lease it may."""
    calls = []

    def long_job(run):
        calls.append(run.pk)
        # a duplicate message arrives while this one works
        assert engine.run_execute(run.pk) is False
        raise RuntimeError("the worker's PDF renderer crashed")

    registry(K.PARENT_REPORT, long_job, atomic=False)
    friday = dt.date(2026, 10, 9)
    dispatch_at(local(tomsk, friday, "15:00"))
    run = DeadlineRun.objects.get(kind=K.PARENT_REPORT)

    with pytest.raises(RuntimeError):
        engine.run_execute(run.pk)
    run.refresh_from_db()
    assert (run.attempts, run.finished_at) == (1, None)  # counted once, by the claim
    assert "crashed" in run.error

    registry(K.PARENT_REPORT, lambda run: 7, atomic=False)
    assert engine.run_execute(run.pk) is False  # the claim holds for the lease
    with dispatch_lease_over(run):
        assert engine.run_execute(run.pk) is True
    run.refresh_from_db()
    assert (run.attempts, run.notices, run.error) == (2, 7, "")
    assert calls == [run.pk]


def dispatch_lease_over(run):
    import time_machine

    return time_machine.travel(run.started_at + engine.LEASE + dt.timedelta(seconds=1), tick=False)


# --- the queue -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_r_nfr_1_runs_are_queued_after_the_commit(
    jobs, tomsk, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(tasks.deadline_run, "apply_async", lambda args, **kw: sent.append(args))

    with django_capture_on_commit_callbacks() as callbacks:
        report = dispatch_at(local(tomsk, TUE, "10:00"))
        assert sent == []  # not before the commit: the worker would not see the rows

    assert len(callbacks) == 1
    callbacks[0]()
    assert sorted(sent) == sorted((pk,) for pk in report.created)
    assert len(sent) == 4


@pytest.mark.django_db
def test_r_nfr_1_a_dispatch_rolled_back_queues_nothing(
    jobs, tomsk, monkeypatch, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        dispatch_at(local(tomsk, TUE, "10:00"))
        raise RuntimeError("the database went away before the commit")
    assert callbacks == []
    assert not DeadlineRun.objects.exists()


def test_r_nfr_1_the_run_task_is_acknowledged_late():
    """A worker that dies mid-job leaves the message to be delivered again."""
    assert tasks.deadline_run.acks_late is True
    assert tasks.deadline_run.reject_on_worker_lost is True


def test_r_ten_2_the_beat_ticks_the_dispatcher_every_five_minutes():
    entry = celery_app.conf.beat_schedule["deadlines-dispatch"]
    assert entry["task"] == "notifications.tasks.deadlines_dispatch"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == DEADLINES_TICK_SECONDS == 300


@pytest.mark.django_db
def test_r_nfr_1_the_beat_task_dispatches(jobs, tomsk, django_capture_on_commit_callbacks):
    with (
        dispatch_clock(local(tomsk, TUE, "09:30")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.deadlines_dispatch.delay()
    assert sorted(jobs.calls) == [
        ("tomsk", K.FIRST_ATTENDANCE, TUE),
        ("tomsk", K.LESSON_CONTENT_DEPUTY, TUE),
    ]


def dispatch_clock(moment):
    import time_machine

    return time_machine.travel(moment, tick=False)


@pytest.mark.django_db
def test_r_nfr_1_a_broker_down_at_dispatch_is_logged_and_the_runs_are_queued_later(
    jobs, tomsk, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """The broker refuses: the dispatcher logs it and its runs stay; once the broker is back
    the next tick after the lease queues them, and they run."""

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    working = tasks.deadline_run.apply_async
    monkeypatch.setattr(tasks.deadline_run, "apply_async", broker_down)
    moment = local(tomsk, TUE, "10:00")
    with (
        caplog.at_level(logging.WARNING, "notifications.deadlines.engine"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = dispatch_at(moment)
    assert len(report.created) == 4
    assert "not queued (broker unavailable)" in caplog.text
    assert DeadlineRun.objects.filter(finished_at__isnull=True).count() == 4
    assert jobs.calls == []

    monkeypatch.setattr(tasks.deadline_run, "apply_async", working)  # the broker is back
    with django_capture_on_commit_callbacks(execute=True):
        soon = dispatch_at(moment + dt.timedelta(minutes=5))
    assert soon.requeued == []  # the lease is not over: maybe a worker has them
    with django_capture_on_commit_callbacks(execute=True):
        later = dispatch_at(moment + engine.LEASE + dt.timedelta(minutes=1))
    assert sorted(later.requeued) == sorted(report.created)
    assert len(jobs.calls) == 4
    assert not DeadlineRun.objects.filter(finished_at__isnull=True).exists()


@pytest.mark.django_db
def test_r_nfr_1_a_run_of_yesterday_is_queued_again_an_older_one_is_not(jobs, tomsk):
    """A run left unfinished (the broker was down) is queued again on its day and the next
    (a report that failed near midnight); after that its notices would be about the past:
    it stays unfinished, for the status page."""
    monday = local(tomsk, MON, "10:00")
    dispatch_at(monday)
    runs = set(DeadlineRun.objects.values_list("pk", flat=True))

    assert set(dispatch_at(local(tomsk, TUE, "07:00")).requeued) == runs
    wednesday = dt.date(2026, 10, 7)
    assert dispatch_at(local(tomsk, wednesday, "07:00")).requeued == []
    assert DeadlineRun.objects.filter(finished_at__isnull=True).count() == len(runs)


@pytest.mark.django_db
def test_r_nfr_1_a_run_without_its_job_fails_and_is_given_up(registry, tomsk, caplog, monkeypatch):
    """A run whose kind has no job any more (a job removed in an update) is an error on the
    status page and stops being queued after MAX_ATTEMPTS, instead of for ever."""
    registry(K.FIRST_ATTENDANCE, lambda run: 0)
    moment = local(tomsk, TUE, "09:30")
    run = first_run(tomsk, moment)
    monkeypatch.delitem(engine.JOBS, K.FIRST_ATTENDANCE)

    with caplog.at_level(logging.ERROR, "notifications.deadlines.engine"):
        for _ in range(engine.MAX_ATTEMPTS):
            assert engine.run_execute(run.pk) is False
            moment += engine.LEASE + dt.timedelta(seconds=1)
            dispatch_at(moment)
    run.refresh_from_db()
    assert run.attempts == engine.MAX_ATTEMPTS
    assert run.error == "LookupError: no job for first_attendance"
    assert dispatch_at(moment + engine.LEASE * 2).requeued == []
    assert "no job for first_attendance" in caplog.text
