"""The deadlines engine: the dispatcher finds the deadlines that have passed today in each
school's local time and queues one job per school and deadline; a job runs once.

- **Dispatch** (beat, every few minutes): for every school, its local date and time, its
  calendar, settings and periods decide the deadlines of today (rules.deadlines_of_day).
  Each passed one gets a `DeadlineRun(school, kind, date)` row; the unique key means a second
  tick, a duplicate message or a restarted beat adds nothing. A deadline found more than
  LATE_AFTER after its time (the beat or the database was down) still runs, once, marked
  late. A missed deadline of an earlier day does not: its notices would be about the past.
- **Queue** after the commit. A broker that is down is logged; the run stays unfinished and
  the next tick, after LEASE, queues it again (on its day and the next, REQUEUE_DAYS).
- **Run**: a job writes its notices and finishes its run in one transaction, holding the
  run's row lock, so a worker killed mid-job leaves nothing behind and the job's next run
  writes every notice exactly once; a second worker with the same run skips it. A long job
  (`atomic=False`, the weekly reports) does its work in parts, each idempotent, and is
  claimed for LEASE instead.
- Giving up: after MAX_ATTEMPTS attempts a run is no longer queued; it stays unfinished
  with its last error, for the status page. An atomic job that raises has its attempt
  rolled back with its notices, so the failure counts it afterwards; a worker killed
  mid-job counts none (nothing of it was committed), its run is simply queued again.
- LEASE is settings.DEADLINES_LEASE_SECONDS (10 minutes; the end-to-end test of a killed
  worker shortens it)."""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import School, SchoolSettings

from ..models import DeadlineRun
from .calendar import calendars_load
from .rules import deadlines_of_day, periods_near

log = logging.getLogger(__name__)

LATE_AFTER = dt.timedelta(minutes=15)  # three ticks of the beat
# an unfinished run is queued again on its day and the next (a Friday evening report that
# failed near midnight); an older one stays unfinished, for the status page: its notices
# would be about the past
REQUEUE_DAYS = dt.timedelta(days=1)
LEASE = dt.timedelta(minutes=10)  # the default of settings.DEADLINES_LEASE_SECONDS
MAX_ATTEMPTS = 5


def lease() -> dt.timedelta:
    """How long a queued or claimed run may stay unfinished before it is queued again."""
    seconds = getattr(settings, "DEADLINES_LEASE_SECONDS", None)
    return LEASE if seconds is None else dt.timedelta(seconds=seconds)


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Job:
    kind: str
    handler: Callable[[DeadlineRun], int]  # writes the notices; returns how many
    atomic: bool = True


JOBS: dict[str, Job] = {}


def deadline_job(kind: str, *, atomic: bool = True):
    """Register the handler of a deadline kind: `handler(run) -> notices written`. An
    atomic handler runs inside the transaction that finishes the run."""

    def register(handler):
        JOBS[kind] = Job(kind, handler, atomic)
        return handler

    return register


# --------------------------------------------------------------------------- dispatch


@dataclass
class DispatchReport:
    schools: int = 0
    created: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)


def school_settings_all(school_ids=None):
    query = SchoolSettings.objects.select_related("school")
    if school_ids is not None:
        query = query.filter(school__in=school_ids)
    return list(query)


def dispatch(now: dt.datetime | None = None, school_ids=None) -> DispatchReport:
    """Create the runs of every passed deadline of today, in each school's local time, and
    queue them and the unfinished runs whose lease is over. Five queries plus one insert,
    however many schools."""
    now = now or timezone.now()
    report = DispatchReport()
    all_settings = school_settings_all(school_ids)
    report.schools = len(all_settings)
    if not all_settings:
        return report
    ids = [s.school_id for s in all_settings]
    today = {s.school_id: s.school.local(now).date() for s in all_settings}
    first, last = min(today.values()), max(today.values())
    calendars = calendars_load(ids, first - dt.timedelta(days=7), last + dt.timedelta(days=7))
    periods = periods_near(ids, first)
    existing = set(
        DeadlineRun.objects.filter(school__in=ids, date__gte=first, date__lte=last).values_list(
            "school_id", "kind", "date"
        )
    )
    new = []
    for s in all_settings:
        school: School = s.school
        day = today[school.pk]
        for due in deadlines_of_day(s, calendars[school.pk], day, periods.get(school.pk, ())):
            if (school.pk, due.kind, day) in existing or due.kind not in JOBS:
                continue
            due_at = dt.datetime.combine(day, due.at, tzinfo=school.tz)
            if due_at > now:
                continue
            new.append(
                DeadlineRun(
                    school=school,
                    kind=due.kind,
                    date=day,
                    due_at=due_at,
                    created_at=now,
                    queued_at=now,
                    late=now - due_at > LATE_AFTER,
                )
            )
    with transaction.atomic():
        if new:
            # a concurrent dispatcher may have inserted some: theirs stay, ours are dropped
            DeadlineRun.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
            report.created = list(
                DeadlineRun.objects.filter(
                    school__in={r.school_id for r in new},
                    date__gte=first,
                    date__lte=last,
                    created_at=now,
                    queued_at=now,
                ).values_list("pk", flat=True)
            )
        stale = Q(
            finished_at__isnull=True,
            queued_at__lt=now - lease(),
            attempts__lt=MAX_ATTEMPTS,
            date__gte=first - REQUEUE_DAYS,
        )
        if school_ids is not None:
            stale &= Q(school__in=ids)
        report.requeued = list(
            DeadlineRun.objects.filter(stale)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if report.requeued:
            DeadlineRun.objects.filter(pk__in=report.requeued).update(queued_at=now)
        queued = report.created + report.requeued
        if queued:
            transaction.on_commit(lambda: runs_queue(queued))
    return report


def runs_queue(run_ids: list[int]) -> None:
    """Hand the runs to the worker; a broker that is down is logged, never raised: the
    runs stay unfinished and the dispatcher queues them again after LEASE."""
    from ..tasks import deadline_run

    for pk in run_ids:
        try:
            deadline_run.apply_async(
                (pk,),
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
            )
        except Exception:
            log.warning(
                "deadlines: run %s not queued (broker unavailable); the dispatcher will "
                "queue it again",
                pk,
                exc_info=True,
            )
            return


# --------------------------------------------------------------------------- run


def _finish(run: DeadlineRun, notices: int) -> None:
    run.finished_at = timezone.now()
    run.notices = notices
    run.error = ""
    DeadlineRun.objects.filter(pk=run.pk).update(
        finished_at=run.finished_at, notices=notices, error=""
    )


def _failed(run_id: int, error: Exception, *, rolled_back: bool) -> None:
    """Keep the error on the run. `rolled_back`: the attempt was counted inside the job's
    transaction, undone with it: count it here, or MAX_ATTEMPTS would never be reached."""
    text = f"{type(error).__name__}: {error}"[:500]
    fields = {"error": text}
    if rolled_back:
        fields.update(attempts=F("attempts") + 1, started_at=timezone.now())
    DeadlineRun.objects.filter(pk=run_id, finished_at__isnull=True).update(**fields)
    log.error("deadlines: run %s failed: %s", run_id, text, exc_info=error)


def run_execute(run_id: int) -> bool:
    """Run the job of a run unless it is finished or being run; True when this call ran it."""
    run = DeadlineRun.objects.select_related("school").filter(pk=run_id).first()
    if run is None or run.finished_at is not None:
        return False
    job = JOBS.get(run.kind)
    if job is None:
        # counted as a failed attempt: the dispatcher stops queueing it after MAX_ATTEMPTS
        _failed(run_id, LookupError(f"no job for {run.kind}"), rolled_back=True)
        return False
    locked_attempt = False
    try:
        if job.atomic:
            with transaction.atomic():
                locked = (
                    DeadlineRun.objects.select_for_update(skip_locked=True)
                    .filter(pk=run_id, finished_at__isnull=True)
                    .first()
                )
                if locked is None:
                    return False
                locked_attempt = True
                DeadlineRun.objects.filter(pk=run_id).update(
                    started_at=timezone.now(), attempts=F("attempts") + 1
                )
                run.attempts = locked.attempts + 1
                _finish(run, job.handler(run))
            return True
        now = timezone.now()
        claimed = (
            DeadlineRun.objects.filter(pk=run_id, finished_at__isnull=True)
            .filter(Q(started_at__isnull=True) | Q(started_at__lt=now - lease()))
            .update(started_at=now, attempts=F("attempts") + 1)
        )
        if not claimed:
            return False
        run.attempts += 1
        _finish(run, job.handler(run))
        return True
    except Exception as error:
        _failed(run_id, error, rolled_back=locked_attempt)
        raise
