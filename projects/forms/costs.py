"""Forms of the costs section: one grid cell, a pasted block, a CSV upload and its apply step.

Amounts stay text here: services.costs.parse_amount reads them (and says what is wrong in
the user's own words), so a bad amount is shown next to the cell with the typed text kept.
"""

from __future__ import annotations

import json

from django import forms
from django.conf import settings

from projects.selectors.costs import encode_line_key, parse_cell_key, parse_line_key
from projects.services.common import DomainError
from projects.services.cost_files import cost_file_text, file_size_text
from projects.services.costs import CellKey

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
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        max_bytes = settings.COST_IMPORT_MAX_UPLOAD_BYTES
        self.fields["file"].help_text = (
            "Columns: month (YYYY-MM), expense_type (capex or opex), category (labour, vendor, "
            "licence, hardware or cloud), planned, actual, forecast. Empty amounts are left "
            "as they are. CSV (comma- or semicolon-separated, UTF-8) or an Excel .xlsx file "
            f"(its first sheet); at most {file_size_text(max_bytes)} and "
            f"{settings.COST_IMPORT_MAX_ROWS:,} rows."
        )

    def clean_file(self) -> str:
        """The file as CSV text (an Excel workbook's first sheet is converted)."""
        upload = self.cleaned_data["file"]
        limit = settings.COST_IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(f"The file is larger than {file_size_text(limit)}.")
        try:
            return cost_file_text(upload.read())
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class CostImportApplyForm(forms.Form):
    """The token of a checked file kept on the server (services.cost_files)."""

    token = forms.RegexField(regex=r"^[A-Za-z0-9_-]{20,100}$")
