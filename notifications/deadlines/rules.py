"""When each deadline job runs: the school's settings (times and switches), its calendar
and its reporting periods decide; every time is the school's local time (R-TEN-2).

- Daily jobs run on school days only: not at weekends of the school's study week, not in
  holidays (a day is a school day when some grade studies on it).
- Weekly jobs run on their weekday; when it is not a school day, the report moves to the
  last school day before it in the same week, the Monday reconciliation to the first school
  day after it.
- The monthly printed reports are made on the first school day of the month.
- Period jobs: the forecast on the last school day at least `forecast_days_before_end`
  days before the period ends (R-MRK-8: "not later than"); missing period marks on the
  first weekday after the days allowed for them (R-FIN-1), then the deputy the weekday
  after. These two count weekdays, not school days: the days after a period are vacation,
  and the teachers still work in them."""

import datetime as dt
from dataclasses import dataclass

from accounts.models import SchoolSettings
from schedule.models import ReportingPeriod

from ..models import DeadlineKind as K
from .calendar import SchoolCalendar


@dataclass(frozen=True)
class Due:
    kind: str
    at: dt.time  # local time of the deadline on the day


def _later(at: dt.time, minutes: int) -> dt.time:
    moment = dt.datetime.combine(dt.date(2000, 1, 1), at) + dt.timedelta(minutes=minutes)
    return moment.time() if moment.day == 1 else dt.time(23, 59)


def _week_day(day: dt.date, weekday: int) -> dt.date:
    return day - dt.timedelta(days=day.weekday() - weekday)


def _weekly_on(calendar: SchoolCalendar, day: dt.date, weekday: int, later: bool) -> bool:
    """Whether `day` is the day of a weekly job set for `weekday`, moved to a school day
    within the same week."""
    target = _week_day(day, weekday)
    if later:
        moved = calendar.school_day_on_or_after(target, limit=6 - weekday)
    else:
        moved = calendar.school_day_on_or_before(target, limit=weekday)
    return moved == day


def _next_weekday(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def forecast_day(settings: SchoolSettings, calendar: SchoolCalendar, period) -> dt.date | None:
    target = period.ends_on - dt.timedelta(days=settings.forecast_days_before_end)
    return calendar.school_day_on_or_before(target, limit=14)


def period_marks_day(settings: SchoolSettings, period) -> dt.date:
    return _next_weekday(period.ends_on + dt.timedelta(days=settings.period_marks_days_after_end))


def run_periods(
    kind: str, settings: SchoolSettings, calendar: SchoolCalendar, day: dt.date, periods
) -> list:
    """The periods a period job of `day` is about (empty for the other kinds)."""
    if kind == K.FORECAST:
        return [p for p in periods if forecast_day(settings, calendar, p) == day]
    if kind == K.PERIOD_MARKS:
        return [p for p in periods if period_marks_day(settings, p) == day]
    if kind == K.PERIOD_MARKS_DEPUTY:
        return [p for p in periods if _next_weekday(period_marks_day(settings, p)) == day]
    return []


def deadlines_of_day(
    settings: SchoolSettings, calendar: SchoolCalendar, day: dt.date, periods=()
) -> list[Due]:
    """Every deadline job of the school on the local day `day`, with its local time."""
    s = settings
    due: list[Due] = []
    if calendar.is_school_day(day):
        if s.first_lesson_reminders:
            due.append(Due(K.FIRST_ATTENDANCE, s.first_lesson_attendance_deadline))
            due.append(
                Due(
                    K.FIRST_ATTENDANCE_DEPUTY,
                    _later(s.first_lesson_attendance_deadline, s.first_lesson_escalation_minutes),
                )
            )
        if s.absence_reason_reminders:
            due.append(Due(K.ABSENCE_REASONS, s.absence_reason_deadline))
        if s.absence_digest:
            due.append(Due(K.ABSENCE_DIGEST, s.absence_digest_time))
        if s.lesson_content_reminders:
            due.append(Due(K.LESSON_CONTENT, s.current_marks_deadline))
            due.append(Due(K.LESSON_CONTENT_DEPUTY, s.deputy_morning_time))
        if s.reconciliation_reminders and _weekly_on(calendar, day, 0, later=True):
            due.append(Due(K.RECONCILIATION, s.weekly_reconciliation_deadline))
        if s.parent_reports and _weekly_on(calendar, day, s.parent_report_weekday, later=False):
            due.append(Due(K.PARENT_REPORT, s.parent_report_time))
        if s.failing_reports and _weekly_on(calendar, day, s.failing_report_weekday, later=False):
            due.append(Due(K.FAILING, s.failing_report_time))
        if s.print_batches and calendar.first_school_day_of_month(day) == day:
            due.append(Due(K.PRINT_BATCH, s.parent_report_time))
    if s.forecast_notices and run_periods(K.FORECAST, s, calendar, day, periods):
        due.append(Due(K.FORECAST, s.period_notices_time))
    if s.period_marks_reminders:
        for kind in (K.PERIOD_MARKS, K.PERIOD_MARKS_DEPUTY):
            if run_periods(kind, s, calendar, day, periods):
                due.append(Due(kind, s.period_notices_time))
    return due


def periods_near(school_ids, day: dt.date) -> dict[int, list[ReportingPeriod]]:
    """{school id: periods ending from 3 weeks before `day` to 2 months after}: every
    period a period job of `day` can be about (one query)."""
    found: dict[int, list[ReportingPeriod]] = {}
    for period in ReportingPeriod.objects.filter(
        school__in=school_ids,
        ends_on__gte=day - dt.timedelta(days=21),
        ends_on__lte=day + dt.timedelta(days=62),
    ).order_by("ends_on", "kind", "number"):
        found.setdefault(period.school_id, []).append(period)
    return found
