"""The `diary` section of `manage.py bench` (schedule/management/commands/bench.py): a
parent's diary week of his child on a demo school with its journals, by the test client
(p50, p95, queries) and through gunicorn (2 workers, a few concurrent clients, a real login
with a session cookie): requests per second and p50.

Goal (issue 5): the week costs at most 8 queries whatever the number of lessons. The times
have no goal of their own; nothing fails on a slow run."""

import datetime as dt
import http.client
import math
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse

from accounts.models import Student, User
from journal.demo import journal_seed
from journal.models import Mark
from schedule.management.commands.bench import (
    Options,
    Row,
    bench_school_build,
    bench_school_delete,
)
from schedule.models import Lesson
from schedule.timetable_selectors import student_lessons, week_start

SLUG = "bench-diary"
WARM_UPS = 3
RUNS = 30
GOAL_QUERIES = "≤ 8"
NOT_AVAILABLE = "not available"
# through gunicorn
WORKERS = 2
CLIENTS = 4
REQUESTS = 200
START_TIMEOUT = 30.0


def _p50(times: list[float]) -> float:
    return statistics.median(times) * 1000


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)] * 1000


def _times(function: Callable[[], object], runs: int = RUNS) -> list[float]:
    for _ in range(WARM_UPS):
        function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def week_pick(student: Student, today: dt.date) -> dt.date:
    """The Monday of today's week when the student has lessons in it, else of the week of
    his last lesson before today, else of his first lesson after it."""
    monday = week_start(today)
    lessons = student_lessons(student, monday - dt.timedelta(days=366), monday).order_by()
    if lessons.filter(date__gte=monday).exists():
        return monday
    last = lessons.filter(date__lt=monday).order_by("-date").values_list("date", flat=True)
    day = last.first()
    if day is None:
        after = student_lessons(student, monday, monday + dt.timedelta(days=366)).order_by("date")
        day = after.values_list("date", flat=True).first()
    return week_start(day) if day else monday


def section_diary(options: Options) -> list[Row]:
    """R-NFR-4 on the diary week (see the module's doc)."""
    bench_school_delete(SLUG)
    options.say(f"diary: building {SLUG} (about {options.students} students)...")
    started = time.perf_counter()
    builder = bench_school_build(SLUG, options, dated_lessons=True)
    build_time = time.perf_counter() - started
    school = builder.school
    options.say("diary: writing its demo journals...")
    started = time.perf_counter()
    totals = journal_seed(schools=[school], seed=options.seed)
    seed_time = time.perf_counter() - started
    rows = [
        Row("diary: school built", len(builder.kids), "students", ""),
        Row("diary: building the school and its lessons", build_time, "s", ""),
        Row("diary: demo journals of the school (seed_demo)", seed_time, "s", ""),
        Row("diary: marks in the school", totals.marks, "marks", ""),
    ]
    try:
        rows += _measure(options, school)
    finally:
        if not options.keep:
            bench_school_delete(SLUG)
    return rows


def _measure(options: Options, school) -> list[Row]:
    parent = User.objects.filter(username=f"{SLUG}-parent").first()
    child = Student.objects.filter(school=school, user__username=f"{SLUG}-student").first()
    if parent is None or child is None:
        return [Row("diary: no demo parent and child to measure", NOT_AVAILABLE, "", "")]
    monday = week_pick(child, school.today())
    try:
        url = reverse("diary_week", args=[school.slug, child.pk]) + f"?week={monday:%Y-%m-%d}"
    except NoReverseMatch:
        return [Row("diary: week GET (diary_week)", NOT_AVAILABLE, "", GOAL_QUERIES)]
    week_lessons = Lesson.objects.filter(
        pk__in=student_lessons(child, monday, monday + dt.timedelta(days=5)).values("pk")
    )
    rows = [
        Row("diary: week measured, the child's lessons", week_lessons.count(), "lessons", ""),
        Row(
            "diary: week measured, the child's marks",
            Mark.objects.filter(student=child, lesson__in=week_lessons).count(),
            "marks",
            "",
        ),
    ]
    options.say(f"diary: {parent.username} reads {child} on the week of {monday:%d.%m.%Y}")
    with override_settings(
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
    ):
        client = Client()
        client.force_login(parent)
        response = client.get(url)
        if response.status_code != 200:
            return rows + [
                Row(f"diary: week GET answers {response.status_code}", NOT_AVAILABLE, "", "")
            ]
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        count = len(queries)
        times = _times(lambda: client.get(url))
    rows += [
        Row("diary: week GET (test client), p50 of 30", _p50(times), "ms", ""),
        Row("diary: week GET (test client), p95 of 30", _p95(times), "ms", ""),
        Row("diary: week queries (the user's included)", count, "queries", GOAL_QUERIES),
    ]
    options.say("diary: the week through gunicorn...")
    return rows + gunicorn_rows(parent, url, child.short_name)


# --- through gunicorn -------------------------------------------------------------------------


def database_url() -> str | None:
    """The URL of the database this process uses (the test database under pytest), for
    gunicorn's workers; None when they cannot reach it (an in-memory SQLite)."""
    data = connection.settings_dict
    if connection.vendor == "postgresql":
        user = urllib.parse.quote(data.get("USER") or "", safe="")
        password = urllib.parse.quote(data.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = data.get("HOST") or "localhost"
        port = f":{data['PORT']}" if data.get("PORT") else ""
        url = f"postgres://{auth}{host}{port}/{urllib.parse.quote(str(data['NAME']))}"
        # as configured: persistent connections only when the deployment asks for them
        if data.get("CONN_MAX_AGE"):
            url += f"?conn_max_age={int(data['CONN_MAX_AGE'])}"
        return url
    if connection.vendor == "sqlite":
        name = str(data["NAME"])
        if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            return None
        return f"sqlite:///{Path(name).resolve()}"
    return None


def sessions_shared() -> bool:
    """Whether two gunicorn workers see the same sessions: not when they live in a
    per-process (local memory) cache."""
    if not settings.SESSION_ENGINE.endswith(".cache"):
        return True
    alias = getattr(settings, "SESSION_CACHE_ALIAS", "default")
    return "locmem" not in settings.CACHES[alias]["BACKEND"].lower()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving the project on a free local port."""

    def __init__(self, workers: int):
        self.port = _free_port()
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115  closed by stop()

    def start(self, database: str) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
            "DATABASE_URL": database,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECRET_KEY": settings.SECRET_KEY,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,  # a file, not a pipe: a full pipe would stop the workers
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self._errors())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start in time")

    def _errors(self) -> str:
        self.log.seek(0)
        text = self.log.read().decode(errors="replace").strip()
        return text.splitlines()[-1] if text else "gunicorn stopped"

    def stop(self) -> None:
        """Stop gunicorn and its workers (their own process group, started here)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def request(self, method: str, path: str, *, cookies: dict, body: str = "", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            all_headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
            if cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            conn.request(method, path, body=body or None, headers=all_headers)
            response = conn.getresponse()
            content = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location", ""), content
        finally:
            conn.close()


def _login(server: Server, username: str, password: str) -> dict:
    """Sign in through the login form as a browser does; the cookies of the session."""
    cookies: dict[str, str] = {}
    login = reverse("account_login")
    status, _location, content = server.request("GET", login, cookies=cookies)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    if status != 200 or match is None:
        raise RuntimeError(f"login page answers {status}")
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1).decode(), "login": username, "password": password}
    )
    status, _location, _content = server.request(
        "POST",
        login,
        cookies=cookies,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"login answers {status}")
    return cookies


def gunicorn_rows(parent: User, url: str, expect: str) -> list[Row]:
    """The week through gunicorn: a real login, then REQUESTS GETs from CLIENTS threads."""
    name = "diary: week through gunicorn"
    database = database_url()
    if database is None:
        return [Row(f"{name} (an in-memory database)", NOT_AVAILABLE, "", "")]
    workers = WORKERS if sessions_shared() else 1
    label = f"{workers} workers" if workers > 1 else "1 worker: sessions in a per-process cache"
    server = Server(workers)
    password = secrets.token_urlsafe(16)
    parent.set_password(password)
    parent.save(update_fields=["password"])
    try:
        server.start(database)
        cookies = _login(server, parent.username, password)
        status, _location, content = server.request("GET", url, cookies=dict(cookies))
        if status != 200 or expect.encode() not in content:
            return [Row(f"{name} answers {status}", NOT_AVAILABLE, "", "")]
        for _ in range(WARM_UPS * workers):
            server.request("GET", url, cookies=dict(cookies))
        failures = 0
        lock = threading.Lock()

        def one(_n: int) -> float:
            nonlocal failures
            started = time.perf_counter()
            got, _loc, _body = server.request("GET", url, cookies=dict(cookies))
            elapsed = time.perf_counter() - started
            if got != 200:
                with lock:
                    failures += 1
            return elapsed

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            times = list(pool.map(one, range(REQUESTS)))
        wall = time.perf_counter() - started
    except (RuntimeError, OSError) as error:
        return [Row(f"{name}: {error}"[:120], NOT_AVAILABLE, "", "")]
    finally:
        server.stop()
        parent.set_unusable_password()
        parent.save(update_fields=["password"])
    return [
        Row(
            f"{name}, {label}, {CLIENTS} clients: requests",
            len(times),
            "requests",
            "",
        ),
        Row(f"{name}: throughput", len(times) / wall if wall else 0.0, "req/s", ""),
        Row(f"{name}: p50 of {len(times)}", _p50(times), "ms", ""),
        Row(f"{name}: p95 of {len(times)}", _p95(times), "ms", ""),
        Row(f"{name}: answers other than 200", failures, "requests", "0"),
    ]
