"""Reads of portfolio core data that other apps share."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def current_fiscal_year(today: date | None = None) -> int:
    """The fiscal year budget envelopes are read for: the calendar year of today's date.

    Organisations whose fiscal year starts in another month will need a setting here.
    """
    return (today or timezone.localdate()).year
