"""Which days a school studies (R-STR-1, R-TEN-2): the academic year, each grade's study
week (5 or 6 days) and the holidays of the calendar, some of them for a few grades only.
A day is a school day when some grade studies on it. Loaded for many schools at once: the
dispatcher's sweep reads the calendars of every school in three queries."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from schedule.models import AcademicYear, GradeLevel, Holiday

ALL_GRADES = frozenset(range(1, 12))


@dataclass
class SchoolCalendar:
    # (first day, last day, {grade: study days a week}) of each academic year
    years: list[tuple[dt.date, dt.date, dict[int, int]]] = field(default_factory=list)
    # (first day, last day, grades it applies to)
    holidays: list[tuple[dt.date, dt.date, frozenset[int]]] = field(default_factory=list)

    def is_school_day(self, day: dt.date) -> bool:
        for first, last, weeks in self.years:
            if not first <= day <= last:
                continue
            studying = {g for g in (weeks or ALL_GRADES) if day.weekday() < weeks.get(g, 5)}
            for start, end, grades in self.holidays:
                if start <= day <= end:
                    studying -= grades
            return bool(studying)
        return False

    def school_day_on_or_before(self, day: dt.date, limit: int = 6) -> dt.date | None:
        for back in range(limit + 1):
            candidate = day - dt.timedelta(days=back)
            if self.is_school_day(candidate):
                return candidate
        return None

    def school_day_on_or_after(self, day: dt.date, limit: int = 6) -> dt.date | None:
        for ahead in range(limit + 1):
            candidate = day + dt.timedelta(days=ahead)
            if self.is_school_day(candidate):
                return candidate
        return None

    def first_school_day_of_month(self, day: dt.date) -> dt.date | None:
        first = day.replace(day=1)
        candidate = self.school_day_on_or_after(first, limit=27)
        return candidate if candidate and candidate.month == first.month else None


def calendars_load(
    school_ids: Iterable[int], first: dt.date, last: dt.date
) -> dict[int, SchoolCalendar]:
    """{school id: calendar} for the days from `first` to `last` (three queries)."""
    school_ids = list(school_ids)
    calendars: dict[int, SchoolCalendar] = defaultdict(SchoolCalendar)
    weeks: dict[int, dict[int, int]] = defaultdict(dict)
    for year_id, grade, days in GradeLevel.objects.filter(
        school__in=school_ids, year__starts_on__lte=last, year__ends_on__gte=first
    ).values_list("year_id", "grade", "study_days"):
        weeks[year_id][grade] = days
    for year_id, school_id, starts, ends in AcademicYear.objects.filter(
        school__in=school_ids, starts_on__lte=last, ends_on__gte=first
    ).values_list("pk", "school_id", "starts_on", "ends_on"):
        calendars[school_id].years.append((starts, ends, weeks[year_id]))
    for school_id, starts, ends, grades in Holiday.objects.filter(
        school__in=school_ids, starts_on__lte=last, ends_on__gte=first
    ).values_list("school_id", "starts_on", "ends_on", "grades"):
        only = frozenset(int(g) for g in grades.replace(" ", "").split(",") if g.isdigit())
        calendars[school_id].holidays.append((starts, ends, only or ALL_GRADES))
    return calendars
