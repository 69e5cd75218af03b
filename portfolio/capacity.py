"""Capacity arithmetic: how many hours a resource group can deliver in a month.

Resources state their capacity in hours per week. A month's capacity is that week spread over
its five working days, times the month's working days (Monday to Friday; public holidays are
not modelled). So a 37.5 h/week developer supplies 7.5 h × 22 = 165 h in a 22-working-day
month and 150 h in a 20-day one — the same figure a resource manager would work out by hand,
rather than a flat 52/12 weeks that over-states short months.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

WORKING_DAYS_PER_WEEK = 5


def working_days(month: date) -> int:
    """Monday-to-Friday days in the calendar month of `month`."""
    _first_weekday, days = calendar.monthrange(month.year, month.month)
    return sum(1 for day in range(1, days + 1) if date(month.year, month.month, day).weekday() < 5)


def monthly_capacity(weekly_hours: Decimal, month: date) -> Decimal:
    """Hours supplied in the month of `month` by `weekly_hours` of weekly capacity (1 dp)."""
    return (weekly_hours * working_days(month) / WORKING_DAYS_PER_WEEK).quantize(Decimal("0.1"))


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def yearly_capacity(weekly_hours: Decimal, year: int, *, start_month: int | None = None) -> Decimal:
    """Hours supplied over fiscal year `year` (starting in `start_month`, the policy's when
    None): its twelve months' capacities summed."""
    from portfolio.selectors import fiscal_year_months

    first, _last = fiscal_year_months(year, start_month=start_month)
    months = [date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, 1)
              for n in range(12)]  # fmt: skip
    return sum((monthly_capacity(weekly_hours, month) for month in months), Decimal("0"))
