"""Month arithmetic for the generator: every demo date is placed relative to one reference day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def months_between(first: date, last: date) -> int:
    """Whole months from `first`'s month to `last`'s month (0 when they share a month)."""
    return (last.year - first.year) * 12 + last.month - first.month


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A timestamp on `day`, in UTC (the database stores UTC)."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)
