"""Reads for averages, period and final marks (R-MRK-7..9, R-FIN-1..4): per-student averages
of a course over a period, the final-marks table of a course and the class summary sheet.
Each is a fixed number of queries, whatever the number of students or marks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import SchoolSettings, Student
from schedule.models import (
    AcademicYear,
    CurriculumHours,
    Enrolment,
    Group,
    GroupMembership,
    IndividualCurriculum,
    ReportingPeriod,
    SchoolClass,
    Subject,
    TeachingLoad,
)

from . import values
from .averages import EMPTY, Averages, accumulation_minimum, averages_compute, period_mark_warnings
from .models import FinalKind, Mark, PeriodMark

FINAL_KINDS = (FinalKind.YEAR, FinalKind.EXAM, FinalKind.FINAL)


# --- who is in a course or class over a range of dates ------------------------------------


def _overlaps(start: dt.date, end: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_on__lte": end}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": start})
    )


def course_students_between(group: Group, subject, start: dt.date, end: dt.date):
    """The students of a course (group × subject) on any day from `start` to `end`, as
    schedule.selectors.course_students_on counts them on one day: in the group (enrolled in
    the class and, for a subgroup, its member) or attached to the course by an individual
    curriculum, and not exempted from it for the whole range. One query."""
    subject_id = getattr(subject, "pk", subject)
    in_group = Exists(
        Enrolment.objects.filter(student=OuterRef("pk"), school_class=group.school_class_id).filter(
            _overlaps(start, end)
        )
    )
    if not group.is_whole_class:
        in_group &= Exists(
            GroupMembership.objects.filter(student=OuterRef("pk"), group=group).filter(
                _overlaps(start, end)
            )
        )
    curricula = IndividualCurriculum.objects.filter(
        student=OuterRef("pk"), group=group, subject=subject_id
    )
    attached = Exists(
        curricula.filter(kind=IndividualCurriculum.Kind.ATTACH).filter(_overlaps(start, end))
    )
    exempt_throughout = Exists(
        curricula.filter(kind=IndividualCurriculum.Kind.EXEMPT, starts_on__lte=start).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=end)
        )
    )
    return (
        Student.objects.filter(school=group.school_id)
        .filter((in_group | attached) & ~exempt_throughout)
        .order_by("last_name", "first_name", "middle_name", "pk")
    )


# --- current marks → averages -------------------------------------------------------------


@dataclass(frozen=True)
class StudentPeriod:
    """A student's current marks in a course over a period: averages, and whether one of
    them is for a control, written, laboratory or practical work (R-MRK-9)."""

    averages: Averages
    has_control_work: bool


NO_MARKS = StudentPeriod(averages=EMPTY, has_control_work=False)


def _mark_rows(group: Group, subject, start: dt.date, end: dt.date, students=None) -> QuerySet:
    subject_id = getattr(subject, "pk", subject)
    marks = Mark.objects.filter(
        school=group.school_id,
        lesson__group=group,
        lesson__subject=subject_id,
        lesson__date__range=(start, end),
    )
    if students is not None:
        marks = marks.filter(student__in=students)
    return marks.order_by(
        "student_id", "lesson__date", "lesson__number", "work_type__position", "part"
    ).values_list(
        "student_id", "lesson__date", "points", "work_type__weight", "work_type__is_control"
    )


def _stats(rows, settings: SchoolSettings) -> StudentPeriod:
    pairs = [(points, weight) for points, weight, _c in rows if points is not None]
    return StudentPeriod(
        averages=averages_compute(pairs, settings),
        has_control_work=any(control for _p, _w, control in rows),
    )


def course_period_stats(
    group: Group,
    subject,
    start: dt.date,
    end: dt.date,
    settings: SchoolSettings | None = None,
    students=None,
) -> dict[int, StudentPeriod]:
    """{student id: StudentPeriod} over the course's lessons from `start` to `end` (one
    query; students without marks are absent from the dict, use NO_MARKS)."""
    settings = settings or group.school.settings
    by_student: dict[int, list] = defaultdict(list)
    for student_id, _day, points, weight, control in _mark_rows(
        group, subject, start, end, students
    ):
        by_student[student_id].append((points, weight, control))
    return {sid: _stats(rows, settings) for sid, rows in by_student.items()}


def course_period_averages(
    group: Group, subject, start: dt.date, end: dt.date, settings: SchoolSettings | None = None
) -> dict[int, Averages]:
    """{student id: Averages} of the current marks of the course from `start` to `end`
    (R-MRK-7, R-MRK-8); a double mark counts as two marks. One query (and one more for the
    school's settings when not given and not cached on group.school)."""
    stats = course_period_stats(group, subject, start, end, settings)
    return {sid: s.averages for sid, s in stats.items()}


def course_hours(group: Group, subject, grade: int | None = None, year_id=None) -> Decimal | None:
    """Weekly hours of the course: its teaching load, else the curriculum of the grade (one
    query)."""
    subject_id = getattr(subject, "pk", subject)
    load = (
        TeachingLoad.objects.filter(group=group, subject=subject_id)
        .order_by("-hours_per_week")
        .values_list("hours_per_week", flat=True)
        .first()
    )
    if load is not None or grade is None:
        return load
    return (
        CurriculumHours.objects.filter(
            school=group.school_id, year=year_id, grade=grade, subject=subject_id
        )
        .values_list("hours_per_week", flat=True)
        .first()
    )


# --- the final-marks table of a course ------------------------------------------------------


def kind_label(kind: str, period: ReportingPeriod | None = None) -> str:
    """ "1 четверть", "годовая", "экзаменационная", "итоговая"."""
    if kind == FinalKind.PERIOD and period is not None:
        return str(period)
    return {
        FinalKind.YEAR: _("year mark"),
        FinalKind.EXAM: _("exam mark"),
        FinalKind.FINAL: _("final mark"),
    }.get(kind, kind)


@dataclass
class FinalCell:
    """One period, year, exam or final mark of a student, with what justifies it."""

    student: Student
    kind: str
    period: ReportingPeriod | None
    mark: PeriodMark | None
    averages: Averages = EMPTY  # current marks (a period) or period marks (the year)
    warnings: list[str] = field(default_factory=list)

    @property
    def value(self) -> str:
        return self.mark.value if self.mark is not None else ""

    @property
    def token(self) -> str:
        return f"{self.mark.pk}.{self.mark.version}" if self.mark is not None else ""

    @property
    def column(self) -> str:
        return f"p{self.period.pk}" if self.period is not None else self.kind

    @property
    def label(self) -> str:
        return kind_label(self.kind, self.period)

    @property
    def dom_id(self) -> str:
        return f"final-{self.student.pk}-{self.column}"


@dataclass
class FinalRow:
    student: Student
    periods: list[FinalCell]
    year: FinalCell
    exam: FinalCell
    final: FinalCell

    @property
    def cells(self) -> list[FinalCell]:
        return [*self.periods, self.year, self.exam, self.final]


@dataclass
class CourseFinals:
    periods: list[ReportingPeriod]
    rows: list[FinalRow]
    hours: Decimal | None
    minimum: int


def year_averages(period_marks: list[PeriodMark | None], settings) -> Averages:
    """The year suggestion: the plain average of the period marks that have points, by the
    school's thresholds (R-MRK-8)."""
    points = [(m.points, Decimal(1)) for m in period_marks if m is not None and m.points]
    return averages_compute(points, settings)


def period_cell_warnings(cell: FinalCell, stats: StudentPeriod, minimum: int) -> list[str]:
    """R-FIN-3, R-MRK-9: warnings for a set period mark; none for special values other than
    a failed attestation, none for an empty cell."""
    if cell.mark is None or cell.mark.value in (values.EXEMPT, values.VALID_NOT_PASSED):
        return []
    return period_mark_warnings(
        averages=stats.averages,
        value=cell.mark.value,
        minimum=minimum,
        has_control_work=stats.has_control_work,
    )


def year_cell_warnings(cell: FinalCell) -> list[str]:
    if cell.mark is None or not cell.averages.count:
        return []
    return period_mark_warnings(
        averages=cell.averages, value=cell.mark.value, minimum=0, has_control_work=None
    )


def course_finals(
    group: Group,
    subject: Subject,
    *,
    year: AcademicYear,
    periods: list[ReportingPeriod],
    settings: SchoolSettings,
    grade: int,
    student_id: int | None = None,
) -> CourseFinals:
    """The students of the course over the year (or the one `student_id`) × each period's
    mark with the averages of the period's current marks, the year mark with the suggestion
    from the period marks, the exam and the final mark; warnings for marks that current
    marks do not justify (R-FIN-1..3, R-MRK-7..9).

    Four queries: students, period and final marks, current marks of the year, the hours."""
    start, end = year.starts_on, year.ends_on
    students = course_students_between(group, subject, start, end)
    if student_id is not None:
        students = students.filter(pk=student_id)
    students = list(students)
    ids = [s.pk for s in students]
    marks = PeriodMark.objects.filter(
        school=group.school_id, subject=subject, year=year, student__in=ids
    )
    by_key: dict[tuple, PeriodMark] = {}
    for mark in marks:
        by_key[
            (mark.student_id, mark.period_id if mark.kind == FinalKind.PERIOD else mark.kind)
        ] = mark
    period_of_day = [(p.starts_on, p.ends_on, p.pk) for p in periods]
    current: dict[tuple[int, int], list] = defaultdict(list)
    if periods:
        for sid, day, points, weight, control in _mark_rows(
            group, subject, periods[0].starts_on, periods[-1].ends_on, ids
        ):
            for p_start, p_end, pid in period_of_day:
                if p_start <= day <= p_end:
                    current[(sid, pid)].append((points, weight, control))
                    break
    hours = course_hours(group, subject, grade, year.pk)
    minimum = accumulation_minimum(settings, hours)
    rows = []
    for student in students:
        cells = []
        for period in periods:
            cell = FinalCell(student, FinalKind.PERIOD, period, by_key.get((student.pk, period.pk)))
            rows_of_period = current.get((student.pk, period.pk))
            stats = _stats(rows_of_period, settings) if rows_of_period else NO_MARKS
            cell.averages = stats.averages
            cell.warnings = period_cell_warnings(cell, stats, minimum)
            cells.append(cell)
        year_cell = FinalCell(student, FinalKind.YEAR, None, by_key.get((student.pk, "year")))
        year_cell.averages = year_averages([c.mark for c in cells], settings)
        year_cell.warnings = year_cell_warnings(year_cell)
        rows.append(
            FinalRow(
                student=student,
                periods=cells,
                year=year_cell,
                exam=FinalCell(student, FinalKind.EXAM, None, by_key.get((student.pk, "exam"))),
                final=FinalCell(student, FinalKind.FINAL, None, by_key.get((student.pk, "final"))),
            )
        )
    return CourseFinals(periods=periods, rows=rows, hours=hours, minimum=minimum)


# --- the class summary sheet (сводная ведомость) ---------------------------------------------


POSITIVE = {"3", "4", "5", values.CREDIT}
GOOD = {"4", "5"}


@dataclass
class SummaryCell:
    mark: PeriodMark | None = None
    hint: Averages = EMPTY  # where no mark is set yet: the weighted average (or year suggestion)

    @property
    def value(self) -> str:
        return self.mark.value if self.mark is not None else ""


@dataclass
class SubjectTotals:
    counts: dict[str, int]
    not_set: int
    attested: int  # students with a mark other than «осв»
    success: Decimal | None  # % of them with 3, 4, 5 or зачёт
    quality: Decimal | None  # % of them with 4 or 5

    @property
    def success_text(self) -> str:
        return _percent(self.success)

    @property
    def quality_text(self) -> str:
        return _percent(self.quality)


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    from .averages import ru_decimal

    return ru_decimal(value)


TOTAL_COLUMNS = ("5", "4", "3", "2", values.ACADEMIC_DEBT, values.NOT_ATTESTED)


@dataclass
class SummaryRow:
    student: Student
    cells: list[SummaryCell]


@dataclass
class ClassSummary:
    subjects: list[Subject]
    rows: list[SummaryRow]
    totals: list[SubjectTotals]
    on: dt.date

    @property
    def total_rows(self) -> list[tuple[str, list]]:
        """The totals as table rows: a label and one figure per subject."""
        rows = [(column, [t.counts[column] for t in self.totals]) for column in TOTAL_COLUMNS]
        rows.append((_("marks not set"), [t.not_set for t in self.totals]))
        rows.append((_("success rate"), [t.success_text for t in self.totals]))
        rows.append((_("quality rate"), [t.quality_text for t in self.totals]))
        return rows


def _totals(column: list[SummaryCell]) -> SubjectTotals:
    counts = dict.fromkeys(TOTAL_COLUMNS, 0)
    not_set = attested = success = quality = 0
    for cell in column:
        value = cell.value
        if not value:
            not_set += 1
            continue
        if value in ("1", "2"):
            counts["2"] += 1
        elif value in counts:
            counts[value] += 1
        if value == values.EXEMPT:
            continue
        attested += 1
        success += value in POSITIVE
        quality += value in GOOD
    hundred = Decimal(100)
    two = Decimal("0.1")
    return SubjectTotals(
        counts=counts,
        not_set=not_set,
        attested=attested,
        success=(hundred * success / attested).quantize(two) if attested else None,
        quality=(hundred * quality / attested).quantize(two) if attested else None,
    )


def class_subjects(school_class: SchoolClass) -> list[Subject]:
    """The attested subjects taught to the class (any of its groups), by name (one query)."""
    return list(
        Subject.objects.filter(
            school=school_class.school_id,
            no_attestation=False,
            teaching_loads__group__school_class=school_class,
        )
        .distinct()
        .order_by("name")
    )


def class_summary(
    school_class: SchoolClass,
    *,
    period: ReportingPeriod | None,
    periods: list[ReportingPeriod],
    settings: SchoolSettings,
    today: dt.date,
) -> ClassSummary:
    """The summary sheet of the class (R-FIN-4): its students on the period's (or year's)
    last day — or today, when that is earlier — × its attested subjects, with the period
    (year) marks as they are now; where a mark is not set yet, a hint: the weighted average
    of the period's current marks (for the year, the suggestion from the period marks). Per
    subject: counts of 5/4/3/2/а/з/н/а, success and quality %.

    Four queries: subjects, students, period marks, current marks (for a period)."""
    year = school_class.year
    start, end = (period.starts_on, period.ends_on) if period else (year.starts_on, year.ends_on)
    on = min(max(today, start), end)
    subjects = class_subjects(school_class)
    students = list(
        Student.objects.filter(school=school_class.school_id)
        .filter(
            Exists(
                Enrolment.objects.filter(student=OuterRef("pk"), school_class=school_class).filter(
                    _overlaps(on, on)
                )
            )
        )
        .order_by("last_name", "first_name", "middle_name", "pk")
    )
    ids = [s.pk for s in students]
    marks = PeriodMark.objects.filter(
        school=school_class.school_id, year=year.pk, student__in=ids, subject__in=subjects
    )
    if period is not None:
        marks = marks.filter(kind=FinalKind.PERIOD, period=period)
    else:
        marks = marks.filter(
            Q(kind=FinalKind.YEAR) | Q(kind=FinalKind.PERIOD, period__in=[p.pk for p in periods])
        )
    set_marks: dict[tuple[int, int], PeriodMark] = {}
    period_marks: dict[tuple[int, int], list[PeriodMark]] = defaultdict(list)
    for mark in marks:
        if mark.kind == FinalKind.PERIOD and period is None:
            period_marks[(mark.student_id, mark.subject_id)].append(mark)
        else:
            set_marks[(mark.student_id, mark.subject_id)] = mark
    hints: dict[tuple[int, int], Averages] = {}
    if period is not None:
        current: dict[tuple[int, int], list] = defaultdict(list)
        for sid, subject_id, points, weight in (
            Mark.objects.filter(
                school=school_class.school_id,
                student__in=ids,
                lesson__subject__in=subjects,
                lesson__date__range=(start, end),
                points__isnull=False,
            )
            .order_by("lesson__date", "lesson__number", "work_type__position", "part")
            .values_list("student_id", "lesson__subject_id", "points", "work_type__weight")
        ):
            current[(sid, subject_id)].append((points, weight))
        hints = {key: averages_compute(pairs, settings) for key, pairs in current.items()}
    else:
        hints = {key: year_averages(ms, settings) for key, ms in period_marks.items()}
    rows = []
    for student in students:
        cells = []
        for subject in subjects:
            key = (student.pk, subject.pk)
            mark = set_marks.get(key)
            cells.append(SummaryCell(mark=mark, hint=EMPTY if mark else hints.get(key, EMPTY)))
        rows.append(SummaryRow(student=student, cells=cells))
    totals = [_totals([row.cells[i] for row in rows]) for i in range(len(subjects))]
    return ClassSummary(subjects=subjects, rows=rows, totals=totals, on=on)
