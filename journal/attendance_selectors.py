"""Reads of the class teacher's attendance pages (R-ATT-1..3): a class's week of absences,
lates and reasons, and last week's reconciliation by subject. Each costs a fixed number of
queries whatever the number of students.

A student belongs to the page for the days he is enrolled in the class; his absences at any
lesson on those days count (a course of another class he is attached to included), those of
other days do not (before a transfer in, after a transfer out)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.models import School, Student
from schedule.models import AcademicYear, Enrolment, Lesson, SchoolClass

from .models import AbsenceReason, Attendance
from .services.cells import ATTENDANCE_TEXT


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Stay:
    """The days a student is in the class during the shown week."""

    student: Student
    ranges: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)

    def covers(self, day: dt.date) -> bool:
        return any(start <= day and (end is None or day <= end) for start, end in self.ranges)


def _class_stays(school_class: SchoolClass, first: dt.date, last: dt.date, student_id=None):
    """{student id: Stay} of the students enrolled in the class on some day from `first` to
    `last`, in the class list's order. One query."""
    enrolments = (
        Enrolment.objects.filter(school_class=school_class, starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .select_related("student")
        .order_by(
            "student__last_name",
            "student__first_name",
            "student__middle_name",
            "student_id",
            "starts_on",
        )
    )
    if student_id is not None:
        enrolments = enrolments.filter(student=student_id)
    stays: dict[int, Stay] = {}
    for enrolment in enrolments:
        stay = stays.setdefault(enrolment.student_id, Stay(enrolment.student))
        stay.ranges.append((enrolment.starts_on, enrolment.ends_on))
    return stays


def _reasons(student_ids, first: dt.date, last: dt.date) -> dict:
    """{(student id, date): AbsenceReason}. One query."""
    return {
        (r.student_id, r.date): r
        for r in AbsenceReason.objects.filter(
            student__in=student_ids, date__range=(first, last)
        ).select_related("set_by")
    }


# ------------------------------------------------------------------ the class's week


@dataclass
class DayCell:
    day: dt.date
    in_class: bool
    school_day: bool  # the class had a lesson, or the student was marked absent
    can_set: bool  # a reason may be recorded (the day has come, the student is in the class)
    absences: list[Attendance] = field(default_factory=list)
    lates: list[Attendance] = field(default_factory=list)
    reason: AbsenceReason | None = None

    @property
    def marks(self) -> list[Attendance]:
        return sorted(self.absences + self.lates, key=lambda a: a.lesson.number)

    @property
    def needs_reason(self) -> bool:
        return bool(self.absences) and self.reason is None

    @property
    def reason_is_valid(self) -> bool:
        return self.reason is not None and self.reason.is_valid


@dataclass
class StudentWeek:
    student: Student
    cells: list[DayCell]
    valid: int = 0  # lessons missed for illness or another valid reason
    invalid: int = 0  # lessons missed without a valid reason
    unexplained: int = 0  # lessons missed on days with no reason recorded yet
    late: int = 0

    @property
    def missed(self) -> int:
        return self.valid + self.invalid + self.unexplained


@dataclass
class ClassWeek:
    school_class: SchoolClass
    monday: dt.date
    days: list[dt.date]
    rows: list[StudentWeek]

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    def total(self, name: str) -> int:
        return sum(getattr(row, name) for row in self.rows)

    @property
    def totals(self) -> dict:
        return {n: self.total(n) for n in ("valid", "invalid", "unexplained", "late", "missed")}


def class_week(
    school_class: SchoolClass, monday: dt.date, today: dt.date, student_id: int | None = None
) -> ClassWeek:
    """The class's students × the days of the week from `monday`: each day's absences and
    lates by lesson and the reason recorded; totals per student. Four queries: the
    enrolments, the class's lesson days, the attendance marks, the reasons. With
    `student_id`, the one student's row (for an htmx answer)."""
    sunday = monday + dt.timedelta(days=6)
    stays = _class_stays(school_class, monday, sunday, student_id)
    lesson_days = set(
        Lesson.objects.filter(
            school_class=school_class, date__range=(monday, sunday), is_cancelled=False
        )
        .order_by()
        .values_list("date", flat=True)
        .distinct()
    )
    marks = defaultdict(list)
    for row in (
        Attendance.objects.filter(student__in=list(stays), lesson__date__range=(monday, sunday))
        .select_related("lesson__subject")
        .order_by("lesson__date", "lesson__number", "pk")
    ):
        if stays[row.student_id].covers(row.lesson.date):
            row.text = ATTENDANCE_TEXT.get(row.kind, "")
            marks[row.student_id, row.lesson.date].append(row)
    reasons = _reasons(list(stays), monday, sunday)

    saturday = monday + dt.timedelta(days=5)
    has_saturday = saturday in lesson_days or any(day == saturday for _, day in marks)
    days = [monday + dt.timedelta(days=n) for n in range(6 if has_saturday else 5)]
    rows = []
    for student_id_, stay in stays.items():
        cells, row = [], StudentWeek(stay.student, [])
        for day in days:
            in_class = stay.covers(day)
            day_marks = marks.get((student_id_, day), [])
            cell = DayCell(
                day=day,
                in_class=in_class,
                school_day=day in lesson_days or bool(day_marks),
                can_set=in_class and day <= today,
                absences=[a for a in day_marks if a.kind == Attendance.Kind.ABSENT],
                lates=[a for a in day_marks if a.kind == Attendance.Kind.LATE],
                reason=reasons.get((student_id_, day)) if in_class else None,
            )
            missed = len(cell.absences)
            if cell.reason is None:
                row.unexplained += missed
            elif cell.reason.is_valid:
                row.valid += missed
            else:
                row.invalid += missed
            row.late += len(cell.lates)
            cells.append(cell)
        row.cells = cells
        rows.append(row)
    return ClassWeek(school_class=school_class, monday=monday, days=days, rows=rows)


# ------------------------------------------------------------------ the weekly reconciliation


@dataclass
class ReconciliationRow:
    mark: Attendance  # with its lesson, subject, teachers, student and who entered it
    reason: AbsenceReason | None

    @property
    def text(self) -> str:
        return ATTENDANCE_TEXT.get(self.mark.kind, "")

    @property
    def changed(self) -> bool:
        return self.mark.version > 1 or self.mark.updated_by_id != self.mark.created_by_id


@dataclass
class SubjectBlock:
    subject: object
    rows: list[ReconciliationRow] = field(default_factory=list)
    absent: int = 0
    late: int = 0
    unexplained: int = 0  # absences on days without a reason

    @property
    def teachers(self) -> list:
        seen = {}
        for row in self.rows:
            lesson = row.mark.lesson
            teacher = lesson.substitute or lesson.teacher
            seen.setdefault(teacher.pk, teacher)
        return list(seen.values())


@dataclass
class MissingReason:
    student: Student
    day: dt.date
    lessons: list[Attendance]


@dataclass
class Reconciliation:
    school_class: SchoolClass
    monday: dt.date
    subjects: list[SubjectBlock]
    missing: list[MissingReason]

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def absent(self) -> int:
        return sum(block.absent for block in self.subjects)

    @property
    def late(self) -> int:
        return sum(block.late for block in self.subjects)


def class_reconciliation(school_class: SchoolClass, monday: dt.date) -> Reconciliation:
    """The week's absences and lates of the class's students by subject, each with its
    lesson, the teacher, who marked it and when (and who changed it), and the day's reason;
    and the days with absences but no reason yet. Three queries: the enrolments, the
    attendance marks with their people, the reasons."""
    sunday = monday + dt.timedelta(days=6)
    stays = _class_stays(school_class, monday, sunday)
    marks = [
        row
        for row in Attendance.objects.filter(
            student__in=list(stays), lesson__date__range=(monday, sunday)
        )
        .select_related(
            "lesson__subject",
            "lesson__teacher",
            "lesson__substitute",
            "lesson__group",
            "created_by",
            "updated_by",
        )
        .order_by("lesson__subject__name", "lesson__date", "lesson__number", "pk")
        if stays[row.student_id].covers(row.lesson.date)
    ]
    reasons = _reasons(list(stays), monday, sunday)

    blocks: dict[int, SubjectBlock] = {}
    missing: dict[tuple, MissingReason] = {}
    order = {student_id: n for n, student_id in enumerate(stays)}
    for mark in marks:
        mark.student = stays[mark.student_id].student
        reason = reasons.get((mark.student_id, mark.lesson.date))
        block = blocks.setdefault(mark.lesson.subject_id, SubjectBlock(mark.lesson.subject))
        block.rows.append(ReconciliationRow(mark, reason))
        if mark.kind == Attendance.Kind.LATE:
            block.late += 1
            continue
        block.absent += 1
        if reason is None:
            block.unexplained += 1
            key = (mark.lesson.date, order[mark.student_id])
            missing.setdefault(key, MissingReason(mark.student, mark.lesson.date, []))
            missing[key].lessons.append(mark)
    for block in blocks.values():
        block.rows.sort(
            key=lambda r: (r.mark.lesson.date, r.mark.lesson.number, order[r.mark.student_id])
        )
    for item in missing.values():
        item.lessons.sort(key=lambda a: a.lesson.number)
    return Reconciliation(
        school_class=school_class,
        monday=monday,
        subjects=list(blocks.values()),
        missing=[missing[key] for key in sorted(missing)],
    )


# ------------------------------------------------------------------ the way in


def attendance_classes(school: School, user, year: AcademicYear | None, every_class: bool):
    """The classes of the year whose attendance the user keeps: all of them for the
    leadership, his own for a class teacher. One query."""
    if year is None:
        return []
    classes = SchoolClass.objects.filter(school=school, year=year).select_related("class_teacher")
    if not every_class:
        classes = classes.filter(class_teacher=user)
    return list(classes.order_by("grade", "letter"))
