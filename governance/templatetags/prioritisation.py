"""Small filters of the prioritisation pages. Load with `{% load prioritisation %}`."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()

MINUS = "−"


@register.filter
def neg(value):
    """The opposite of a number (a release shown as a fall in spend)."""
    if value is None or value == "":
        return value
    return -Decimal(value) if not isinstance(value, int) else -value


@register.filter
def signed(value) -> str:
    """A count with its sign: '+2', '−1', '0'."""
    number = int(value or 0)
    if number > 0:
        return f"+{number}"
    if number < 0:
        return f"{MINUS}{-number}"
    return "0"


@register.filter
def signed_hours(value) -> str:
    """A change in hours with its sign: '+40 h', '−100 h', '0 h'."""
    number = Decimal(value or 0).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    if number > 0:
        return f"+{number:,} h"
    if number < 0:
        return f"{MINUS}{-number:,} h"
    return "0 h"


@register.filter
def hours(value) -> str:
    """Whole hours with thousands separated: '12,480'; '—' when unknown."""
    if value is None or value == "":
        return "—"
    number = Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return f"{MINUS}{-number:,}" if number < 0 else f"{number:,}"
