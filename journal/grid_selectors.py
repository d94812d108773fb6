"""The teacher's journal grid of one course (group × subject) for one reporting period:
students (each only for the dates he belonged to the course) × the mark columns of the
period's dated lessons, with their marks and attendance, the averages, the forecast and the
period mark. A fixed number of queries, whatever the number of students or lessons."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, Case, Q, Value, When

from accounts.models import SchoolSettings, Student, WorkType
from schedule.models import (
    Enrolment,
    Group,
    GroupMembership,
    IndividualCurriculum,
    Lesson,
    ReportingPeriod,
    Subject,
    TeachingLoad,
)

from .averages import Averages, accumulation_minimum, averages_compute
from .models import Attendance, FinalKind, LessonRecord, Mark, PeriodMark
from .services.attendance_check import register_taken
from .values import ABSENT_LETTERS, LATE_LETTERS


def _overlap(start: dt.date, end: dt.date) -> Q:
    return Q(starts_on__lte=end) & (Q(ends_on__isnull=True) | Q(ends_on__gte=start))


@dataclass
class Spans:
    """Date ranges of one student, as (starts_on, ends_on-or-None) pairs."""

    ranges: list = field(default_factory=list)

    def covers(self, day: dt.date) -> bool:
        return any(a <= day and (b is None or day <= b) for a, b in self.ranges)


@dataclass
class Roster:
    """Who is in the course on which date (R-STR-4, R-STR-5, R-STR-7)."""

    whole_class: bool
    students: dict[int, Student]
    enrolled: dict[int, Spans]
    member: dict[int, Spans]
    exempt: dict[int, Spans]
    attached: dict[int, Spans]

    def in_course(self, student_id: int, day: dt.date) -> bool:
        if self.exempt[student_id].covers(day):
            return False
        if self.attached[student_id].covers(day):
            return True
        if not self.enrolled[student_id].covers(day):
            return False
        return self.whole_class or self.member[student_id].covers(day)


def course_roster(group: Group, subject_id: int, start: dt.date, end: dt.date) -> Roster:
    """Everyone who belongs to the course on some day between the dates, with the ranges
    that decide each day: the class's enrolments, the subgroup's memberships and the
    course's individual curricula, read together in one UNION ALL query."""
    fields = ("student_id", "starts_on", "ends_on")
    names = ("student__last_name", "student__first_name", "student__middle_name")

    def rows(qs, kind: str):
        # no ORDER BY: SQLite refuses one inside a compound statement
        return (
            qs.filter(_overlap(start, end))
            .annotate(source=Value(kind))
            .values_list("source", *fields, *names)
            .order_by()
        )

    parts = [rows(Enrolment.objects.filter(school_class=group.school_class_id), "e")]
    if not group.is_whole_class:
        parts.append(rows(GroupMembership.objects.filter(group=group), "m"))
    curricula = IndividualCurriculum.objects.filter(group=group, subject=subject_id)
    parts.append(rows(curricula.filter(kind=IndividualCurriculum.Kind.EXEMPT), "x"))
    parts.append(rows(curricula.filter(kind=IndividualCurriculum.Kind.ATTACH), "a"))
    spans = {kind: defaultdict(Spans) for kind in "emxa"}
    students: dict[int, Student] = {}
    for kind, student_id, starts_on, ends_on, last, first, middle in parts[0].union(
        *parts[1:], all=True
    ):
        spans[kind][student_id].ranges.append((starts_on, ends_on))
        if kind != "m" and student_id not in students:
            students[student_id] = Student(
                pk=student_id,
                school_id=group.school_id,
                last_name=last,
                first_name=first,
                middle_name=middle,
            )
    roster = Roster(group.is_whole_class, students, spans["e"], spans["m"], spans["x"], spans["a"])
    if not group.is_whole_class:
        # a class's student who never was in this subgroup is not on its page
        keep = set(spans["m"]) | set(spans["a"])
        roster.students = {pk: s for pk, s in students.items() if pk in keep}
    return roster


class GridMark:
    """A mark as the grid shows it: a model instance costs ~20 µs to build, and a quarter of
    a course has hundreds of marks."""

    __slots__ = ("pk", "lesson_id", "student_id", "work_type_id", "part", "value", "points",
                 "comment", "version")  # fmt: skip

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


class GridAttendance:
    """An absence or lateness as the grid shows it; a pending one (a parent's notice,
    R-ATT-4) carries the notice's reason."""

    __slots__ = ("pk", "lesson_id", "student_id", "kind", "version", "pending", "notice_reason")
    # the columns read for the slots, in order
    FIELDS = ("pk", "lesson_id", "student_id", "kind", "version", "pending", "notice__reason")

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    def get_kind_display(self) -> str:
        return str(Attendance.Kind(self.kind).label)


@dataclass
class Column:
    lesson: Lesson
    work_type: WorkType
    part: int
    first: bool  # the lesson's first column also shows and takes attendance
    last: bool
    span: int = 1  # on the first column: how many columns the lesson has
    editable: bool = False

    @property
    def key(self) -> str:
        return f"{self.lesson.pk}-{self.work_type.pk}-{self.part}"


@dataclass(slots=True)
class Cell:
    column: Column
    student: Student
    active: bool
    mark: Mark | None = None
    attendance: Attendance | None = None
    error: str = ""
    locked_error: bool = False
    value_tried: str = ""

    @property
    def id(self) -> str:
        return f"c-{self.column.key}-{self.student.pk}"

    @property
    def correction_kind(self) -> str:
        text = " ".join(self.value_tried.split()).lower()
        if text in ABSENT_LETTERS | LATE_LETTERS or (not text and not self.mark):
            return "attendance"
        return "mark"


@dataclass
class Row:
    number: int
    student: Student
    cells: list[Cell]
    averages: Averages
    period_mark: PeriodMark | None
    minimum: int
    has_control_work: bool = False
    warnings: list[str] = field(default_factory=list)
    cells_html: str = ""


@dataclass
class Grid:
    group: Group
    subject: Subject
    period: ReportingPeriod
    lessons: list[Lesson]
    columns: list[Column]
    rows: list[Row]
    work_types: list[WorkType]
    hours_per_week: Decimal | None
    months: list[tuple[dt.date, int]]


def lesson_columns(
    lesson: Lesson, record: LessonRecord | None, work_types: dict[int, WorkType], default
) -> list[tuple[WorkType, int]]:
    """The (work type, part) cells of a lesson: its chosen columns, the default column when
    none were chosen, and any column that still holds marks; a double-mark type has two."""
    ids = list(record.work_type_ids) if record and record.work_type_ids else []
    types = [work_types[i] for i in ids if i in work_types] or ([default] if default else [])
    cells = []
    for work_type in types:
        cells.append((work_type, 1))
        if work_type.double_mark:
            cells.append((work_type, 2))
    return cells


def course_lessons(group: Group, subject_id: int, start: dt.date, end: dt.date):
    return (
        Lesson.objects.filter(group=group, subject=subject_id, date__range=(start, end))
        .select_related("record")
        .order_by("date", "starts_at", "pk")
    )


def course_grid(
    *,
    group: Group,
    subject: Subject,
    period: ReportingPeriod,
    settings: SchoolSettings,
    today: dt.date,
) -> Grid:
    """Queries: lessons with their records; work types; the roster (2 or 3); marks;
    attendance; period marks; the course's weekly hours. Each lesson of `today` carries
    `register_missing`: its register was not taken yet (R-ATT-1), read in the lessons'
    query."""
    start, end = period.starts_on, period.ends_on
    lessons = list(
        course_lessons(group, subject.pk, start, end).annotate(
            register_missing=Case(
                When(Q(date=today, is_cancelled=False) & ~register_taken(), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )
    work_types = {w.pk: w for w in WorkType.objects.filter(school=group.school_id)}
    ordered_types = sorted(work_types.values(), key=lambda w: (w.position, w.name))
    default = ordered_types[0] if ordered_types else None
    roster = course_roster(group, subject.pk, start, end)
    lesson_ids = [lesson.pk for lesson in lessons]
    marks = [
        GridMark(*row)
        for row in Mark.objects.filter(lesson__in=lesson_ids).values_list(*GridMark.__slots__)
    ]
    attendance = {
        (row[1], row[2]): GridAttendance(*row)
        for row in Attendance.objects.filter(lesson__in=lesson_ids).values_list(
            *GridAttendance.FIELDS
        )
    }
    period_marks = {
        p.student_id: p
        for p in PeriodMark.objects.filter(
            school=group.school_id, subject=subject.pk, kind=FinalKind.PERIOD, period=period
        )
    }
    hours = getattr(group, "hours", None)
    if hours is None and not hasattr(group, "hours"):
        hours = (
            TeachingLoad.objects.filter(group=group, subject=subject.pk)
            .values_list("hours_per_week", flat=True)
            .first()
        )

    # columns: the lesson's own, plus any (work type, part) that holds a mark
    marked = defaultdict(set)
    for mark in marks:
        marked[mark.lesson_id].add((mark.work_type_id, mark.part))
    columns: list[Column] = []
    for lesson in lessons:
        record = getattr(lesson, "record", None)
        cells = lesson_columns(lesson, record, work_types, default)
        present = {(w.pk, p) for w, p in cells}
        for wt_id, part in sorted(marked[lesson.pk] - present):
            cells.append((work_types[wt_id], part))
        for i, (work_type, part) in enumerate(cells):
            columns.append(
                Column(lesson, work_type, part, i == 0, i == len(cells) - 1, span=len(cells))
            )

    by_cell = {(m.lesson_id, m.work_type_id, m.part, m.student_id): m for m in marks}
    marks_by_student = defaultdict(list)
    with_control = {m.student_id for m in marks if work_types[m.work_type_id].is_control}
    for mark in marks:
        if mark.points is not None:
            marks_by_student[mark.student_id].append(
                (mark.points, work_types[mark.work_type_id].weight)
            )
    minimum = accumulation_minimum(settings, hours)
    students = sorted(
        (
            s
            for s in roster.students.values()
            if any(roster.in_course(s.pk, lesson.date) for lesson in lessons)
            or (not lessons and roster.in_course(s.pk, min(end, max(start, today))))
        ),
        key=lambda s: (s.last_name, s.first_name, s.middle_name, s.pk),
    )
    rows = []
    # a thousand cells: read each column's keys once, not per student
    keys = [(c, c.lesson.pk, c.work_type.pk, c.part, c.lesson.date) for c in columns]
    for number, student in enumerate(students, start=1):
        student_id = student.pk
        active_on: dict[int, bool] = {}
        cells = []
        for column, lesson_id, work_type_id, part, day in keys:
            active = active_on.get(lesson_id)
            if active is None:
                active = active_on[lesson_id] = roster.in_course(student_id, day)
            cells.append(
                Cell(
                    column,
                    student,
                    active,
                    by_cell.get((lesson_id, work_type_id, part, student_id)),
                    attendance.get((lesson_id, student_id)),
                )
            )
        rows.append(
            Row(
                number=number,
                student=student,
                cells=cells,
                averages=averages_compute(marks_by_student[student.pk], settings),
                period_mark=period_marks.get(student.pk),
                minimum=minimum,
                has_control_work=student.pk in with_control,
            )
        )
    months: list[tuple[dt.date, int]] = []
    for column in columns:
        day = column.lesson.date
        if months and (months[-1][0].year, months[-1][0].month) == (day.year, day.month):
            months[-1] = (months[-1][0], months[-1][1] + 1)
        else:
            months.append((day, 1))
    return Grid(
        group=group,
        subject=subject,
        period=period,
        lessons=lessons,
        columns=columns,
        rows=rows,
        work_types=ordered_types,
        hours_per_week=hours,
        months=months,
    )


def lesson_period_averages(*, lesson: Lesson, student_id: int, settings) -> Averages | None:
    """A row's averages after one of its cells changed: the student's marks of the course
    in the reporting period (of his class's grade) that contains the lesson. One query."""
    from django.db.models import Subquery
    from django.db.models.functions import Coalesce

    from schedule.models import GradeLevel, PeriodKind

    school_class = lesson.school_class
    kind = GradeLevel.objects.filter(
        school=school_class.school_id, year=school_class.year_id, grade=school_class.grade
    ).values("period_kind")[:1]
    period = ReportingPeriod.objects.filter(
        school=school_class.school_id,
        year=school_class.year_id,
        starts_on__lte=lesson.date,
        ends_on__gte=lesson.date,
    ).filter(kind=Coalesce(Subquery(kind), Value(PeriodKind.QUARTER)))
    pairs = list(
        Mark.objects.filter(
            student=student_id,
            lesson__group=lesson.group_id,
            lesson__subject=lesson.subject_id,
            lesson__date__gte=Subquery(period.values("starts_on")[:1]),
            lesson__date__lte=Subquery(period.values("ends_on")[:1]),
            points__isnull=False,
        ).values_list("points", "work_type__weight")
    )
    return averages_compute(pairs, settings)


def student_period_averages(
    *, lesson: Lesson, student_id: int, period: ReportingPeriod, settings
) -> Averages:
    """A row's averages after one of its cells changed (one query)."""
    pairs = Mark.objects.filter(
        student=student_id,
        lesson__group=lesson.group_id,
        lesson__subject=lesson.subject_id,
        lesson__date__range=(period.starts_on, period.ends_on),
        points__isnull=False,
    ).values_list("points", "work_type__weight")
    return averages_compute(list(pairs), settings)
