"""Setting a period, year, exam or final mark (R-FIN-1, R-FIN-2).

- Who: the course's teacher (by the teaching load, while on the teaching staff); a deputy
  head or the director too, always with a reason (R-ROLE-3).
- When: a period mark from the period's first day until the end of the school day
  `period_marks_days_after_end` days after the period ends; year and final marks from the
  first day of the last reporting period until that many days after the academic year ends;
  an exam mark (the intermediate attestation) from the same day until
  `attestation_days_before_end` days before the year ends. Later only a deputy head or the
  director sets them, with a reason.
- What: a mark of the school's scale or a special value (зач, н/а, а/з, НПА, осв); an
  unsatisfactory period or year mark (intermediate attestation) is stored as а/з, with a
  notice. Subjects without attestation and grade 1 taught without marks get none.
- Concurrency and history as the cells of the grid: the caller's `expected` token, a
  Conflict with the current value, and every change appended to the school's history in
  the same transaction."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Membership, Student
from schedule.control_selectors import grade_periods
from schedule.models import Group, ReportingPeriod, Subject

from .. import values
from ..history import chain_lock, change_record
from ..marks_selectors import course_students_between, kind_label
from ..models import FinalKind, JournalChange, PeriodMark
from ..permissions import READ_ALL_ROLES, TEACHING_ROLES, teaches_course
from ..rules import Refusal
from .cells import Conflict, token

ATTESTATION_KINDS = (FinalKind.PERIOD, FinalKind.YEAR)


def _end_of_day(tz, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)


def _start_of_day(tz, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz)


def mark_window(
    school, settings, kind: str, period: ReportingPeriod | None, year, periods
) -> tuple[dt.datetime, dt.datetime]:
    """[opens, closes) of the teacher's entry of a period (or year/exam/final) mark in the
    school's local time (R-FIN-1)."""
    after = dt.timedelta(days=settings.period_marks_days_after_end)
    if kind == FinalKind.PERIOD:
        return (
            _start_of_day(school.tz, period.starts_on),
            _end_of_day(school.tz, period.ends_on + after),
        )
    opens_on = periods[-1].starts_on if periods else year.starts_on
    if kind == FinalKind.EXAM:
        # the exam is the intermediate attestation: held and marked until
        # `attestation_days_before_end` days before the year ends
        before = dt.timedelta(days=settings.attestation_days_before_end)
        return _start_of_day(school.tz, opens_on), _end_of_day(school.tz, year.ends_on - before)
    return _start_of_day(school.tz, opens_on), _end_of_day(school.tz, year.ends_on + after)


def _roles(actor, school) -> set[str]:
    return set(
        Membership.objects.filter(user=actor, school=school)
        .active_on(school.today())
        .values_list("role", flat=True)
    )


def _local_date(school, moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment, school.tz).date(), "d.m.Y")


@transaction.atomic
def period_mark_set(
    *,
    actor,
    group: Group,
    subject: Subject,
    student: Student,
    kind: str,
    period: ReportingPeriod | None = None,
    value: str,
    expected: str | None,
    ip: str | None = None,
    reason: str = "",
) -> tuple[PeriodMark | None, list[str]]:
    """Set (or, with an empty value, remove) a student's period, year, exam or final mark in
    a subject, in the journal of the course `group` × `subject`. `expected` is the token of
    the mark when the caller read it (None skips the check). Returns the mark (None when
    removed or never set) and notices for the user, e.g. that 2 was replaced by а/з."""
    school = group.school
    settings = school.settings
    school_class = group.school_class
    now = timezone.now()
    reason = " ".join(reason.split())[:500]
    notices: list[str] = []

    # who
    roles = _roles(actor, school)
    teacher = bool(roles & TEACHING_ROLES) and teaches_course(
        actor, school.pk, group.pk, subject.pk
    )
    leadership = bool(roles & READ_ALL_ROLES)
    if not teacher and not leadership:
        raise Refusal(
            _("Only the teacher of this course sets its period and final marks."), "forbidden"
        )
    if not teacher and not reason:
        raise Refusal(
            _("A deputy head or the director changes a period or final mark only with a reason."),
            "reason",
        )

    # what
    if subject.school_id != school.pk or group.subject_id not in (None, subject.pk):
        raise Refusal(_("Unknown course."), "invalid")
    if subject.no_attestation:
        raise Refusal(_("The subject has no attestation: no period or final marks."), "invalid")
    if settings.grade_one_without_marks and school_class.grade == 1:
        raise Refusal(_("Grade 1 is taught without marks."), "grade_one")
    if kind not in FinalKind.values:
        raise Refusal(_("Unknown kind of mark."), "invalid")
    year = school_class.year
    periods = grade_periods(school_class)
    if kind == FinalKind.PERIOD:
        if period is None or period.pk not in {p.pk for p in periods}:
            raise Refusal(_("Unknown reporting period of this class."), "invalid")
        start, end = period.starts_on, period.ends_on
    else:
        period = None
        start, end = year.starts_on, year.ends_on
    parsed = None
    if values.normalise(value):
        parsed = values.final_parse(settings.mark_scale, value)
        if parsed is None:
            raise Refusal(
                _("«%(value)s» is not a mark of this school's scale (%(scale)s) nor %(special)s.")
                % {
                    "value": value.strip(),
                    "scale": values.scale_hint(settings.mark_scale),
                    "special": ", ".join(values.SPECIAL_VALUES),
                },
                "scale",
            )
        if kind in ATTESTATION_KINDS and parsed[1] is not None and parsed[1] <= 2:
            notices.append(
                _(
                    "«%(value)s» is replaced by «а/з» (academic debt): an unsatisfactory "
                    "intermediate attestation mark is not set."
                )
                % {"value": parsed[0]}
            )
            parsed = (values.ACADEMIC_DEBT, None)
    if (
        student.school_id != school.pk
        or not course_students_between(group, subject, start, end).filter(pk=student.pk).exists()
    ):
        raise Refusal(_("The student is not in this course in that period."), "student")

    head = chain_lock(school.pk)
    rows = PeriodMark.objects.filter(school=school, student=student, subject=subject)
    if kind == FinalKind.PERIOD:
        current = rows.filter(kind=kind, period=period).first()
    else:
        current = rows.filter(kind=kind, year=year).first()
    if expected is not None and token(current) != expected:
        raise Conflict(current.value if current else "", token(current))
    if current is None and parsed is None:
        return None, []
    if current is not None and parsed is not None and current.value == parsed[0]:
        return current, notices

    # when
    opens, closes = mark_window(school, settings, kind, period, year, periods)
    if now < opens and not leadership:
        raise Refusal(
            _("Marks for %(what)s are set from %(date)s.")
            % {"what": kind_label(kind, period), "date": _local_date(school, opens)},
            "future",
        )
    if now >= closes and not (leadership and reason):
        raise Refusal(
            _(
                "Marks for %(what)s could be set until %(date)s: ask the deputy head to "
                "change it, with a reason."
            )
            % {
                "what": kind_label(kind, period),
                "date": _local_date(school, closes - dt.timedelta(microseconds=1)),
            },
            "locked",
        )

    old = current.value if current else ""
    if parsed is None:
        action, object_id = JournalChange.Action.DELETE, current.pk
        current.delete()
        result = None
    elif current is None:
        result = PeriodMark.objects.create(
            school=school,
            student=student,
            subject=subject,
            year=year,
            kind=kind,
            period=period,
            group=group,
            value=parsed[0],
            points=parsed[1],
            set_at=now,
            set_by=actor,
        )
        action, object_id = JournalChange.Action.CREATE, result.pk
    else:
        current.value, current.points, current.group = parsed[0], parsed[1], group
        current.set_at, current.set_by = now, actor
        current.version += 1
        current.save(update_fields=["value", "points", "group", "set_at", "set_by", "version"])
        result = current
        action, object_id = JournalChange.Action.UPDATE, current.pk
    change_record(
        head=head,
        actor=actor,
        ip=ip,
        action=action,
        subject_kind=JournalChange.Subject.PERIOD_MARK,
        object_id=object_id,
        label=" · ".join(
            [str(school_class), str(subject), kind_label(kind, period), student.short_name]
        ),
        old=old,
        new=result.value if result else "",
        reason=reason,
        student_id=student.pk,
        school_class_id=school_class.pk,
        course_subject_id=subject.pk,
        at=now,
    )
    return result, notices
