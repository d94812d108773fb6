"""Reads of the reports (R-NOT-1, R-NOT-2): what a class's students did in a range of dates,
per subject — the lessons held, the marks (date, value, work type), the simple and weighted
averages (R-MRK-7), absences and lates, and the weighted average of the current reporting
period so far.

`class_reports` reads the whole class in a fixed number of queries, whatever the number of
students, lessons and marks: the periods of the class's grade, the enrolments, the subgroup
memberships, the individual curricula, the lessons, the marks and the attendance (and the
school's settings when they are not cached on the class's school). The per-student split
is done here, in Python, with the rules of schedule.timetable_selectors.student_lessons:
a student's lessons are his class's lessons on the days he is enrolled in it, for the whole
class or a subgroup he is a member of that day, without the courses he is exempted from and
with the courses he is attached to.

R-ROLE-2: every row read carries its student's id and goes only into that student's
report; nothing of another child ever reaches a report."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from accounts.models import SchoolSettings, Student
from journal.averages import EMPTY, Averages, averages_compute
from journal.models import Attendance, Mark
from schedule.control_selectors import grade_periods
from schedule.models import (
    Enrolment,
    GroupMembership,
    IndividualCurriculum,
    Lesson,
    ReportingPeriod,
    SchoolClass,
)

Ranges = list[tuple[dt.date, dt.date | None]]


def _covers(ranges: Ranges, day: dt.date) -> bool:
    return any(start <= day and (end is None or day <= end) for start, end in ranges)


def _overlapping(first: dt.date, last: dt.date) -> Q:
    return Q(starts_on__lte=last) & (Q(ends_on__isnull=True) | Q(ends_on__gte=first))


@dataclass(frozen=True)
class ReportMark:
    date: dt.date
    value: str
    work_type: str
    weight: Decimal
    points: int | None = None


@dataclass
class SubjectReport:
    subject_id: int
    name: str
    lessons: int = 0  # lessons of the student held in the range (not cancelled, begun)
    marks: list[ReportMark] = field(default_factory=list)
    averages: Averages = EMPTY  # of the range's marks
    period_averages: Averages = EMPTY  # of the current period's marks up to the range's end
    absent: int = 0
    late: int = 0

    @property
    def marks_text(self) -> str:
        return " ".join(m.value for m in self.marks)


@dataclass
class StudentReport:
    student: Student
    school_class: SchoolClass
    first: dt.date
    last: dt.date
    period: ReportingPeriod | None
    subjects: list[SubjectReport] = field(default_factory=list)

    @property
    def lessons(self) -> int:
        return sum(s.lessons for s in self.subjects)

    @property
    def marks(self) -> int:
        return sum(len(s.marks) for s in self.subjects)

    @property
    def absent(self) -> int:
        return sum(s.absent for s in self.subjects)

    @property
    def late(self) -> int:
        return sum(s.late for s in self.subjects)

    # over every mark of the range, all subjects together
    overall: Averages = EMPTY


@dataclass
class _Curricula:
    """A student's individual curricula, by course (group, subject)."""

    attached: dict[tuple[int, int], Ranges] = field(default_factory=lambda: defaultdict(list))
    exempt: dict[tuple[int, int], Ranges] = field(default_factory=lambda: defaultdict(list))


def _attends(stay: Ranges, plan: "_Curricula | None", members, lesson) -> bool:
    """Whether the student attends the lesson (student_lessons' rule, on the rows read):
    attached to its course that day, or in the class that day and, for a subgroup's
    lesson, a member of the subgroup, and not exempted from the course."""
    student_id, day, group_id, whole, of_class, subject_id = lesson
    if not _covers(stay, day):
        return False
    course = (group_id, subject_id)
    if plan is not None and _covers(plan.attached.get(course, ()), day):
        return True
    if not of_class:
        return False
    if not whole and not _covers(members.get((student_id, group_id), ()), day):
        return False
    return plan is None or not _covers(plan.exempt.get(course, ()), day)


def current_period(periods: list[ReportingPeriod], day: dt.date) -> ReportingPeriod | None:
    """The period containing `day`, else the last one that ended before it (the vacation
    after a period reports on that period)."""
    before = None
    for period in periods:
        if period.starts_on <= day <= period.ends_on:
            return period
        if period.ends_on < day:
            before = period
    return before


def class_reports(
    school_class: SchoolClass,
    first: dt.date,
    last: dt.date,
    *,
    students: Iterable[int] | None = None,
    now: dt.datetime | None = None,
    settings: SchoolSettings | None = None,
) -> list[StudentReport]:
    """The report of every student enrolled in the class on some day from `first` to `last`
    (or of those among `students`, ids), in the class list's order. A lesson counts as held
    when it is not cancelled and has begun by `now` (default: the present), in the school's
    local time. Seven queries (eight without cached settings), see the module's doc."""
    school = school_class.school
    settings = settings or school.settings
    local = school.local(now or timezone.now())
    today, time_now = local.date(), local.time()
    period = current_period(grade_periods(school_class), last)

    # 1. who: the enrolments in the class overlapping the range
    enrolments = (
        Enrolment.objects.filter(school_class=school_class)
        .filter(_overlapping(first, last))
        .select_related("student")
        .order_by(
            "student__last_name",
            "student__first_name",
            "student__middle_name",
            "student_id",
            "starts_on",
        )
    )
    if students is not None:
        enrolments = enrolments.filter(student__in=list(students))
    who: dict[int, Student] = {}
    stays: dict[int, Ranges] = defaultdict(list)
    for enrolment in enrolments:
        who.setdefault(enrolment.student_id, enrolment.student)
        stays[enrolment.student_id].append((enrolment.starts_on, enrolment.ends_on))
    if not who:
        return []
    ids = list(who)

    # 2. subgroups of the class the students are members of
    members: dict[tuple[int, int], Ranges] = defaultdict(list)
    for student_id, group_id, starts_on, ends_on in (
        GroupMembership.objects.filter(student__in=ids, group__school_class=school_class)
        .filter(_overlapping(first, last))
        .values_list("student_id", "group_id", "starts_on", "ends_on")
    ):
        members[(student_id, group_id)].append((starts_on, ends_on))

    # 3. individual curricula: courses attached (maybe of another class) or exempted from
    curricula: dict[int, _Curricula] = defaultdict(_Curricula)
    attached_groups: set[int] = set()
    for student_id, kind, group_id, subject_id, starts_on, ends_on in (
        IndividualCurriculum.objects.filter(student__in=ids)
        .filter(_overlapping(first, last))
        .values_list("student_id", "kind", "group_id", "subject_id", "starts_on", "ends_on")
    ):
        target = curricula[student_id]
        if kind == IndividualCurriculum.Kind.ATTACH:
            target.attached[(group_id, subject_id)].append((starts_on, ends_on))
            attached_groups.add(group_id)
        else:
            target.exempt[(group_id, subject_id)].append((starts_on, ends_on))

    # 4. the lessons of the class (and of the courses attached) in the range
    lessons = (
        Lesson.objects.filter(school=school_class.school_id, date__range=(first, last))
        .filter(Q(school_class=school_class) | Q(group__in=attached_groups))
        .order_by("date", "starts_at", "number")
        .values_list(
            "date",
            "starts_at",
            "group_id",
            "group__is_whole_class",
            "school_class_id",
            "subject_id",
            "subject__name",
            "is_cancelled",
        )
    )
    by_student: dict[int, dict[int, SubjectReport]] = {sid: {} for sid in ids}

    def subject_of(student_id: int, subject_id: int, name: str) -> SubjectReport:
        rows = by_student[student_id]
        row = rows.get(subject_id)
        if row is None:
            row = rows[subject_id] = SubjectReport(subject_id, name)
        return row

    for day, starts_at, group_id, whole, class_id, subject_id, name, cancelled in lessons:
        held = not cancelled and (day < today or (day == today and starts_at <= time_now))
        for student_id in ids:
            if not _attends(
                stays[student_id],
                curricula.get(student_id),
                members,
                (student_id, day, group_id, whole, class_id == school_class.pk, subject_id),
            ):
                continue
            row = subject_of(student_id, subject_id, name)
            row.lessons += held

    # 5. the marks of the range and of the current period up to the range's end
    since = (
        min(first, period.starts_on) if period is not None and period.starts_on <= last else first
    )
    period_pairs: dict[tuple[int, int], list] = defaultdict(list)
    range_pairs: dict[tuple[int, int], list] = defaultdict(list)
    everything: dict[int, list] = defaultdict(list)
    for student_id, day, subject_id, name, value, points, work_type, weight in (
        Mark.objects.filter(
            school=school_class.school_id, student__in=ids, lesson__date__range=(since, last)
        )
        .order_by("lesson__date", "lesson__number", "work_type__position", "part", "pk")
        .values_list(
            "student_id",
            "lesson__date",
            "lesson__subject_id",
            "lesson__subject__name",
            "value",
            "points",
            "work_type__name",
            "work_type__weight",
        )
    ):
        if period is not None and period.starts_on <= day <= period.ends_on and points is not None:
            period_pairs[(student_id, subject_id)].append((points, weight))
        if day < first or not _covers(stays[student_id], day):
            continue
        subject_of(student_id, subject_id, name).marks.append(
            ReportMark(day, value, work_type, weight, points)
        )
        if points is not None:
            range_pairs[(student_id, subject_id)].append((points, weight))
            everything[student_id].append((points, weight))

    # 6. absences and lates confirmed by the teacher (a parent's notice awaiting him is not)
    for student_id, day, subject_id, name, kind in (
        Attendance.objects.filter(
            school=school_class.school_id,
            student__in=ids,
            lesson__date__range=(first, last),
            pending=False,
        )
        .order_by()
        .values_list(
            "student_id", "lesson__date", "lesson__subject_id", "lesson__subject__name", "kind"
        )
    ):
        if not _covers(stays[student_id], day):
            continue
        row = subject_of(student_id, subject_id, name)
        if kind == Attendance.Kind.ABSENT:
            row.absent += 1
        else:
            row.late += 1

    reports = []
    for student_id, student in who.items():
        subjects = sorted(by_student[student_id].values(), key=lambda r: (r.name, r.subject_id))
        for row in subjects:
            key = (student_id, row.subject_id)
            row.averages = averages_compute(range_pairs.get(key, ()), settings)
            row.period_averages = averages_compute(period_pairs.get(key, ()), settings)
        report = StudentReport(
            student=student,
            school_class=school_class,
            first=first,
            last=last,
            period=period,
            subjects=subjects,
            overall=averages_compute(everything.get(student_id, ()), settings),
        )
        reports.append(report)
    return reports
