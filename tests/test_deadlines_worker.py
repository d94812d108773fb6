"""The deadlines engine end to end (R-ATT-1, R-TEN-2, R-NFR-1): a real Celery worker with its
embedded beat (`celery -A config worker -B`), on the real Redis (CI sets REDIS_URL) and on
this test's database, with the real clock. The beat ticks the dispatcher every 2 seconds
(DEADLINES_TICK_SECONDS), the dispatcher finds the school whose first-lesson deadline has
passed in its local time and queues the job, the job reminds the teacher.

- A queue of its own (CELERY_TASK_DEFAULT_QUEUE) and a beat schedule file in tmp_path
  (CELERY_BEAT_SCHEDULE_FILENAME) keep parallel runs apart.
- The school's zone is picked so that it is a study day there now and 9:30 has passed
  (some zone always has it; when none has, the deadline is set a few minutes back).
- A worker killed (SIGKILL) while the job is blocked inside its transaction — this test
  holds a lock on the notifications table — leaves nothing; a new worker runs the job once
  the lease (DEADLINES_LEASE_SECONDS, shortened here) is over: one notice per recipient."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from notifications.models import DeadlineKind, DeadlineRun, Kind, Notification
from schedule.models import GradeLevel, Lesson

from . import factories as f
from .test_celery_worker import queue_drop, worker_stop

WAIT_SECONDS = 90  # a cold worker starts in a few seconds; this only bounds a broken run
TICK_SECONDS = "2"
LEASE_SECONDS = 4

pytestmark = [
    pytest.mark.needs_redis,
    pytest.mark.needs_postgres,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets one)"
    ),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="the worker shares the test database: PostgreSQL only (CI sets DATABASE_URL)",
    ),
]


@pytest.fixture(autouse=True)
def _frozen_time():
    """The suite freezes the clock (tests/conftest.py); a worker and its beat need it running."""
    yield


# --- the worker ----------------------------------------------------------------------------


def database_url() -> str:
    """This test's database (the worker must see the rows the test commits)."""
    data = connection.settings_dict
    user = data.get("USER") or ""
    password = f":{data['PASSWORD']}" if data.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{data['PORT']}" if data.get("PORT") else ""
    return f"postgres://{auth}{data.get('HOST') or 'localhost'}{port}/{data['NAME']}"


def beat_worker_start(tmp_path: Path, queue: str, name: str, **env_overrides) -> subprocess.Popen:
    """`celery -A config worker -B` on `queue`, the beat ticking every 2 s, on this database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "0",  # no connection left open when the test's database is flushed
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / f"beat-{name}"),
        "DEADLINES_TICK_SECONDS": TICK_SECONDS,
        "EMAIL_DELIVERY_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(settings.BASE_DIR), os.environ.get("PYTHONPATH")])
        ),
        **env_overrides,
    }
    log = open(tmp_path / f"worker-{name}.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "celery", "-A", "config", "worker", "-B"),
            *("--pool=solo", "--concurrency=1", "--loglevel=INFO", "-Q", queue),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            *("--hostname", f"test-{queue}-{name}@%h"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # the worker and its beat: one process group to kill
    )
    process.log_file = log
    process.log_path = tmp_path / f"worker-{name}.log"
    return process


def worker_kill(process: subprocess.Popen) -> None:
    """SIGKILL to the worker and its beat: no warm shutdown, no message given back."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)
    process.log_file.close()


def wait_for(condition, what: str, *workers: subprocess.Popen, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        for worker in workers:
            if worker.poll() is not None:
                break
        else:
            time.sleep(0.3)
            continue
        break
    logs = "\n".join(
        f"--- {w.log_path.name} (exit code {w.poll()}):\n"
        + w.log_path.read_text(errors="replace")[-4000:]
        for w in workers
    )
    pytest.fail(f"{what}: not within {seconds} s; the worker's log:\n{logs}")


def killed_worker_leftovers_drop(queue: str) -> None:
    """What a killed worker leaves in Redis: its message "unacknowledged" for an hour (the
    visibility timeout, after which Redis would give it back to a queue nobody reads) and
    the binding of its control queue."""
    import redis

    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    for tag, raw in server.hscan_iter("unacked"):
        try:
            _message, exchange, routing_key = json.loads(raw)
        except (ValueError, TypeError):
            continue
        if queue in (exchange, routing_key):
            server.zrem("unacked_index", tag)
            server.hdel("unacked", tag)
    pidbox = "_kombu.binding.celery.pidbox"
    for member in server.smembers(pidbox):
        if queue.encode() in member:
            server.srem(pidbox, member)


# --- a school whose 9:30 has passed now ----------------------------------------------------

# Russian and Kazakh zones first; the Etc zones cover every whole offset from -12 to +14
ZONES = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Asia/Yekaterinburg",
    "Asia/Almaty",
    "Asia/Tomsk",
    "Asia/Irkutsk",
    "Asia/Vladivostok",
    "Asia/Kamchatka",
    *(f"Etc/GMT{-offset:+d}" for offset in range(14, -13, -1)),
]
NINE_THIRTY = dt.time(9, 30)


def zone_pick(now: dt.datetime) -> tuple[str, dt.datetime, dt.time]:
    """(zone, local now, deadline): a zone where today is Monday to Saturday and 9:30 passed
    at least 10 minutes ago (and it is not yet 22:00); otherwise one where it is a study day
    after 01:00, with the deadline 5 minutes back."""
    for zone in ZONES:
        here = now.astimezone(zoneinfo.ZoneInfo(zone))
        if here.weekday() < 6 and dt.time(9, 40) <= here.time() <= dt.time(22, 0):
            return zone, here, NINE_THIRTY
    for zone in ZONES:
        here = now.astimezone(zoneinfo.ZoneInfo(zone))
        if here.weekday() < 6 and here.time() >= dt.time(1, 0):
            deadline = (here - dt.timedelta(minutes=5)).time().replace(second=0, microsecond=0)
            return zone, here, deadline
    raise AssertionError("no zone has a study day now")  # impossible: they span 26 hours


@dataclass
class DueSchool:
    school: object
    teachers: list
    deadline: dt.time


def school_due_now(classes: int = 1) -> DueSchool:
    """A school (6-day week) whose first-lesson deadline has passed today in its local time,
    with `classes` classes, each with a first lesson begun before it by a teacher of its own
    and no register taken; every other job switched off."""
    zone, here, deadline = zone_pick(timezone.now())
    today = here.date()
    school = f.school_make(
        f"e2e-{uuid.uuid4().hex[:8]}",
        zone,
        first_lesson_attendance_deadline=deadline,
        first_lesson_escalation_minutes=240,
        absence_reason_reminders=False,
        absence_digest=False,
        lesson_content_reminders=False,
        reconciliation_reminders=False,
        parent_reports=False,
        print_batches=False,
        failing_reports=False,
        forecast_notices=False,
        period_marks_reminders=False,
    )
    year = f.year_make(
        school, starts_on=today - dt.timedelta(days=60), ends_on=today + dt.timedelta(days=60)
    )
    GradeLevel.objects.create(school=school, year=year, grade=5, study_days=6)
    subject = f.subject_make(school, "Математика")
    start = dt.datetime.combine(today, deadline) - dt.timedelta(minutes=50)
    teachers = []
    for n in range(classes):
        teacher = f.UserFactory(username=f"{school.slug}-teacher-{n}")
        f.member(teacher, school, Role.TEACHER)
        school_class = f.class_make(school, year, 5, "АБВГ"[n])
        f.student_make(school, school_class, f"Ученик{n}", on=year.starts_on)
        Lesson.objects.create(
            school=school,
            date=today,
            number=1,
            starts_at=start.time(),
            ends_at=(start + dt.timedelta(minutes=40)).time(),
            school_class=school_class,
            group=school_class.groups.get(is_whole_class=True),
            subject=subject,
            teacher=teacher,
        )
        teachers.append(teacher)
    return DueSchool(school, teachers, deadline)


def reminders_of(users) -> list[int]:
    return list(
        Notification.objects.filter(user__in=users, kind=Kind.REMINDER).values_list(
            "user", flat=True
        )
    )


# --- the tests -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_r_att_1_the_beat_dispatcher_and_job_remind_the_first_lessons_teacher(tmp_path):
    """R-ATT-1, R-TEN-2: beat → dispatcher → job, on Redis and a real worker: the teacher of
    a first lesson without a register gets the 9:30 reminder."""
    due = school_due_now()
    started = timezone.now()
    queue = f"test-deadlines-{uuid.uuid4().hex[:12]}"
    worker = beat_worker_start(tmp_path, queue, "1")
    try:
        wait_for(lambda: reminders_of(due.teachers), "the teacher's reminder", worker)
    finally:
        worker_stop(worker)
        queue_drop(queue)

    run = DeadlineRun.objects.get(school=due.school, kind=DeadlineKind.FIRST_ATTENDANCE)
    assert run.created_at >= started  # found by the worker's dispatcher, not by the test
    assert run.finished_at is not None and run.notices == 1 and run.attempts == 1
    assert run.due_at == dt.datetime.combine(run.date, due.deadline, tzinfo=due.school.tz)
    assert reminders_of(due.teachers) == [due.teachers[0].pk]
    log = worker.log_path.read_text(errors="replace")
    assert "notifications.tasks.deadlines_dispatch" in log  # sent by the beat
    assert "notifications.tasks.deadline_run" in log


def blocked_inserts(database: str) -> list[int]:
    """The backends of `database` waiting for a lock to insert notifications."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
            "AND query ILIKE %s",
            [database, '%INSERT INTO "notifications_notification"%'],
        )
        return [pid for (pid,) in cursor.fetchall()]


def backends_alive(pids: list[int]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids])
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_r_nfr_1_a_worker_killed_mid_job_and_restarted_sends_each_notice_once(tmp_path):
    """R-NFR-1: the job of two teachers blocks inside its transaction (this test holds the
    notifications table); the worker is killed; its transaction dies with it and nothing is
    written; a new worker runs the job again after the lease: one notice per teacher."""
    due = school_due_now(classes=2)
    queue = f"test-deadlines-{uuid.uuid4().hex[:12]}"
    database = connection.settings_dict["NAME"]
    holder = psycopg.connect(database_url())  # a connection of its own, not the test's
    lease = {"DEADLINES_LEASE_SECONDS": str(LEASE_SECONDS)}
    workers = []
    try:
        with holder.cursor() as cursor:
            cursor.execute(
                "LOCK TABLE notifications_notification IN SHARE ROW EXCLUSIVE MODE"
            )  # held until the rollback below
        workers.append(beat_worker_start(tmp_path, queue, "killed", **lease))
        blocked = wait_for(
            lambda: blocked_inserts(database), "the job blocked on its notices", workers[0]
        )
        run = DeadlineRun.objects.get(school=due.school, kind=DeadlineKind.FIRST_ATTENDANCE)
        assert run.finished_at is None

        worker_kill(workers[0])
        holder.rollback()  # the dead worker's transaction gets the table: it cannot commit
        wait_for(lambda: not backends_alive(blocked), "the killed worker's backend gone")
        assert reminders_of(due.teachers) == []
        run.refresh_from_db()
        assert run.finished_at is None

        workers.append(beat_worker_start(tmp_path, queue, "restarted", **lease))
        wait_for(
            lambda: len(reminders_of(due.teachers)) >= 2,
            "the notices after the restart",
            workers[1],
        )
        # the beat goes on ticking (and the dispatcher requeueing) for a few more leases
        time.sleep(3 * LEASE_SECONDS)
    finally:
        holder.close()
        for worker in workers[1:]:
            worker_stop(worker)
        if workers and workers[0].poll() is None:
            worker_kill(workers[0])
        queue_drop(queue)
        killed_worker_leftovers_drop(queue)

    assert sorted(reminders_of(due.teachers)) == sorted(t.pk for t in due.teachers)
    run.refresh_from_db()
    assert run.finished_at is not None and run.notices == 2
    assert (
        DeadlineRun.objects.filter(school=due.school, kind=DeadlineKind.FIRST_ATTENDANCE).count()
        == 1
    )
