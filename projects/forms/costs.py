"""Forms of the costs section: one grid cell, a pasted block, a CSV upload and its apply step.

Amounts stay text here: services.costs.parse_amount reads them (and says what is wrong in
the user's own words), so a bad amount is shown next to the cell with the typed text kept.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import openpyxl
from django import forms

from projects.selectors.costs import encode_line_key, parse_cell_key, parse_line_key
from projects.services.costs import CellKey

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_PASTE_CHARS = 200_000


def _cell(value: str):
    parsed = parse_cell_key(value)
    if parsed is None:
        raise forms.ValidationError("That is not a cell of the cost grid.")
    return parsed


def encode_versions(versions: dict[CellKey, int | None]) -> str:
    """Versions of lines the user saw, for a hidden field: {"2026-03_opex_labour": 3}."""
    return json.dumps({encode_line_key(k): v for k, v in versions.items()}, sort_keys=True)


def decode_versions(text: str) -> dict[CellKey, int | None]:
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except ValueError:
        raise forms.ValidationError("The versions of the grid could not be read.") from None
    if not isinstance(raw, dict):
        raise forms.ValidationError("The versions of the grid could not be read.")
    versions: dict[CellKey, int | None] = {}
    for name, value in raw.items():
        key = parse_line_key(name)
        if key is None or not (value is None or (isinstance(value, int) and value >= 0)):
            raise forms.ValidationError("The versions of the grid could not be read.")
        versions[key] = value or None
    return versions


class CostCellForm(forms.Form):
    """One amount of the grid, with the version of its line as the user saw it (empty when
    there was no line yet)."""

    cell = forms.CharField(max_length=60)
    version = forms.IntegerField(required=False, min_value=0)
    amount = forms.CharField(required=False, max_length=60, strip=False)

    def clean_cell(self):
        return _cell(self.cleaned_data["cell"])


class CostPasteForm(forms.Form):
    """A tab-separated block pasted at `anchor` (its top-left cell), with the versions of the
    lines under the block as the grid showed them."""

    anchor = forms.CharField(max_length=60)
    text = forms.CharField(max_length=MAX_PASTE_CHARS, strip=False)
    versions = forms.CharField(required=False, max_length=MAX_PASTE_CHARS)
    undo = forms.BooleanField(required=False)  # putting back what a paste replaced

    def clean_anchor(self):
        return _cell(self.cleaned_data["anchor"])

    def clean_versions(self):
        return decode_versions(self.cleaned_data["versions"])


class CostUploadForm(forms.Form):
    """A CSV (or Excel) file of cost lines, checked and previewed before anything is saved."""

    file = forms.FileField(
        label="CSV or Excel file",
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
        help_text=(
            "Columns: month (YYYY-MM), expense_type (capex or opex), category (labour, vendor, "
            "licence, hardware or cloud), planned, actual, forecast. Empty amounts are left "
            "as they are. CSV (comma- or semicolon-separated) or an Excel .xlsx file (its first "
            "sheet); at most 2 MB."
        ),
    )

    def clean_file(self) -> str:
        """The file as CSV text (an Excel workbook's first sheet is converted)."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB.")
        raw = upload.read()
        if raw.startswith(b"PK") and upload.name.lower().endswith(".xlsx"):
            return _xlsx_as_csv(raw)
        # Spreadsheets save UTF-8 (often with a BOM) or, on older Windows, Windows-1252.
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError("The file is not text (save it as CSV).")


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return f"{value:%Y-%m}"
    if isinstance(value, float):
        # The shortest text that reads back as the same float: 1234.56 stays 1234.56, and a
        # formula's 1357.8000000000002 is refused later rather than rounded silently. A
        # number is never ambiguous, but its text '12.345' would read as a thousands group:
        # a trailing zero keeps it a decimal (refused for its three decimals).
        text = repr(value)
        _, dot, fraction = text.partition(".")
        return f"{text}0" if dot and len(fraction) == 3 and "e" not in text else text
    return str(value)


def _xlsx_as_csv(raw: bytes) -> str:
    """The first sheet of an Excel workbook as CSV text, row for row (so row numbers in
    error messages are the sheet's). Cached formula results are read, never formulas."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error for a damaged file
        raise forms.ValidationError("The Excel file could not be read.") from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in workbook.worksheets[0].iter_rows(values_only=True):
        writer.writerow([_xlsx_cell(value) for value in row])
    workbook.close()
    return out.getvalue()


class CostImportApplyForm(forms.Form):
    """The reviewed file again, with the versions of the lines it changes as they were shown."""

    csv_text = forms.CharField(strip=False, max_length=4 * MAX_UPLOAD_BYTES)
    versions = forms.CharField(required=False, max_length=4 * MAX_UPLOAD_BYTES)

    def clean_versions(self):
        return decode_versions(self.cleaned_data["versions"])
