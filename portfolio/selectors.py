"""Reads of portfolio core data that other apps share."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def fiscal_year_start_month() -> int:
    """The month (1-12) the PMO's policy starts the fiscal year in (January until set).

    One query; a page that runs a query anyway reads it there instead
    (projects.selectors.policy_value("fiscal_year_start_month"))."""
    from portfolio.models import HealthPolicy

    month = HealthPolicy.objects.filter(pk=1).values_list("fiscal_year_start_month", flat=True)
    return month.first() or 1


def current_fiscal_year(today: date | None = None, *, start_month: int | None = None) -> int:
    """The fiscal year `today` (the organisation's day) falls in. Fiscal year N starts on the
    first day of the policy's start month in year N: with April, 15 Feb 2027 is in FY2026."""
    today = today or timezone.localdate()
    start = start_month or fiscal_year_start_month()
    return today.year if today.month >= start else today.year - 1


def current_fiscal_year_expression(start_month, today: date | None = None):
    """current_fiscal_year as a SQL expression of a start-month expression, for a query that
    reads the policy in the same statement (the dashboard's portfolio query)."""
    from django.db.models import Case, Value, When
    from django.db.models.lookups import GreaterThanOrEqual

    today = today or timezone.localdate()
    return Case(
        When(GreaterThanOrEqual(Value(today.month), start_month), then=Value(today.year)),
        default=Value(today.year - 1),
    )


def fiscal_year_months(year: int, *, start_month: int | None = None) -> tuple[date, date]:
    """The first and the last month (each as its first day) of fiscal year `year`."""
    start = start_month or fiscal_year_start_month()
    first = date(year, start, 1)
    last = date(year + (start + 10) // 12, (start + 10) % 12 + 1, 1)
    return first, last


def fiscal_year_label(year: int, *, start_month: int | None = None) -> str:
    """FY2026 for a calendar fiscal year; FY2026/27 for one that starts in another month."""
    if (start_month or fiscal_year_start_month()) == 1:
        return f"FY{year}"
    return f"FY{year}/{(year + 1) % 100:02d}"
