"""Averages, the period-mark forecast and accumulation checks (R-MRK-7..9, R-FIN-3).

Pure functions: no database access. Callers pass (points, weight) pairs of the marks that have
points (зачёт/незачёт and special values have none and are left out by the caller).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Averages:
    count: int  # marks with points (зачёт/незачёт have none)
    simple: Decimal | None  # simple average, 2 decimals, ROUND_HALF_UP
    weighted: Decimal | None  # weighted by work-type weights, 2 decimals
    suggested: str  # the suggested (forecast) period mark "5"/"4"/"3"/"2", "" when no marks
    explanation: str  # how it was computed, Russian decimal comma

    @property
    def simple_text(self) -> str:
        return ru_decimal(self.simple) if self.simple is not None else ""

    @property
    def weighted_text(self) -> str:
        return ru_decimal(self.weighted) if self.weighted is not None else ""


EMPTY = Averages(count=0, simple=None, weighted=None, suggested="", explanation="")


def ru_decimal(value: Decimal) -> str:
    """1.50 → "1,5", 2.00 → "2", 3.89 → "3,89" (the Russian decimal comma, no trailing zeros)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def suggest(average: Decimal | None, settings) -> str:
    """The period mark a weighted average suggests, by the school's thresholds (R-MRK-8)."""
    if average is None:
        return ""
    if average >= settings.threshold_five:
        return "5"
    if average >= settings.threshold_four:
        return "4"
    if average >= settings.threshold_three:
        return "3"
    return "2"


def averages_compute(marks: Iterable[tuple[int, Decimal]], settings) -> Averages:
    """Simple and weighted averages of (points, weight) pairs and the forecast (R-MRK-7, R-MRK-8).

    A double mark is two pairs and so counts as two marks. The weighted average is rounded to
    2 decimals half up, and the suggestion compares that rounded value with the thresholds, so
    the explanation shown to people gives the same answer as the rule.
    """
    pairs = [(int(p), Decimal(w)) for p, w in marks]
    if not pairs:
        return EMPTY
    count = len(pairs)
    simple = (Decimal(sum(p for p, _w in pairs)) / count).quantize(TWO_PLACES, ROUND_HALF_UP)
    total_weight = sum((w for _p, w in pairs), Decimal(0))
    if total_weight > 0:
        weighted = (sum((p * w for p, w in pairs), Decimal(0)) / total_weight).quantize(
            TWO_PLACES, ROUND_HALF_UP
        )
    else:
        weighted = simple
    suggested = suggest(weighted, settings)
    if all(w == 1 for _p, w in pairs):
        numerator = " + ".join(str(p) for p, _w in pairs)
        explanation = f"({numerator}) ÷ {count} = {ru_decimal(weighted)} → {suggested}"
    else:
        numerator = " + ".join(f"{p}×{ru_decimal(w)}" for p, w in pairs)
        denominator = " + ".join(ru_decimal(w) for _p, w in pairs)
        explanation = f"({numerator}) ÷ ({denominator}) = {ru_decimal(weighted)} → {suggested}"
    return Averages(
        count=count, simple=simple, weighted=weighted, suggested=suggested, explanation=explanation
    )


def forecast_visible(settings, period_ends_on: dt.date, today: dt.date) -> bool:
    """Students and parents see the forecast from `forecast_days_before_end` days before the
    period ends (R-MRK-8: not later than 2 weeks before)."""
    return today >= period_ends_on - dt.timedelta(days=settings.forecast_days_before_end)


def accumulation_minimum(settings, hours_per_week: Decimal | None) -> int:
    """The least number of marks a student should have in a period (R-MRK-9); 0: unknown."""
    if hours_per_week is None or hours_per_week <= 0:
        return 0
    if hours_per_week < Decimal("1.5"):
        return settings.min_marks_one_hour
    if hours_per_week < Decimal("2.5"):
        return settings.min_marks_two_hours
    return settings.min_marks_three_hours


def period_mark_warnings(
    *, averages: Averages, value: str, minimum: int, has_control_work: bool | None
) -> list[str]:
    """Why a period mark may not be justified by current marks (R-FIN-3, R-MRK-9), in Russian.

    - the mark (when it has points) differs from the weighted average by 1 or more;
    - fewer marks than the minimum for the weekly hours;
    - no control, written, laboratory or practical work mark (has_control_work is False).
    """
    warnings: list[str] = []
    weighted = averages.weighted
    if value.isdigit() and weighted is not None and abs(Decimal(value) - weighted) >= 1:
        warnings.append(
            _("The mark %(value)s is far from the weighted average %(average)s.")
            % {"value": value, "average": ru_decimal(weighted)}
        )
    if minimum and averages.count < minimum:
        warnings.append(
            _("Too few marks: %(count)s of at least %(minimum)s.")
            % {"count": averages.count, "minimum": minimum}
        )
    if has_control_work is False:
        warnings.append(_("No control, written, laboratory or practical work mark in the period."))
    return warnings
