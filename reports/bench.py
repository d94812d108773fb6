"""The `reports` section of `manage.py bench` (schedule/management/commands/bench.py): the
Friday weekly reports (R-NOT-1) of a demo school of about 1,000 students with its journals —
the PARENT_REPORT job run through the engine (run_execute) for the last Friday before
today: its time, the PDFs made and per second, the notices, the queries (a fixed number
per class), and how much of the time WeasyPrint takes; then the month's printed reports
(R-NOT-2) for a few parents made to decline electronic access.

Nothing is e-mailed: the bench's notices are written, then taken off the e-mail queue. The
PDFs go to the default storage and are deleted with the school (unless --keep). Nothing
fails on a slow run; the issue sets no goal for these figures."""

import contextlib
import datetime as dt
import shutil
import time
from unittest import mock

from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ParentApplication, ParentLink, Student, User
from journal.demo import journal_seed
from notifications.deadlines import engine
from notifications.models import DeadlineKind, DeadlineRun, Notification
from schedule.management.commands.bench import (
    Options,
    Row,
    bench_school_build,
    bench_school_delete,
)
from schedule.models import SchoolClass
from schedule.selectors import current_year

from . import jobs, pdf
from .models import ParentReport, PrintBatch

SLUG = "bench-reports"
# one student in DECLINE_EVERY has parents who refused electronic access (R-NOT-2)
DECLINE_EVERY = 25


def friday_pick(year, today: dt.date) -> dt.date:
    """The last Friday on or before today within the year, else the year's first Friday."""
    day = min(today, year.ends_on)
    friday = day - dt.timedelta(days=(day.weekday() - 4) % 7)
    if friday < year.starts_on:
        friday = year.starts_on + dt.timedelta(days=(4 - year.starts_on.weekday()) % 7)
    return friday


def _run(school, kind: str, day: dt.date) -> DeadlineRun:
    now = timezone.now()
    return DeadlineRun.objects.create(
        school=school,
        kind=kind,
        date=day,
        due_at=now,
        created_at=now,
        queued_at=now,
    )


class _Timer:
    """Wraps a function and adds up the seconds spent in it."""

    def __init__(self, function):
        self.function = function
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


@contextlib.contextmanager
def _no_email():
    """The notices are written; their e-mail is not queued (and is taken off afterwards)."""
    with mock.patch("notifications.services.notices.email_queue", lambda ids: None):
        yield


def _decline_some(school, day: dt.date) -> int:
    """The parents of every DECLINE_EVERY-th student decline electronic access: their
    latest application says so. Returns how many students."""
    students = list(
        Student.objects.filter(school=school, parent_links__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )[::DECLINE_EVERY]
    recorder = (
        User.objects.filter(username=f"{SLUG}-admin").first()
        or User.objects.filter(memberships__school=school).first()
    )
    ParentApplication.objects.bulk_create(
        ParentApplication(
            school=school,
            parent_id=parent_id,
            received_on=day,
            decision=ParentApplication.Decision.DECLINED,
            recorded_by=recorder,
        )
        for parent_id in set(
            ParentLink.objects.filter(school=school, student__in=students).values_list(
                "parent_id", flat=True
            )
        )
    )
    return len(students)


def _files_delete(school) -> None:
    try:
        shutil.rmtree(default_storage.path(f"reports/{school.pk}"), ignore_errors=True)
    except NotImplementedError:  # a storage without local paths
        for report in ParentReport.objects.filter(school=school):
            default_storage.delete(report.file.name)
        for batch in PrintBatch.objects.filter(school=school):
            default_storage.delete(batch.file.name)


def section_reports(options: Options) -> list[Row]:
    """R-NOT-1 and R-NOT-2 on a demo school (see the module's doc)."""
    bench_school_delete(SLUG)
    options.say(f"reports: building {SLUG} (about {options.students} students)...")
    started = time.perf_counter()
    builder = bench_school_build(SLUG, options, dated_lessons=True)
    build_time = time.perf_counter() - started
    school = builder.school
    options.say("reports: writing its demo journals...")
    started = time.perf_counter()
    totals = journal_seed(schools=[school], seed=options.seed)
    seed_time = time.perf_counter() - started
    rows = [
        Row("reports: school built", len(builder.kids), "students", ""),
        Row("reports: building the school and its lessons", build_time, "s", ""),
        Row("reports: demo journals of the school (seed_demo)", seed_time, "s", ""),
        Row("reports: marks in the school", totals.marks, "marks", ""),
    ]
    try:
        rows += _measure(options, school)
    finally:
        if not options.keep:
            _files_delete(school)
            Notification.objects.filter(school=school).delete()
            bench_school_delete(SLUG)
    return rows


def _measure(options: Options, school) -> list[Row]:
    year = current_year(school)
    if year is None:
        return [Row("reports: the school has no year", "not available", "", "")]
    friday = friday_pick(year, school.today())
    classes = SchoolClass.objects.filter(school=school, year=year).count()
    options.say(f"reports: the weekly reports of {friday:%d.%m.%Y}...")
    run = _run(school, DeadlineKind.PARENT_REPORT, friday)
    renderer = _Timer(pdf.weekly_pdf)
    with (
        _no_email(),
        mock.patch.object(pdf, "weekly_pdf", renderer),
        # one worker measured: the classes are not offered to other workers (the broker
        # is left alone); with N workers the school's classes are shared among them
        mock.patch.object(jobs, "_shares_queue", lambda run, classes: None),
        CaptureQueriesContext(connection) as queries,
    ):
        started = time.perf_counter()
        engine.run_execute(run.pk)
        seconds = time.perf_counter() - started
    run.refresh_from_db()
    made = ParentReport.objects.filter(school=school, week_start=jobs.week_start(friday))
    pdfs = made.count()
    sizes = [default_storage.size(name) for name in made.values_list("file", flat=True)[:50]]
    Notification.objects.filter(school=school).update(email=Notification.Email.NONE)
    rows = [
        Row("reports: Friday reported on", friday.isoformat(), "", ""),
        Row("reports: classes", classes, "classes", ""),
        Row("reports: weekly reports job (PARENT_REPORT), total", seconds, "s", ""),
        Row("reports: weekly PDFs made", pdfs, "PDFs", ""),
        Row("reports: weekly PDFs per second", pdfs / seconds if seconds else 0.0, "PDFs/s", ""),
        Row("reports: of which WeasyPrint", renderer.seconds, "s", ""),
        Row(
            "reports: the rest (queries, files, notices)",
            max(seconds - renderer.seconds, 0.0),
            "s",
            "",
        ),
        Row("reports: notices to parents", run.notices, "notices", ""),
        Row("reports: job queries", len(queries), "queries", ""),
        Row(
            "reports: job queries per class",
            len(queries) / classes if classes else 0.0,
            "queries",
            "fixed",
        ),
        Row(
            "reports: weekly PDF size (mean of 50)",
            sum(sizes) / len(sizes) / 1024 if sizes else 0.0,
            "KiB",
            "",
        ),
    ]
    if run.error:
        rows.append(Row(f"reports: the job failed: {run.error}"[:120], "not available", "", ""))
    return rows + _measure_print(options, school, friday)


def _measure_print(options: Options, school, friday: dt.date) -> list[Row]:
    """The printed reports of the month before the Friday's (R-NOT-2)."""
    month_day = friday.replace(day=1)
    declined = _decline_some(school, school.today())
    options.say(f"reports: the printed reports of the month before {month_day:%m.%Y}...")
    run = _run(school, DeadlineKind.PRINT_BATCH, month_day)
    with _no_email():
        started = time.perf_counter()
        engine.run_execute(run.pk)
        seconds = time.perf_counter() - started
    run.refresh_from_db()
    batches = PrintBatch.objects.filter(school=school, month=jobs.previous_month(month_day)[0])
    pages = sum(b.students.count() for b in batches)
    Notification.objects.filter(school=school).update(email=Notification.Email.NONE)
    return [
        Row("reports: students whose parents declined", declined, "students", ""),
        Row("reports: printed reports job (PRINT_BATCH)", seconds, "s", ""),
        Row("reports: class PDFs of the month", batches.count(), "PDFs", ""),
        Row("reports: students' reports in them", pages, "reports", ""),
        Row("reports: reminders to class teachers", run.notices, "notices", ""),
    ]
