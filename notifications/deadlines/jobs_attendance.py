"""Attendance deadlines (R-ATT-1, R-ATT-3, R-ATT-5), each for `run.school` on its local
date `run.date`:

- FIRST_ATTENDANCE (9:30, `first_lesson_attendance_deadline`): each class's first lesson
  of the day — its earliest non-cancelled lesson; two group lessons at that time are both
  first — that began by the deadline (a second-shift class is not concerned) and whose
  register is not taken: its acting teacher (the substitute when there is one) is reminded,
  one notice per teacher, one finding per lesson.
- FIRST_ATTENDANCE_DEPUTY (`first_lesson_escalation_minutes` later): the findings of the
  day's FIRST_ATTENDANCE run still open go to the deputies (or the director), and are
  copied onto this run for the deputy's status page.
- ABSENCE_REASONS (10:00): the day's absences (entered or pre-filled from a parent's
  notice) of students without a reason for the day: the class teacher of each class gets
  the list, one finding per student.
- ABSENCE_DIGEST (R-ATT-5, 14:00): the day's absences and lates by student and lesson and
  the notices parents filed today, to each class teacher; no findings.
- RECONCILIATION (Mondays, 16:00): each class with absences or lates in the previous week
  (Monday to Sunday): the class teacher is reminded to reconcile them, with the days of
  absence still without a reason (one finding per day and student).

A student's class is the one he is enrolled in on the day of the lesson (the lesson's class
when no enrolment says otherwise): an absence at a course of another class he attends
reaches his own class teacher, as on the attendance pages.

Cost, whatever the number of classes, students and lessons: each job reads its rows in one
or two queries (plus the school's settings), writes its findings in one and its notices in
two (notify_many). Texts are in the site's language, like the other deadline jobs."""

import datetime as dt
from collections import defaultdict

from django.conf import settings as django_settings
from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from journal.models import AbsenceNotice, AbsenceReason, Attendance
from schedule.models import Enrolment, Lesson, SchoolClass

from ..models import DeadlineFinding, DeadlineKind, DeadlineRun, Kind
from ..services.notices import Notice, notify_many
from .engine import deadline_job
from .findings import attendance_taken, deputies, findings_copy, findings_open
from .jobs_lessons import course_name, person_name

What = DeadlineFinding.What


class NotReady(Exception):
    """The run this one follows up is not finished yet: fail now, run again after the
    lease (the engine queues unfinished runs again)."""


# --------------------------------------------------------------------------- helpers


def _class_name(grade, letter) -> str:
    return f"{grade}{letter}"


def _student_name(last: str, first: str) -> str:
    return f"{last} {first}".strip()


def _day_bounds(school, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=school.tz)
    return start, start + dt.timedelta(days=1)


def _enrolled_class(student_ref: str, date_ref: str | None, day: dt.date | None = None):
    """The class the student is enrolled in on the date (an OuterRef or a fixed day)."""
    on = OuterRef(date_ref) if date_ref else day
    return (
        Enrolment.objects.filter(student=OuterRef(student_ref), starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .order_by("-starts_on")
        .values("school_class")[:1]
    )


def _classes(ids) -> dict[int, dict]:
    """{class id: {grade, letter, class_teacher_id}} (one query)."""
    if not ids:
        return {}
    return {
        row["pk"]: row
        for row in SchoolClass.objects.filter(pk__in=ids).values(
            "pk", "grade", "letter", "class_teacher_id"
        )
    }


def _attendance_rows(school, first: dt.date, last: dt.date, **filters):
    """The school's absences and lates at the non-cancelled lessons from `first` to
    `last`, each with its student's class of the lesson's day (`class_id`) and whether the
    day has a reason (`has_reason`), as plain rows (one query)."""
    reason = AbsenceReason.objects.filter(
        student=OuterRef("student"), date=OuterRef("lesson__date")
    )
    return (
        Attendance.objects.filter(
            school=school,
            lesson__date__range=(first, last),
            lesson__is_cancelled=False,
            **filters,
        )
        .annotate(
            class_id=Coalesce(
                Subquery(_enrolled_class("student", "lesson__date")),
                F("lesson__school_class"),
                output_field=BigIntegerField(),
            ),
            has_reason=Exists(reason),
        )
        .order_by(
            "student__last_name", "student__first_name", "student", "lesson__date", "lesson__number"
        )
        .values(
            "student_id",
            "student__last_name",
            "student__first_name",
            "kind",
            "pending",
            "notice__reason",
            "lesson__date",
            "lesson__number",
            "lesson__subject__name",
            "class_id",
            "has_reason",
        )
    )


def _notice_reason(value: str | None) -> str:
    return str(AbsenceNotice.Reason(value).label) if value else ""


# --------------------------------------------------------------------------- R-ATT-1


def first_lessons_unmarked(school, day: dt.date, deadline: dt.time) -> list[dict]:
    """The first lessons of each class on `day` that began by `deadline` and whose register
    is not taken, with their acting teacher (one query)."""
    first = (
        Lesson.objects.filter(
            school=school, date=day, school_class=OuterRef("school_class"), is_cancelled=False
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    return list(
        Lesson.objects.filter(school=school, date=day, is_cancelled=False, starts_at__lte=deadline)
        .annotate(first_at=Subquery(first))
        .filter(starts_at=F("first_at"))
        .filter(~attendance_taken())
        .annotate(acting_id=Coalesce(F("substitute_id"), F("teacher_id")))
        .order_by("school_class__grade", "school_class__letter", "starts_at", "group__name")
        .values(
            "pk",
            "number",
            "starts_at",
            "school_class_id",
            "school_class__grade",
            "school_class__letter",
            "group__name",
            "group__is_whole_class",
            "subject_id",
            "subject__name",
            "acting_id",
        )
    )


def _lesson_text(row: dict) -> str:
    return _("%(class)s, lesson %(number)s, %(subject)s") % {
        "class": course_name(
            row["school_class__grade"],
            row["school_class__letter"],
            row["group__name"],
            row["group__is_whole_class"],
        ),
        "number": row["number"],
        "subject": row["subject__name"],
    }


@deadline_job(DeadlineKind.FIRST_ATTENDANCE)
def first_attendance(run: DeadlineRun) -> int:
    """R-ATT-1: the teacher of a class's first lesson has not marked attendance by the
    deadline: remind him (one notice listing his lessons). Five queries."""
    school = run.school
    deadline = school.settings.first_lesson_attendance_deadline
    with translation.override(django_settings.LANGUAGE_CODE):
        rows = first_lessons_unmarked(school, run.date, deadline)
        if not rows:
            return 0
        DeadlineFinding.objects.bulk_create(
            DeadlineFinding(
                school=school,
                run=run,
                what=What.ATTENDANCE,
                teacher_id=row["acting_id"],
                school_class_id=row["school_class_id"],
                lesson_id=row["pk"],
                subject_id=row["subject_id"],
                date=run.date,
            )
            for row in rows
        )
        by_teacher: dict[int, list[dict]] = defaultdict(list)
        for row in rows:
            by_teacher[row["acting_id"]].append(row)
        title = _("Attendance at the first lesson is not marked")
        intro = _("The register of the first lesson of %(date)s was not taken by %(time)s:") % {
            "date": f"{run.date:%d.%m.%Y}",
            "time": f"{deadline:%H:%M}",
        }
        outro = _(
            "Mark the absent and the late, or press «Attendance marked» on the lesson's page "
            "when everybody is present."
        )
        notices = [
            Notice(
                [teacher_id],
                title,
                "\n".join([intro, *(f"— {_lesson_text(row)}" for row in lessons), "", outro]),
                reverse("journal_lesson", args=[school.slug, lessons[0]["pk"]]),
            )
            for teacher_id, lessons in by_teacher.items()
        ]
        return len(notify_many(school=school, kind=Kind.REMINDER, notices=notices))


@deadline_job(DeadlineKind.FIRST_ATTENDANCE_DEPUTY)
def first_attendance_deputy(run: DeadlineRun) -> int:
    """R-ATT-1: the first lessons still without attendance at the next check go to the
    deputy heads (the director when there is none), with their teachers. Six queries."""
    school = run.school
    with translation.override(django_settings.LANGUAGE_CODE):
        teachers_run = DeadlineRun.objects.filter(
            school=school, kind=DeadlineKind.FIRST_ATTENDANCE, date=run.date
        ).first()
        if teachers_run is None:
            return 0
        if teachers_run.finished_at is None:
            raise NotReady(f"the teachers' run {teachers_run.pk} of {run.date} is not finished")
        findings = list(
            DeadlineFinding.objects.filter(run=teachers_run, what=What.ATTENDANCE)
            .select_related("teacher", "lesson__school_class", "lesson__group", "lesson__subject")
            .order_by(
                "lesson__school_class__grade",
                "lesson__school_class__letter",
                "lesson__starts_at",
                "lesson__group__name",
            )
        )
        still = findings_open(findings)
        open_ = [f for f in findings if f.pk in still]
        if not open_:
            return 0
        findings_copy(run, open_)
        lines = [
            _("Attendance at these first lessons of %(date)s is still not marked:")
            % {"date": f"{run.date:%d.%m.%Y}"}
        ]
        for f in open_:
            lesson, teacher = f.lesson, f.teacher
            row = {
                "number": lesson.number,
                "school_class__grade": lesson.school_class.grade,
                "school_class__letter": lesson.school_class.letter,
                "group__name": lesson.group.name,
                "group__is_whole_class": lesson.group.is_whole_class,
                "subject__name": lesson.subject.name,
            }
            who = (
                person_name(teacher.last_name, teacher.first_name, teacher.middle_name)
                if teacher
                else "—"
            )
            lines.append(f"— {_lesson_text(row)} — {who}")
        title = _("First lessons without attendance: %(count)s") % {"count": len(open_)}
        # the deputy's status page of the day: each class's first lesson and its register
        url = f"{reverse('deadlines_status', args=[school.slug])}?date={run.date.isoformat()}"
        notice = Notice(deputies(school, run.date), title, "\n".join(lines), url)
        return len(notify_many(school=school, kind=Kind.REMINDER, notices=[notice]))


# --------------------------------------------------------------------------- R-ATT-3


def _lessons_text(numbers) -> str:
    """«lesson 2», «lessons 2, 3»."""
    return _lessons_list([str(n) for n in sorted(set(numbers))])


def _lessons_list(lessons: list[str]) -> str:
    """«lesson 2 (Maths)», «lessons 2 (Maths), 3 (English)»."""
    if len(lessons) == 1:
        return _("lesson %(numbers)s") % {"numbers": lessons[0]}
    return _("lessons %(numbers)s") % {"numbers": ", ".join(lessons)}


@deadline_job(DeadlineKind.ABSENCE_REASONS)
def absence_reasons(run: DeadlineRun) -> int:
    """R-ATT-3: the day's absences of students without a reason for the day: remind each
    class teacher, with the parent's notice reason when the absence came from a notice.
    Five queries."""
    school, day = run.school, run.date
    with translation.override(django_settings.LANGUAGE_CODE):
        rows = list(
            _attendance_rows(school, day, day, kind=Attendance.Kind.ABSENT).filter(has_reason=False)
        )
        if not rows:
            return 0
        # {class id: {student id: {"name", "numbers", "reasons"}}}
        found: dict[int, dict[int, dict]] = defaultdict(dict)
        for row in rows:
            student = found[row["class_id"]].setdefault(
                row["student_id"],
                {
                    "name": _student_name(row["student__last_name"], row["student__first_name"]),
                    "numbers": [],
                    "reasons": [],
                },
            )
            student["numbers"].append(row["lesson__number"])
            reason = _notice_reason(row["notice__reason"])
            if reason and reason not in student["reasons"]:
                student["reasons"].append(reason)
        classes = _classes(list(found))
        DeadlineFinding.objects.bulk_create(
            DeadlineFinding(
                school=school,
                run=run,
                what=What.REASON,
                teacher_id=classes.get(class_id, {}).get("class_teacher_id"),
                school_class_id=class_id,
                student_id=student_id,
                date=day,
            )
            for class_id, students in found.items()
            for student_id in students
        )
        notices = []
        for class_id, students in found.items():
            school_class = classes.get(class_id)
            if not school_class or not school_class["class_teacher_id"]:
                continue
            name = _class_name(school_class["grade"], school_class["letter"])
            lines = [
                _("Record the reason of these absences of %(date)s:") % {"date": f"{day:%d.%m.%Y}"}
            ]
            for student in students.values():
                line = f"— {student['name']}: {_lessons_text(student['numbers'])}"
                if student["reasons"]:
                    line += "; " + _("parent's notice: %(reason)s") % {
                        "reason": ", ".join(student["reasons"])
                    }
                lines.append(line)
            notices.append(
                Notice(
                    [school_class["class_teacher_id"]],
                    _("%(class)s: absences of %(date)s without a reason")
                    % {"class": name, "date": f"{day:%d.%m.%Y}"},
                    "\n".join(lines),
                    reverse("journal_class_attendance", args=[school.slug, class_id]),
                )
            )
        return len(notify_many(school=school, kind=Kind.REMINDER, notices=notices))


# --------------------------------------------------------------------------- R-ATT-5


def _notices_filed(school, day: dt.date) -> list[dict]:
    """The absence notices parents filed on `day` (local time) and did not withdraw, with
    the student's class (one query)."""
    start, end = _day_bounds(school, day)
    return list(
        AbsenceNotice.objects.filter(
            school=school, created_at__gte=start, created_at__lt=end, withdrawn_at__isnull=True
        )
        .annotate(
            class_id=Coalesce(
                Subquery(_enrolled_class("student", None, day)),
                Subquery(_enrolled_class("student", "starts_on")),
                output_field=BigIntegerField(),
            )
        )
        .order_by("student__last_name", "student__first_name", "student", "created_at")
        .values(
            "student__last_name",
            "student__first_name",
            "starts_on",
            "ends_on",
            "lesson_numbers",
            "reason",
            "comment",
            "class_id",
        )
    )


def _notice_text(row: dict) -> str:
    starts, ends = row["starts_on"], row["ends_on"]
    days = f"{starts:%d.%m}" if starts == ends else f"{starts:%d.%m}–{ends:%d.%m}"
    parts = [days, _notice_reason(row["reason"])]
    numbers = [int(n) for n in row["lesson_numbers"].split(",") if n.strip()]
    if numbers:
        parts.append(_lessons_text(numbers))
    text = f"— {_student_name(row['student__last_name'], row['student__first_name'])}: "
    text += ", ".join(parts)
    if row["comment"]:
        text += f" ({row['comment']})"
    return text


@deadline_job(DeadlineKind.ABSENCE_DIGEST)
def absence_digest(run: DeadlineRun) -> int:
    """R-ATT-5: the class teacher learns the same day who missed or was late to which
    lessons, and which notices parents filed today. One notice per class with anything to
    say; no findings. Five queries."""
    school, day = run.school, run.date
    with translation.override(django_settings.LANGUAGE_CODE):
        rows = list(_attendance_rows(school, day, day))
        filed = _notices_filed(school, day)
        if not rows and not filed:
            return 0
        # {class id: {"absent"/"late": {student id: [name, [lesson texts]]}, "filed": [...]}}
        by_class: dict[int, dict] = defaultdict(lambda: {"absent": {}, "late": {}, "filed": []})
        for row in rows:
            part = "late" if row["kind"] == Attendance.Kind.LATE else "absent"
            name = _student_name(row["student__last_name"], row["student__first_name"])
            entry = by_class[row["class_id"]][part].setdefault(row["student_id"], [name, []])
            about = [row["lesson__subject__name"]]
            if row["pending"]:
                about.append(_("by the parent's notice"))
            entry[1].append(f"{row['lesson__number']} ({', '.join(about)})")
        for row in filed:
            if row["class_id"] is not None:
                by_class[row["class_id"]]["filed"].append(_notice_text(row))
        classes = _classes(list(by_class))
        date = f"{day:%d.%m.%Y}"
        notices = []
        for class_id, found in by_class.items():
            school_class = classes.get(class_id)
            if not school_class or not school_class["class_teacher_id"]:
                continue
            lines = []
            for part, heading in (("absent", _("Absent:")), ("late", _("Late:"))):
                if found[part]:
                    if lines:
                        lines.append("")
                    lines.append(heading)
                    lines.extend(
                        f"— {name}: {_lessons_list(lessons)}"
                        for name, lessons in found[part].values()
                    )
            if found["filed"]:
                if lines:
                    lines.append("")
                lines.append(_("Absence notices parents filed today:"))
                lines.extend(found["filed"])
            name = _class_name(school_class["grade"], school_class["letter"])
            notices.append(
                Notice(
                    [school_class["class_teacher_id"]],
                    _("%(class)s: absences and lates of %(date)s") % {"class": name, "date": date},
                    "\n".join(lines),
                    reverse("journal_class_attendance", args=[school.slug, class_id]),
                )
            )
        return len(notify_many(school=school, kind=Kind.REPORT, notices=notices))


# --------------------------------------------------------------------------- R-ATT-3 weekly


@deadline_job(DeadlineKind.RECONCILIATION)
def reconciliation(run: DeadlineRun) -> int:
    """R-ATT-3: each Monday (or the first school day after it) the class teacher
    reconciles last week's absences and lates with the subject teachers: remind him, with
    the days of absence still without a reason (one finding each). Five queries."""
    school = run.school
    monday = run.date - dt.timedelta(days=run.date.weekday() + 7)
    sunday = monday + dt.timedelta(days=6)
    with translation.override(django_settings.LANGUAGE_CODE):
        rows = list(_attendance_rows(school, monday, sunday))
        if not rows:
            return 0
        # {class id: {"absent": n, "late": n, "missing": {(student id, date)}}}
        by_class: dict[int, dict] = defaultdict(lambda: {"absent": 0, "late": 0, "missing": {}})
        for row in rows:
            found = by_class[row["class_id"]]
            if row["kind"] == Attendance.Kind.LATE:
                found["late"] += 1
                continue
            found["absent"] += 1
            if not row["has_reason"]:
                found["missing"].setdefault((row["student_id"], row["lesson__date"]), None)
        classes = _classes(list(by_class))
        DeadlineFinding.objects.bulk_create(
            DeadlineFinding(
                school=school,
                run=run,
                what=What.REASON,
                teacher_id=classes.get(class_id, {}).get("class_teacher_id"),
                school_class_id=class_id,
                student_id=student_id,
                date=day,
            )
            for class_id, found in by_class.items()
            for student_id, day in found["missing"]
        )
        week = f"{monday:%d.%m}–{sunday:%d.%m.%Y}"
        notices = []
        for class_id, found in by_class.items():
            school_class = classes.get(class_id)
            if not school_class or not school_class["class_teacher_id"]:
                continue
            name = _class_name(school_class["grade"], school_class["letter"])
            lines = [
                _("Reconcile last week's absences and lates with the subject teachers."),
                _("Lessons missed: %(absent)s, lates: %(late)s.")
                % {"absent": found["absent"], "late": found["late"]},
                _("Days of absence still without a reason: %(count)s.")
                % {"count": len(found["missing"])},
            ]
            url = reverse("journal_class_reconciliation", args=[school.slug, class_id])
            notices.append(
                Notice(
                    [school_class["class_teacher_id"]],
                    _("%(class)s: reconcile the absences of %(week)s")
                    % {"class": name, "week": week},
                    "\n".join(lines),
                    f"{url}?week={monday:%Y-%m-%d}",
                )
            )
        return len(notify_many(school=school, kind=Kind.REMINDER, notices=notices))
