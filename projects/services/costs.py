"""Monthly cost lines: one cell at a time (inline grid), a pasted block, or a CSV file."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from ppm.audit import acting_as
from projects.choices import CostCategory, ExpenseType
from projects.health import latest_report
from projects.models import CostLine, Project
from projects.services.common import ConflictError, DomainError, mark_rollup_stale, save_versioned
from projects.services.dates import check_cost_month

AMOUNT_FIELDS = ("planned", "actual", "forecast")
MAX_AMOUNT = Decimal("999999999999.99")
ZERO = Decimal(0)


_CURRENCY_SIGNS = "€$£"
_ZERO_DASHES = {"-", "–", "—", "−"}  # spreadsheets' accounting format shows zero as a dash
_MINUS_SIGNS = ("-", "−")
# ASCII digits only: \d and isdigit() also match "²" and other digits Decimal() refuses.
_PLAIN = re.compile(r"\d+(\.\d+)?", re.ASCII)
_GROUPED_COMMAS = re.compile(r"\d{1,3}(,\d{3})+", re.ASCII)
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}", re.ASCII)
_GROUPED_DOTS = re.compile(r"\d{1,3}(\.\d{3}){2,}", re.ASCII)
_ONE_DOT_GROUP = re.compile(r"\d{1,3}\.\d{3}", re.ASCII)


def _plain_number(text: str, shown: str, field_name: str) -> str:
    """Digits with an optional '.' decimal point, from the ways spreadsheets show money.

    '12,500.50' and '12.500,50' both read 12500.50 (the last separator is the decimal one);
    '1,5' reads 1.5 (a thousands comma is always followed by three digits); '1.234.567' reads
    1234567. A single dot before three digits ('12.500') is refused: 12.5 in one locale,
    12,500 in another — guessing would silently change the figure by a factor of 1,000.
    """
    not_amount = DomainError(f"'{shown}' is not an amount.", field=field_name)
    if "," in text and "." in text:
        decimal, group = (",", ".") if text.rindex(",") > text.rindex(".") else (".", ",")
        whole, _, fraction = text.rpartition(decimal)
        grouped = re.fullmatch(rf"\d{{1,3}}(\{group}\d{{3}})*", whole, re.ASCII)
        if not grouped or not re.fullmatch(r"[0-9]+", fraction):
            raise not_amount
        return f"{whole.replace(group, '')}.{fraction}"
    if "," in text:
        if _GROUPED_COMMAS.fullmatch(text):
            return text.replace(",", "")
        if _DECIMAL_COMMA.fullmatch(text):
            return text.replace(",", ".")
        raise not_amount
    if _GROUPED_DOTS.fullmatch(text):
        return text.replace(".", "")
    if _ONE_DOT_GROUP.fullmatch(text) and not text.startswith("0"):
        raise DomainError(
            f"'{shown}' is ambiguous (a decimal point or a thousands separator?): "
            "type it without thousands separators.",
            field=field_name,
        )
    if not _PLAIN.fullmatch(text):
        raise not_amount
    return text


def parse_amount(text: str, *, field_name: str = "amount") -> Decimal:
    """Read money as people type or paste it: '12,500', '12 500.50', '€1,200', '1.250,00 €',
    '' or '-' (zero). Negative amounts, more than two decimals and ambiguous separators are
    refused with a message naming what was typed."""
    shown = text.strip()
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", shown).strip(_CURRENCY_SIGNS)
    if cleaned == "" or cleaned in _ZERO_DASHES:
        return Decimal("0.00")
    negative = cleaned.startswith(_MINUS_SIGNS) or (
        cleaned.startswith("(") and cleaned.endswith(")")
    )
    if negative:
        cleaned = cleaned.lstrip("-−(").rstrip(")").strip(_CURRENCY_SIGNS)
    value = Decimal(_plain_number(cleaned, shown, field_name))
    if negative and value != 0:
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


def check_actual_month(month: date, amount: Decimal, *, today: date) -> None:
    """Refuse an actual amount for a month after the month in progress (`today` is the
    organisation's day): money not yet spent cannot have been spent. The current month takes
    actuals (month to date). Zero passes, so a future actual entered by mistake can be
    cleared and an exported file, whose future months read 0, imports back unchanged."""
    current = today.replace(day=1)
    if amount and month > current:
        raise DomainError(
            f"Actuals can be recorded up to the current month ({current:%b %Y}); "
            f"{month:%b %Y} has not happened yet. Put the expected amount in Forecast.",
            field="actual",
        )


def plan_fixed_through(project: Project) -> date | None:
    """The last month whose plan is fixed: the month of the project's latest submitted status
    report (its current version). Planned value up to that report is progress measured and
    reported; changing those months' plan would re-rate it. None before the first report."""
    report = latest_report(project)
    return report["period_end"].replace(day=1) if report else None


def fixed_plan(project: Project) -> tuple[date | None, dict[tuple[date, str, str], Decimal]]:
    """plan_fixed_through and the planned amounts of those months by (month, expense type,
    category): what a file or a pasted block may repeat but not change (two queries)."""
    through = plan_fixed_through(project)
    if through is None:
        return None, {}
    return through, {
        (month, expense_type, category): planned
        for month, expense_type, category, planned in CostLine.objects.filter(
            project=project, month__lte=through
        ).values_list("month", "expense_type", "category", "planned")
    }


def check_planned_month(month: date, old: Decimal, new: Decimal, *, fixed_through) -> None:
    """Refuse a change to the planned amount of a month a submitted status report has
    measured (`fixed_through`, see plan_fixed_through): its planned value is reported
    progress, and changing it would re-rate it. The same amount passes (an exported file
    imports back unchanged); a new budget is a re-plan of the project, a re-baseline from the
    current month (projects.services.baseline)."""
    if fixed_through is not None and month <= fixed_through and new != old:
        raise DomainError(
            f"The plan of {month:%b %Y} is fixed: the status report of {fixed_through:%b %Y} "
            "has measured progress against it. Plan the months after it; a new budget is a "
            "re-plan of the project (a re-baseline).",
            field="planned",
        )


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
    today: date | None = None,
) -> CostLine:
    """Set one cell of the grid. `expected_version` is the version of the line the user saw
    (None when the line did not exist yet: a concurrent creation is a conflict too).
    `today`: the organisation's day, which decides which months can take actuals."""
    if amount_field not in AMOUNT_FIELDS:
        raise DomainError(f"Unknown column '{amount_field}'.", field="field")
    key.validate()
    check_cost_month(project, key.month)
    if amount_field == "actual":
        check_actual_month(key.month, amount, today=today or timezone.localdate())
    with transaction.atomic(), acting_as(by):
        line = CostLine.objects.filter(
            project=project, month=key.month, expense_type=key.expense_type, category=key.category
        ).first()
        if amount_field == "planned":
            check_planned_month(
                key.month,
                line.planned if line else ZERO,
                amount,
                fixed_through=plan_fixed_through(project),
            )
        line = _write_line(
            project, key, {amount_field: amount}, line=line, expected=expected_version, strict=True
        )
        mark_rollup_stale(project.pk)
    return line


def _write_line(
    project: Project,
    key: CellKey,
    values: dict[str, Decimal],
    *,
    line: CostLine | None,
    expected: int | None,
    strict: bool,
) -> CostLine:
    """Write some amounts of one line (creating it if needed).

    strict: `expected` is the version the user saw (None or 0: they saw no line), and any
    difference is a ConflictError. Not strict (a file import): overwrite what is there now.
    """
    if line is None:
        if expected not in (None, 0):
            raise DomainError("This cost line no longer exists.", field=next(iter(values)))
        new = CostLine(
            project=project,
            month=key.month,
            expense_type=key.expense_type,
            category=key.category,
            **values,
        )
        try:
            with transaction.atomic():
                new.save()
            return new
        except IntegrityError:  # someone created the same line meanwhile
            line = CostLine.objects.get(
                project=project,
                month=key.month,
                expense_type=key.expense_type,
                category=key.category,
            )
            if strict:
                raise ConflictError(current=line, expected_version=0) from None
            expected = line.version
    elif expected in (None, 0):
        if strict:  # the user saw an empty cell, someone has created the line since
            raise ConflictError(current=line, expected_version=0)
        expected = line.version
    for name, amount in values.items():
        setattr(line, name, amount)
    return save_versioned(line, expected_version=expected, fields=tuple(values))


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


def _csv_dialect(text: str) -> str:
    """The delimiter of a CSV file: ',' or, as European spreadsheets save them, ';' or tab."""
    header = text.split("\n", 1)[0]
    for delimiter in (";", "\t"):
        if delimiter in header and "," not in header:
            return delimiter
    return ","


def _unreadable_line(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return (
            f"A value on this line is longer than {csv.field_size_limit():,} characters, "
            "which no cost file has: is this the right file?"
        )
    return f"This line could not be read as CSV ({error})."


def _readable_rows(reader: csv.DictReader, preview: ImportPreview) -> Iterator[dict]:
    """The reader's rows, until a line the csv module refuses (a value over its 128 KB field
    limit): reading stops there with that line's error, as a review can show it."""
    try:
        yield from reader
    except csv.Error as error:
        # line_num counts the lines read whole; the refused one is the next.
        preview.errors.append(RowError(reader.line_num + 1, _unreadable_line(error)))


def cost_csv_preview(
    text: str, *, project: Project | None = None, today: date | None = None
) -> ImportPreview:
    """Parse a CSV (columns: month, expense_type, category, planned, actual, forecast).

    Column names are case-insensitive; expense types and categories may be given by value
    ('opex') or label ('Opex'); empty amounts leave the cell as it is. With `project`, a
    month outside the project's window (services.dates) is that row's error. An actual for
    a month after `today`'s (the organisation's day) is that row's error too.
    """
    today = today or timezone.localdate()
    preview = ImportPreview()
    fixed, plan = fixed_plan(project) if project is not None else (None, {})
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text), delimiter=_csv_dialect(text))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as error:
        preview.errors.append(RowError(1, _unreadable_line(error)))
        return preview
    header = [(h or "").strip().lower().replace(" ", "_") for h in (fieldnames or [])]
    missing = [c for c in CSV_COLUMNS[:3] if c not in header]
    if missing:
        preview.errors.append(RowError(1, f"Missing column(s): {', '.join(missing)}."))
        return preview
    reader.fieldnames = header
    for number, row in enumerate(_readable_rows(reader, preview), start=2):
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line, as spreadsheets leave at the end
        try:
            key = CellKey(
                month=parse_month(row.get("month") or ""),
                expense_type=(row.get("expense_type") or "").strip().lower(),
                category=(row.get("category") or "").strip().lower(),
            )
            key.validate()
            if project is not None:
                check_cost_month(project, key.month)
            cells = []
            for name in AMOUNT_FIELDS:
                if name in header and (row.get(name) or "").strip() != "":
                    amount = parse_amount(row[name], field_name=name)
                    if name == "actual":
                        check_actual_month(key.month, amount, today=today)
                    if name == "planned":
                        before = plan.get((key.month, key.expense_type, key.category), ZERO)
                        check_planned_month(key.month, before, amount, fixed_through=fixed)
                    cells.append((key, name, amount))
            preview.cells.extend(cells)
        except DomainError as error:
            preview.errors.append(RowError(number, error.message))
    if not preview.cells and not preview.errors:
        preview.errors.append(RowError(1, "The file has no amounts."))
    return preview


def cost_import_apply(
    *,
    project: Project,
    preview: ImportPreview,
    by,
    seen_versions: Mapping[CellKey, int | None] | None = None,
    reason: str = "Cost import",
    today: date | None = None,
) -> int:
    """Apply a checked preview in one transaction: all cells or none.

    `seen_versions` (line → version the user saw, None for no line) makes the import refuse,
    with a ConflictError, to overwrite a line changed since the user looked at it — a pasted
    block checks the grid the user saw. Without it (a file import) the file wins.
    """
    if not preview.ok:
        raise DomainError("Fix the errors in the file first.")
    by_line: dict[CellKey, dict[str, Decimal]] = {}
    for key, amount_field, amount in preview.cells:
        by_line.setdefault(key, {})[amount_field] = amount
    # Whatever built the preview (a file, a paste, a hand-made POST), no month outside the
    # project's window is written.
    for month in sorted({key.month for key in by_line}):
        check_cost_month(project, month)
    # Nor an actual for a month still to come.
    today = today or timezone.localdate()
    for key, values in by_line.items():
        check_actual_month(key.month, values.get("actual", Decimal(0)), today=today)
    fixed = plan_fixed_through(project)
    with transaction.atomic(), acting_as(by, reason=reason):
        months = {key.month for key in by_line}
        existing = {
            CellKey(line.month, line.expense_type, line.category): line
            for line in CostLine.objects.filter(project=project, month__in=months)
        }
        for key, values in by_line.items():
            if "planned" in values:
                before = existing[key].planned if key in existing else ZERO
                check_planned_month(key.month, before, values["planned"], fixed_through=fixed)
            _write_line(
                project,
                key,
                values,
                line=existing.get(key),
                expected=seen_versions.get(key) if seen_versions is not None else None,
                strict=seen_versions is not None,
            )
        mark_rollup_stale(project.pk)
    return len(preview.cells)


def block_lines(text: str) -> list[str]:
    """The rows of a block copied from a spreadsheet (cells within a row are tab-separated).

    Spreadsheets end a copied block with a newline; an empty row inside the block is a row
    of empty cells (clearing them), not a row to skip — skipping would shift the rows below.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[-1].strip() == "":
        lines.pop()
    return lines


def cost_paste_preview(
    *,
    text: str,
    months: list[date],
    rows: list[tuple[str, str, str]],
    today: date | None = None,
    plan: Mapping[tuple[date, str, str], Decimal] | None = None,
    fixed_through: date | None = None,
) -> ImportPreview:
    """A block pasted from a spreadsheet (tab-separated) onto the grid.

    `rows` are the grid rows from the paste's top-left cell downwards as
    (expense_type, category, amount_field); `months` the grid columns from that cell rightwards.
    An actual for a month after `today`'s (the organisation's day) is that row's error, and
    so is a change to the plan of a month a status report has measured (`plan`: the grid's
    planned amounts; `fixed_through`: projects.services.costs.plan_fixed_through).
    """
    today = today or timezone.localdate()
    preview = ImportPreview()
    lines = block_lines(text)
    if not lines:
        preview.errors.append(RowError(1, "Nothing to paste."))
        return preview
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
                if amount_field == "actual":
                    check_actual_month(months[c], amount, today=today)
                if amount_field == "planned" and plan is not None:
                    before = plan.get((months[c], expense_type, category), ZERO)
                    check_planned_month(months[c], before, amount, fixed_through=fixed_through)
            except DomainError as error:
                preview.errors.append(RowError(r + 1, f"column {c + 1}: {error.message}"))
                continue
            preview.cells.append((CellKey(months[c], expense_type, category), amount_field, amount))
    return preview
