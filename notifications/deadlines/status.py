"""The deputy's deadline status of a day (R-ATT-1, R-ATT-3, R-MRK-5, R-FIN-1): each deadline
of the day with its local time and how its job ran, and, per class and per teacher, whether
what was due was done in time, late, or not at all.

- First lesson's register (R-ATT-1), per class: its first lessons (the earliest
  non-cancelled ones of the day; two group lessons at that time are both first) that began
  by the deadline — a second-shift class is not concerned, as in the job. Taken: the
  register's check (`AttendanceCheck.taken_at`), else the first absence or lateness the
  teacher entered (a pre-filled absence counts when he confirmed it). Done by the deadline,
  late after it, missing when not taken and the deadline has passed.
- Absence reasons (R-ATT-3), per class: the students absent at the day's lessons as entered
  by the deadline (the 10:00 check asks about those); `AbsenceReason.set_at` against it.
  Absences entered later are counted apart: the weekly reconciliation takes them.
- Lessons' topic, register and homework (R-MRK-5, R-LES-2), per teacher: from the findings
  of the day's LESSON_CONTENT run: a lesson with a finding still open is missing, one whose
  findings were all put right since is late, the others were done in time.
- Period marks (R-FIN-1), per teacher and course: from the findings of the latest
  PERIOD_MARKS run of the last month: students still without a mark are missing, those
  given one since are late.

Queries, whatever the number of classes, teachers and lessons: the calendar (3), the periods
(1), the runs (1), the day's lessons (1), the absences (1), the findings (1) and what was
put right of them (up to 5, findings.findings_open)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import School
from journal.models import AbsenceReason, Attendance
from schedule.models import Lesson

from ..models import DeadlineFinding, DeadlineKind, DeadlineRun
from . import engine
from .calendar import calendars_load
from .findings import findings_open
from .rules import deadlines_of_day, periods_near

K = DeadlineKind
What = DeadlineFinding.What

# states of an item (a class's register, a teacher's lessons...)
DONE, LATE, MISSING, PENDING, NONE = "done", "late", "missing", "pending", "none"
# how much worse each state is: the worst item gives a class or a teacher its state
SEVERITY = {NONE: 0, DONE: 1, PENDING: 2, LATE: 3, MISSING: 4}

# states of a deadline's run
NOT_YET = "not_yet"  # its time has not come
WAITING = "waiting"  # passed, the dispatcher has not run it yet, or it is queued
RUN_DONE = "done"  # ran on time
RUN_LATE = "late"  # ran late (a catch-up run after downtime)
RUN_ERROR = "error"  # failed (it will be retried, or was given up)
NOT_RUN = "not_run"  # a past day: never ran (switched off, no job, the beat was down)

PERIOD_MARKS_WITHIN = dt.timedelta(days=31)

STATE_LABELS = {
    DONE: _("done in time"),
    LATE: _("done late"),
    MISSING: _("not done"),
    PENDING: _("deadline not yet"),
    NONE: "—",
}


def state_label(state: str) -> str:
    return STATE_LABELS[state]


def worst(states) -> str:
    return max(states, key=SEVERITY.__getitem__, default=NONE)


@dataclass
class Deadline:
    kind: str
    label: str
    at: dt.time  # local
    state: str
    finished_at: dt.datetime | None = None  # local
    error: str = ""
    notices: int = 0
    attempts: int = 0


@dataclass
class FirstLesson:
    lesson_id: int
    number: int
    starts_at: dt.time
    subject: str
    group: str  # empty for the whole class
    teacher_id: int
    teacher: str
    class_name: str
    taken_at: dt.datetime | None  # local
    state: str

    @property
    def state_label(self) -> str:
        return state_label(self.state)


@dataclass
class Reasons:
    state: str = NONE
    absent: int = 0  # students absent as entered by the deadline
    done: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0
    after_deadline: int = 0  # absences entered after the deadline, not counted

    @property
    def state_label(self) -> str:
        return state_label(self.state)


@dataclass
class ClassStatus:
    pk: int
    name: str
    first_lessons: list[FirstLesson] = field(default_factory=list)
    attendance: str = NONE
    reasons: Reasons = field(default_factory=Reasons)

    @property
    def attendance_label(self) -> str:
        return state_label(self.attendance)


@dataclass
class LessonItem:
    lesson_id: int
    number: int
    course: str
    subject: str
    missing: list[str]  # What values still open (or put right late)
    state: str

    @property
    def missing_labels(self) -> str:
        return ", ".join(str(What(w).label) for w in dict.fromkeys(self.missing))


@dataclass
class CourseMarks:
    course: str
    subject: str
    period: str
    missing: int = 0
    late: int = 0

    @property
    def state(self) -> str:
        return MISSING if self.missing else LATE

    @property
    def state_label(self) -> str:
        return state_label(self.state)


@dataclass
class TeacherStatus:
    pk: int
    name: str
    first_lessons: list[FirstLesson] = field(default_factory=list)
    lessons: int = 0  # conducted by the lessons' deadline
    lessons_done: int = 0
    lessons_late: list[LessonItem] = field(default_factory=list)
    lessons_missing: list[LessonItem] = field(default_factory=list)
    lessons_checked: bool = False  # the LESSON_CONTENT job has run
    # the state of lessons not checked: pending before the check, none when it never ran
    unchecked: str = PENDING
    courses: list[CourseMarks] = field(default_factory=list)

    @property
    def attendance(self) -> str:
        return worst(f.state for f in self.first_lessons)

    @property
    def lessons_state(self) -> str:
        if not self.lessons and not self.lessons_late and not self.lessons_missing:
            return NONE
        if not self.lessons_checked:
            return self.unchecked
        if self.lessons_missing:
            return MISSING
        return LATE if self.lessons_late else DONE

    @property
    def period_marks(self) -> str:
        return worst(c.state for c in self.courses)

    @property
    def attendance_label(self) -> str:
        return state_label(self.attendance)

    @property
    def lessons_label(self) -> str:
        return state_label(self.lessons_state)

    @property
    def period_marks_label(self) -> str:
        return state_label(self.period_marks)


@dataclass
class DayStatus:
    school: School
    day: dt.date
    now: dt.datetime  # local
    is_school_day: bool
    deadlines: list[Deadline]
    classes: list[ClassStatus]
    teachers: list[TeacherStatus]
    attendance_deadline: dt.time
    reasons_deadline: dt.time
    lessons_deadline: dt.time
    lessons_run: Deadline | None = None
    period_marks_run: DeadlineRun | None = None


def _name(last, first, middle="") -> str:
    initials = "".join(f"{p[0]}." for p in (first, middle) if p)
    return f"{last or ''} {initials}".strip()


def _class_name(grade, letter) -> str:
    return f"{grade}{letter}"


def _local(school: School, moment: dt.datetime | None) -> dt.datetime | None:
    return school.local(moment) if moment else None


def _deadlines(school, settings, calendar, day, periods, runs, now) -> list[Deadline]:
    by_kind = {r.kind: r for r in runs if r.date == day}
    found: list[Deadline] = []
    due = deadlines_of_day(settings, calendar, day, periods)
    at_of = {d.kind: d.at for d in due}
    # runs of kinds no longer due (the settings changed since) are shown too
    for run in by_kind.values():
        if run.kind not in at_of:
            at_of[run.kind] = school.local(run.due_at).time()
    for kind, at in sorted(at_of.items(), key=lambda item: (item[1], K.values.index(item[0]))):
        moment = dt.datetime.combine(day, at, tzinfo=school.tz)
        line = Deadline(kind=kind, label=str(K(kind).label), at=at, state=NOT_YET)
        run = by_kind.get(kind)
        if run is not None:
            line.attempts, line.notices, line.error = run.attempts, run.notices, run.error
            if run.finished_at:
                line.state = RUN_LATE if run.late else RUN_DONE
                line.finished_at = school.local(run.finished_at)
            elif run.error:
                line.state = RUN_ERROR
            else:
                line.state = WAITING
        elif moment > now:
            line.state = NOT_YET
        elif day == school.local(now).date() and kind in engine.JOBS:
            line.state = WAITING
        else:
            line.state = NOT_RUN
        found.append(line)
    return found


def _lessons(school, day):
    """The day's non-cancelled lessons with their class, course, acting teacher and when
    their register was taken (one query)."""
    confirmed = Attendance.objects.filter(lesson=OuterRef("pk"), pending=False)
    entered = (
        confirmed.filter(notice__isnull=True)
        .order_by()
        .values("lesson")
        .annotate(at=Min("created_at"))
        .values("at")
    )
    # an absence pre-filled from a parent's notice is the teacher's when he confirms it
    confirmed_notice = (
        confirmed.filter(notice__isnull=False)
        .order_by()
        .values("lesson")
        .annotate(at=Min("updated_at"))
        .values("at")
    )
    return list(
        Lesson.objects.filter(school=school, date=day, is_cancelled=False)
        .annotate(
            acting_id=Coalesce(F("substitute_id"), F("teacher_id")),
            acting_last=Coalesce(F("substitute__last_name"), F("teacher__last_name")),
            acting_first=Coalesce(F("substitute__first_name"), F("teacher__first_name")),
            acting_middle=Coalesce(F("substitute__middle_name"), F("teacher__middle_name")),
            checked_at=F("attendance_check__taken_at"),
            entered_at=Subquery(entered),
            confirmed_at=Subquery(confirmed_notice),
        )
        .order_by("school_class__grade", "school_class__letter", "starts_at", "number", "group")
        .values(
            "pk",
            "number",
            "starts_at",
            "school_class_id",
            "school_class__grade",
            "school_class__letter",
            "group__name",
            "group__is_whole_class",
            "subject__name",
            "acting_id",
            "acting_last",
            "acting_first",
            "acting_middle",
            "checked_at",
            "entered_at",
            "confirmed_at",
        )
    )


def _taken_at(row) -> dt.datetime | None:
    if row["checked_at"]:
        return row["checked_at"]
    times = [t for t in (row["entered_at"], row["confirmed_at"]) if t]
    return min(times) if times else None


def _absences(school, day):
    """(class id, student id, first entered, reason set at) of the students absent at the
    day's lessons, by the class of the lesson (one query). Absences pre-filled from a
    parent's notice count, as in the job: the class teacher knows of them."""
    reason = AbsenceReason.objects.filter(school=school, student=OuterRef("student"), date=day)
    return list(
        Attendance.objects.filter(
            school=school,
            lesson__date=day,
            lesson__is_cancelled=False,
            kind=Attendance.Kind.ABSENT,
        )
        .values("lesson__school_class", "student")
        .annotate(
            entered=Min("created_at"),
            reason_at=Subquery(reason.values("set_at")[:1]),
        )
        .values_list("lesson__school_class", "student", "entered", "reason_at")
    )


def day_status(school: School, day: dt.date | None = None, now: dt.datetime | None = None):
    """The deadline status of the school on its local day `day` (today by default)."""
    now = school.local(now or timezone.now())
    day = day or now.date()
    settings = school.settings
    tz = school.tz

    calendar = calendars_load([school.pk], day - dt.timedelta(days=7), day + dt.timedelta(days=7))[
        school.pk
    ]
    periods = periods_near([school.pk], day).get(school.pk, [])
    runs = list(
        DeadlineRun.objects.filter(school=school).filter(
            Q(date=day) | Q(kind=K.PERIOD_MARKS, date__lte=day, date__gte=day - PERIOD_MARKS_WITHIN)
        )
    )
    deadlines = _deadlines(school, settings, calendar, day, periods, runs, now)

    attendance_at = dt.datetime.combine(day, settings.first_lesson_attendance_deadline, tzinfo=tz)
    reasons_at = dt.datetime.combine(day, settings.absence_reason_deadline, tzinfo=tz)
    classes: dict[int, ClassStatus] = {}
    teachers: dict[int, TeacherStatus] = {}

    def teacher(pk, last, first, middle="") -> TeacherStatus:
        if pk not in teachers:
            teachers[pk] = TeacherStatus(pk=pk, name=_name(last, first, middle))
        return teachers[pk]

    # --- the first lesson's register, per class, and each teacher's lessons
    lessons = _lessons(school, day)
    first_at: dict[int, dt.time] = {}
    for row in lessons:
        class_id = row["school_class_id"]
        if class_id not in classes:
            classes[class_id] = ClassStatus(
                pk=class_id,
                name=_class_name(row["school_class__grade"], row["school_class__letter"]),
            )
        first_at.setdefault(class_id, row["starts_at"])
        status = teacher(
            row["acting_id"], row["acting_last"], row["acting_first"], row["acting_middle"]
        )
        if row["starts_at"] < settings.current_marks_deadline:
            status.lessons += 1
        if row["starts_at"] != first_at[class_id]:
            continue
        if row["starts_at"] > settings.first_lesson_attendance_deadline:
            continue  # a second-shift class: the 9:30 check is not about it
        taken = _taken_at(row)
        if taken is not None:
            state = DONE if taken <= attendance_at else LATE
        else:
            state = MISSING if now >= attendance_at else PENDING
        lesson = FirstLesson(
            lesson_id=row["pk"],
            number=row["number"],
            starts_at=row["starts_at"],
            subject=row["subject__name"],
            group="" if row["group__is_whole_class"] else row["group__name"],
            teacher_id=row["acting_id"],
            teacher=status.name,
            class_name=classes[class_id].name,
            taken_at=_local(school, taken),
            state=state,
        )
        classes[class_id].first_lessons.append(lesson)
        status.first_lessons.append(lesson)
    for status in classes.values():
        status.attendance = worst(f.state for f in status.first_lessons)

    # --- absence reasons, per class
    for class_id, _student, entered, reason_at in _absences(school, day):
        if class_id not in classes:
            continue  # a lesson cancelled since
        reasons = classes[class_id].reasons
        if entered > reasons_at:
            reasons.after_deadline += 1
            continue
        reasons.absent += 1
        if reason_at is not None:
            if reason_at <= reasons_at:
                reasons.done += 1
            else:
                reasons.late += 1
        elif now >= reasons_at:
            reasons.missing += 1
        else:
            reasons.pending += 1
    for status in classes.values():
        r = status.reasons
        r.state = (
            MISSING
            if r.missing
            else PENDING
            if r.pending
            else LATE
            if r.late
            else DONE
            if r.done
            else NONE
        )

    # --- findings of the day's lessons check and of the last period marks check
    lessons_run = next(
        (r for r in runs if r.kind == K.LESSON_CONTENT and r.date == day and r.finished_at), None
    )
    marks_run = max(
        (r for r in runs if r.kind == K.PERIOD_MARKS and r.finished_at),
        key=lambda r: r.date,
        default=None,
    )
    checked = [r.pk for r in (lessons_run, marks_run) if r is not None]
    findings = list(
        DeadlineFinding.objects.filter(run__in=checked)
        .select_related(
            "teacher", "lesson__school_class", "lesson__group", "lesson__subject", "subject"
        )
        .select_related("school_class", "period")
        .order_by("pk")
        if checked
        else []
    )
    still_open = findings_open(findings) if findings else set()

    by_lesson: dict[int, list[DeadlineFinding]] = defaultdict(list)
    courses: dict[tuple[int, int, int, int], CourseMarks] = {}
    for finding in findings:
        if lessons_run is not None and finding.run_id == lessons_run.pk and finding.lesson_id:
            by_lesson[finding.lesson_id].append(finding)
        elif finding.what == What.PERIOD_MARK and finding.teacher_id:
            status = teacher(
                finding.teacher_id,
                finding.teacher.last_name,
                finding.teacher.first_name,
                finding.teacher.middle_name,
            )
            key = (
                finding.teacher_id,
                finding.school_class_id or 0,
                finding.subject_id or 0,
                finding.period_id or 0,
            )
            if key not in courses:
                school_class = finding.school_class
                courses[key] = CourseMarks(
                    course=_class_name(school_class.grade, school_class.letter)
                    if school_class
                    else "",
                    subject=finding.subject.name if finding.subject else "",
                    period=str(finding.period) if finding.period else "",
                )
                status.courses.append(courses[key])
            if finding.pk in still_open:
                courses[key].missing += 1
            else:
                courses[key].late += 1

    if lessons_run is not None:
        for status in teachers.values():
            status.lessons_checked = True
        for lesson_id, items in by_lesson.items():
            first = items[0]
            lesson = first.lesson
            status = teacher(
                first.teacher_id,
                first.teacher.last_name,
                first.teacher.first_name,
                first.teacher.middle_name,
            )
            status.lessons_checked = True
            open_items = [f.what for f in items if f.pk in still_open]
            item = LessonItem(
                lesson_id=lesson_id,
                number=lesson.number,
                course=_class_name(lesson.school_class.grade, lesson.school_class.letter)
                + ("" if lesson.group.is_whole_class else f" {lesson.group.name}"),
                subject=lesson.subject.name,
                missing=open_items or [f.what for f in items],
                state=MISSING if open_items else LATE,
            )
            (status.lessons_missing if open_items else status.lessons_late).append(item)
        for status in teachers.values():
            status.lessons_done = max(
                0, status.lessons - len(status.lessons_missing) - len(status.lessons_late)
            )

    lessons_line = next((d for d in deadlines if d.kind == K.LESSON_CONTENT), None)
    if lessons_line is None or lessons_line.state == NOT_RUN:
        for status in teachers.values():
            status.unchecked = NONE
    return DayStatus(
        school=school,
        day=day,
        now=now,
        is_school_day=calendar.is_school_day(day),
        deadlines=deadlines,
        classes=sorted(classes.values(), key=lambda c: _class_sort(c.name)),
        teachers=sorted(teachers.values(), key=lambda t: t.name),
        attendance_deadline=settings.first_lesson_attendance_deadline,
        reasons_deadline=settings.absence_reason_deadline,
        lessons_deadline=settings.current_marks_deadline,
        lessons_run=lessons_line,
        period_marks_run=marks_run,
    )


def _class_sort(name: str):
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 0, name)
