"""The class teacher records why a student missed school (R-ATT-3).

One AbsenceReason row per student and school day. Decisions:

- **Which days.** A reason set for a day or a range covers every *school day* of it: a day
  on which the student's class has a lesson that is not cancelled, and any day on which the
  student was marked absent (an attached course of another class). Weekends, vacations and
  days without lessons get no row. A sick note often covers days the subject teachers have
  not marked yet (they have two days, R-ATT-2): the reason waits on the day and explains the
  absences as they are marked, so the class teacher enters the note once. A day with a
  reason and no absences counts nothing anywhere.
- **Not ahead of time.** A reason is recorded after the fact, up to today (the school's
  local day); a parent's advance notice (R-ATT-4) is another feature. A range ending after
  today is refused whole, so nothing is half-saved.
- **Who.** The class teacher of the student's class on those dates (SchoolClass.
  class_teacher, while on the school's teaching staff), a deputy head or the director. A
  range across a transfer needs the right for every class it touches.
- **Removal.** An empty reason removes the reasons of every day of the range.
- Atomic; every created, changed or removed row appends an entry (old → new) to the
  school's history, in the same transaction.
"""

import datetime as dt
from types import SimpleNamespace

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, Student
from schedule.models import Enrolment, Lesson, SchoolClass

from ..history import chain_lock, change_record
from ..models import AbsenceReason, Attendance, JournalChange
from ..rules import Refusal

MANAGE_ALL_ROLES = {Role.DIRECTOR, Role.DEPUTY}
MAX_RANGE_DAYS = 366


def may_set_reasons(user, school_class: SchoolClass, today: dt.date) -> bool:
    """The class teacher of the class (while a teacher of the school), a deputy head or the
    director. One query."""
    roles = set(
        Membership.objects.filter(user=user, school=school_class.school_id)
        .active_on(today)
        .values_list("role", flat=True)
    )
    if roles & MANAGE_ALL_ROLES:
        return True
    return Role.TEACHER in roles and school_class.class_teacher_id == user.pk


def reason_text(row: AbsenceReason | None) -> str:
    """The reason as the history keeps it, in the school's language whoever is reading."""
    if row is None:
        return ""
    with translation.override(django_settings.LANGUAGE_CODE):
        label = str(AbsenceReason.Reason(row.reason).label)
    return f"{label} ({row.note})" if row.note else label


def _days(start: dt.date, end: dt.date):
    for n in range((end - start).days + 1):
        yield start + dt.timedelta(days=n)


def _class_by_day(student: Student, date_from: dt.date, date_to: dt.date):
    """{day: class} for the days of the range the student is enrolled in a class. One query."""
    enrolments = (
        Enrolment.objects.filter(student=student, starts_on__lte=date_to)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=date_from))
        .select_related("school_class")
    )
    by_day = {}
    for enrolment in enrolments:
        start = max(enrolment.starts_on, date_from)
        end = min(enrolment.ends_on or date_to, date_to)
        for day in _days(start, end):
            by_day[day] = enrolment.school_class
    return by_day


def _school_days(student: Student, by_day: dict, date_from: dt.date, date_to: dt.date) -> set:
    """The days of the range with a lesson of the student's class that day, or with an
    absence of the student. Two queries."""
    class_ids = {c.pk for c in by_day.values()}
    lesson_days = set(
        Lesson.objects.filter(
            school_class__in=class_ids, date__range=(date_from, date_to), is_cancelled=False
        )
        .order_by()
        .values_list("school_class_id", "date")
        .distinct()
    )
    days = {day for day, school_class in by_day.items() if (school_class.pk, day) in lesson_days}
    days |= set(
        Attendance.objects.filter(
            student=student,
            kind=Attendance.Kind.ABSENT,
            lesson__date__range=(date_from, date_to),
        )
        .order_by()
        .values_list("lesson__date", flat=True)
    )
    return {day for day in days if day in by_day}


def _day_label(school_class: SchoolClass, day: dt.date, student: Student) -> str:
    with translation.override(django_settings.LANGUAGE_CODE):
        what = _("absence reason")
    return " · ".join([str(school_class), f"{day:%d.%m.%Y}", student.short_name, what])


@transaction.atomic
def absence_reason_set(
    *,
    actor,
    student: Student,
    date_from: dt.date,
    date_to: dt.date,
    reason: str,
    note: str = "",
    ip: str | None = None,
) -> list[AbsenceReason]:
    """Set the reason of the student's absences for the school days from `date_from` to
    `date_to` (one day when equal), or remove it (empty `reason`). Returns the rows that
    hold the reason now, by date (empty after a removal)."""
    school = student.school
    today = school.today()
    now = timezone.now()
    if reason and reason not in AbsenceReason.Reason.values:
        raise Refusal(_("Unknown absence reason."), "invalid")
    if date_to < date_from:
        raise Refusal(_("The last day of the range is before the first."), "invalid")
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise Refusal(_("A range of dates may cover at most a year."), "invalid")
    if date_to > today:
        raise Refusal(
            _(
                "A reason is recorded for days that have come: %(date)s is after today. "
                "Enter the range up to today and add the rest on the day."
            )
            % {"date": date_to.strftime("%d.%m.%Y")},
            "future",
        )
    note = " ".join(note.split())[:300] if reason else ""

    by_day = _class_by_day(student, date_from, date_to)
    if not by_day:
        raise Refusal(_("The student is not in a class on these dates."), "student")
    for school_class in {c.pk: c for c in by_day.values()}.values():
        if school_class.school_id != school.pk or not may_set_reasons(actor, school_class, today):
            raise Refusal(
                _(
                    "Only the class teacher of the student's class, a deputy head or the "
                    "director records absence reasons."
                ),
                "forbidden",
            )
    days = _school_days(student, by_day, date_from, date_to) if reason else set(by_day)
    if reason and not days:
        raise Refusal(
            _("There are no school days in this range: the class had no lessons."), "no_days"
        )

    head = chain_lock(school.pk)
    existing = {
        row.date: row
        for row in AbsenceReason.objects.filter(
            school=school, student=student, date__range=(date_from, date_to)
        )
    }
    result = []
    for day in sorted(days):
        school_class = by_day[day]
        current = existing.get(day)
        old = reason_text(current)
        if not reason:
            if current is None:
                continue
            action, object_id = JournalChange.Action.DELETE, current.pk
            current.delete()
            row = None
        elif current is None:
            row = AbsenceReason.objects.create(
                school=school,
                student=student,
                date=day,
                reason=reason,
                note=note,
                set_by=actor,
                set_at=now,
            )
            action, object_id = JournalChange.Action.CREATE, row.pk
        elif (current.reason, current.note) == (reason, note):
            result.append(current)
            continue
        else:
            current.reason, current.note, current.set_by, current.set_at = (
                reason,
                note,
                actor,
                now,
            )
            current.save(update_fields=["reason", "note", "set_by", "set_at"])
            row = current
            action, object_id = JournalChange.Action.UPDATE, current.pk
        if row is not None:
            result.append(row)
        change_record(
            head=head,
            actor=actor,
            ip=ip,
            action=action,
            subject_kind=JournalChange.Subject.ABSENCE_REASON,
            object_id=object_id,
            label=_day_label(school_class, day, student),
            old=old,
            new=reason_text(row),
            # no lesson: the day stands in for one, so the history is found by its date
            lesson=SimpleNamespace(
                pk=None, date=day, school_class_id=school_class.pk, subject_id=None, teacher_id=None
            ),
            student_id=student.pk,
            school_class_id=school_class.pk,
            at=now,
        )
    return result
