"""Reads of the diary (R-ROLE-2, R-LES-2, R-MRK-7, R-MRK-8, R-ATT-4): one student's week of
lessons with the homework due, his marks and absences; his marks by subject over a
reporting period with the averages and the forecast; his attendance over a period. Each is
a fixed number of queries, whatever the number of lessons and marks. Nothing here reads
another student's rows: every query is filtered by the one student."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import SchoolSettings, Student
from journal.averages import EMPTY, Averages, averages_compute, forecast_visible
from journal.models import AbsenceReason, Attendance, FinalKind, LessonRecord, Mark, PeriodMark
from schedule.models import Enrolment, IndividualCurriculum, Lesson, ReportingPeriod
from schedule.timetable_selectors import student_lessons

# --- the week -------------------------------------------------------------------------------


@dataclass
class DueFile:
    pk: int
    name: str
    size: int


@dataclass
class DueHomework:
    """The homework given at the course's previous lesson held, due at this one (R-LES-2)."""

    given_on: dt.date
    text: str
    pages: str
    exercises: str
    files: list[DueFile] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.pages or self.exercises or self.files)


@dataclass
class DiaryLesson:
    """One lesson of the week as the diary shows it: read as plain values (a lesson with
    its subject, teachers, room and record as models would cost the page a third more)."""

    pk: int
    date: dt.date
    number: int
    starts_at: dt.time
    ends_at: dt.time
    subject: str
    teacher: str  # the short name of the lesson's own teacher
    substitute: str = ""  # the short name of the replacement teacher (R-TT-3)
    room: str = ""
    is_cancelled: bool = False
    control_work: str = ""
    topic: str = ""
    topic_planned: bool = False  # put by the lesson plan, not confirmed by the teacher yet
    homework: DueHomework | None = None
    marks: list[Mark] = field(default_factory=list)
    attendance: str = ""  # Attendance.Kind or ""
    pending: bool = False  # an absence from a parent's notice the teacher has not confirmed


@dataclass
class DiaryDay:
    date: dt.date
    lessons: list[DiaryLesson]


def _previous_held() -> Subquery:
    """The course's (group × subject) previous lesson that took place, as
    journal.lesson_selectors.previous_lesson_ids finds it, as a correlated subquery."""
    earlier = (
        Lesson.objects.filter(
            group=OuterRef("group"), subject=OuterRef("subject"), is_cancelled=False
        )
        .filter(
            Q(date__lt=OuterRef("date")) | Q(date=OuterRef("date"), number__lt=OuterRef("number"))
        )
        .order_by("-date", "-number")
        .values("pk")[:1]
    )
    return Subquery(earlier)


def _his_classes_or_courses(student: Student) -> Q:
    """A superset of the student's lessons that PostgreSQL finds by two uncorrelated
    subqueries, before student_lessons' per-lesson checks: the lessons of the classes he
    was ever in and of the groups he is attached to. The school's other lessons of the
    week are not checked one by one (a tenth of the time on a school of 300)."""
    classes = Enrolment.objects.filter(student=student).values("school_class")
    attached = IndividualCurriculum.objects.filter(
        student=student, kind=IndividualCurriculum.Kind.ATTACH
    ).values("group")
    return Q(school_class__in=classes) | Q(group__in=attached)


def _homework_of(record_ids: set[int]) -> dict[int, DueHomework]:
    """Lesson id → the homework given at it, with its files; lessons whose record holds no
    homework are left out. One query: a row per file (or one row without a file)."""
    if not record_ids:
        return {}
    rows = (
        LessonRecord.objects.filter(lesson__in=record_ids)
        .order_by("lesson_id", "files__uploaded_at", "files__pk")
        .values_list(
            "lesson_id",
            "lesson__date",
            "homework",
            "homework_pages",
            "homework_exercises",
            "files__pk",
            "files__name",
            "files__size",
        )
    )
    found: dict[int, DueHomework] = {}
    for lesson_id, date, text, pages, exercises, file_id, name, size in rows:
        homework = found.get(lesson_id)
        if homework is None:
            homework = found[lesson_id] = DueHomework(date, text, pages, exercises)
        if file_id is not None:
            homework.files.append(DueFile(file_id, name, size))
    return {pk: hw for pk, hw in found.items() if not hw.is_empty}


def short_name(last: str | None, first: str | None, middle: str | None) -> str:
    """accounts.User.short_name from the column values: "Иванова А. П."."""
    if not last and not first:
        return ""
    initials = "".join(f"{p[0]}." for p in (first, middle) if p)
    return f"{last or ''} {initials}".strip()


WEEK_COLUMNS = (
    "pk",
    "date",
    "number",
    "starts_at",
    "ends_at",
    "is_cancelled",
    "control_work",
    "subject__name",
    "teacher__last_name",
    "teacher__first_name",
    "teacher__middle_name",
    "substitute__last_name",
    "substitute__first_name",
    "substitute__middle_name",
    "room__number",
    "record__topic",
    "record__topic_confirmed",
    "record__plan_item_id",
    "previous_id",
    "attendance_kind",
    "attendance_pending",
)


def diary_week(student: Student, monday: dt.date) -> list[DiaryDay]:
    """The student's lessons from Monday to Saturday by day (Saturday only when he has
    lessons on it): each with its topic, the homework due, his marks and his absence or
    lateness. Three queries: the lessons with their records, his attendance and the id of
    the course's previous lesson held; the homework given at those; his marks."""
    saturday = monday + dt.timedelta(days=5)
    attendance = Attendance.objects.filter(lesson=OuterRef("pk"), student=student)
    rows = list(
        student_lessons(student, monday, saturday)
        .filter(_his_classes_or_courses(student))
        .annotate(
            previous_id=_previous_held(),
            attendance_kind=Subquery(attendance.values("kind")[:1]),
            attendance_pending=Subquery(attendance.values("pending")[:1]),
        )
        .order_by("date", "starts_at", "number", "pk")
        .values_list(*WEEK_COLUMNS)
    )
    due = _homework_of({row[18] for row in rows if row[18] and not row[5]})
    marks: dict[int, list[Mark]] = defaultdict(list)
    if rows:
        for mark in (
            Mark.objects.filter(
                school=student.school_id, student=student, lesson__in=[row[0] for row in rows]
            )
            .select_related("work_type")
            .order_by("lesson_id", "work_type__position", "work_type__name", "part")
        ):
            marks[mark.lesson_id].append(mark)
    by_day: dict[dt.date, list[DiaryLesson]] = {monday + dt.timedelta(days=n): [] for n in range(6)}
    for (
        pk,
        date,
        number,
        starts_at,
        ends_at,
        cancelled,
        control_work,
        subject,
        t_last,
        t_first,
        t_middle,
        s_last,
        s_first,
        s_middle,
        room,
        topic,
        confirmed,
        plan_item,
        previous_id,
        kind,
        pending,
    ) in rows:
        by_day[date].append(
            DiaryLesson(
                pk=pk,
                date=date,
                number=number,
                starts_at=starts_at,
                ends_at=ends_at,
                subject=subject,
                teacher=short_name(t_last, t_first, t_middle),
                substitute=short_name(s_last, s_first, s_middle),
                room=room or "",
                is_cancelled=cancelled,
                control_work=control_work,
                topic=topic or "",
                topic_planned=bool(topic and plan_item and not confirmed),
                homework=None if cancelled else due.get(previous_id),
                marks=marks.get(pk, []),
                attendance=kind or "",
                pending=bool(pending),
            )
        )
    if not by_day[saturday]:
        del by_day[saturday]
    return [DiaryDay(day, day_lessons) for day, day_lessons in by_day.items()]


# --- marks over a period ------------------------------------------------------------------


@dataclass
class SubjectMarks:
    subject_id: int
    name: str
    marks: list[Mark] = field(default_factory=list)
    averages: Averages = EMPTY
    period_mark: PeriodMark | None = None
    finals: list[PeriodMark] = field(default_factory=list)  # year, exam, final


@dataclass
class PeriodMarks:
    subjects: list[SubjectMarks]
    forecast_shown: bool
    forecast_from: dt.date | None


FINAL_ORDER = {FinalKind.YEAR: 0, FinalKind.EXAM: 1, FinalKind.FINAL: 2}


def _period_subjects(student: Student, start: dt.date, end: dt.date) -> list[tuple[int, str]]:
    """The subjects of the lessons the student attends in the dates (one query)."""
    return list(
        student_lessons(student, start, end)
        .order_by()
        .values_list("subject_id", "subject__name")
        .distinct()
    )


def period_marks(
    student: Student,
    *,
    start: dt.date,
    end: dt.date,
    year_id: int | None,
    period: ReportingPeriod | None,
    settings: SchoolSettings,
    today: dt.date,
) -> PeriodMarks:
    """Per subject of the student in the dates: every current mark with its date and work
    type, the simple and weighted average (R-MRK-7), the forecast of the period mark
    (R-MRK-8; shown from `forecast_days_before_end` days before the period ends), the
    period mark and the year, exam and final marks when set. Three queries: the subjects,
    the marks, the period and final marks."""
    subjects: dict[int, SubjectMarks] = {
        pk: SubjectMarks(pk, name) for pk, name in _period_subjects(student, start, end)
    }
    for mark in (
        Mark.objects.filter(
            school=student.school_id, student=student, lesson__date__range=(start, end)
        )
        .select_related("work_type", "lesson__subject")
        .order_by("lesson__date", "lesson__number", "work_type__position", "part")
    ):
        subject = mark.lesson.subject
        row = subjects.get(subject.pk)
        if row is None:
            row = subjects[subject.pk] = SubjectMarks(subject.pk, subject.name)
        row.marks.append(mark)
    if year_id is not None:
        finals = PeriodMark.objects.filter(school=student.school_id, student=student, year=year_id)
        if period is not None:
            finals = finals.filter(Q(period=period) | ~Q(kind=FinalKind.PERIOD))
        else:
            finals = finals.exclude(kind=FinalKind.PERIOD)
        for mark in finals.select_related("subject"):
            row = subjects.get(mark.subject_id)
            if row is None:
                row = subjects[mark.subject_id] = SubjectMarks(mark.subject_id, mark.subject.name)
            if mark.kind == FinalKind.PERIOD:
                row.period_mark = mark
            else:
                row.finals.append(mark)
    for row in subjects.values():
        row.averages = averages_compute(
            [(m.points, m.work_type.weight) for m in row.marks if m.points is not None],
            settings,
        )
        row.finals.sort(key=lambda m: FINAL_ORDER.get(m.kind, 9))
    shown, since = False, None
    if period is not None:
        shown = forecast_visible(settings, period.ends_on, today)
        since = period.ends_on - dt.timedelta(days=settings.forecast_days_before_end)
    return PeriodMarks(
        subjects=sorted(subjects.values(), key=lambda r: r.name),
        forecast_shown=shown,
        forecast_from=since,
    )


# --- attendance over a period -------------------------------------------------------------


@dataclass
class SubjectAttendance:
    name: str
    held: int = 0  # lessons of the subject that have begun, not cancelled
    absent: int = 0
    late: int = 0
    pending: int = 0


@dataclass
class AttendanceDay:
    date: dt.date
    absent: list[Attendance] = field(default_factory=list)
    late: list[Attendance] = field(default_factory=list)
    pending: list[Attendance] = field(default_factory=list)
    reason: AbsenceReason | None = None


@dataclass
class PeriodAttendance:
    subjects: list[SubjectAttendance]
    days: list[AttendanceDay]

    @property
    def held(self) -> int:
        return sum(s.held for s in self.subjects)

    @property
    def absent(self) -> int:
        return sum(s.absent for s in self.subjects)

    @property
    def late(self) -> int:
        return sum(s.late for s in self.subjects)

    @property
    def pending(self) -> int:
        return sum(s.pending for s in self.subjects)


def period_attendance(
    student: Student, *, start: dt.date, end: dt.date, now_local: dt.datetime
) -> PeriodAttendance:
    """The student's absences and latenesses in the dates, per subject (with the lessons of
    the subject held so far) and per day with the day's reason set by the class teacher
    (R-ATT-3). An absence from a parent's notice that the teacher has not confirmed yet
    (R-ATT-4) is counted apart. Three queries: the lessons held, the attendance, the
    reasons."""
    today, time_now = now_local.date(), now_local.time()
    subjects: dict[int, SubjectAttendance] = {}
    begun = Q(date__lt=today) | Q(date=today, starts_at__lte=time_now)
    for subject_id, name, held in (
        student_lessons(student, start, end)
        .order_by()
        .values("subject_id", "subject__name")
        .annotate(held=Count("pk", filter=begun & Q(is_cancelled=False)))
        .values_list("subject_id", "subject__name", "held")
    ):
        subjects[subject_id] = SubjectAttendance(name, held)
    days: dict[dt.date, AttendanceDay] = {}
    for mark in (
        Attendance.objects.filter(
            school=student.school_id, student=student, lesson__date__range=(start, end)
        )
        .select_related("lesson__subject")
        .order_by("lesson__date", "lesson__starts_at", "lesson__number")
    ):
        subject = mark.lesson.subject
        row = subjects.get(subject.pk)
        if row is None:
            row = subjects[subject.pk] = SubjectAttendance(subject.name)
        day = days.get(mark.lesson.date)
        if day is None:
            day = days[mark.lesson.date] = AttendanceDay(mark.lesson.date)
        if mark.pending:
            row.pending += 1
            day.pending.append(mark)
        elif mark.kind == Attendance.Kind.ABSENT:
            row.absent += 1
            day.absent.append(mark)
        else:
            row.late += 1
            day.late.append(mark)
    if days:
        for reason in AbsenceReason.objects.filter(
            school=student.school_id, student=student, date__in=list(days)
        ):
            days[reason.date].reason = reason
    return PeriodAttendance(
        subjects=sorted(subjects.values(), key=lambda s: s.name),
        days=sorted(days.values(), key=lambda d: d.date),
    )


def school_now(school) -> dt.datetime:
    return school.local(timezone.now())
