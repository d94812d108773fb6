"""A real Celery worker process delivers the e-mail a request queued (R-NFR-1: mail leaves the
request through the queue, so a slow mail server never slows a page).

Two brokers: Redis (production; CI sets REDIS_URL) and kombu's filesystem transport (the
embedded default of `make run`, no broker server at all). The worker runs with
config.settings.dev and writes mail with Django's file backend into a temporary folder; the
tests wait, bounded, for the file and read it back."""

import email
import email.policy
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from kombu import Exchange, Queue

from config.celery import app as celery_app
from config.tasks import email_deliver

WAIT_SECONDS = 60  # a cold worker starts in a few seconds; this only bounds a broken run


@pytest.fixture(autouse=True)
def _frozen_time():
    """The suite freezes the clock (tests/conftest.py); a worker and a broker need it running."""
    yield


def worker_start(tmp_path: Path, queue: str, **env_overrides) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
        "EMAIL_DELIVERY_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        # The e-mail task never touches the database; keep the worker off the real ones.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        # The worker runs in tmp_path (kombu's filesystem transport keeps its exchange tables
        # in ./control), so the project must come from PYTHONPATH.
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(settings.BASE_DIR), os.environ.get("PYTHONPATH")])
        ),
        **env_overrides,
    }
    env = {key: value for key, value in env.items() if value is not None}
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "celery", "-A", "config", "worker"),
            *("--pool=solo", "--concurrency=1", "--loglevel=INFO", "-Q", queue),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            "--hostname",
            f"test-{queue}@%h",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    process.log_file = log
    process.log_path = tmp_path / "worker.log"
    return process


def worker_stop(process: subprocess.Popen) -> None:
    try:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
    finally:
        process.log_file.close()


def queue_drop(name: str) -> None:
    """Remove the test queue and its binding from Redis (a new connection only knows
    bindings it declared itself, hence declare, then delete)."""
    with celery_app.connection_for_write() as connection:
        queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
        bound = queue.bind(connection.default_channel)
        bound.declare()
        bound.delete()


def mail_wait(folder: Path, process: subprocess.Popen) -> email.message.EmailMessage:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        files = sorted(folder.glob("*.log")) if folder.exists() else []
        if files and files[0].stat().st_size:
            raw = files[0].read_bytes().split(b"\n" + b"-" * 79 + b"\n")[0]
            return email.message_from_bytes(raw, policy=email.policy.default)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    log = process.log_path.read_text(errors="replace")
    pytest.fail(f"no mail from the worker (exit code {process.poll()}); its log:\n{log[-4000:]}")


def mail_kwargs(marker: str) -> dict:
    return {
        "subject": f"Итоговые отметки {marker}",
        "body": "Отметки за первую четверть выставлены.",
        "from_email": "Отметка <noreply@otmetka.local>",
        "to": [f"parent-{marker}@example.org"],
        "alternatives": [["<p>Отметки выставлены.</p>", "text/html"]],
    }


@pytest.mark.needs_redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets one)")
def test_it_delivers_mail_queued_on_redis_through_a_real_worker(tmp_path):
    """R-NFR-1: the app's own task, sent through the app's broker (Redis), is delivered by a
    separate worker process. A queue of its own keeps parallel runs apart."""
    queue = f"test-mail-{uuid.uuid4().hex[:12]}"
    marker = uuid.uuid4().hex[:8]
    assert celery_app.conf.broker_url == os.environ["REDIS_URL"]
    worker = worker_start(tmp_path, queue, CELERY_BROKER_URL=os.environ["REDIS_URL"])
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # the test settings run tasks in-process
    try:
        email_deliver.apply_async(kwargs=mail_kwargs(marker), queue=queue)
        message = mail_wait(tmp_path / "mail", worker)
    finally:
        celery_app.conf.task_always_eager = eager
        worker_stop(worker)
        queue_drop(queue)

    assert message["Subject"] == f"Итоговые отметки {marker}"
    assert message["To"] == f"parent-{marker}@example.org"
    assert message.get_body(("plain",)).get_content().strip() == (
        "Отметки за первую четверть выставлены."
    )
    assert message.get_body(("html",)).get_content().strip() == "<p>Отметки выставлены.</p>"


def test_it_delivers_mail_through_the_embedded_filesystem_broker(tmp_path):
    """The embedded default (`make run`): no broker server, kombu's filesystem transport in
    BROKER_DIR; a message written by one process is consumed by the worker process."""
    queue = f"test-mail-{uuid.uuid4().hex[:12]}"
    marker = uuid.uuid4().hex[:8]
    broker_dir = tmp_path / "broker"
    worker = worker_start(
        tmp_path,
        queue,
        CELERY_BROKER_URL="filesystem://",
        BROKER_DIR=str(broker_dir),
        REDIS_URL=None,  # no server of any kind
    )
    # A producer of its own: the suite's app may be configured for Redis.
    producer = Celery("otmetka-test-producer", broker="filesystem://")
    producer.conf.broker_transport_options = {
        "data_folder_in": str(broker_dir / "queue"),
        "data_folder_out": str(broker_dir / "queue"),
        "processed_folder": str(broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(tmp_path / "control"),  # where the worker keeps it (its cwd)
    }
    (broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    (broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    try:
        producer.send_task(email_deliver.name, kwargs=mail_kwargs(marker), queue=queue)
        message = mail_wait(tmp_path / "mail", worker)
    finally:
        worker_stop(worker)
        producer.close()

    assert message["Subject"] == f"Итоговые отметки {marker}"
    assert message["To"] == f"parent-{marker}@example.org"
    assert list((broker_dir / "queue").iterdir()) == []  # consumed, not left behind
