"""Failing students, weekly (R-NOT-3): the class teacher gets the list of his class's
failing students and each failing student's parents a notice about their child, on the
school's day and time (`failing_report_weekday`, `failing_report_time`).

A student is failing by either rule of the school's settings (0 turns a rule off):
- `failing_average_below`: the weighted average of his marks in a subject over his
  class's current period so far (journal.averages, R-MRK-7) is below it;
- `failing_recent_marks`: he got at least that many unsatisfactory marks, in all his
  subjects together, in the 7 days up to the report's day: 1 or 2 on the five-point
  scales, незачёт («нз», journal.values.FAIL) on pass/fail.
Subjects without attestation are left out; so is grade 1 when it has no marks. The
notices name each subject and why. No findings: nothing is to be put right by a date.

Cost, whatever the number of classes and students: 8 queries (settings, classes, current
periods, enrolments, marks, parents, recipients, notices)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings as django_settings
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _

from journal import values
from journal.averages import averages_compute, ru_decimal
from journal.models import Mark
from schedule.models import GradeLevel, PeriodKind, ReportingPeriod, SchoolClass

from ..models import DeadlineKind, DeadlineRun, Kind
from ..services.notices import Notice, notify_many
from .engine import deadline_job
from .jobs_lessons import person_name
from .jobs_periods import class_students, diary_marks_url, parents_of, summary_url

WEEK = 7


def unsatisfactory(points: int | None, value: str) -> bool:
    """A 1 or 2 of the five-point scales, or a незачёт."""
    return points in (1, 2) or value == values.FAIL


@dataclass
class SubjectState:
    name: str
    marks: list = field(default_factory=list)  # (points, weight) of the period so far
    recent_bad: int = 0


@dataclass
class Failing:
    row: dict  # the enrolment row: name, class, account
    lines: list[str]


def classes_today(school, day: dt.date, settings) -> dict[int, tuple[SchoolClass, object]]:
    """{class id: (class, its current period or None)} of the year of `day` (two
    queries); grade 1 left out when it has no marks."""
    kind = GradeLevel.objects.filter(
        school=school, year=OuterRef("year"), grade=OuterRef("grade")
    ).values("period_kind")[:1]
    classes = (
        SchoolClass.objects.filter(school=school, year__starts_on__lte=day, year__ends_on__gte=day)
        .annotate(period_kind=Coalesce(Subquery(kind), Value(PeriodKind.QUARTER)))
        .order_by("grade", "letter")
    )
    if settings.grade_one_without_marks:
        classes = classes.exclude(grade=1)
    classes = list(classes)
    if not classes:
        return {}
    periods = list(
        ReportingPeriod.objects.filter(
            school=school,
            year__in={c.year_id for c in classes},
            starts_on__lte=day,
            ends_on__gte=day,
        )
    )
    found = {}
    for school_class in classes:
        period = next(
            (
                p
                for p in periods
                if p.year_id == school_class.year_id and p.kind == school_class.period_kind
            ),
            None,
        )
        found[school_class.pk] = (school_class, period)
    return found


def subject_reasons(state: SubjectState, settings, average_below: Decimal, recent: bool):
    """Why the subject is named: its weighted average below the bar, its unsatisfactory
    marks of the week (when the student fails by that rule)."""
    reasons = []
    if average_below:
        weighted = averages_compute(state.marks, settings).weighted
        if weighted is not None and weighted < average_below:
            reasons.append(_("weighted average %(average)s") % {"average": ru_decimal(weighted)})
    if recent and state.recent_bad:
        reasons.append(_("unsatisfactory marks this week: %(count)s") % {"count": state.recent_bad})
    return reasons


@deadline_job(DeadlineKind.FAILING)
def failing(run: DeadlineRun) -> int:
    """R-NOT-3: the week's failing students to the class teacher and to their parents."""
    school, day = run.school, run.date
    settings = school.settings
    average_below = settings.failing_average_below or Decimal(0)
    recent_needed = settings.failing_recent_marks
    if not average_below and not recent_needed:
        return 0
    with translation.override(django_settings.LANGUAGE_CODE):
        classes = classes_today(school, day, settings)
        students = class_students(school, classes, day)
        if not students:
            return 0
        week_from = day - dt.timedelta(days=WEEK - 1)
        starts = [p.starts_on for _c, p in classes.values() if p is not None]
        first = min([week_from, *starts])
        states: dict[int, dict[int, SubjectState]] = defaultdict(dict)
        for student_id, subject_id, name, date, points, weight, value in (
            Mark.objects.filter(
                school=school,
                student__in=list(students),
                lesson__date__gte=first,
                lesson__date__lte=day,
                lesson__subject__no_attestation=False,
            )
            .order_by("lesson__date", "lesson__number", "work_type__position", "part")
            .values_list(
                "student_id",
                "lesson__subject_id",
                "lesson__subject__name",
                "lesson__date",
                "points",
                "work_type__weight",
                "value",
            )
        ):
            state = states[student_id].setdefault(subject_id, SubjectState(name))
            period = classes[students[student_id]["school_class_id"]][1]
            if points is not None and period is not None and date >= period.starts_on:
                state.marks.append((points, weight))
            if date >= week_from and unsatisfactory(points, value):
                state.recent_bad += 1
        found: dict[int, list[Failing]] = defaultdict(list)
        for student_id, row in students.items():
            subjects = states.get(student_id)
            if not subjects:
                continue
            recent = bool(recent_needed) and (
                sum(s.recent_bad for s in subjects.values()) >= recent_needed
            )
            lines = []
            for state in sorted(subjects.values(), key=lambda s: s.name):
                reasons = subject_reasons(state, settings, average_below, recent)
                if reasons:
                    lines.append(f"{state.name}: {', '.join(reasons)}")
            if lines:
                found[row["school_class_id"]].append(Failing(row, lines))
        if not found:
            return 0
        parents = parents_of(school, [f.row["student_id"] for fs in found.values() for f in fs])
        notices = []
        for class_id, failing_students in found.items():
            school_class, period = classes[class_id]
            sender = school_class.class_teacher_id
            for f in failing_students:
                notices.append(
                    child_notice(school, f, period, parents[f.row["student_id"]], sender)
                )
            if sender is not None:
                notices.append(
                    class_notice(school, school_class, period, failing_students, settings, day)
                )
        return len(notify_many(school=school, kind=Kind.REPORT, notices=notices))


def rules_text(settings) -> list[str]:
    lines = []
    if settings.failing_average_below:
        lines.append(
            _("— the period's weighted average in a subject below %(average)s;")
            % {"average": ru_decimal(settings.failing_average_below)}
        )
    if settings.failing_recent_marks:
        lines.append(
            _("— at least %(count)s unsatisfactory marks in the last 7 days.")
            % {"count": settings.failing_recent_marks}
        )
    return lines


def class_notice(school, school_class, period, failing_students, settings, day) -> Notice:
    lines = [_("Failing students of the week to %(date)s:") % {"date": f"{day:%d.%m.%Y}"}]
    for f in failing_students:
        row = f.row
        name = person_name(
            row["student__last_name"], row["student__first_name"], row["student__middle_name"]
        )
        lines.append("")
        lines.append(f"{name}:")
        lines.extend(f"— {line}" for line in f.lines)
    lines.append("")
    lines.append(_("Failing means:"))
    lines.extend(rules_text(settings))
    title = _("Failing students of %(class)s: %(count)s") % {
        "class": school_class,
        "count": len(failing_students),
    }
    return Notice(
        [school_class.class_teacher_id],
        title,
        "\n".join(lines),
        summary_url(school, school_class.pk, period),
    )


def child_notice(school, f: Failing, period, parent_users, sender) -> Notice:
    row = f.row
    name = " ".join(p for p in (row["student__last_name"], row["student__first_name"]) if p)
    title = _("%(student)s: unsatisfactory progress") % {"student": name}
    body = "\n".join(
        [
            _("Subjects that need attention:"),
            *(f"— {line}" for line in f.lines),
            "",
            _("Please talk to the class teacher and the subject teachers."),
        ]
    )
    return Notice(
        parent_users, title, body, diary_marks_url(school, row["student_id"], period), sender
    )
