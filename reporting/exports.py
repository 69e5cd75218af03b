"""Exports of what a user filtered: the same rows as the page, every page of them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from openpyxl import Workbook
from openpyxl.styles import Font

from portfolio.choices import EvMethod
from ppm.spreadsheets import csv_row, xlsx_row, xlsx_value
from projects.models import Project

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


def to_xlsx(projects: Iterable[Project]) -> bytes:
    """An Excel workbook with typed cells: amounts as numbers, dates as dates, text as text
    (never a formula), a bold header."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Projects")
    sheet.freeze_panes = "C2"
    header = []
    for _, label in COLUMNS:
        cell = xlsx_value(sheet, label)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in project_rows(projects):
        sheet.append(xlsx_row(sheet, row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
