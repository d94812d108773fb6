"""Writing one cell of the grid: a current mark (R-MRK-1..6) or a student's absence or
lateness at a lesson (R-ATT-2). Each service checks who (R-ROLE-3, R-LES-4), when
(rules.py), what (the school's scale, grade 1 without marks, the student in the course that
day), that nobody changed the cell since the caller read it, writes, and appends the change
to the school's history in the same transaction."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Student, WorkType
from schedule.models import Lesson
from schedule.selectors import course_students_on

from .. import rules, signals, values
from ..history import chain_lock, change_record
from ..models import Attendance, AttendanceCheck, JournalChange, Mark
from ..permissions import can_edit_lesson
from ..rules import Refusal


@dataclass
class Conflict(Exception):
    """The cell changed since the caller read it; `current` is what it holds now."""

    current: str
    token: str

    @property
    def message(self) -> str:
        if self.current:
            return _(
                "Someone has changed this cell meanwhile: it now holds «%(value)s». "
                "Check it and enter your value again."
            ) % {"value": self.current}
        return _("Someone has cleared this cell meanwhile. Check it and enter your value again.")

    def __str__(self):
        return self.message


def token(row: Mark | Attendance | None) -> str:
    """What a cell was when read: a new row (after a delete) gets a new token too."""
    return f"{row.pk}.{row.version}" if row is not None else ""


def mark_text(mark: Mark | None) -> str:
    if mark is None:
        return ""
    return f"{mark.value} ({mark.comment})" if mark.comment else mark.value


def _label(lesson: Lesson, student: Student, what: str = "") -> str:
    parts = [
        str(lesson.school_class),
        str(lesson.subject),
        f"{lesson.date:%d.%m.%Y} №{lesson.number}",
        student.short_name,
    ]
    if what:
        parts.append(what)
    return " · ".join(parts)


def _who_check(actor, lesson: Lesson, today: dt.date, correction) -> None:
    if correction is None and not can_edit_lesson(actor, lesson, today):
        raise Refusal(
            _("Only the teacher of this course or the lesson's substitute fills it in."),
            "forbidden",
        )


def _in_course_check(lesson: Lesson, student: Student) -> None:
    if (
        student.school_id != lesson.school_id
        or not course_students_on(lesson.group, lesson.subject_id, lesson.date)
        .filter(pk=student.pk)
        .exists()
    ):
        raise Refusal(_("The student is not in this group on the lesson's date."), "student")


@transaction.atomic
def mark_set(
    *,
    actor,
    lesson: Lesson,
    student: Student,
    work_type: WorkType,
    part: int = 1,
    value: str,
    comment: str = "",
    expected: str | None,
    ip: str | None = None,
    reason: str = "",
    correction=None,
) -> Mark | None:
    """Set (or, with an empty value, remove) the mark of one cell. `expected` is the cell's
    token when the caller read it (None skips the check); a correction request approved by
    a deputy passes itself as `correction` and is exempt from the teacher's time limits."""
    school = lesson.school
    settings = school.settings
    now = timezone.now()
    _who_check(actor, lesson, school.today(), correction)
    if settings.grade_one_without_marks and lesson.school_class.grade == 1:
        raise Refusal(_("Grade 1 is taught without marks."), "grade_one")
    if work_type.school_id != lesson.school_id:
        raise Refusal(_("Unknown work type."), "invalid")
    if part not in ((1, 2) if work_type.double_mark else (1,)):
        raise Refusal(_("This work type has no second mark."), "invalid")
    comment = " ".join(comment.split())[:300]
    parsed = None
    if values.normalise(value):
        parsed = values.mark_parse(settings.mark_scale, value)
        if parsed is None:
            raise Refusal(
                _("«%(value)s» is not a mark of this school's scale (%(scale)s).")
                % {"value": value.strip(), "scale": values.scale_hint(settings.mark_scale)},
                "scale",
            )
    _in_course_check(lesson, student)

    head = chain_lock(school.pk)
    current = Mark.objects.filter(
        school=school, lesson=lesson, student=student, work_type=work_type, part=part
    ).first()
    if expected is not None and token(current) != expected:
        raise Conflict(mark_text(current), token(current))
    if current is None and parsed is None:
        return None
    if (
        current is not None
        and parsed is not None
        and (current.value, current.comment)
        == (
            parsed[0],
            comment,
        )
    ):
        return current
    if correction is None:
        rules.write_check(
            school=school,
            settings=settings,
            lesson=lesson,
            now=now,
            creating=current is None,
            entry_deadline=rules.mark_entry_deadline(
                school, settings, lesson, work_type, lesson.school_class.grade
            ),
        )
    else:
        rules.lesson_open_check(school, lesson, now)

    what = work_type.name + (f" ({part})" if work_type.double_mark else "")
    old = mark_text(current)
    if parsed is None:
        action, object_id = JournalChange.Action.DELETE, current.pk
        current.delete()
        result = None
    elif current is None:
        result = Mark.objects.create(
            school=school,
            lesson=lesson,
            student=student,
            work_type=work_type,
            part=part,
            value=parsed[0],
            points=parsed[1],
            comment=comment,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        action, object_id = JournalChange.Action.CREATE, result.pk
    else:
        current.value, current.points, current.comment = parsed[0], parsed[1], comment
        current.updated_at, current.updated_by = now, actor
        current.version += 1
        current.save(
            update_fields=["value", "points", "comment", "updated_at", "updated_by", "version"]
        )
        result = current
        action, object_id = JournalChange.Action.UPDATE, current.pk
    change_record(
        head=head,
        actor=actor,
        ip=ip,
        action=action,
        subject_kind=JournalChange.Subject.MARK,
        object_id=object_id,
        label=_label(lesson, student, what),
        old=old,
        new=mark_text(result),
        reason=reason,
        lesson=lesson,
        student_id=student.pk,
        at=now,
    )
    signals.mark_changed.send(
        Mark, mark=result, lesson=lesson, student=student, action=action, old=old, actor=actor
    )
    return result


ATTENDANCE_TEXT = {Attendance.Kind.ABSENT: "н", Attendance.Kind.LATE: "оп"}


# the history's words for a parent's notice (R-ATT-4); like «н», data in the school's
# language, not interface text
PENDING_TEXT = "н (по заявлению)"
NOTICE_REASON = "заявление родителя"
NOTICE_CONFIRMED = "заявление родителя подтверждено учителем"
NOTICE_PRESENT = "заявление родителя: ученик присутствовал"


def attendance_text(row: Attendance | None) -> str:
    return ATTENDANCE_TEXT.get(row.kind, "") if row is not None else ""


def attendance_history_text(row: Attendance | None) -> str:
    """As the history keeps it: a parent's pending absence is told from a teacher's."""
    return PENDING_TEXT if row is not None and row.pending else attendance_text(row)


@transaction.atomic
def attendance_set(
    *,
    actor,
    lesson: Lesson,
    student: Student,
    kind: str,
    expected: str | None,
    ip: str | None = None,
    reason: str = "",
    correction=None,
) -> Attendance | None:
    """Mark a student absent or late at a lesson, or present again (empty `kind`). An
    absence pre-filled from a parent's notice (pending, R-ATT-4) is confirmed by setting
    it again, changed to a lateness, or removed when the child came. The first cell the
    teacher saves at a lesson also records that its register was taken (AttendanceCheck)."""
    school = lesson.school
    settings = school.settings
    now = timezone.now()
    _who_check(actor, lesson, school.today(), correction)
    if kind and kind not in Attendance.Kind.values:
        raise Refusal(_("Unknown attendance mark."), "invalid")
    _in_course_check(lesson, student)

    head = chain_lock(school.pk)
    current = Attendance.objects.filter(school=school, lesson=lesson, student=student).first()
    if expected is not None and token(current) != expected:
        raise Conflict(attendance_text(current), token(current))
    pending = current is not None and current.pending
    if (current.kind if current else "") == kind and not pending:
        return current
    if correction is None:
        rules.write_check(
            school=school,
            settings=settings,
            lesson=lesson,
            now=now,
            creating=current is None,
            entry_deadline=rules.attendance_entry_deadline(school, settings, lesson),
        )
    else:
        rules.lesson_open_check(school, lesson, now)

    old = attendance_history_text(current)
    if pending and not reason:
        reason = NOTICE_PRESENT if not kind else NOTICE_CONFIRMED
    if not kind:
        action, object_id = JournalChange.Action.DELETE, current.pk
        current.delete()
        result = None
    elif current is None:
        result = Attendance.objects.create(
            school=school,
            lesson=lesson,
            student=student,
            kind=kind,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        action, object_id = JournalChange.Action.CREATE, result.pk
    else:
        current.kind, current.updated_at, current.updated_by = kind, now, actor
        current.pending = False
        current.version += 1
        current.save(update_fields=["kind", "pending", "updated_at", "updated_by", "version"])
        result = current
        action, object_id = JournalChange.Action.UPDATE, current.pk
    if correction is None:
        # the teacher is taking the register: the lesson's attendance is marked (R-ATT-1);
        # the first time stays
        AttendanceCheck.objects.bulk_create(
            [AttendanceCheck(school=school, lesson=lesson, taken_at=now, taken_by=actor)],
            ignore_conflicts=True,
        )
    change_record(
        head=head,
        actor=actor,
        ip=ip,
        action=action,
        subject_kind=JournalChange.Subject.ATTENDANCE,
        object_id=object_id,
        label=_label(lesson, student),
        old=old,
        new=attendance_text(result),
        reason=reason,
        lesson=lesson,
        student_id=student.pk,
        at=now,
    )
    signals.attendance_changed.send(
        Attendance, attendance=result, lesson=lesson, student=student, action=action, actor=actor
    )
    return result
