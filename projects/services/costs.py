"""Monthly cost lines: one cell at a time (inline grid), a pasted block, or a CSV file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from ppm.audit import acting_as
from projects.choices import CostCategory, ExpenseType
from projects.models import CostLine, Project
from projects.services.common import ConflictError, DomainError, mark_rollup_stale, save_versioned

AMOUNT_FIELDS = ("planned", "actual", "forecast")
MAX_AMOUNT = Decimal("999999999999.99")


def parse_amount(text: str, *, field_name: str = "amount") -> Decimal:
    """Read money as people type or paste it: '12,500', '12 500.50', '€1,200', '' (zero)."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", "")
    cleaned = cleaned.lstrip("€$£")
    if cleaned == "":
        return Decimal("0")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise DomainError(f"'{text.strip()}' is not an amount.", field=field_name) from None
    if not value.is_finite():
        raise DomainError(f"'{text.strip()}' is not an amount.", field=field_name)
    if value < 0:
        raise DomainError("Amounts cannot be negative.", field=field_name)
    if value > MAX_AMOUNT:
        raise DomainError("That amount is too large.", field=field_name)
    if value != value.quantize(Decimal("0.01")):
        raise DomainError("Amounts have at most two decimals.", field=field_name)
    return value.quantize(Decimal("0.01"))


def parse_month(text: str, *, field_name: str = "month") -> date:
    """'2026-03', '2026-03-01' or 'Mar 2026' → the first day of that month."""
    text = text.strip()
    for fmt in ("%Y-%m", "%Y-%m-%d", "%b %Y", "%B %Y", "%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date().replace(day=1)
        except ValueError:
            continue
    raise DomainError(f"'{text}' is not a month (use YYYY-MM).", field=field_name)


@dataclass(frozen=True)
class CellKey:
    month: date
    expense_type: str
    category: str

    def validate(self) -> None:
        if self.month.day != 1:
            raise DomainError("Cost months start on the first day.", field="month")
        if self.expense_type not in ExpenseType.values:
            raise DomainError(f"Unknown expense type '{self.expense_type}'.", field="expense_type")
        if self.category not in CostCategory.values:
            raise DomainError(f"Unknown category '{self.category}'.", field="category")


def cost_cell_set(
    *,
    project: Project,
    key: CellKey,
    amount_field: str,
    amount: Decimal,
    by,
    expected_version: int | None,
) -> CostLine:
    """Set one cell of the grid. `expected_version` is the version of the line the user saw
    (None when the line did not exist yet: a concurrent creation is a conflict too)."""
    if amount_field not in AMOUNT_FIELDS:
        raise DomainError(f"Unknown column '{amount_field}'.", field="field")
    key.validate()
    with transaction.atomic(), acting_as(by):
        line = _write_cell(project, key, amount_field, amount, expected_version)
        mark_rollup_stale(project.pk)
    return line


def _write_cell(
    project: Project,
    key: CellKey,
    amount_field: str,
    amount: Decimal,
    expected_version: int | None,
) -> CostLine:
    line = CostLine.objects.filter(
        project=project, month=key.month, expense_type=key.expense_type, category=key.category
    ).first()
    if line is None:
        if expected_version not in (None, 0):
            raise DomainError("This cost line no longer exists.", field=amount_field)
        line = CostLine(
            project=project, month=key.month, expense_type=key.expense_type, category=key.category
        )
        setattr(line, amount_field, amount)
        try:
            with transaction.atomic():
                line.save()
        except IntegrityError:  # someone created the same line meanwhile
            current = CostLine.objects.get(
                project=project,
                month=key.month,
                expense_type=key.expense_type,
                category=key.category,
            )
            raise ConflictError(current=current, expected_version=0) from None
        return line
    if expected_version is None:
        expected_version = line.version  # a bulk import overwrites what it reads now
    setattr(line, amount_field, amount)
    return save_versioned(line, expected_version=expected_version, fields=(amount_field,))


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class ImportPreview:
    """What a paste or CSV upload would change, checked row by row before anything is saved."""

    cells: list[tuple[CellKey, str, Decimal]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.cells)


CSV_COLUMNS = ("month", "expense_type", "category", "planned", "actual", "forecast")


def cost_csv_preview(text: str) -> ImportPreview:
    """Parse a CSV (columns: month, expense_type, category, planned, actual, forecast)."""
    preview = ImportPreview()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS[:3] if c not in header]
    if missing:
        preview.errors.append(RowError(1, f"Missing column(s): {', '.join(missing)}."))
        return preview
    reader.fieldnames = header
    for number, row in enumerate(reader, start=2):
        try:
            key = CellKey(
                month=parse_month(row.get("month") or ""),
                expense_type=(row.get("expense_type") or "").strip().lower(),
                category=(row.get("category") or "").strip().lower(),
            )
            key.validate()
            for name in AMOUNT_FIELDS:
                if name in header and (row.get(name) or "").strip() != "":
                    preview.cells.append((key, name, parse_amount(row[name], field_name=name)))
        except DomainError as error:
            preview.errors.append(RowError(number, error.message))
    if not preview.cells and not preview.errors:
        preview.errors.append(RowError(1, "The file has no amounts."))
    return preview


def cost_import_apply(*, project: Project, preview: ImportPreview, by) -> int:
    """Apply a checked preview in one transaction: all cells or none."""
    if not preview.ok:
        raise DomainError("Fix the errors in the file first.")
    with transaction.atomic(), acting_as(by, reason="Cost import"):
        for key, amount_field, amount in preview.cells:
            _write_cell(project, key, amount_field, amount, None)
        mark_rollup_stale(project.pk)
    return len(preview.cells)


def cost_paste_preview(
    *, text: str, months: list[date], rows: list[tuple[str, str, str]]
) -> ImportPreview:
    """A block pasted from a spreadsheet (tab-separated) onto the grid.

    `rows` are the grid rows from the paste's top-left cell downwards as
    (expense_type, category, amount_field); `months` the grid columns from that cell rightwards.
    """
    preview = ImportPreview()
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip() != ""]
    if len(lines) > len(rows):
        preview.errors.append(
            RowError(
                1, f"The block has {len(lines)} rows; only {len(rows)} fit below the selected cell."
            )
        )
        return preview
    for r, line in enumerate(lines):
        values = line.split("\t")
        if len(values) > len(months):
            preview.errors.append(
                RowError(
                    r + 1,
                    f"{len(values)} columns; only {len(months)} fit right of the selected cell.",
                )
            )
            continue
        expense_type, category, amount_field = rows[r]
        for c, value in enumerate(values):
            try:
                amount = parse_amount(value, field_name=amount_field)
            except DomainError as error:
                preview.errors.append(RowError(r + 1, f"column {c + 1}: {error.message}"))
                continue
            preview.cells.append((CellKey(months[c], expense_type, category), amount_field, amount))
    return preview
