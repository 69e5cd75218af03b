"""Numbers and ids read by hand from a query string or a posted form.

`str.isdigit()` is not a test for "int() will read this": it holds for '²' and other Unicode
digits int() refuses, and for 5,000 ASCII digits, past Python's limit on int(). And an id
beyond PostgreSQL's bigint cannot name a row. So every view and selector that reads a number
from request.GET / request.POST itself (rather than through a form field) reads it here:
ASCII digits only, of a bounded length, within bounds.

`parse_int` / `parse_id` answer None for anything else, for parameters that fall back to a
default when they are wrong (a filter, a what-if toggle); `int_param` / `id_param` raise
BadRequest (Django answers 400) when the request cannot mean anything without the value.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import BadRequest

# PostgreSQL's bigint, the widest integer column (and every primary key) we have.
BIGINT_MAX = 2**63 - 1
BIGINT_MIN = -(2**63)
_ASCII_DIGITS = frozenset("0123456789")


def parse_int(
    text: str | None, *, min_value: int = BIGINT_MIN, max_value: int = BIGINT_MAX
) -> int | None:
    """The integer `text` spells in ASCII digits (an optional leading '-'), if it lies within
    [min_value, max_value]; None otherwise (None, empty, Unicode digits, too long, too big)."""
    if not text or not isinstance(text, str):
        return None
    digits = text[1:] if text[0] == "-" else text
    # 19 digits hold any bigint; a longer run is out of range whatever it says (and never
    # reaches int(), whose cost grows with the length).
    if not digits or len(digits) > 19 or not _ASCII_DIGITS.issuperset(digits):
        return None
    value = int(text)
    return value if min_value <= value <= max_value else None


def parse_id(text: str | None) -> int | None:
    """A primary key: a positive bigint in ASCII digits, or None."""
    return parse_int(text, min_value=1)


def int_param(
    query: Mapping[str, str],
    name: str,
    *,
    default: int | None = None,
    min_value: int = BIGINT_MIN,
    max_value: int = BIGINT_MAX,
    error: str = "",
) -> int | None:
    """`query[name]` as an integer within bounds; `default` when absent or empty; a 400
    (with `error`, or a sentence naming the parameter and its range) for anything else."""
    raw = query.get(name, "")
    if raw == "":
        return default
    value = parse_int(raw, min_value=min_value, max_value=max_value)
    if value is None:
        raise BadRequest(error or f"{name} must be a whole number from {min_value} to {max_value}.")
    return value


def id_param(query: Mapping[str, str], name: str, *, error: str = "") -> int:
    """`query[name]` as a row id; a 400 (with `error`) when it is missing or not one."""
    value = parse_id(query.get(name, ""))
    if value is None:
        raise BadRequest(error or f"{name} must be the id of a row ({name}=<id>).")
    return value
