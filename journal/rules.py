"""When a cell may be written (R-MRK-5, R-MRK-6, R-ATT-2), in the school's local time.

- Nothing is entered on a lesson that has not started or was cancelled.
- A new current mark is entered until the end of the school day `marks_limit_days` after the
  lesson, or longer for work types that allow a longer check in the lesson's grade (an essay
  in grades 10-11: 14 days).
- A new absence or lateness is entered until `attendance_limit_days` after the lesson.
- An existing value is changed or removed until the edit window closes (never, when the
  school chose "never locked"), or while new values may still be entered in the cell,
  whichever is later: a teacher who may still enter an essay mark may also fix it.
Past these, the cell is locked and a change needs a correction request a deputy approves."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import School, SchoolSettings, WorkType
from schedule.models import Lesson


@dataclass
class Refusal(Exception):
    """A value the journal will not take, with the reason shown in the cell. `locked` ones
    can still be changed through a correction request."""

    message: str
    code: str = "invalid"

    def __str__(self):
        return self.message

    @property
    def locked(self) -> bool:
        return self.code == "locked"


def _end_of_day(school: School, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=school.tz)


def lesson_start(school: School, lesson: Lesson) -> dt.datetime:
    return dt.datetime.combine(lesson.date, lesson.starts_at, tzinfo=school.tz)


def check_days(work_type: WorkType | None, grade: int) -> int | None:
    if work_type is None or not work_type.check_days:
        return None
    grades = {int(g) for g in work_type.check_days_grades.split(",") if g}
    if grades and grade not in grades:
        return None
    return work_type.check_days


def mark_entry_deadline(
    school: School, settings: SchoolSettings, lesson: Lesson, work_type: WorkType, grade: int
) -> dt.datetime:
    days = max(settings.marks_limit_days, check_days(work_type, grade) or 0)
    return _end_of_day(school, lesson.date + dt.timedelta(days=days))


def attendance_entry_deadline(
    school: School, settings: SchoolSettings, lesson: Lesson
) -> dt.datetime:
    return _end_of_day(school, lesson.date + dt.timedelta(days=settings.attendance_limit_days))


def edit_deadline(school: School, settings: SchoolSettings, lesson: Lesson) -> dt.datetime | None:
    if settings.edit_window_days == SchoolSettings.EditWindow.NEVER_LOCKED:
        return None
    return _end_of_day(school, lesson.date + dt.timedelta(days=settings.edit_window_days))


def lesson_open_check(school: School, lesson: Lesson, now: dt.datetime) -> None:
    if lesson.is_cancelled:
        raise Refusal(_("The lesson was cancelled."), "cancelled")
    if now < lesson_start(school, lesson):
        raise Refusal(_("The lesson has not started yet."), "future")


def _locked(deadline: dt.datetime, school: School) -> Refusal:
    local = timezone.localtime(deadline - dt.timedelta(microseconds=1), school.tz)
    return Refusal(
        _("The cell is locked since %(date)s: ask the deputy head for a correction.")
        % {"date": local.strftime("%d.%m.%Y")},
        "locked",
    )


def write_check(
    *,
    school: School,
    settings: SchoolSettings,
    lesson: Lesson,
    now: dt.datetime,
    creating: bool,
    entry_deadline: dt.datetime,
) -> None:
    """Raise a Refusal unless a value may be created (or changed) in the lesson's cell now."""
    lesson_open_check(school, lesson, now)
    if creating:
        if now >= entry_deadline:
            raise _locked(entry_deadline, school)
        return
    deadline = edit_deadline(school, settings, lesson)
    if deadline is not None:
        deadline = max(deadline, entry_deadline)
        if now >= deadline:
            raise _locked(deadline, school)
