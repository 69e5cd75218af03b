"""The dates a project's services accept, defined once.

A typed year 9999 (or 0001) once took the directors' dashboard down for everyone whose
selection held the project, and a single 1990 cost line made the cost page draw 36 years of
months. Every date a service accepts therefore lies in a sane calendar, and a project's dated
items (cost months, milestones, RAID due dates) within the project's span give or take
SPAN_MARGIN_YEARS: enough for early spend and a long tail, never a typo's century.
Status reports have their own calendar (reporting_window): months from the project's start
to the month in progress.
"""

from __future__ import annotations

import calendar
from datetime import date

from projects.services.common import DomainError

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)
SPAN_MARGIN_YEARS = 3


def month_end(day: date) -> date:
    """The last day of `day`'s month: where every reporting period ends."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month (before, when negative)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def check_calendar(value: date, *, field: str) -> None:
    """Refuse a date outside the sane calendar, naming the field."""
    if not EARLIEST <= value <= LATEST:
        raise DomainError(
            f"Dates run from {_day(EARLIEST)} to {_day(LATEST)}; check the year.", field=field
        )


def project_window(project) -> tuple[date, date]:
    """First and last day a project's dated items may fall on: the span from its baseline
    start to the later of its baseline and forecast finish, widened by SPAN_MARGIN_YEARS
    (in whole months) and kept inside the sane calendar (so a project row written with a
    wild date by hand cannot make the arithmetic leave Python's calendar)."""
    finish = max(project.baseline_finish, project.forecast_finish or project.baseline_finish)
    start = min(max(project.baseline_start, EARLIEST), LATEST)
    finish = min(max(finish, EARLIEST), LATEST)
    first = add_months(start, -12 * SPAN_MARGIN_YEARS)
    last = month_end(add_months(finish, 12 * SPAN_MARGIN_YEARS))
    return max(first, EARLIEST), min(last, LATEST)


def check_within_project(project, value: date, *, field: str, what: str = "The date") -> None:
    """Refuse a date outside the project's window (project_window), naming the field."""
    first, last = project_window(project)
    if not first <= value <= last:
        raise DomainError(
            f"{what} must lie between {first:%b %Y} and {last:%b %Y}: the project's span "
            f"({project.baseline_start:%b %Y} to its finish) give or take "
            f"{SPAN_MARGIN_YEARS} years.",
            field=field,
        )


def cost_month_range(project) -> tuple[date, date]:
    """The first days of the first and last months a cost line of the project may have."""
    first, last = project_window(project)
    return first.replace(day=1), last.replace(day=1)


def check_cost_month(project, month: date, *, field: str = "month") -> None:
    """Refuse a cost month outside the project's window, naming the field."""
    check_within_project(project, month, field=field, what="Cost months")


def reporting_window(project, *, today: date) -> tuple[date, date]:
    """The first and last period ends a status report of the project may have: the end of
    the month the project starts in, and the end of the month in progress (a report is
    often written in the last days of its month, before it falls due)."""
    first = month_end(project.baseline_start)
    last = month_end(today)
    return first, max(first, last)


def check_period_end(project, period_end: date, *, today: date) -> date:
    """The period end snapped to its month end, or a DomainError on `period_end` when it lies
    outside the reporting calendar."""
    snapped = month_end(period_end)
    first, last = reporting_window(project, today=today)
    if snapped < first:
        raise DomainError(
            f"The project starts in {project.baseline_start:%B %Y}: its first period ends "
            f"{_day(first)}.",
            field="period_end",
        )
    if snapped > last:
        raise DomainError(
            f"Periods can be reported up to the month in progress (ending {_day(last)}).",
            field="period_end",
        )
    return snapped
