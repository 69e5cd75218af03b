"""Cells of every file we export for a spreadsheet (CSV and Excel): typed text never turns
into a formula.

A project named `=HYPERLINK("http://x","y")` was written verbatim, and a spreadsheet ran it as
a formula when the file was opened (CSV), or stored it as one (Excel). Text that starts with
a character a spreadsheet reads as the start of a formula is neutralised; numbers stay
numbers, so a negative amount is still a number a formula elsewhere can add up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# What Excel, LibreOffice and Google Sheets read as the start of a formula (OWASP's list):
# '-' and '+' too ('-2+3' is evaluated), '@' (Lotus-style functions), and tab or carriage
# return, which some of them skip before looking at the next character.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """`text` as a spreadsheet shows it: a leading quote marks it as text, not a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_value(value: object) -> str:
    """One CSV field: empty for None, ISO dates, numbers as they are (a negative amount stays
    '-1500.00'), text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return neutralised(str(value))


def csv_row(values: Iterable[object]) -> list[str]:
    return [csv_value(value) for value in values]


def xlsx_value(sheet: WriteOnlyWorksheet, value: object) -> object:
    """One Excel cell: text is always a text cell ('s'), never a formula ('f'); numbers and
    dates stay typed. Text that would look like a formula also gets Excel's quote prefix,
    so it stays text when someone edits the cell."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl turns a value starting with '=' into a formula
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def xlsx_row(sheet: WriteOnlyWorksheet, values: Iterable[object]) -> list[object]:
    return [xlsx_value(sheet, value) for value in values]
