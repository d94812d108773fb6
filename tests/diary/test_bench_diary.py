"""`manage.py bench --only diary` (diary/bench.py) prints its rows: a parent's diary week by
the test client (p50, p95, queries) and through gunicorn (2 workers, concurrent clients, a
real login with a session cookie). The structure is tested, never the timing: figures depend
on the machine. gunicorn's workers read the test database, so the data is committed
(transaction=True) and both sides run on the real clock."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import NoReverseMatch

from accounts.models import School, User
from diary import bench as diary_bench
from journal.models import Mark
from schedule.models import Lesson

NUMBER = r"-?\d[\d ]*(?:\.\d+)?"
MEASURED = (
    "diary: week GET (test client), p50 of 30",
    "diary: week GET (test client), p95 of 30",
    "diary: week queries (the user's included)",
    "diary: week through gunicorn: throughput",
    "diary: week through gunicorn: p50 of 60",
    "diary: week through gunicorn: p95 of 60",
)


@pytest.fixture(autouse=True)
def _frozen_time():
    """Overrides tests/conftest.py: gunicorn's workers cannot share a frozen clock."""
    yield


@pytest.fixture
def fewer_requests(monkeypatch):
    monkeypatch.setattr(diary_bench, "REQUESTS", 60)


def bench(*args) -> str:
    out = io.StringIO()
    call_command("bench", "--only", "diary", "--students", "30", *args, stdout=out)
    return out.getvalue()


def table(output: str) -> dict[str, tuple[str, str, str]]:
    """name -> (value, unit, goal) of the rows under the header and its dashes."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if re.match(r"name\s+value\s+unit\s+goal", line))
    widths = [len(part) for part in lines[start + 1].split("  ")]
    rows = {}
    for line in lines[start + 2 :]:
        cells, at = [], 0
        for width in widths:
            cells.append(line[at : at + width].strip())
            at += width + 2
        name, value, unit, goal = cells
        assert name.startswith("diary: "), line
        rows[name] = (value, unit, goal)
    return rows


def number(value: str) -> float:
    assert re.fullmatch(NUMBER, value), value
    return float(value.replace(" ", ""))


@pytest.mark.django_db(transaction=True)
def test_bench_diary_measures_the_week_and_gunicorn_and_leaves_no_school(fewer_requests):
    output = bench()
    assert "sections: diary" in output
    rows = table(output)
    for name in MEASURED:
        assert name in rows, (name, output)
        assert number(rows[name][0]) > 0, name
    queries = rows["diary: week queries (the user's included)"]
    assert queries[2] == "≤ 8" and number(queries[0]) <= 8
    assert number(rows["diary: week measured, the child's lessons"][0]) > 0
    assert rows["diary: week through gunicorn: throughput"][1] == "req/s"
    assert rows["diary: week through gunicorn: answers other than 200"][0] == "0"
    requests = next(name for name in rows if name.endswith("clients: requests"))
    assert "2 workers" in requests and number(rows[requests][0]) == 60
    assert not School.objects.filter(slug="bench-diary").exists()
    assert not User.objects.filter(username__startswith="bench-diary").exists()
    assert not Lesson.objects.exists() and not Mark.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_bench_diary_says_not_available_when_the_page_does_not_exist(monkeypatch):
    def missing(name, *args, **kwargs):
        raise NoReverseMatch(name)

    monkeypatch.setattr(diary_bench, "reverse", missing)
    rows = table(bench())
    assert rows["diary: week GET (diary_week)"][0] == "not available"
    assert not School.objects.filter(slug="bench-diary").exists()


def test_gunicorn_reads_the_database_of_this_process(settings):
    url = diary_bench.database_url()
    if connection.vendor == "postgresql":
        assert url.startswith("postgres://") and url.split("?")[0].endswith(
            "/" + connection.settings_dict["NAME"]
        )
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not diary_bench.sessions_shared()  # two workers would not see one login
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    assert diary_bench.sessions_shared()
