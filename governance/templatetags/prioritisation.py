"""Small filters of the prioritisation pages. Load with `{% load prioritisation %}`."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

from ppm.templatetags.conductor import format_signed

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
    return format_signed(int(value or 0))


@register.filter
def signed_hours(value) -> str:
    """A change in hours with its sign: '+40 h', '−100 h', '0 h'."""
    return format_signed(Decimal(value or 0).quantize(Decimal("1"), rounding=ROUND_HALF_UP), " h")


@register.filter
def hours(value) -> str:
    """Whole hours with thousands separated: '12,480'; '—' when unknown."""
    if value is None or value == "":
        return "—"
    number = Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return f"{MINUS}{-number:,}" if number < 0 else f"{number:,}"
