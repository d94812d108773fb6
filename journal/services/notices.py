"""A parent's advance notice of an absence (R-ATT-4).

Decisions:

- **Who.** A parent of the child (ParentLink with his account). Students and trusted
  persons read the notices in the diary but do not file them.
- **When.** From the school's local today, for at most `MAX_DAYS` calendar days; a notice
  is about what has not happened yet.
- **What it writes.** The notice, and in the same transaction a *pending* absence
  (kind absent, pending, created by the parent) at every lesson of the child in the range
  that is not cancelled, has not started yet, is one of the given numbers (all lessons
  for whole days), and has no attendance row yet: a teacher's own mark is never
  overwritten, and a lesson already under way is the teacher's to judge. The child's own
  lessons are those of schedule.timetable_selectors.student_lessons (his subgroups and
  individual curriculum). Each pending absence appends an entry to the journal's history
  (reason «заявление родителя»).
- **The teacher decides.** A pending absence shows in the grid as «н» of its own style;
  typing «н» confirms it, clearing it says the child came (journal.services.cells.
  attendance_set). A lesson added after the notice gets nothing.
- **Withdrawal.** A parent of the child withdraws a notice that is not over yet: the
  pending absences of lessons that have not started are removed (with history entries),
  confirmed ones and those of lessons already under way stay for the teacher; the notice
  keeps its rows and gets `withdrawn_at`.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ParentLink, Student, User
from schedule.timetable_selectors import student_lessons

from ..history import chain_lock, change_record
from ..models import AbsenceNotice, Attendance, JournalChange
from ..rules import Refusal, lesson_start
from .cells import NOTICE_REASON, PENDING_TEXT, _label

MAX_DAYS = 30
MAX_LESSON_NUMBER = 12
NOTICE_WITHDRAWN = "заявление родителя отозвано"


def _parent_check(actor: User, student: Student) -> None:
    if not ParentLink.objects.filter(
        school=student.school_id, student=student, parent__user=actor
    ).exists():
        raise Refusal(_("Only a parent of the child may send or withdraw a notice."), "forbidden")


def lesson_numbers_parse(raw: Iterable) -> list[int]:
    """Sorted distinct lesson numbers; a Refusal for anything else."""
    numbers = set()
    for item in raw:
        text = str(item).strip()
        if not text:
            continue
        if not text.isdigit() or not 0 <= int(text) <= MAX_LESSON_NUMBER:
            raise Refusal(
                _("Lesson numbers are whole numbers from 0 to %(max)s.")
                % {"max": MAX_LESSON_NUMBER},
                "invalid",
            )
        numbers.add(int(text))
    return sorted(numbers)


@dataclass(frozen=True)
class Filed:
    notice: AbsenceNotice
    absences: int  # pending absences written


@transaction.atomic
def absence_notice_file(
    *,
    actor: User,
    student: Student,
    starts_on: dt.date,
    ends_on: dt.date,
    lesson_numbers: Iterable = (),
    reason: str,
    comment: str = "",
) -> Filed:
    """File the notice and pre-fill the pending absences it covers (R-ATT-4)."""
    school = student.school
    now = timezone.now()
    today = school.today()
    _parent_check(actor, student)
    numbers = lesson_numbers_parse(lesson_numbers)
    if reason not in AbsenceNotice.Reason.values:
        raise Refusal(_("Choose the reason."), "invalid")
    if ends_on is None:
        ends_on = starts_on
    if starts_on < today:
        raise Refusal(_("A notice is sent in advance: the first day has passed."), "invalid")
    if ends_on < starts_on:
        raise Refusal(_("The last day is before the first."), "invalid")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise Refusal(_("A notice covers at most %(days)s days.") % {"days": MAX_DAYS}, "invalid")
    comment = " ".join(comment.split())
    if len(comment) > 500:
        raise Refusal(_("The comment is too long (at most 500 characters)."), "invalid")

    head = chain_lock(school.pk)
    notice = AbsenceNotice.objects.create(
        school=school,
        student=student,
        starts_on=starts_on,
        ends_on=ends_on,
        lesson_numbers=",".join(str(n) for n in numbers),
        reason=reason,
        comment=comment,
        created_by=actor,
        created_at=now,
    )
    lessons = (
        student_lessons(student, starts_on, ends_on)
        .filter(is_cancelled=False)
        .select_related("school_class")
    )
    if numbers:
        lessons = lessons.filter(number__in=numbers)
    lessons = lessons.exclude(attendance__student=student)
    lessons = [lesson for lesson in lessons if lesson_start(school, lesson) > now]
    rows = Attendance.objects.bulk_create(
        Attendance(
            school=school,
            lesson=lesson,
            student=student,
            kind=Attendance.Kind.ABSENT,
            notice=notice,
            pending=True,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        for lesson in lessons
    )
    for lesson, row in zip(lessons, rows, strict=True):
        change_record(
            head=head,
            actor=actor,
            ip=None,
            action=JournalChange.Action.CREATE,
            subject_kind=JournalChange.Subject.ATTENDANCE,
            object_id=row.pk,
            label=_label(lesson, student),
            new=PENDING_TEXT,
            reason=NOTICE_REASON,
            lesson=lesson,
            student_id=student.pk,
            at=now,
        )
    return Filed(notice, len(rows))


@transaction.atomic
def absence_notice_withdraw(*, actor: User, notice: AbsenceNotice) -> int:
    """Withdraw the notice; returns how many pending absences were removed."""
    student = notice.student
    school = student.school
    now = timezone.now()
    _parent_check(actor, student)
    head = chain_lock(school.pk)
    notice = AbsenceNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.withdrawn_at is not None:
        raise Refusal(_("The notice has been withdrawn already."), "invalid")
    if notice.ends_on < school.today():
        raise Refusal(_("The notice is over: there is nothing to withdraw."), "invalid")
    pending = [
        row
        for row in Attendance.objects.filter(notice=notice, pending=True).select_related(
            "lesson__school_class", "lesson__subject"
        )
        if lesson_start(school, row.lesson) > now
    ]
    for row in pending:
        change_record(
            head=head,
            actor=actor,
            ip=None,
            action=JournalChange.Action.DELETE,
            subject_kind=JournalChange.Subject.ATTENDANCE,
            object_id=row.pk,
            label=_label(row.lesson, student),
            old=PENDING_TEXT,
            reason=NOTICE_WITHDRAWN,
            lesson=row.lesson,
            student_id=student.pk,
            at=now,
        )
    Attendance.objects.filter(pk__in=[row.pk for row in pending]).delete()
    notice.withdrawn_at = now
    notice.save(update_fields=["withdrawn_at"])
    return len(pending)
