"""The Friday reports shared between workers (R-NOT-1): the worker running the job offers
every class to the others and takes the classes from the end itself; whoever commits a
class first made its reports, the other's transaction rolls back, and every parent gets
exactly one notice. With in-process tasks (the test settings) nothing is offered."""

import pytest
import time_machine

from config.celery import app as celery_app
from notifications.models import Kind, Notification
from reports import jobs, tasks
from reports.models import ParentReport
from schedule.models import SchoolClass

from .conftest import FRIDAY, FRIDAY_15_TOMSK, MONDAY
from .test_job_parent_report import execute, friday_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """A broker that keeps what it is given (tasks not eager, as with a real worker)."""
    calls = []
    monkeypatch.setattr(
        tasks.parent_reports_class, "apply_async", lambda args, **kw: calls.append(args)
    )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield calls
    celery_app.conf.task_always_eager = eager


def notices_by_user():
    rows = Notification.objects.filter(kind=Kind.REPORT).values_list("user_id", "title")
    return sorted(rows)


def test_r_not_1_the_job_offers_every_class_and_takes_them_from_the_end(people, week, queued):
    run = friday_run(people.lyceum)
    taken = []
    real = jobs.class_weekly_reports

    def jobs_taken(school_class, monday, day):
        taken.append(school_class.pk)
        return real(school_class, monday, day)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "class_weekly_reports", jobs_taken)
        assert execute(run)
    classes = list(
        SchoolClass.objects.filter(school=people.lyceum, year=people.year)
        .order_by("grade", "letter")
        .values_list("pk", flat=True)
    )
    assert len(classes) > 1
    assert queued == [(run.pk, pk) for pk in classes]
    assert taken == classes[::-1]
    before = notices_by_user()
    assert before and ParentReport.objects.count() == 3

    # the offered shares arrive once the run is over: nothing is done twice
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False):
        for run_id, class_id in queued:
            assert jobs.parent_reports_share(run_id, class_id) == 0
    assert notices_by_user() == before


def test_r_not_1_a_share_done_first_by_another_worker_is_not_sent_twice(people, week, queued):
    """A share taken while the run goes on makes its class's reports; the running worker
    then finds them and sends nothing more for that class."""
    run = friday_run(people.lyceum)
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False):
        assert jobs.parent_reports_share(run.pk, people.class_5a.pk) > 0
    after_share = notices_by_user()
    assert execute(run)
    run.refresh_from_db()
    assert run.finished_at is not None and run.notices == 5
    everything = notices_by_user()
    assert set(after_share) <= set(everything)
    assert len(everything) == len(set(everything)) == 5  # one per parent and child


def test_r_not_1_two_workers_on_one_class_the_second_rolls_back(people, week, monkeypatch):
    """The other worker committed the class's reports while this one was rendering: the
    unique weekly report refuses this one's rows, its whole transaction (notices included)
    rolls back, and the job goes on."""
    real_pdf = jobs.pdf.weekly_pdf

    def other_worker_commits_first(report, **kwargs):
        ParentReport.objects.get_or_create(
            school=people.lyceum,
            student=report.student,
            week_start=MONDAY,
            defaults={
                "school_class": people.class_5a,
                "week_end": FRIDAY,
                "file": "reports/elsewhere.pdf",
                "created_at": FRIDAY_15_TOMSK,
            },
        )
        return real_pdf(report, **kwargs)

    monkeypatch.setattr(jobs.pdf, "weekly_pdf", other_worker_commits_first)
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False):
        assert jobs.class_weekly_reports_once(people.class_5a, MONDAY, FRIDAY) == 0
    assert not Notification.objects.filter(kind=Kind.REPORT).exists()
    assert not ParentReport.objects.exists()  # rolled back with it here, one connection


def test_r_not_1_a_share_of_a_finished_or_unknown_run_does_nothing(people, week):
    assert jobs.parent_reports_share(0, people.class_5a.pk) == 0
    run = friday_run(people.lyceum)
    assert execute(run)
    count = Notification.objects.count()
    assert jobs.parent_reports_share(run.pk, people.class_5a.pk) == 0
    assert Notification.objects.count() == count
