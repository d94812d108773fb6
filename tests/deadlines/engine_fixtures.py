"""Helpers of the engine's tests (test_engine.py, test_dispatch_time_zones.py): schools in
any time zone with a calendar, a registry of recording test jobs in place of the real ones
(monkeypatch, never permanent), and the dispatcher called at a school's local time."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from notifications.deadlines import engine
from notifications.models import DeadlineKind, DeadlineRun
from schedule.models import GradeLevel, Holiday

from .. import factories as f

K = DeadlineKind


class Recorder:
    """Every kind's test job: records (school slug, kind, local date) of each run."""

    def __init__(self):
        self.calls: list[tuple[str, str, dt.date]] = []

    def __call__(self, run: DeadlineRun) -> int:
        self.calls.append((run.school.slug, run.kind, run.date))
        return 0


@pytest.fixture
def registry(monkeypatch):
    """No job registered, for this test only; returns `register(kind, handler, atomic)`."""
    for kind in list(engine.JOBS):
        monkeypatch.delitem(engine.JOBS, kind)

    def register(kind, handler, atomic=True):
        monkeypatch.setitem(engine.JOBS, kind, engine.Job(kind, handler, atomic))

    return register


@pytest.fixture
def jobs(registry) -> Recorder:
    """A recording job for every deadline kind, in place of the real handlers."""
    recorder = Recorder()
    for kind in K.values:
        registry(kind, recorder)
    return recorder


def school_in(slug: str, time_zone: str, *, year=None, study_days=None, **settings):
    """A school in `time_zone` with the 2026/2027 academic year (or `year` = (first, last)),
    grades 1-11 studying `study_days` days a week when given (otherwise no grade levels: 5
    days for every grade), and these settings."""
    school = f.school_make(slug, time_zone, **settings)
    starts, ends = year or (f.YEAR_START, f.YEAR_END)
    academic_year = f.year_make(
        school, name=f"{starts.year}/{ends.year}", starts_on=starts, ends_on=ends
    )
    if study_days:
        GradeLevel.objects.bulk_create(
            GradeLevel(school=school, year=academic_year, grade=g, study_days=study_days)
            for g in range(1, 12)
        )
    school.academic_year = academic_year
    return school


def holiday(school, first: dt.date, last: dt.date | None = None, grades: str = "", name=""):
    return Holiday.objects.create(
        school=school,
        year=school.academic_year,
        name=name or f"Каникулы {first:%d.%m}",
        starts_on=first,
        ends_on=last or first,
        grades=grades,
    )


def local(school, day: dt.date, at: str) -> dt.datetime:
    """The aware moment of the local time `at` ("09:30") on `day` in the school's zone."""
    hours, minutes = (int(x) for x in at.split(":"))
    return dt.datetime.combine(
        day, dt.time(hours, minutes), tzinfo=zoneinfo.ZoneInfo(school.time_zone)
    )


def dispatch_at(moment: dt.datetime, schools=None) -> engine.DispatchReport:
    """The dispatcher's tick at `moment` (the clock is there too), for these schools."""
    with time_machine.travel(moment, tick=False):
        return engine.dispatch(moment, [s.pk for s in schools] if schools is not None else None)


def created(report: engine.DispatchReport, school=None) -> set[str]:
    """The kinds of the runs a tick created (for one school)."""
    runs = DeadlineRun.objects.filter(pk__in=report.created)
    if school is not None:
        runs = runs.filter(school=school)
    return set(runs.values_list("kind", flat=True))


def runs_on(school, day: dt.date) -> set[str]:
    return set(DeadlineRun.objects.filter(school=school, date=day).values_list("kind", flat=True))


def day_kinds(school, day: dt.date) -> set[str]:
    """Every kind the dispatcher runs for the school on `day`: a tick at 23:59 local."""
    dispatch_at(local(school, day, "23:59"), [school])
    return runs_on(school, day)
