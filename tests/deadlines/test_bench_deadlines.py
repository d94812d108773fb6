"""The `deadlines` bench section (notifications/deadlines/bench.py): the structure of its
rows, a second sweep that creates nothing, and nothing left behind; never the timing."""

import datetime as dt

import pytest

from accounts.models import School
from notifications.deadlines import bench
from notifications.models import DeadlineRun
from schedule.management.commands.bench import Options

pytestmark = pytest.mark.django_db


def run(keep=False):
    options = Options(students=30, seed=1, keep=keep, say=lambda text: None)
    return {row.name: row for row in bench.section_deadlines(options)}


def test_it_sweeps_the_schools_twice_and_deletes_them(monkeypatch):
    monkeypatch.setattr(bench, "SCHOOLS", 32)
    before = School.objects.count()

    rows = run()

    assert rows["deadlines: schools"].value == 32
    assert rows["deadlines: first sweep"].goal == "≤ 10 s"
    assert rows["deadlines: first sweep, runs created"].value > 32
    assert rows["deadlines: second sweep, runs created"].value == 0
    assert rows["deadlines: second sweep, runs queued again"].value == 0
    assert rows["deadlines: first sweep, queries"].value <= 25
    assert "deadlines: deleting the schools" in rows
    assert School.objects.count() == before
    assert not DeadlineRun.objects.exists()


def test_it_keeps_the_schools_when_asked_and_removes_them_next_time(monkeypatch):
    monkeypatch.setattr(bench, "SCHOOLS", 16)
    run(keep=True)
    assert School.objects.filter(slug__startswith=bench.SLUG).count() == 16
    run()
    assert not School.objects.filter(slug__startswith=bench.SLUG).exists()


def test_it_sweeps_on_a_friday_morning_in_utc():
    moment = bench.sweep_moment(dt.date(2026, 10, 6))
    assert moment == dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC)
    assert moment.weekday() == 4
    assert bench.sweep_moment(dt.date(2026, 10, 9)).date() == dt.date(2026, 10, 9)
