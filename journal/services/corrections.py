"""Correction requests (R-MRK-6): once a cell is locked, the teacher asks for a change with a
reason and a deputy head or the director approves or rejects it. Approval writes the change
through the cell services, so the history names the deputy who made it and the teacher's
request with its reason; the request itself keeps who asked, when and what the cell held."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, Student, WorkType
from schedule.models import Lesson
from schedule.selectors import course_students_on

from .. import rules, values
from ..history import chain_lock
from ..models import Attendance, CorrectionRequest, Mark
from ..permissions import can_edit_lesson
from ..rules import Refusal
from .cells import attendance_set, mark_set

DECIDING_ROLES = (Role.DEPUTY, Role.DIRECTOR)

# what the teacher types for an attendance cell → the stored kind ("" is present)
ATTENDANCE_KINDS = {
    **{letter: Attendance.Kind.ABSENT for letter in values.ABSENT_LETTERS},
    **{letter: Attendance.Kind.LATE for letter in values.LATE_LETTERS},
    "": "",
}
ATTENDANCE_TEXT = {Attendance.Kind.ABSENT: "н", Attendance.Kind.LATE: "оп", "": ""}


def cell_current(
    *, kind: str, lesson: Lesson, student: Student, work_type: WorkType | None, part: int = 1
) -> Mark | Attendance | None:
    """What the cell holds now (one query)."""
    if kind == CorrectionRequest.Kind.MARK:
        return Mark.objects.filter(
            school=lesson.school_id, lesson=lesson, student=student, work_type=work_type, part=part
        ).first()
    return Attendance.objects.filter(
        school=lesson.school_id, lesson=lesson, student=student
    ).first()


def cell_value(row: Mark | Attendance | None) -> str:
    """The short value of a cell as a request stores it: the mark, «н», «оп» or empty."""
    if row is None:
        return ""
    if isinstance(row, Mark):
        return row.value
    return ATTENDANCE_TEXT.get(row.kind, "")


def _reason_clean(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Refusal(_("Say why the cell must be corrected."), "reason")
    return reason[:500]


def _student_in_course_check(lesson: Lesson, student: Student) -> None:
    if (
        student.school_id != lesson.school_id
        or not course_students_on(lesson.group, lesson.subject_id, lesson.date)
        .filter(pk=student.pk)
        .exists()
    ):
        raise Refusal(_("The student is not in this group on the lesson's date."), "student")


def _mark_value_parse(settings, lesson: Lesson, work_type: WorkType | None, part: int, raw: str):
    """(value, points) of the requested mark, None for «remove the mark»."""
    if work_type is None or work_type.school_id != lesson.school_id:
        raise Refusal(_("Unknown work type."), "invalid")
    if part not in ((1, 2) if work_type.double_mark else (1,)):
        raise Refusal(_("This work type has no second mark."), "invalid")
    if settings.grade_one_without_marks and lesson.school_class.grade == 1:
        raise Refusal(_("Grade 1 is taught without marks."), "grade_one")
    if not values.normalise(raw):
        return None
    parsed = values.mark_parse(settings.mark_scale, raw)
    if parsed is None:
        raise Refusal(
            _("«%(value)s» is not a mark of this school's scale (%(scale)s).")
            % {"value": raw.strip(), "scale": values.scale_hint(settings.mark_scale)},
            "scale",
        )
    return parsed


def _attendance_kind_parse(raw: str) -> str:
    kind = ATTENDANCE_KINDS.get(values.normalise(raw))
    if kind is None:
        raise Refusal(
            _("For attendance enter «н» (absent), «оп» (late) or nothing (present)."), "invalid"
        )
    return kind


def correction_check(
    *, kind: str, lesson: Lesson, work_type: WorkType | None, current, now
) -> None:
    """The checks the cell services would apply to this change now: a request is only for a
    cell they refuse as locked; an open cell is changed directly, and a lesson that has not
    started or was cancelled takes no values at all."""
    school, settings = lesson.school, lesson.school.settings
    if kind == CorrectionRequest.Kind.MARK:
        deadline = rules.mark_entry_deadline(
            school, settings, lesson, work_type, lesson.school_class.grade
        )
    else:
        deadline = rules.attendance_entry_deadline(school, settings, lesson)
    try:
        rules.write_check(
            school=school,
            settings=settings,
            lesson=lesson,
            now=now,
            creating=current is None,
            entry_deadline=deadline,
        )
    except Refusal as refusal:
        if refusal.locked:
            return
        raise
    raise Refusal(_("The cell is open: change it directly in the journal."), "open")


@transaction.atomic
def correction_request_create(
    *,
    actor,
    kind: str,
    lesson: Lesson,
    student: Student,
    work_type: WorkType | None = None,
    part: int = 1,
    new_value: str,
    new_comment: str = "",
    reason: str,
) -> CorrectionRequest:
    """A teacher who may fill the lesson in asks to change a locked cell (a mark, or an
    absence/lateness: "н", "оп", empty = present). One pending request per cell."""
    school = lesson.school
    settings = school.settings
    now = timezone.now()
    if kind not in CorrectionRequest.Kind.values:
        raise Refusal(_("Unknown kind of correction."), "invalid")
    if not can_edit_lesson(actor, lesson, school.today()):
        raise Refusal(
            _("Only the teacher of this course or the lesson's substitute fills it in."),
            "forbidden",
        )
    reason = _reason_clean(reason)
    new_comment = " ".join((new_comment or "").split())[:300]
    if kind == CorrectionRequest.Kind.MARK:
        parsed = _mark_value_parse(settings, lesson, work_type, part, new_value)
        stored_value = parsed[0] if parsed else ""
        if not stored_value:
            new_comment = ""
    else:
        work_type, part, new_comment = None, 1, ""
        stored_value = ATTENDANCE_TEXT[_attendance_kind_parse(new_value)]
    _student_in_course_check(lesson, student)

    # the chain head orders the school's journal writes: no cell changes, and no second
    # request for it appears, between these checks and the insert
    chain_lock(school.pk)
    current = cell_current(
        kind=kind, lesson=lesson, student=student, work_type=work_type, part=part
    )
    old_value = cell_value(current)
    old_comment = current.comment if isinstance(current, Mark) else ""
    if (old_value, old_comment) == (stored_value, new_comment):
        raise Refusal(_("The cell already holds this value."), "same")
    correction_check(kind=kind, lesson=lesson, work_type=work_type, current=current, now=now)
    if CorrectionRequest.objects.filter(
        school=school,
        kind=kind,
        lesson=lesson,
        student=student,
        work_type=work_type,
        part=part,
        status=CorrectionRequest.Status.PENDING,
    ).exists():
        raise Refusal(_("A request for this cell is already waiting for a decision."), "pending")
    return CorrectionRequest.objects.create(
        school=school,
        kind=kind,
        lesson=lesson,
        student=student,
        work_type=work_type,
        part=part,
        old_value=old_value,
        new_value=stored_value,
        new_comment=new_comment,
        reason=reason,
        requested_by=actor,
        requested_at=now,
    )


def can_decide_corrections(user, school) -> bool:
    """A deputy head or the director of the school, today. One query."""
    return (
        Membership.objects.filter(user=user, school=school, role__in=DECIDING_ROLES)
        .active_on(school.today())
        .exists()
    )


def _approval_reason(request: CorrectionRequest, actor) -> str:
    return _("%(reason)s (request №%(number)s, approved by %(name)s)") % {
        "reason": request.reason,
        "number": request.pk,
        "name": actor.short_name or actor.get_username(),
    }


@transaction.atomic
def correction_decide(
    *, actor, request: CorrectionRequest, approve: bool, note: str = "", ip: str | None = None
) -> CorrectionRequest:
    """A deputy head or the director approves (the change is written now, by him, with the
    request's reason) or rejects (with a note) a pending request. Decided once."""
    school = request.school
    if not can_decide_corrections(actor, school):
        raise Refusal(
            _("Only a deputy head or the director decides correction requests."), "forbidden"
        )
    if actor.pk == request.requested_by_id:
        raise Refusal(_("A request is decided by someone other than its author."), "forbidden")
    note = " ".join((note or "").split())[:500]
    chain_lock(school.pk)
    locked = (
        CorrectionRequest.objects.select_for_update(of=("self",))
        .select_related("lesson__school__settings", "lesson__school_class", "lesson__subject")
        .select_related("lesson__group", "student", "work_type")
        .get(pk=request.pk, school=school)
    )
    if locked.status != CorrectionRequest.Status.PENDING:
        raise Refusal(_("This request has already been decided."), "decided")
    if approve:
        lesson, student = locked.lesson, locked.student
        current = cell_current(
            kind=locked.kind,
            lesson=lesson,
            student=student,
            work_type=locked.work_type,
            part=locked.part,
        )
        if cell_value(current) != locked.old_value:
            raise Refusal(
                _(
                    "The cell has changed since the request: it now holds «%(value)s». "
                    "Reject the request; the teacher can ask again."
                )
                % {"value": cell_value(current) or "—"},
                "changed",
            )
        change = {
            "actor": actor,
            "lesson": lesson,
            "student": student,
            "expected": None,
            "ip": ip,
            "reason": _approval_reason(locked, actor),
            "correction": locked,
        }
        if locked.kind == CorrectionRequest.Kind.MARK:
            mark_set(
                **change,
                work_type=locked.work_type,
                part=locked.part,
                value=locked.new_value,
                comment=locked.new_comment,
            )
        else:
            attendance_set(**change, kind=_attendance_kind_parse(locked.new_value))
        locked.status = CorrectionRequest.Status.APPROVED
    else:
        if not note:
            raise Refusal(_("Say why the request is rejected."), "note")
        locked.status = CorrectionRequest.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    request.status, request.decided_by = locked.status, actor
    request.decided_at, request.decision_note = locked.decided_at, note
    return locked
