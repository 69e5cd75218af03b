"""Exports of what a user filtered: the same rows as the page, every page of them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from openpyxl import Workbook
from openpyxl.styles import Font

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
    ("bac", "BAC"),
    ("ac", "AC"),
    ("ev", "EV"),
    ("eac", "EAC"),
    ("cpi", "CPI"),
    ("spi", "SPI"),
    ("slip_days", "Slip (days)"),
    ("exposure", "Risk exposure"),
    ("baseline_finish", "Baseline finish"),
    ("forecast_finish", "Forecast finish"),
    ("figures_as_of", "Figures as of"),
)


def project_rows(projects: Iterable[Project]) -> Iterator[list[object]]:
    """One row per project with typed values (Decimal, date, int); None where not defined."""
    for p in projects:
        r = getattr(p, "rollup", None)
        yield [
            p.code,
            p.name,
            p.portfolio.name,
            p.manager.get_full_name() or p.manager.get_username(),
            p.get_state_display(),
            p.get_category_display(),
            p.latest_rag or "",
            r.health_rag if r else "",
            p.budget_at_completion,
            r.ac if r else None,
            r.ev if r else None,
            r.eac if r else None,
            r.cpi if r else None,
            r.spi if r else None,
            r.slip_days if r else None,
            r.exposure if r else None,
            p.baseline_finish,
            p.forecast_finish,
            r.computed_at.date() if r else None,
        ]


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
