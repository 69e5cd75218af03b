"""The cost grid as files: the CSV export and template, and the review of an uploaded file
against the grid before it is applied."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from projects.models import CostLine, Project
from projects.selectors.costs.keys import (
    CATEGORY_LABELS,
    EXPENSE_LABELS,
    MEASURE_LABELS,
    ROW_KEYS,
    ZERO,
    month_key,
    months_between,
    signed_text,
    total_text,
)
from projects.services.costs import AMOUNT_FIELDS, CellKey, ImportPreview


def cost_export_rows(*, project: Project) -> list[tuple[str, str, str, Decimal, Decimal, Decimal]]:
    """Every cost line of the project as CSV rows (month, expense type, category, planned,
    actual, forecast), in grid order. One query."""
    order = {key: i for i, key in enumerate(ROW_KEYS)}
    rows = [
        (month, expense_type, category, planned, actual, forecast)
        for month, expense_type, category, planned, actual, forecast in CostLine.objects.filter(
            project=project
        )
        .order_by()
        .values_list("month", "expense_type", "category", "planned", "actual", "forecast")
    ]
    rows.sort(key=lambda r: (r[0], order[(r[1], r[2])]))
    return [(month_key(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]


def cost_template_rows(*, project: Project) -> list[tuple[str, str, str]]:
    """An empty plan to fill in: every month of the project's baseline span × every row
    (expense type, category). No query."""
    finish = max(project.baseline_finish, project.forecast_finish or project.baseline_finish)
    return [
        (month_key(month), expense_type, category)
        for month in months_between(project.baseline_start, finish)
        for expense_type, category in ROW_KEYS
    ]


# --- CSV import review --------------------------------------------------------------------


@dataclass(frozen=True)
class ImportChange:
    """One amount a file would change: what the grid holds now and what the file says."""

    key: CellKey
    measure: str
    current: Decimal
    new: Decimal

    @property
    def expense_label(self) -> str:
        return EXPENSE_LABELS[self.key.expense_type]

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.key.category]

    @property
    def measure_label(self) -> str:
        return MEASURE_LABELS[self.measure]

    @property
    def current_text(self) -> str:
        return total_text(self.current)

    @property
    def new_text(self) -> str:
        return total_text(self.new)

    @property
    def difference(self) -> Decimal:
        return self.new - self.current

    @property
    def difference_text(self) -> str:
        return signed_text(self.difference)


@dataclass
class ImportReview:
    """A checked file compared with the grid: only the amounts that would change, and the
    version of every line they touch as it is now (so applying later refuses to overwrite a
    line someone changed after this review)."""

    preview: ImportPreview
    changes: list[ImportChange]
    unchanged: int
    seen_versions: dict[CellKey, int | None]

    @property
    def changed_preview(self) -> ImportPreview:
        return ImportPreview(cells=[(c.key, c.measure, c.new) for c in self.changes])

    @property
    def can_apply(self) -> bool:
        return not self.preview.errors and bool(self.changes)

    @property
    def lines_touched(self) -> int:
        return len({c.key for c in self.changes})


def cost_import_review(*, project: Project, preview: ImportPreview) -> ImportReview:
    """Compare a parsed file with the project's cost lines. One query."""
    current: dict[CellKey, tuple[Decimal, Decimal, Decimal, int]] = {
        CellKey(month, expense_type, category): (planned, actual, forecast, version)
        for month, expense_type, category, planned, actual, forecast, version in (
            CostLine.objects.filter(project=project)
            .order_by()
            .values_list(
                "month", "expense_type", "category", "planned", "actual", "forecast", "version"
            )
        )
    }
    # The last value wins when a file names the same cell twice, as it would when applied.
    latest: dict[tuple[CellKey, str], Decimal] = {}
    for key, measure, amount in preview.cells:
        latest[(key, measure)] = amount
    changes = []
    for (key, measure), amount in latest.items():
        line = current.get(key)
        now = line[AMOUNT_FIELDS.index(measure)] if line else ZERO
        if now != amount:
            changes.append(ImportChange(key=key, measure=measure, current=now, new=amount))
    order = {k: i for i, k in enumerate(ROW_KEYS)}
    changes.sort(
        key=lambda c: (
            c.key.month,
            order[(c.key.expense_type, c.key.category)],
            AMOUNT_FIELDS.index(c.measure),
        )
    )
    seen = {c.key: (current[c.key][3] if c.key in current else None) for c in changes}
    return ImportReview(
        preview=preview,
        changes=changes,
        unchanged=len(latest) - len(changes),
        seen_versions=seen,
    )
