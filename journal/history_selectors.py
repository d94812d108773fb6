"""Reads for the history report (R-MRK-6) and the correction requests pages, each a fixed
number of queries whatever the number of rows."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import STAFF_ROLES, School, User
from schedule.models import AcademicYear, SchoolClass

from .models import CorrectionRequest, JournalChange


@dataclass(frozen=True)
class HistoryFilter:
    """What the report shows. `changed_*` are days of the change in the school's local time,
    `lesson_*` days of the lesson the change is about (both ends included)."""

    year: AcademicYear
    person_id: int | None = None  # the course's teacher or the author of the change
    class_id: int | None = None
    changed_from: dt.date | None = None
    changed_to: dt.date | None = None
    lesson_from: dt.date | None = None
    lesson_to: dt.date | None = None
    kind: str = ""
    action: str = ""


def _local_midnight(school: School, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=school.tz)


def year_span(
    school: School, year: AcademicYear, years: list[AcademicYear]
) -> tuple[dt.datetime, dt.datetime]:
    """From the year's first day until the next of `years` starts (the summer after the last
    day belongs to the year that ended: final marks and corrections are made then)."""
    following = min((y.starts_on for y in years if y.starts_on > year.starts_on), default=None)
    end = following or (year.ends_on + dt.timedelta(days=92))
    return _local_midnight(school, year.starts_on), _local_midnight(school, end)


def history_changes(
    school: School, chosen: HistoryFilter, years: list[AcademicYear]
) -> QuerySet[JournalChange]:
    """The school's journal changes of a year (`years`: all the school's years), newest
    first.

    A change belongs to the year of its class (marks, attendance, topics, period marks and
    absence reasons all name one); an entry without a class to the year it was made in."""
    year_classes = SchoolClass.objects.filter(school=school, year=chosen.year).values("pk")
    start, end = year_span(school, chosen.year, years)
    rows = JournalChange.objects.filter(school_id=school.pk).filter(
        Q(school_class_id__in=year_classes)
        | Q(school_class_id__isnull=True, at__gte=start, at__lt=end)
    )
    if chosen.person_id:
        rows = rows.filter(Q(teacher_id=chosen.person_id) | Q(actor_id=chosen.person_id))
    if chosen.class_id:
        rows = rows.filter(school_class_id=chosen.class_id)
    if chosen.changed_from:
        rows = rows.filter(at__gte=_local_midnight(school, chosen.changed_from))
    if chosen.changed_to:
        rows = rows.filter(at__lt=_local_midnight(school, chosen.changed_to + dt.timedelta(days=1)))
    if chosen.lesson_from:
        rows = rows.filter(lesson_date__gte=chosen.lesson_from)
    if chosen.lesson_to:
        rows = rows.filter(lesson_date__lte=chosen.lesson_to)
    if chosen.kind:
        rows = rows.filter(subject_kind=chosen.kind)
    if chosen.action:
        rows = rows.filter(action=chosen.action)
    return rows.order_by("-seq")


def school_years(school: School) -> QuerySet[AcademicYear]:
    return AcademicYear.objects.filter(school=school).order_by("-starts_on")


def school_staff(school: School) -> QuerySet[User]:
    """Everyone who has been on the school's staff: the people a change can be by or for."""
    return (
        User.objects.filter(memberships__school=school, memberships__role__in=STAFF_ROLES)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def year_classes(school: School, year: AcademicYear) -> QuerySet[SchoolClass]:
    return SchoolClass.objects.filter(school=school, year=year).order_by("grade", "letter")


def _requests(school: School) -> QuerySet[CorrectionRequest]:
    return CorrectionRequest.objects.filter(school=school).select_related(
        "lesson__school_class",
        "lesson__subject",
        "student",
        "work_type",
        "requested_by",
        "decided_by",
    )


def school_requests(school: School, status: str = "") -> QuerySet[CorrectionRequest]:
    """The school's requests for the deputies, oldest waiting first; decided ones newest
    first. One query."""
    rows = _requests(school)
    if status:
        rows = rows.filter(status=status)
    if status == CorrectionRequest.Status.PENDING:
        return rows.order_by("requested_at", "pk")
    return rows.order_by("-requested_at", "-pk")


def own_requests(school: School, user, status: str = "") -> QuerySet[CorrectionRequest]:
    rows = _requests(school).filter(requested_by=user)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-requested_at", "-pk")


def pending_request(*, lesson, student, kind: str, work_type, part: int):
    return CorrectionRequest.objects.filter(
        school=lesson.school_id,
        lesson=lesson,
        student=student,
        kind=kind,
        work_type=work_type,
        part=part,
        status=CorrectionRequest.Status.PENDING,
    ).first()
