"""The values of an MSPDI file as Project writes them: whole numbers, flags, references to
other items, dates, clock times and ISO 8601 durations. Each reader either returns the value
or raises, and its caller decides whether that is the file's problem or one task's."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

from projects.services.dates import check_calendar

# MSPDI's DurationFormat codes of elapsed durations (calendar time, 24 hours a day): em, eh,
# ed, ew, emo, e% and their estimated ("?") forms.
ELAPSED_FORMATS = {"4", "6", "8", "10", "12", "20", "36", "38", "40", "42", "44", "52"}
_NUMBER = r"(\d{1,9}(?:\.\d{1,6})?)"
_DURATION = re.compile(
    rf"(-)?P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)


def integer(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else None


def flag(text: str | None) -> bool:
    return (text or "").strip().lower() in ("1", "true")


def reference(text: str) -> int | None:
    """A reference to another item (a UID); -1 (and blank) refers to none."""
    value = integer(text)
    return value if value is not None and value >= 0 else None


def a_date(text: str) -> date:
    """A date from MSPDI's "2026-03-06T17:00:00". Project writes the plan's wall-clock time
    without a zone; the date is the one written, never shifted into the server's zone.
    Raises ValueError (not a date) or DomainError (outside the sane calendar)."""
    value = datetime.fromisoformat(text).date()
    check_calendar(value, field="file")
    return value


def clock_time(text: str) -> time:
    return time(0, 0) if text.strip() == "24:00:00" else time.fromisoformat(text.strip())


def minutes(text: str) -> Decimal:
    """The minutes of an ISO 8601 duration ("PT16H0M0S", "PT0H0M0S", "P2DT4H"); a day (D)
    is 24 hours, as in XML Schema. Raises ValueError with the reason."""
    match = _DURATION.fullmatch(text.strip())
    if not match or not any(match.groups()[1:]) or text.strip().endswith("T"):
        raise ValueError("cannot be read (a duration looks like PT16H0M0S)")
    sign, years, months, days, hours, mins, seconds = match.groups()
    if years or months:
        raise ValueError("is in years or months, which have no fixed length")
    total = (
        Decimal(days or 0) * 1440
        + Decimal(hours or 0) * 60
        + Decimal(mins or 0)
        + Decimal(seconds or 0) / 60
    )
    if sign and total:
        raise ValueError("is negative")
    return total
