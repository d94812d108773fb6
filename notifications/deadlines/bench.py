"""The `deadlines` section of `manage.py bench` (schedule/management/commands/bench.py): the
dispatcher's sweep over 1,000 schools spread over the zones of Russia and Kazakhstan
(issue 6, goal ≤ 10 s), at a Friday moment when most of their deadlines of the day have
passed, and a second sweep a tick later that finds nothing new (idempotent).

The schools are built in bulk with what the sweep reads and nothing more: the school, its
settings, an academic year, grades 1-11 (a few schools on a 6-day week) and two holidays
(one for the first grade only, which leaves the day a school day). The runs are created
but not queued: the broker, and any worker on it, is left alone. Everything made is
deleted at the end unless --keep."""

import datetime as dt
import time
from unittest import mock

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Municipality, School, SchoolSettings
from schedule.management.commands.bench import Options, Row
from schedule.models import AcademicYear, GradeLevel, Holiday

from ..models import DeadlineRun
from . import engine

SLUG = "bench-deadlines-"
SCHOOLS = 1000
GOAL_SWEEP = "≤ 10 s"
# the zones of Russia (UTC+2 to +12) and Kazakhstan (+5)
ZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Tomsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Asia/Almaty",
    "Asia/Qostanay",
    "Asia/Aqtobe",
)


def sweep_moment(today: dt.date) -> dt.datetime:
    """09:00 UTC of the last Friday up to today: 11:00 in Kaliningrad, 21:00 in Kamchatka,
    so that every school has passed several deadlines of its day, the eastern ones their
    Friday reports too."""
    friday = today - dt.timedelta(days=(today.weekday() - 4) % 7)
    return dt.datetime.combine(friday, dt.time(9, 0), tzinfo=dt.UTC)


def bench_schools_delete() -> int:
    """The bench's schools with their runs, calendars and settings (the big tables first,
    each in one DELETE, before the cascade from the schools)."""
    ids = list(School.objects.filter(slug__startswith=SLUG).values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        for model in (DeadlineRun, Holiday, GradeLevel, AcademicYear):
            model.objects.filter(school__in=ids).delete()
        School.objects.filter(pk__in=ids).delete()
    return len(ids)


def bench_schools_build(count: int, day: dt.date) -> list[int]:
    """`count` schools around `day`, in bulk (a few INSERTs per table)."""
    municipality = Municipality.objects.get_or_create(name="Бенчмарк сроков")[0]
    with transaction.atomic():
        schools = School.objects.bulk_create(
            School(
                name=f"Школа сроков №{n + 1}",
                short_name=f"Сроки {n + 1}",
                slug=f"{SLUG}{n + 1}",
                municipality=municipality,
                time_zone=ZONES[n % len(ZONES)],
            )
            for n in range(count)
        )
        SchoolSettings.objects.bulk_create(SchoolSettings(school=s) for s in schools)
        starts, ends = day - dt.timedelta(days=60), day + dt.timedelta(days=120)
        years = AcademicYear.objects.bulk_create(
            AcademicYear(
                school=s, name=f"{starts.year}/{ends.year}", starts_on=starts, ends_on=ends
            )
            for s in schools
        )
        GradeLevel.objects.bulk_create(
            (
                GradeLevel(
                    school_id=year.school_id,
                    year=year,
                    grade=grade,
                    study_days=6 if n % 10 == 0 and grade >= 5 else 5,
                )
                for n, year in enumerate(years)
                for grade in range(1, 12)
            ),
            batch_size=5000,
        )
        Holiday.objects.bulk_create(
            (
                holiday
                for year in years
                for holiday in (
                    Holiday(
                        school_id=year.school_id,
                        year=year,
                        name="Дополнительные каникулы 1 класса",
                        starts_on=day,
                        ends_on=day,
                        grades="1",
                    ),
                    Holiday(
                        school_id=year.school_id,
                        year=year,
                        name="Каникулы",
                        starts_on=day + dt.timedelta(days=14),
                        ends_on=day + dt.timedelta(days=22),
                    ),
                )
            ),
            batch_size=5000,
        )
    return [s.pk for s in schools]


def _sweep(moment: dt.datetime, ids: list[int]) -> tuple[float, engine.DispatchReport, int]:
    queued: list[int] = []
    with (
        mock.patch.object(engine, "runs_queue", queued.extend),
        CaptureQueriesContext(connection) as queries,
    ):
        started = time.perf_counter()
        with transaction.atomic():  # on_commit runs at its end, inside the patch
            report = engine.dispatch(moment, ids)
        seconds = time.perf_counter() - started
    return seconds, report, len(queries)


def section_deadlines(options: Options) -> list[Row]:
    """The dispatcher's sweep over 1,000 schools (issue 6): see the module's docstring."""
    removed = bench_schools_delete()
    if removed:
        options.say(f"deadlines: removed {removed} schools of an earlier run")
    moment = sweep_moment(timezone.localdate())
    options.say(f"deadlines: building {SCHOOLS} schools in {len(ZONES)} zones...")
    started = time.perf_counter()
    ids = bench_schools_build(SCHOOLS, moment.date())
    build = time.perf_counter() - started

    options.say(f"deadlines: sweeping at {moment:%Y-%m-%d %H:%M} UTC...")
    first_time, first, first_queries = _sweep(moment, ids)
    tick = moment + dt.timedelta(minutes=5)
    second_time, second, second_queries = _sweep(tick, ids)
    kinds = DeadlineRun.objects.filter(school__in=ids).values("kind").distinct().count()
    late = DeadlineRun.objects.filter(school__in=ids, late=True).count()

    rows = [
        Row("deadlines: schools", first.schools, "schools", ""),
        Row("deadlines: time zones", len(ZONES), "zones", ""),
        Row("deadlines: building the schools (bulk)", build, "s", ""),
        Row("deadlines: sweep moment (UTC)", f"{moment:%a %Y-%m-%d %H:%M}", "", ""),
        Row("deadlines: first sweep", first_time, "s", GOAL_SWEEP),
        Row("deadlines: first sweep, runs created", len(first.created), "runs", ""),
        Row("deadlines: first sweep, kinds of runs", kinds, "kinds", ""),
        Row("deadlines: first sweep, runs marked late (catch-up)", late, "runs", ""),
        Row("deadlines: first sweep, queries", first_queries, "queries", ""),
        Row("deadlines: second sweep, a tick later", second_time, "s", GOAL_SWEEP),
        Row("deadlines: second sweep, runs created", len(second.created), "runs", "0"),
        Row("deadlines: second sweep, runs queued again", len(second.requeued), "runs", "0"),
        Row("deadlines: second sweep, queries", second_queries, "queries", ""),
    ]
    if not options.keep:
        started = time.perf_counter()
        bench_schools_delete()
        rows.append(Row("deadlines: deleting the schools", time.perf_counter() - started, "s", ""))
    return rows
