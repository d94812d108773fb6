"""The monthly printed reports (R-NOT-2): on the first school day of a month, for each class,
the previous month's report of every student with a parent who declined electronic access,
in one PDF, and a reminder to the class teacher (the deputies when the class has none). A
batch is made once per class and month; a run that fails leaves nothing."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import ParentApplication
from notifications.deadlines.engine import dispatch, run_execute
from notifications.models import DeadlineKind, DeadlineRun, Kind, Notification
from reports import jobs, pdf
from reports.models import PrintBatch
from schedule.models import AcademicYear

from .. import factories as f
from .conftest import application, pdf_text

pytestmark = pytest.mark.django_db

# Thursday 5 November 2026: the autumn vacation (26.10–03.11) and Unity Day (04.11) are over
FIRST_SCHOOL_DAY = dt.date(2026, 11, 5)
AT_15_TOMSK = dt.datetime(2026, 11, 5, 8, 0, tzinfo=dt.UTC)


def month_run(school, at=AT_15_TOMSK) -> DeadlineRun | None:
    with time_machine.travel(at, tick=False):
        dispatch(at, school_ids=[school.pk])
    return DeadlineRun.objects.filter(school=school, kind=DeadlineKind.PRINT_BATCH).first()


def execute(run, at=AT_15_TOMSK) -> bool:
    with time_machine.travel(at, tick=False):
        return run_execute(run.pk)


def reminders(user):
    return list(Notification.objects.filter(user=user, kind=Kind.REMINDER).order_by("pk"))


def test_r_not_2_the_batch_is_made_on_the_first_school_day_of_the_month(people, week):
    with time_machine.travel(dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC), tick=False):
        dispatch(school_ids=[people.lyceum.pk])  # a vacation day
    assert not DeadlineRun.objects.filter(kind=DeadlineKind.PRINT_BATCH).exists()
    run = month_run(people.lyceum)
    assert run.date == FIRST_SCHOOL_DAY


def test_r_not_2_a_class_gets_one_pdf_of_its_students_whose_parent_declined(people, week):
    """5А: the other student, whose father declined; the student's parents read him
    electronically. 5Б: the sibling's father declined and then accepted — no batch."""
    run = month_run(people.lyceum)
    assert execute(run)
    run.refresh_from_db()
    assert run.notices == 1 and run.finished_at is not None
    batch = PrintBatch.objects.get()
    assert batch.school_class == people.class_5a
    assert (batch.month, batch.first_day, batch.last_day) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 31),
    )
    assert list(batch.students.all()) == [people.other_student_record]
    assert batch.printed_at is None
    with batch.file.open("rb") as handle:
        pages, (text,) = pdf_text(handle.read())
    assert pages == 1
    assert "Другов Дмитрий" in text and "Родителев" not in text  # R-ROLE-2
    assert "01.10.2026 – 31.10.2026" in text and "Математика" in text
    assert "Классова" in text

    (notice,) = reminders(people.class_teacher)
    assert notice.title == "Печатные отчёты за октябрь 2026 для 1 родителя"
    assert "Другов Дмитрий" in notice.body
    assert notice.url == reverse("reports_print_batches", args=["lyceum"]) + f"#batch-{batch.pk}"
    assert reminders(people.deputy) == []


def test_r_not_2_a_class_without_a_class_teacher_reminds_the_deputy(people, week):
    changed = people.sibling_record.parent_links.get(parent__user=week.changed_mind).parent
    application(people, changed, ParentApplication.Decision.DECLINED, dt.date(2026, 10, 20))
    execute(month_run(people.lyceum))
    assert set(PrintBatch.objects.values_list("school_class", flat=True)) == {
        people.class_5a.pk,
        people.class_5b.pk,
    }
    (notice,) = reminders(people.deputy)
    assert "5Б" in notice.body and "Родителева Софья" in notice.body
    assert len(reminders(people.class_teacher)) == 1


def test_r_not_2_two_declined_parents_are_counted_in_the_title(people, week):
    mother = people.other_student_record.parent_links.get(parent__user=week.other_parent).parent
    application(people, mother, ParentApplication.Decision.DECLINED, dt.date(2026, 9, 3))
    execute(month_run(people.lyceum))
    (notice,) = reminders(people.class_teacher)
    assert notice.title == "Печатные отчёты за октябрь 2026 для 2 родителей"
    assert PrintBatch.objects.get().students.count() == 1


def test_r_not_2_a_batch_is_made_once_per_class_and_month(people, week):
    run = month_run(people.lyceum)
    execute(run)
    with time_machine.travel(AT_15_TOMSK, tick=False):
        assert jobs.print_batches_make(run) == 0  # run again by hand: the batch is there
    assert PrintBatch.objects.count() == 1 and len(reminders(people.class_teacher)) == 1
    assert not execute(run)  # the run is finished


def test_r_not_2_a_failed_run_leaves_nothing_and_its_rerun_makes_the_batch(
    people, week, monkeypatch
):
    real = pdf.period_pdf

    def dies(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(pdf, "period_pdf", dies)
    run = month_run(people.lyceum)
    with pytest.raises(RuntimeError):
        execute(run)
    assert not PrintBatch.objects.exists() and reminders(people.class_teacher) == []
    monkeypatch.setattr(pdf, "period_pdf", real)
    assert execute(run, AT_15_TOMSK + dt.timedelta(minutes=5))
    assert PrintBatch.objects.count() == 1 and len(reminders(people.class_teacher)) == 1


def test_r_not_2_each_school_on_its_own_first_school_day_and_time(people, week):
    """The gymnasium (Yekaterinburg, UTC+5, no autumn vacation) makes its batch on Monday 2
    November at 15:00 its time; the lyceum (Tomsk) is on vacation then."""
    school = people.gymnasium
    year = AcademicYear.objects.get(school=school)
    seventh = f.class_make(school, year, 7, "В", class_teacher=people.outsider)
    child = f.student_make(school, seventh, "Гимназистов", "Глеб")
    father = f.UserFactory(username="gfather", last_name="Гимназистов", first_name="Гавриил")
    parent = f.parent_make(school, father, child)
    application(people, parent, ParentApplication.Decision.DECLINED, dt.date(2026, 9, 5))
    both = [school.pk, people.lyceum.pk]
    at_13 = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(at_13, tick=False):
        dispatch(at_13, school_ids=both)
    assert not DeadlineRun.objects.filter(kind=DeadlineKind.PRINT_BATCH).exists()
    at_15 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(at_15, tick=False):
        dispatch(at_15, school_ids=both)
    (run,) = DeadlineRun.objects.filter(kind=DeadlineKind.PRINT_BATCH)
    assert run.school == school and run.date == dt.date(2026, 11, 2)
    assert execute(run, at_15)
    batch = PrintBatch.objects.get()
    assert batch.school == school and list(batch.students.all()) == [child]
    (notice,) = reminders(people.outsider)
    assert notice.school == school and "октябрь 2026" in notice.title


def test_r_not_2_no_declined_parent_no_batch(people, week):
    ParentApplication.objects.filter(decision=ParentApplication.Decision.DECLINED).delete()
    run = month_run(people.lyceum)
    assert execute(run)
    run.refresh_from_db()
    assert run.notices == 0 and not PrintBatch.objects.exists()
