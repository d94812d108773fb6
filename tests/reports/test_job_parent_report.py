"""The weekly parent report job (R-NOT-1, R-ROLE-2): dispatched on Friday at 15:00 local
time, a PDF per student, one notice per parent with an account and per child, in the class
teacher's name and by e-mail with the PDF; parents who declined electronic access (R-NOT-2)
and parents without an account get nothing; a run killed midway and run again sends every
parent exactly one notice."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ParentLink, Role
from notifications.deadlines.engine import LEASE, dispatch, run_execute
from notifications.delivery import email_deliver_due
from notifications.models import (
    Channel,
    DeadlineKind,
    DeadlineRun,
    Kind,
    Notification,
    NotificationPreference,
)
from reports import jobs, pdf
from reports.models import ParentReport
from schedule.models import AcademicYear, Order

from .. import factories as f
from .conftest import FRIDAY, FRIDAY_15_TOMSK, MONDAY, mark_put, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_backend(settings):
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Отметка <noreply@otmetka.local>"


def friday_run(school, at=FRIDAY_15_TOMSK) -> DeadlineRun | None:
    with time_machine.travel(at, tick=False):
        dispatch(at, school_ids=[school.pk])
    return DeadlineRun.objects.filter(school=school, kind=DeadlineKind.PARENT_REPORT).first()


def execute(run, at=FRIDAY_15_TOMSK) -> bool:
    with time_machine.travel(at, tick=False):
        return run_execute(run.pk)


def reports_to(user):
    return list(
        Notification.objects.filter(user=user, kind=Kind.REPORT)
        .order_by("pk")
        .select_related("sender")
    )


def test_r_not_1_the_job_is_due_on_friday_at_15_local(people, week):
    assert friday_run(people.lyceum, FRIDAY_15_TOMSK - dt.timedelta(minutes=5)) is None
    run = friday_run(people.lyceum)
    assert run.date == FRIDAY and not run.late


def test_r_not_1_every_parent_gets_his_childs_report_in_the_class_teachers_name(
    people, week, mail_backend
):
    run = friday_run(people.lyceum)
    assert execute(run)
    run.refresh_from_db()
    # parent: her two children; father, other_parent, changed_mind: one child each
    assert run.finished_at is not None and run.notices == 5 and run.error == ""

    reports = {r.student.last_name: r for r in ParentReport.objects.select_related("student")}
    assert set(reports) == {"Родителев", "Родителева", "Другов"}
    mine = reports["Родителев"]
    assert (mine.week_start, mine.week_end) == (MONDAY, FRIDAY)
    assert mine.class_teacher == people.class_teacher and mine.school_class == people.class_5a
    assert mine.sent_to == 2  # the mother and the father; the guardian has no account
    assert reports["Другов"].sent_to == 1  # his father declined electronic access
    assert reports["Родителева"].sent_to == 2 and reports["Родителева"].class_teacher is None

    about_student, about_sibling = reports_to(people.parent)
    assert about_student.sender == people.class_teacher
    assert about_student.attachment.name == mine.file.name
    assert about_student.url == reverse(
        "reports_weekly_pdf", args=["lyceum", people.student_record.pk, mine.pk]
    )
    assert about_student.title == "Еженедельный отчёт: Родителев Степан, 05.10–09.10.2026"
    assert about_sibling.sender is None  # 5Б has no class teacher
    assert len(reports_to(week.father)) == 1 and len(reports_to(week.other_parent)) == 1
    assert len(reports_to(week.changed_mind)) == 1  # declined once, then accepted
    assert reports_to(week.declined) == []
    assert reports_to(people.class_teacher) == [] and reports_to(people.student) == []

    # the e-mail: the class teacher's name on it, the PDF of the right child attached
    assert email_deliver_due([about_student.pk]) == 1
    (message,) = mail.outbox
    assert message.to == ["parent@example.org"]
    assert "Классова Клара" in message.from_email
    assert message.reply_to == [people.class_teacher.email]
    ((name, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf" and name.endswith(".pdf")
    pages, (text,) = pdf_text(content)
    assert pages == 1 and "Родителев Степан" in text and "Классова Клара" in text
    assert "Другов" not in text  # R-ROLE-2


def test_r_not_1_a_parent_who_turned_reports_off_gets_none(people, week):
    NotificationPreference.objects.create(user=week.father, kind=Kind.REPORT, channel=Channel.OFF)
    execute(friday_run(people.lyceum))
    assert reports_to(week.father) == []
    assert ParentReport.objects.get(student=people.student_record).sent_to == 1


def test_r_not_1_a_run_killed_midway_and_rerun_sends_each_parent_one_notice(
    people, week, monkeypatch
):
    """The worker dies on the second class (5Б): 5А is done, 5Б has nothing; the run is
    claimed again after its lease and does 5Б only."""
    real = pdf.weekly_pdf

    def dies_on_5b(report, **kwargs):
        if report.school_class.pk == people.class_5b.pk:
            raise RuntimeError("worker killed")
        return real(report, **kwargs)

    monkeypatch.setattr(pdf, "weekly_pdf", dies_on_5b)
    run = friday_run(people.lyceum)
    with pytest.raises(RuntimeError):
        execute(run)
    run.refresh_from_db()
    assert run.finished_at is None and "worker killed" in run.error
    assert set(ParentReport.objects.values_list("school_class", flat=True)) == {people.class_5a.pk}
    assert len(reports_to(people.parent)) == 1  # about the student (5А) only

    monkeypatch.setattr(pdf, "weekly_pdf", real)
    assert not execute(run, FRIDAY_15_TOMSK + dt.timedelta(minutes=1))  # still leased
    assert execute(run, FRIDAY_15_TOMSK + LEASE + dt.timedelta(minutes=1))
    run.refresh_from_db()
    assert run.finished_at is not None and run.notices == 5  # both attempts' notices
    assert ParentReport.objects.count() == 3
    for user, children in (
        (people.parent, 2),
        (week.father, 1),
        (week.other_parent, 1),
        (week.changed_mind, 1),
        (week.declined, 0),
    ):
        assert len(reports_to(user)) == children, user
    titles = [n.title for n in reports_to(people.parent)]
    assert len(set(titles)) == 2
    # a finished run is not run again
    assert not execute(run, FRIDAY_15_TOMSK + 3 * LEASE)


def test_r_not_1_a_school_in_another_time_zone_gets_its_reports_at_its_15_00(people):
    """The gymnasium (Yekaterinburg, UTC+5): at 15:00 in Tomsk it is 13:00 there."""
    school = people.gymnasium
    year = AcademicYear.objects.get(school=school)
    seventh = f.class_make(school, year, 7, "В", class_teacher=people.outsider)
    child = f.student_make(school, seventh, "Гимназистов", "Глеб")
    mother = f.UserFactory(username="gmother", last_name="Гимназистова", first_name="Галина")
    f.parent_make(school, mother, child)
    assert friday_run(school) is None
    at = dt.datetime(2026, 10, 9, 10, 0, tzinfo=dt.UTC)
    run = friday_run(school, at)
    assert run is not None and run.date == FRIDAY
    assert execute(run, at)
    (notice,) = reports_to(mother)
    assert notice.sender == people.outsider and notice.school == school
    report = ParentReport.objects.get(student=child)
    assert report.school == school and report.file.name.startswith(f"reports/{school.pk}/")
    assert not ParentReport.objects.filter(school=people.lyceum).exists()


def test_r_not_1_the_job_renews_its_claim_after_each_class(people, week):
    """A long run keeps its claim: a second worker cannot take it while it progresses."""
    run = friday_run(people.lyceum)
    later = FRIDAY_15_TOMSK + dt.timedelta(minutes=7)
    with time_machine.travel(later, tick=False):
        DeadlineRun.objects.filter(pk=run.pk).update(started_at=FRIDAY_15_TOMSK)
        jobs.parent_reports_send(run)
    run.refresh_from_db()
    assert run.started_at == later


def test_r_not_1_students_of_last_year_and_other_schools_are_left_alone(people, week):
    """Only the classes of the school's current year."""
    old_year = f.year_make(people.lyceum, "2025/2026", dt.date(2025, 9, 1), dt.date(2026, 5, 31))
    old = f.class_make(people.lyceum, old_year, 4, "А", class_teacher=people.class_teacher)
    order = Order.objects.create(
        school=people.lyceum, number="1-у/25", date=dt.date(2025, 8, 30), kind="enrol"
    )
    f.student_make(people.lyceum, old, "Прошлогодний", order=order, on=dt.date(2025, 9, 1))
    execute(friday_run(people.lyceum))
    assert not ParentReport.objects.filter(school_class=old).exists()


def test_r_not_1_the_queries_do_not_grow_with_the_students(people, week):
    """Per class, in its savepoint: its reports (7 queries), the reports already made, the
    ParentReport rows, the parents, the notices (2), the sent counts — 13, and 2 for the
    savepoint; after it the run's claim renewed. For the run: the school, the year, the
    classes, the settings, the total."""
    run = friday_run(people.lyceum)
    with time_machine.travel(FRIDAY_15_TOMSK, tick=False), CaptureQueriesContext(connection) as few:
        jobs.parent_reports_send(run)
    ParentReport.objects.all().delete()
    Notification.objects.all().delete()
    for n in range(12):
        student = f.student_make(people.lyceum, people.class_5a, f"Ученик{n:02}")
        mark_put(people, week.maths_monday, student, "4")
        parent = f.UserFactory(username=f"p{n}", last_name=f"Родитель{n:02}")
        f.parent_make(people.lyceum, parent, student, relation=ParentLink.Relation.FATHER)
    run = DeadlineRun.objects.get(pk=run.pk)
    with (
        time_machine.travel(FRIDAY_15_TOMSK, tick=False),
        CaptureQueriesContext(connection) as many,
    ):
        jobs.parent_reports_send(run)
    assert ParentReport.objects.count() == 15
    assert Notification.objects.filter(kind=Kind.REPORT).count() == 5 + 12
    assert len(many) == len(few), [q["sql"][:80] for q in many.captured_queries]
    assert len(many) == 5 + 2 * (13 + 2 + 1)


def test_r_not_1_a_student_sees_his_reports_but_only_parents_are_notified(people, week):
    execute(friday_run(people.lyceum))
    assert people.student.memberships.filter(role=Role.STUDENT).exists()
    assert reports_to(people.student) == []
