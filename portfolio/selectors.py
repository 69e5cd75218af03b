"""Reads of portfolio core data that other apps share."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import timezone


def current_fiscal_year(today: date | None = None) -> int:
    """The fiscal year `today` (the organisation's day) falls in. Fiscal year N starts on the
    first day of FISCAL_YEAR_START_MONTH in year N: with April, 15 Feb 2027 is in FY2026."""
    today = today or timezone.localdate()
    return today.year if today.month >= settings.FISCAL_YEAR_START_MONTH else today.year - 1


def fiscal_year_months(year: int) -> tuple[date, date]:
    """The first and the last month (each as its first day) of fiscal year `year`."""
    start = settings.FISCAL_YEAR_START_MONTH
    first = date(year, start, 1)
    last = date(year + (start + 10) // 12, (start + 10) % 12 + 1, 1)
    return first, last


def fiscal_year_label(year: int) -> str:
    """FY2026 for a calendar fiscal year; FY2026/27 for one that starts in another month."""
    if settings.FISCAL_YEAR_START_MONTH == 1:
        return f"FY{year}"
    return f"FY{year}/{(year + 1) % 100:02d}"
