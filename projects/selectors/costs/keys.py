"""How the cost grid names and shows things: cell and line keys, labels, the months of a
span, and amounts as people read and type them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from projects.choices import CostCategory, ExpenseType
from projects.services.costs import AMOUNT_FIELDS, CellKey

ZERO = Decimal("0.00")
MEASURE_LABELS = {"planned": "Planned", "actual": "Actual", "forecast": "Forecast"}
EXPENSE_LABELS = dict(ExpenseType.choices)
CATEGORY_LABELS = dict(CostCategory.choices)
# Every (expense type, category) pair in the order finance reads them: capex first.
ROW_KEYS: tuple[tuple[str, str], ...] = tuple(
    (expense_type, category)
    for expense_type in ExpenseType.values
    for category in CostCategory.values
)
MINUS = "−"


# --- Text as people read and type amounts -------------------------------------------------


def amount_text(value: Decimal) -> str:
    """'12,500' or '12,500.50' (cents only when there are some); '' for zero.

    parse_amount reads this back unchanged, so an untouched cell never looks edited.
    """
    if not value:
        return ""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def total_text(value: Decimal) -> str:
    """A total: like amount_text, but zero reads '0'."""
    return amount_text(value) or "0"


def signed_text(value: Decimal) -> str:
    """A variance with its sign: '+1,200', '−300', '0'."""
    if not value:
        return "0"
    text = amount_text(abs(value))
    return f"+{text}" if value > 0 else f"{MINUS}{text}"


def variance_css(value: Decimal | None) -> str:
    """Spending above plan is unfavourable (red, ▲); below plan favourable (green, ▼)."""
    if value is None or not value:
        return "var-zero"
    return "var-over" if value > 0 else "var-under"


# --- Keys ---------------------------------------------------------------------------------


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def cell_key(month: date, expense_type: str, category: str, measure: str) -> str:
    """A cell's name in forms and element ids: '2026-03_opex_labour_planned'."""
    return f"{month:%Y-%m}_{expense_type}_{category}_{measure}"


def line_key(month: date, expense_type: str, category: str) -> str:
    return f"{month:%Y-%m}_{expense_type}_{category}"


def parse_cell_key(text: str) -> tuple[CellKey, str] | None:
    """'2026-03_opex_labour_planned' → (CellKey, 'planned'); None when it is not a cell."""
    parts = text.split("_")
    if len(parts) != 4:
        return None
    month_text, expense_type, category, measure = parts
    try:
        month = datetime.strptime(month_text, "%Y-%m").date()
    except ValueError:
        return None
    if (
        expense_type not in ExpenseType.values
        or category not in CostCategory.values
        or measure not in AMOUNT_FIELDS
    ):
        return None
    return CellKey(month, expense_type, category), measure


def parse_line_key(text: str) -> CellKey | None:
    """'2026-03_opex_labour' → CellKey; None when it is not a line of the grid."""
    parsed = parse_cell_key(f"{text}_planned")
    return parsed[0] if parsed else None


def encode_line_key(key: CellKey) -> str:
    return line_key(key.month, key.expense_type, key.category)


def parse_row_key(text: str) -> tuple[str, str] | None:
    """'capex.hardware' → ('capex', 'hardware') when it names a grid row."""
    expense_type, _, category = text.partition(".")
    return (expense_type, category) if (expense_type, category) in ROW_KEYS else None


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from `first`'s month to `last`'s, inclusive."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
