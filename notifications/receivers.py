"""Turns the journal's signals into notifications (R-NOT-5) for the student (when he has an
account) and his parents' accounts. The signals come inside the journal's writing
transaction, so the rows commit or roll back with the change.

Cost of one mark or attendance save: one query reads the recipients (the student, his
parents through a subquery) with their channel and quiet hours, one writes the rows; a
changed mark whose work type the service did not load adds one. Homework for a whole course:
its students, their parents, the recipients' preferences, the rows — four queries whatever
the class size.

Texts are written in the site's language (LANGUAGE_CODE), not the teacher's: they are read
by the family."""

import datetime as dt
import logging

from django.conf import settings
from django.db.models import QuerySet
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import ParentLink, School
from journal import signals
from journal.models import Attendance, JournalChange
from journal.services.lessons import homework_text
from schedule.selectors import course_students_on

from .models import Kind
from .services.notices import Notice, notify_many

log = logging.getLogger(__name__)
Action = JournalChange.Action


def diary_url(school: School, student_id: int, day: dt.date) -> str:
    """The child's diary week of `day`."""
    try:
        path = reverse("diary_week", args=[school.slug, student_id])
    except NoReverseMatch:  # the diary is not linked in: a notice without a link, not an error
        log.error("notifications: URL diary_week is missing; notice left without a link")
        return ""
    return f"{path}?date={day.isoformat()}"


def _for_parent(child_name: str, title: str) -> str:
    return _("%(child)s — %(title)s") % {"child": child_name, "title": title}


def _family_notices(
    lesson, student, *, title: str, body: str, parents: QuerySet | None = None
) -> list[Notice]:
    """The notice for the student himself and, titled with his name, for his parents."""
    url = diary_url(lesson.school, student.pk, lesson.date)
    if parents is None:
        parents = ParentLink.objects.filter(
            school=lesson.school_id, student=student.pk, parent__user__isnull=False
        ).values("parent__user")
    notices = [Notice(parents, _for_parent(student.short_name, title), body, url)]
    if student.user_id:
        notices.append(Notice([student.user_id], title, body, url))
    return notices


def _lesson_line(lesson) -> str:
    return _("Lesson of %(date)s, №%(number)s.") % {
        "date": f"{lesson.date:%d.%m.%Y}",
        "number": lesson.number,
    }


def _value(text: str) -> str:
    """The mark of a cell's text «4 (comment)»."""
    return text.split(" ", 1)[0] if text else ""


@receiver(signals.mark_changed, dispatch_uid="notifications.mark_changed")
def mark_changed(sender, *, mark, lesson, student, action, old="", **kwargs):
    """A new mark: MARK_NEW; a changed or removed one: MARK_CHANGED, with old → new."""
    subject = lesson.subject.name
    with translation.override(settings.LANGUAGE_CODE):
        body = [_lesson_line(lesson)]
        if mark is None:
            kind = Kind.MARK_CHANGED
            title = _("%(subject)s: mark %(old)s removed") % {
                "subject": subject,
                "old": _value(old),
            }
        else:
            work_type = mark.work_type.name
            if action == Action.CREATE:
                kind = Kind.MARK_NEW
                title = _("%(subject)s: %(mark)s (%(work_type)s)") % {
                    "subject": subject,
                    "mark": mark.value,
                    "work_type": work_type,
                }
            elif _value(old) == mark.value:
                kind = Kind.MARK_CHANGED
                title = _("%(subject)s: the comment on mark %(mark)s changed (%(work_type)s)") % {
                    "subject": subject,
                    "mark": mark.value,
                    "work_type": work_type,
                }
            else:
                kind = Kind.MARK_CHANGED
                title = _("%(subject)s: mark changed %(old)s → %(new)s (%(work_type)s)") % {
                    "subject": subject,
                    "old": _value(old),
                    "new": mark.value,
                    "work_type": work_type,
                }
            if mark.comment:
                body.append(_("Teacher's comment: %(comment)s") % {"comment": mark.comment})
        notices = _family_notices(lesson, student, title=title, body="\n".join(body))
    notify_many(school=lesson.school, kind=kind, notices=notices)


@receiver(signals.attendance_changed, dispatch_uid="notifications.attendance_changed")
def attendance_changed(sender, *, attendance, lesson, student, **kwargs):
    """An absence or a lateness set: ABSENCE. Not for an absence the parent announced
    himself (R-ATT-4: pending, or confirmed from his notice), nor for «present again»."""
    if attendance is None or attendance.pending:
        return
    if attendance.notice_id and attendance.kind == Attendance.Kind.ABSENT:
        return
    with translation.override(settings.LANGUAGE_CODE):
        if attendance.kind == Attendance.Kind.LATE:
            title = _("%(subject)s: late for the lesson")
        else:
            title = _("%(subject)s: absent from the lesson")
        title %= {"subject": lesson.subject.name}
        notices = _family_notices(lesson, student, title=title, body=_lesson_line(lesson))
    notify_many(school=lesson.school, kind=Kind.ABSENCE, notices=notices)


@receiver(signals.homework_changed, dispatch_uid="notifications.homework_changed")
def homework_changed(sender, *, record, lesson, **kwargs):
    """Homework set or changed: HOMEWORK to the course's students and their parents, in
    bulk (four queries for any class size)."""
    students = list(
        course_students_on(lesson.group, lesson.subject_id, lesson.date).values_list(
            "pk", "last_name", "first_name", "user_id"
        )
    )
    if not students:
        return
    parents: dict[int, list[int]] = {}
    for student_id, user_id in ParentLink.objects.filter(
        school=lesson.school_id,
        student__in=[s[0] for s in students],
        parent__user__isnull=False,
    ).values_list("student_id", "parent__user_id"):
        parents.setdefault(student_id, []).append(user_id)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(subject)s: homework") % {"subject": lesson.subject.name}
        text = homework_text(record.homework, record.homework_pages, record.homework_exercises)
        body = "\n".join(
            [text, _("Given at the lesson of %(date)s.") % {"date": f"{lesson.date:%d.%m.%Y}"}]
        )
        notices = []
        for student_id, last_name, first_name, user_id in students:
            url = diary_url(lesson.school, student_id, lesson.date)
            if user_id:
                notices.append(Notice([user_id], title, body, url))
            if student_id in parents:
                child = f"{last_name} {first_name}"
                notices.append(Notice(parents[student_id], _for_parent(child, title), body, url))
    notify_many(school=lesson.school, kind=Kind.HOMEWORK, notices=notices)
