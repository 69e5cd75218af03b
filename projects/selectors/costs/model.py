"""What the cost grid is made of: month columns, cells, rows, sum rows, groups, the figures
above the grid, and the grid itself. Built by projects.selectors.costs.grid.cost_grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from projects.models import Project
from projects.selectors.costs.keys import (
    CATEGORY_LABELS,
    EXPENSE_LABELS,
    MEASURE_LABELS,
    amount_text,
    signed_text,
    total_text,
    variance_css,
)

# A span up to this many months is shown whole; a longer one is paged by fiscal year.
WHOLE_SPAN_MONTHS = 12


@dataclass(frozen=True)
class MonthColumn:
    month: date
    now: bool
    year_start: bool

    @property
    def css(self) -> str:
        return ("is-now " if self.now else "") + ("cg-ys" if self.year_start else "")


@dataclass(frozen=True)
class CellConflict:
    """Someone saved the line after the user loaded it: what it holds now, and who saved it."""

    who: str
    when: datetime | None
    theirs: str  # the cell's value now, as text
    line: list[tuple[str, str]]  # (measure label, value now) for the whole line


@dataclass(slots=True)
class GridCell:
    """One editable amount: a measure of one cost line (month × expense type × category)."""

    key: str
    line: str
    amount: Decimal
    version: int | None
    label: str
    css: str
    # Why the cell takes no typing (an actual of a month still to come), or "".
    locked: str = ""
    # Feedback after a save that did not go through: the user's text, and why.
    typed: str | None = None
    error: str = ""
    conflict: CellConflict | None = None

    @property
    def saved_text(self) -> str:
        return amount_text(self.amount)

    @property
    def text(self) -> str:
        return self.typed if self.typed is not None else amount_text(self.amount)


@dataclass(slots=True)
class GridRow:
    """One measure of one (expense type, category): a row of input cells."""

    expense_type: str
    category: str
    measure: str
    first: bool  # first row of its category block
    cells: list[GridCell]
    total: Decimal
    project_total: Decimal
    # What the variance compares the total with: the plan of the same months (for actuals,
    # only the months up to the latest actuals); None for the planned row itself.
    baseline: Decimal | None = None

    @property
    def id(self) -> str:
        return f"{self.expense_type}-{self.category}-{self.measure}"

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def measure_label(self) -> str:
        return MEASURE_LABELS[self.measure]

    @property
    def total_text(self) -> str:
        return total_text(self.total)

    @property
    def project_total_text(self) -> str:
        return total_text(self.project_total)

    @property
    def variance(self) -> Decimal | None:
        return None if self.baseline is None else self.total - self.baseline

    @property
    def variance_text(self) -> str:
        return "" if self.variance is None else signed_text(self.variance)

    @property
    def variance_css(self) -> str:
        return variance_css(self.variance)


@dataclass(slots=True)
class SummaryRow:
    """A row of sums: an expense type's subtotal, a grand total, or a variance row."""

    id: str
    label: str
    sub_label: str
    kind: str  # "subtotal", "grand" or "variance"
    cells: list[tuple[str, str]]  # (text, css) per month column
    total: Decimal
    project_total: Decimal
    variance: Decimal | None = None  # against the planned row of the same group

    @property
    def total_text(self) -> str:
        return signed_text(self.total) if self.kind == "variance" else total_text(self.total)

    @property
    def project_total_text(self) -> str:
        if self.kind == "variance":
            return signed_text(self.project_total)
        return total_text(self.project_total)

    @property
    def total_css(self) -> str:
        return variance_css(self.total) if self.kind == "variance" else ""

    @property
    def project_total_css(self) -> str:
        return variance_css(self.project_total) if self.kind == "variance" else ""

    @property
    def variance_text(self) -> str:
        return "" if self.variance is None else signed_text(self.variance)

    @property
    def variance_css(self) -> str:
        return variance_css(self.variance)


@dataclass(slots=True)
class GridGroup:
    expense_type: str
    rows: list[GridRow]
    subtotals: list[SummaryRow]

    @property
    def label(self) -> str:
        return EXPENSE_LABELS[self.expense_type]


@dataclass(frozen=True)
class CostKpis:
    """The whole project's figures above the grid. "To date" runs to `through`, the last
    month (up to the current one) with actuals; None when no actuals are recorded yet."""

    planned: Decimal
    actual: Decimal
    forecast: Decimal
    bac: Decimal
    planned_to_date: Decimal
    actual_to_date: Decimal
    through: date | None

    @property
    def variance_to_date(self) -> Decimal | None:
        if self.through is None:
            return None
        return self.actual_to_date - self.planned_to_date

    @property
    def forecast_variance(self) -> Decimal:
        return self.forecast - self.planned

    @property
    def plan_over_bac(self) -> Decimal:
        return self.planned - self.bac

    @property
    def plan_share_of_bac(self) -> Decimal | None:
        if not self.bac:
            return None
        return self.planned * 100 / self.bac

    @property
    def variance_to_date_css(self) -> str:
        return variance_css(self.variance_to_date)

    @property
    def forecast_variance_css(self) -> str:
        return variance_css(self.forecast_variance)


@dataclass
class CostGrid:
    """Everything the costs page draws, for one window of months (a fiscal year or all)."""

    project: Project
    fixed_through: date | None  # the last month a submitted report measured: its plan fixed
    months: list[MonthColumn]
    years: list[int]
    year: int | None  # None: every month of the span
    groups: list[GridGroup]
    grand: list[SummaryRow]
    variances: list[SummaryRow]
    kpis: CostKpis
    addable_rows: list[tuple[str, str]]  # ("capex.hardware", "Capex · Hardware")
    cells: dict[str, GridCell] = field(default_factory=dict)
    rows: list[GridRow] = field(default_factory=list)
    span_months: list[date] = field(default_factory=list)
    # (month, expense type, category) of lines outside the months a cost may have.
    outside: list[tuple[date, str, str]] = field(default_factory=list)

    @property
    def paged(self) -> bool:
        """True when the span is long enough to be shown one fiscal year at a time."""
        return len(self.years) > 1 and len(self.span_months) > WHOLE_SPAN_MONTHS

    @property
    def period_label(self) -> str:
        return f"FY{self.year}" if self.year is not None else "Total"

    @property
    def shows_project_total(self) -> bool:
        """A year page adds the whole project's total beside the year's."""
        return self.year is not None

    @property
    def column_count(self) -> int:
        return 1 + len(self.months) + 2 + (1 if self.shows_project_total else 0)

    @property
    def year_param(self) -> str:
        return str(self.year) if self.year is not None else "all"

    @property
    def is_empty(self) -> bool:
        return not self.rows

    def rows_of(self, expense_type: str, category: str) -> list[GridRow]:
        return [r for r in self.rows if (r.expense_type, r.category) == (expense_type, category)]

    def summaries_for(self, expense_type: str) -> list[SummaryRow]:
        """The sum rows a change in `expense_type` moves: its subtotals, the grand totals and
        the variance rows."""
        group = next((g for g in self.groups if g.expense_type == expense_type), None)
        return [*(group.subtotals if group else []), *self.grand, *self.variances]
