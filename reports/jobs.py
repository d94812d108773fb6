"""The report deadline jobs (issue 6; when they run: notifications/deadlines/rules.py).

- PARENT_REPORT (R-NOT-1), Fridays: every student's weekly report — the week's marks,
  averages and absences per subject — as a PDF, in the app and by e-mail to his parents,
  in the class teacher's name. A long job (`atomic=False`): each class is one transaction
  (its PDFs, its ParentReport rows, its notices), so a worker killed midway leaves the
  finished classes done and nothing of the class it was on; the rerun skips the students
  who have their ParentReport of the week and sends nothing twice.
- PRINT_BATCH (R-NOT-2), the first school day of a month: for each class, the previous
  month's report of every student one of whose parents refused electronic access, in one
  PDF to print, and a reminder to the class teacher. Atomic: a rerun finds the batch.

Queries: a fixed number per class (14 for the weekly reports), whatever the number of
students; the PDFs are the time (see reports/bench.py)."""

import datetime as dt
import logging

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import ParentApplication, ParentLink, School
from notifications.deadlines.engine import deadline_job
from notifications.deadlines.findings import deputies
from notifications.models import DeadlineKind, DeadlineRun, Kind
from notifications.services.notices import Notice, notify_many
from schedule.models import Enrolment, SchoolClass
from schedule.selectors import current_year

from . import pdf
from .models import ParentReport, PrintBatch
from .selectors import StudentReport, class_reports

DECLINED = ParentApplication.Decision.DECLINED

log = logging.getLogger(__name__)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def latest_decision(parent_ref: str = "parent") -> Subquery:
    """The decision of the parent's latest application (R-ROLE-7), None without one."""
    return Subquery(
        ParentApplication.objects.filter(parent=OuterRef(parent_ref))
        .order_by("-received_on", "-recorded_at", "-pk")
        .values("decision")[:1]
    )


def electronic_parents(student_ids) -> dict[int, list[int]]:
    """{student id: the user ids of his parents who read him electronically}: parents with
    an active account whose latest application is not «declined electronic access». One
    query."""
    found: dict[int, list[int]] = {}
    rows = (
        ParentLink.objects.filter(student__in=student_ids, parent__user__is_active=True)
        .annotate(decision=latest_decision())
        .filter(Q(decision__isnull=True) | ~Q(decision=DECLINED))
        .order_by("student_id", "parent__user_id")
        .values_list("student_id", "parent__user_id")
    )
    for student_id, user_id in rows:
        found.setdefault(student_id, [])
        if user_id not in found[student_id]:
            found[student_id].append(user_id)
    return found


def _file_put(path: str, data: bytes) -> str:
    """Write the file at exactly `path`, replacing what a crashed run left there."""
    if default_storage.exists(path):
        default_storage.delete(path)
    return default_storage.save(path, ContentFile(data))


def weekly_path(school_id: int, monday: dt.date, student_id: int) -> str:
    week = f"{monday:%Y-%m-%d}"
    return f"reports/{school_id}/weekly/{week}/weekly-report-{week}-{student_id}.pdf"


def print_path(school_id: int, month: dt.date, class_id: int) -> str:
    name = f"{month:%Y-%m}"
    return f"reports/{school_id}/print/{name}/printed-reports-{name}-{class_id}.pdf"


def _dates(first: dt.date, last: dt.date) -> str:
    if first.year == last.year:
        return f"{first:%d.%m}–{last:%d.%m.%Y}"
    return f"{first:%d.%m.%Y}–{last:%d.%m.%Y}"


def _weekly_notice(school: School, report: StudentReport, row: ParentReport, users, teacher):
    student = report.student
    title = _("Weekly report: %(student)s, %(dates)s") % {
        "student": student.short_name,
        "dates": _dates(report.first, report.last),
    }
    body = _(
        "%(student)s, class %(class)s. This week: marks %(marks)s, lessons missed %(absent)s, "
        "lates %(late)s. The report is in the attached PDF."
    ) % {
        "student": student.full_name,
        "class": report.school_class,
        "marks": ", ".join(m.value for s in report.subjects for m in s.marks) or "—",
        "absent": report.absent,
        "late": report.late,
    }
    url = reverse("reports_weekly_pdf", args=[school.slug, student.pk, row.pk])
    return Notice(users, title, body, url, teacher, row.file.name)


# --------------------------------------------------------------------------- weekly


def class_weekly_reports(school_class: SchoolClass, monday: dt.date, day: dt.date) -> int:
    """The weekly reports of the class's students who have none for the week yet, with
    their notices to the parents, in one transaction. Returns the notices written."""
    school = school_class.school
    teacher = school_class.class_teacher
    with transaction.atomic():
        reports = class_reports(school_class, monday, day)
        if not reports:
            return 0
        done = set(
            ParentReport.objects.filter(
                school=school, week_start=monday, student__in=[r.student.pk for r in reports]
            ).values_list("student_id", flat=True)
        )
        reports = [r for r in reports if r.student.pk not in done]
        if not reports:
            return 0
        now = timezone.now()
        rows = []
        for report in reports:
            data = pdf.weekly_pdf(report, school=school, class_teacher=teacher)
            path = _file_put(weekly_path(school.pk, monday, report.student.pk), data)
            rows.append(
                ParentReport(
                    school=school,
                    student=report.student,
                    school_class=school_class,
                    week_start=monday,
                    week_end=day,
                    class_teacher=teacher,
                    file=path,
                    created_at=now,
                )
            )
        ParentReport.objects.bulk_create(rows)
        parents = electronic_parents([r.student.pk for r in reports])
        notices = [
            _weekly_notice(school, report, row, parents[report.student.pk], teacher)
            for report, row in zip(reports, rows, strict=True)
            if parents.get(report.student.pk)
        ]
        written = notify_many(school=school, kind=Kind.REPORT, notices=notices) if notices else []
        sent: dict[str, int] = {}
        for notification in written:
            sent[notification.attachment.name] = sent.get(notification.attachment.name, 0) + 1
        for row in rows:
            row.sent_to = sent.get(row.file.name, 0)
        changed = [row for row in rows if row.sent_to]
        if changed:
            ParentReport.objects.bulk_update(changed, ["sent_to"])
        return len(written)


def week_classes(school: School, day: dt.date) -> list[SchoolClass]:
    year = current_year(school, day)
    if year is None:
        return []
    classes = list(
        SchoolClass.objects.filter(school=school, year=year)
        .select_related("class_teacher")
        .order_by("grade", "letter")
    )
    for school_class in classes:
        school_class.school = school  # with its settings: no query per class
    return classes


def class_weekly_reports_once(school_class: SchoolClass, monday: dt.date, day: dt.date) -> int:
    """class_weekly_reports, when another worker may be on the same class: the first to
    commit wins (the weekly report is unique per student and week), the other's
    transaction is rolled back whole and it moves on."""
    try:
        return class_weekly_reports(school_class, monday, day)
    except IntegrityError:
        log.info("reports: class %s of week %s was done by another worker", school_class.pk, monday)
        return 0


def _shares_queue(run: DeadlineRun, classes: list[SchoolClass]) -> None:
    """Offer the classes to the other workers, in order; this worker takes them from the
    end. Workers that are there share the school (WeasyPrint is the time, one core per
    worker); with none, or the broker down, this worker does them all."""
    from .tasks import parent_reports_class

    for school_class in classes:
        try:
            parent_reports_class.apply_async((run.pk, school_class.pk))
        except Exception:
            log.warning("reports: class shares not queued (broker unavailable)", exc_info=True)
            return


def parent_reports_share(run_id: int, class_id: int) -> int:
    """A queued share: the class's reports, unless the run is over."""
    run = DeadlineRun.objects.select_related("school").filter(pk=run_id).first()
    if run is None or run.finished_at is not None:
        return 0
    school_class = SchoolClass.objects.select_related("class_teacher").filter(
        school=run.school, pk=class_id
    )
    school_class = school_class.first()
    if school_class is None:
        return 0
    school_class.school = run.school
    with translation.override(settings.LANGUAGE_CODE):
        return class_weekly_reports_once(school_class, week_start(run.date), run.date)


@deadline_job(DeadlineKind.PARENT_REPORT, atomic=False)
def parent_reports_send(run: DeadlineRun) -> int:
    """R-NOT-1: the week (Monday of run.date's week to run.date) of every student of the
    school's current year; returns the notices of the week's reports, those of an earlier
    attempt of this run, and of other workers' shares, included. The run is finished only
    when this worker has gone through every class, so every report is made by then."""
    school = run.school
    monday = week_start(run.date)
    classes = week_classes(school, run.date)
    # in-process tasks (the test settings) would only do the same classes first
    if len(classes) > 1 and not current_app.conf.task_always_eager:
        _shares_queue(run, classes)
        classes = classes[::-1]
    with translation.override(settings.LANGUAGE_CODE):
        for school_class in classes:
            class_weekly_reports_once(school_class, monday, run.date)
            # the claim lasts engine.LEASE from its start: renewed after each class, so
            # that a big school taking longer is not claimed by a second worker meanwhile
            DeadlineRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
                started_at=timezone.now()
            )
    total = ParentReport.objects.filter(school=school, week_start=monday).aggregate(
        sent=Sum("sent_to")
    )["sent"]
    return total or 0


# --------------------------------------------------------------------------- printed


def previous_month(day: dt.date) -> tuple[dt.date, dt.date]:
    last = day.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def month_name(month: dt.date) -> str:
    """ "сентябрь 2026" in the active language."""
    return dateformat.format(month, "F Y").lower()


def declined_students(school: School, classes, first: dt.date, last: dt.date):
    """{class id: {student id: number of his parents who declined electronic access}} for
    the students enrolled in those classes on some day of the range. Two queries."""
    declined: dict[int, set[int]] = {}
    for student_id, parent_id in (
        ParentLink.objects.filter(school=school)
        .annotate(decision=latest_decision())
        .filter(decision=DECLINED)
        .values_list("student_id", "parent_id")
    ):
        declined.setdefault(student_id, set()).add(parent_id)
    if not declined:
        return {}
    found: dict[int, dict[int, set[int]]] = {}
    for class_id, student_id in (
        Enrolment.objects.filter(school_class__in=classes, student__in=list(declined))
        .filter(starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .values_list("school_class_id", "student_id")
    ):
        found.setdefault(class_id, {})[student_id] = declined[student_id]
    return found


def class_print_batch(
    school_class: SchoolClass, first: dt.date, last: dt.date, students: dict[int, set[int]]
) -> tuple[PrintBatch, int] | None:
    """The month's PDF of these students of the class and its PrintBatch; with the number
    of parents it is for."""
    school = school_class.school
    reports = class_reports(school_class, first, last, students=list(students))
    if not reports:
        return None
    data = pdf.period_pdf(
        reports,
        school=school,
        school_class=school_class,
        class_teacher=school_class.class_teacher,
        made_on=school.today(),
    )
    batch = PrintBatch.objects.create(
        school=school,
        school_class=school_class,
        month=first,
        first_day=first,
        last_day=last,
        file=_file_put(print_path(school.pk, first, school_class.pk), data),
        created_at=timezone.now(),
    )
    batch.students.set([r.student for r in reports])
    parents = set().union(*(students[r.student.pk] for r in reports))
    batch.reports = reports
    return batch, len(parents)


@deadline_job(DeadlineKind.PRINT_BATCH)
def print_batches_make(run: DeadlineRun) -> int:
    """R-NOT-2: the previous month's printed reports of each class, for the students with
    a parent who refused electronic access; the class teacher (the deputies when the class
    has none) is told to print them. A class that has its batch of the month is left
    alone."""
    school = run.school
    first, last = previous_month(run.date)
    classes = list(
        SchoolClass.objects.filter(
            school=school, year__starts_on__lte=last, year__ends_on__gte=first
        )
        .exclude(print_batches__month=first)
        .select_related("class_teacher")
        .order_by("grade", "letter")
    )
    if not classes:
        return 0
    wanted = declined_students(school, classes, first, last)
    notices = []
    with translation.override(settings.LANGUAGE_CODE):
        for school_class in classes:
            students = wanted.get(school_class.pk)
            if not students:
                continue
            school_class.school = school
            made = class_print_batch(school_class, first, last, students)
            if made is None:
                continue
            batch, parents = made
            title = ngettext(
                "Printed reports for %(month)s for %(count)d parent",
                "Printed reports for %(month)s for %(count)d parents",
                parents,
            ) % {"month": month_name(first), "count": parents}
            body = _(
                "Class %(class)s. Print the reports and hand them to the parents of: "
                "%(students)s. Then mark them printed."
            ) % {
                "class": school_class,
                "students": ", ".join(r.student.short_name for r in batch.reports),
            }
            url = reverse("reports_print_batches", args=[school.slug]) + f"#batch-{batch.pk}"
            teacher = school_class.class_teacher
            users = [teacher] if teacher is not None else deputies(school, run.date)
            notices.append(Notice(users, title, body, url))
    if not notices:
        return 0
    return len(notify_many(school=school, kind=Kind.REMINDER, notices=notices))
