"""Exports of what a user filtered: the same rows as the page, every page of them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portfolio.choices import EvMethod
from ppm.spreadsheets import csv_row, xlsx_row, xlsx_value
from projects.models import Project
from reporting.selectors import computed_range

COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Code"),
    ("name", "Name"),
    ("portfolio", "Portfolio"),
    ("manager", "Manager"),
    ("state", "State"),
    ("category", "Category"),
    ("reported_rag", "Reported status"),
    ("health_rag", "Rule health"),
    ("currency", "Currency"),
    ("bac", "BAC"),
    ("pv", "PV"),
    ("ev", "EV"),
    ("ev_method", "EV method"),
    ("ac", "AC"),
    ("eac", "EAC"),
    ("etc", "ETC"),
    ("fy_plan", "Plan this FY"),
    ("vac", "VAC"),
    ("cpi", "CPI"),
    ("spi", "SPI"),
    ("tcpi", "TCPI"),
    ("status_date", "Status date"),
    ("slip_days", "Worst key slip (days)"),
    ("milestones_slipping", "Slipped key milestones"),
    ("milestones_achieved", "Milestones achieved"),
    ("milestones_on_time", "Achieved on time"),
    ("exposure", "Risk exposure"),
    ("high_risks", "Open high risks"),
    ("baseline_finish", "Baseline finish"),
    ("forecast_finish", "Forecast finish"),
    ("figures_as_of", "Figures as of"),
)
# Figures read from the project's rollup, by column key (None where it has no rollup yet).
_ROLLUP = {
    "pv", "ev", "ev_method", "ac", "eac", "etc", "fy_plan", "vac", "cpi", "spi", "tcpi",
    "slip_days", "milestones_slipping", "milestones_achieved", "milestones_on_time",
    "exposure", "high_risks",
}  # fmt: skip


def _status_date(rollup) -> object:
    """The date PV, EV and AC were measured at: the latest report's period end, else the
    recompute's date."""
    return rollup.last_report_period_end or rollup.as_of


def project_rows(projects: Iterable[Project]) -> Iterator[list[object]]:
    """One row per project with typed values (Decimal, date, int); None where not defined.
    Every catalogue measure (reporting/kpis.py) is a column, so an export sums to its tile."""
    for p in projects:
        r = getattr(p, "rollup", None)
        values = {
            "code": p.code,
            "name": p.name,
            "portfolio": p.portfolio.name,
            "manager": p.manager.get_full_name() or p.manager.get_username(),
            "state": p.get_state_display(),
            "category": p.get_category_display(),
            "reported_rag": p.latest_rag or "",
            "health_rag": r.health_rag if r else "",
            "currency": p.portfolio.currency,
            "bac": p.budget_at_completion,
            "status_date": _status_date(r) if r else None,
            "baseline_finish": p.baseline_finish,
            "forecast_finish": p.forecast_finish,
            "figures_as_of": r.computed_at.date() if r else None,
        }
        for key in _ROLLUP:
            values[key] = getattr(r, key) if r else None
        if r:
            values["ev_method"] = EvMethod(r.ev_method).label
        yield [values[key] for key, _label in COLUMNS]


def to_csv(projects: Iterable[Project]) -> Iterator[str]:
    """CSV lines (streamed): header, then one line per project; text that a spreadsheet
    would run as a formula is neutralised (ppm.spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for _, label in COLUMNS])
    yield buffer.getvalue()
    for row in project_rows(projects):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(csv_row(row))
        yield buffer.getvalue()


# Excel number formats by column: money with separators and cents, ratios to two places,
# whole numbers, ISO dates. Other columns are text.
_MONEY = {"bac", "pv", "ev", "ac", "eac", "etc", "fy_plan", "vac"}
_RATIOS = {"cpi", "spi", "tcpi"}
_DATES = {"status_date", "baseline_finish", "forecast_finish", "figures_as_of"}
_COUNTS = {"slip_days", "milestones_slipping", "milestones_achieved", "milestones_on_time",
           "exposure", "high_risks"}  # fmt: skip
NUMBER_FORMATS = {
    **dict.fromkeys(_MONEY, "#,##0.00"),
    **dict.fromkeys(_RATIOS, "0.00"),
    **dict.fromkeys(_DATES, "yyyy-mm-dd"),
    **dict.fromkeys(_COUNTS, "0"),
}


def _filters_in_words(params) -> list[str]:
    words = [f"name or code contains “{params.search}”"] if params.search else []
    for label, value in (
        ("state", params.state),
        ("category", params.category),
        ("rule health", params.rule_health),
        ("reported status", params.reported),
    ):
        if value:
            words.append(f"{label}: {value}")
    if params.portfolio:
        words.append(f"portfolio #{params.portfolio}")
    return words + [f.label for f in params.drill_filters]


def export_about(projects: QuerySet[Project], params, *, exported_by) -> list[tuple[str, str]]:
    """What the workbook's "About" sheet says: when it was exported and by whom, when its
    figures were computed, which filters made the list, and how money is to be read."""
    oldest, newest = computed_range(projects)
    stamp = "%Y-%m-%d %H:%M %Z"
    filters = _filters_in_words(params) or ["none: every project the exporter may see"]
    return [
        ("Exported", timezone.localtime().strftime(stamp)),
        ("Exported by", exported_by.get_full_name() or exported_by.get_username()),
        (
            "Figures computed",
            " to ".join(
                timezone.localtime(t).strftime(stamp)
                for t in dict.fromkeys([oldest, newest])
                if t is not None
            )
            or "not yet",
        ),
        ("Filters", "; ".join(filters)),
        (
            "Money",
            "In each project's portfolio currency (the Currency column); never converted.",
        ),
        ("Definitions", "docs/metrics.md: the KPI catalogue every figure comes from."),
    ]


def to_xlsx(projects: Iterable[Project], *, about: list[tuple[str, str]] | None = None) -> bytes:
    """An Excel workbook with typed cells: amounts as numbers with a money format, ratios,
    counts and dates formatted, text as text (never a formula); a bold, frozen header with an
    autofilter; and an "About" sheet saying when the figures were computed and how the list
    was filtered."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Projects")
    sheet.freeze_panes = "C2"
    header = []
    for _, label in COLUMNS:
        cell = xlsx_value(sheet, label)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    formats = [NUMBER_FORMATS.get(key) for key, _label in COLUMNS]
    rows = 0
    for row in project_rows(projects):
        cells = []
        for value, number_format in zip(row, formats, strict=True):
            if number_format and value is not None and not isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                cells.append(cell)
            else:
                cells.append(xlsx_value(sheet, value))
        sheet.append(cells)
        rows += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{rows + 1}"
    if about:
        info = book.create_sheet("About")
        for label, text in about:
            info.append(xlsx_row(info, [label, text]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
