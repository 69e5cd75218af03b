"""Scales: map an axis's values (dates or numbers) onto pixels, with round tick values.

Dates are placed by their day number, numbers by their value. Coordinates are floats because
they are positions on a drawing, not amounts: money stays Decimal everywhere it is a figure.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ppm.charts.model import Axis, AxisKind, Value

# Date tick steps, smallest first: (number, unit) where unit is "day", "month" or "year".
_DATE_STEPS: tuple[tuple[int, str], ...] = (
    (1, "day"),
    (2, "day"),
    (7, "day"),
    (14, "day"),
    (1, "month"),
    (2, "month"),
    (3, "month"),
    (6, "month"),
    (1, "year"),
    (2, "year"),
    (5, "year"),
    (10, "year"),
    (25, "year"),
    (50, "year"),
    (100, "year"),
)
_APPROX_DAYS = {"day": 1, "month": 30.44, "year": 365.25}

# The dates a chart draws. Python's calendar ends at 0001 and 9999, and round ticks step past
# a value (a year-9999 point needs a tick in 10000), so a date outside this window is left
# out of the drawing rather than failing the page: such a date is bad data, and the pages
# that show data point it out where it can be corrected (the rest of the chart still reads).
FIRST_DRAWABLE = date(1800, 1, 1)
LAST_DRAWABLE = date(2199, 12, 31)


def drawable(value: Value) -> bool:
    """Whether a value can be placed on an axis: a date in the drawable window, a finite
    number."""
    if isinstance(value, date):
        return FIRST_DRAWABLE <= value <= LAST_DRAWABLE
    return math.isfinite(value)


def _clamped(day: date) -> date:
    return min(max(day, FIRST_DRAWABLE), LAST_DRAWABLE)


def to_number(value: Value) -> float:
    """A value's position on its axis: a date's day number, a number itself."""
    if isinstance(value, date):
        return float(value.toordinal())
    return float(value)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _floor_date(day: date, count: int, unit: str) -> date:
    if unit == "day":
        if count == 7 or count == 14:
            return day - timedelta(days=day.weekday())  # weeks start on Monday
        return day
    if unit == "month":
        month0 = (day.month - 1) // count * count
        return date(day.year, month0 + 1, 1)
    return date(day.year // count * count, 1, 1)


def _next_date(day: date, count: int, unit: str) -> date:
    if unit == "day":
        return day + timedelta(days=count)
    if unit == "month":
        return _add_months(day, count)
    return date(day.year + count, 1, 1)


def _date_label(day: date, unit: str, previous: date | None) -> str:
    if unit == "day":
        # The month is named at the first tick and wherever it changes.
        if previous is None or previous.month != day.month:
            return f"{day.day} {calendar.month_abbr[day.month]}"
        return str(day.day)
    if unit == "month":
        if previous is None or previous.year != day.year:
            return f"{calendar.month_abbr[day.month]} {day.year}"
        return calendar.month_abbr[day.month]
    return str(day.year)


def date_ticks(lo: date, hi: date, max_ticks: int) -> tuple[date, date, list[tuple[date, str]]]:
    """Round tick dates covering [lo, hi] with at most `max_ticks` ticks.

    Returns the widened range (first and last tick) and the (date, label) ticks.
    """
    span = max((hi - lo).days, 1)
    for count, unit in _DATE_STEPS:
        if span / (count * _APPROX_DAYS[unit]) + 1 <= max_ticks:
            break
    start = _floor_date(lo, count, unit)
    ticks = [start]
    while ticks[-1] < hi:
        ticks.append(_next_date(ticks[-1], count, unit))
    labelled = []
    previous = None
    for tick in ticks:
        labelled.append((tick, _date_label(tick, unit, previous)))
        previous = tick
    return ticks[0], ticks[-1], labelled


def _nice_step(span: float, max_ticks: int) -> float:
    raw = span / max(max_ticks - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _number_label(value: float, step: float) -> str:
    # As many decimals as the step needs: 0.25 → 2, 0.5 and 2.5 → 1, 20 → 0.
    exponent = Decimal(repr(round(step, 10))).normalize().as_tuple().exponent
    places = max(0, -int(exponent))
    text = f"{value:,.{places}f}"
    return text.replace("-", "\N{MINUS SIGN}")


def number_ticks(
    lo: float, hi: float, max_ticks: int
) -> tuple[float, float, list[tuple[float, str]]]:
    """Round tick values (steps of 1, 2, 2.5 or 5 × 10^k) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    step = _nice_step(hi - lo, max_ticks)
    first = math.floor(lo / step) * step
    last = math.ceil(hi / step) * step
    count = round((last - first) / step)
    values = [first + i * step for i in range(count + 1)]
    return first, last, [(v, _number_label(v, step)) for v in values]


@dataclass(frozen=True)
class Scale:
    """A linear map from an axis's domain to a pixel range, with its ticks."""

    kind: AxisKind
    lo: float
    hi: float
    start: float
    end: float
    ticks: tuple[tuple[float, str], ...]

    def __call__(self, value: Value) -> float:
        return self.position(to_number(value))

    def position(self, number: float) -> float:
        share = (number - self.lo) / (self.hi - self.lo)
        return self.start + share * (self.end - self.start)

    def contains(self, value: Value) -> bool:
        number = to_number(value)
        return self.lo <= number <= self.hi

    @property
    def domain(self) -> tuple[Value, Value]:
        """The range shown, as values of the axis's kind (dates for a date axis)."""
        if self.kind == "date":
            return date.fromordinal(int(self.lo)), date.fromordinal(int(self.hi))
        return Decimal(str(self.lo)), Decimal(str(self.hi))


def build_scale(
    axis: Axis, values: Iterable[Value], *, start: float, end: float, max_ticks: int
) -> Scale:
    """A scale over `values` (and the axis's fixed bounds), widened to round ticks.

    Values that cannot be drawn (see `drawable`) do not stretch the scale."""
    values = list(values)
    for value in values:
        if (axis.kind == "date") != isinstance(value, date):
            raise TypeError(f"axis {axis.label!r} is a {axis.kind} axis, got {value!r}")
    values = [v for v in values if drawable(v)]
    fmt: Callable[[Value], str] | None = axis.tick_format
    if axis.kind == "date":
        days = [v for v in values if isinstance(v, date)]
        lo = axis.minimum if isinstance(axis.minimum, date) else min(days, default=None)
        hi = axis.maximum if isinstance(axis.maximum, date) else max(days, default=None)
        if lo is None or hi is None:
            lo = hi = date.today()
        lo, hi = _clamped(lo), _clamped(hi)
        if hi <= lo:  # one date only: show a month either side
            lo, hi = lo - timedelta(days=30), hi + timedelta(days=30)
        first, last, ticks = date_ticks(lo, hi, max_ticks)
        return Scale(
            kind="date",
            lo=float(first.toordinal()),
            hi=float(last.toordinal()),
            start=start,
            end=end,
            ticks=tuple((float(d.toordinal()), fmt(d) if fmt else label) for d, label in ticks),
        )
    numbers = [to_number(v) for v in values]
    lo_n = to_number(axis.minimum) if axis.minimum is not None else min(numbers, default=0.0)
    hi_n = to_number(axis.maximum) if axis.maximum is not None else max(numbers, default=1.0)
    first_n, last_n, nticks = number_ticks(lo_n, hi_n, max_ticks)
    if axis.minimum is not None:
        first_n = to_number(axis.minimum)
    if axis.maximum is not None:
        last_n = to_number(axis.maximum)
    kept = [(v, label) for v, label in nticks if first_n - 1e-9 <= v <= last_n + 1e-9]
    return Scale(
        kind="number",
        lo=first_n,
        hi=last_n if last_n > first_n else first_n + 1,
        start=start,
        end=end,
        ticks=tuple((v, fmt(Decimal(str(v))) if fmt else label) for v, label in kept),
    )
