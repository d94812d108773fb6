"""The register taken at a lesson (R-ATT-1, R-ATT-2): "attendance marked, everybody else
present". Present is no Attendance row, so a lesson where everybody came shows that the
register was taken only by an AttendanceCheck row; the first attendance cell saved at the
lesson writes it too (cells.attendance_set). The deadline jobs compare `taken_at` with the
9:30 deadline of the day's first lessons."""

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from schedule.models import Lesson

from .. import rules
from ..models import Attendance, AttendanceCheck
from ..rules import Refusal
from .cells import _who_check


def register_taken(lesson_ref: str = "pk") -> Exists:
    """An annotation on lessons: the register was taken (a check row, or an absence or
    lateness the teacher entered or confirmed; a parent's pending notice does not count)."""
    check = AttendanceCheck.objects.filter(lesson=OuterRef(lesson_ref))
    rows = Attendance.objects.filter(lesson=OuterRef(lesson_ref), pending=False)
    return Exists(check) | Exists(rows)


def attendance_check_of(lesson: Lesson) -> AttendanceCheck | None:
    """The lesson's check as `select_related("attendance_check")` read it (or one query)."""
    try:
        return lesson.attendance_check
    except AttendanceCheck.DoesNotExist:
        return None


@transaction.atomic
def attendance_check_mark(*, actor, lesson: Lesson) -> AttendanceCheck:
    """Record that `actor` took the register at the lesson: those absent or late are marked
    in its cells, everybody else was present. The rules of an attendance cell apply: the
    course's teacher or the lesson's substitute, a lesson that has started and was not
    cancelled, within the days allowed for attendance. A second call keeps the first time.
    Queries: who may edit (1), the check (1), and for a new one its insert and read (2)."""
    school = lesson.school
    now = timezone.now()
    _who_check(actor, lesson, school.today(), None)
    existing = AttendanceCheck.objects.filter(lesson=lesson).select_related("taken_by").first()
    if existing is not None:
        return existing
    if not lesson.is_cancelled and now < rules.lesson_start(school, lesson):
        raise Refusal(
            _("The lesson has not started yet: attendance is marked once it has begun."),
            "future",
        )
    rules.write_check(
        school=school,
        settings=school.settings,
        lesson=lesson,
        now=now,
        creating=True,
        entry_deadline=rules.attendance_entry_deadline(school, school.settings, lesson),
    )
    # a concurrent save of a cell may have written it meanwhile: the first time stays
    AttendanceCheck.objects.bulk_create(
        [AttendanceCheck(school=school, lesson=lesson, taken_at=now, taken_by=actor)],
        ignore_conflicts=True,
    )
    return AttendanceCheck.objects.select_related("taken_by").get(lesson=lesson)
