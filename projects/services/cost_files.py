"""A cost file on its way in: its bytes read as CSV text within limits, and the checked file
kept on the server until the user applies it.

Both run inside a web request. The limits (settings.COST_IMPORT_*) bound what one upload can
make a worker do: a 182 KB workbook that expanded to 300,000 rows kept one busy for two
minutes. A checked file is kept in the cache behind a token, because sending it back with the
"apply" form doubled every upload and broke above Django's form-size limit (~64,000 rows).
"""

from __future__ import annotations

import codecs
import csv
import io
import secrets
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime

import openpyxl
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from projects.models import Project
from projects.services.common import DomainError
from projects.services.costs import CellKey

SAVE_AS = "save it as “CSV UTF-8” or as an Excel .xlsx workbook and upload it again"

# A worksheet's XML shrinks 5–20 times in a workbook; a part that shrank more than this was
# built to expand. Small parts (styles, themes) are not checked: their ratio means nothing.
MAX_COMPRESSION_RATIO = 100
_RATIO_CHECKED_ABOVE = 1024 * 1024
# Six columns are read; a sheet whose size claims 16,384 would have every row padded to that.
MAX_COLUMNS = 64

_ZIP = b"PK\x03\x04"
_OLD_EXCEL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (and other Office 97 files)
# UTF-32's little-endian mark starts with UTF-16's: it is tried first.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def file_size_text(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:,.0f} KB"
    return f"{count / (1024 * 1024):,.1f}".removesuffix(".0") + " MB"


def _too_many_rows(limit: int) -> DomainError:
    return DomainError(
        f"The file has more than {limit:,} rows below its header; at most {limit:,} are "
        "read. Split it into smaller files (or delete empty rows at its end).",
        field="file",
    )


def cost_file_text(raw: bytes) -> str:
    """An uploaded cost file as CSV text: an Excel workbook's first sheet, or a text file in
    UTF-8, UTF-16 or UTF-32 (with a byte order mark) or Windows-1252. What cannot be read is a
    DomainError that says why, in the user's terms."""
    if raw.startswith(_ZIP):
        return _xlsx_as_csv(raw)
    if raw.startswith(_OLD_EXCEL):
        raise DomainError(f"This is an old Excel .xls workbook: {SAVE_AS}.", field="file")
    text = _decode(raw)
    limit = settings.COST_IMPORT_MAX_ROWS
    # Physical lines: a cost file has no field spanning lines, and counting them is cheap.
    lines = text.count("\n") if "\n" in text else text.count("\r")
    if text and not text.endswith(("\n", "\r")):
        lines += 1
    if lines - 1 > limit:
        raise _too_many_rows(limit)
    return text


def _decode(raw: bytes) -> str:
    for mark, codec, name in _BYTE_ORDER_MARKS:
        if raw.startswith(mark):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError as error:
                raise DomainError(
                    f"The file is {name} text but byte {error.start:,} is not {name}: {SAVE_AS}.",
                    field="file",
                ) from None
            return _text_only(text.removeprefix("\ufeff"))
    if b"\x00" in raw:
        head = raw[:1000]
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if (odd > len(head) // 4 and not even) or (even > len(head) // 4 and not odd):
            # Most of every other byte zero, none of the rest: mostly-ASCII text written
            # two bytes a character, with no mark saying which byte comes first.
            raise DomainError(
                f"The file is UTF-16 text without a byte order mark: {SAVE_AS}.", field="file"
            )
        raise DomainError(f"The file is not text (it holds NUL bytes): {SAVE_AS}.", field="file")
    try:
        return _text_only(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        not_utf8 = error
    # Excel on Windows saves "CSV (Comma delimited)" in the ANSI code page: Windows-1252 in
    # Western Europe ('€' is byte 0x80). It leaves five bytes undefined.
    try:
        return _text_only(raw.decode("cp1252"))
    except UnicodeDecodeError:
        byte = raw[not_utf8.start]
        raise DomainError(
            f"The file is not UTF-8 text (byte 0x{byte:02X} at position {not_utf8.start:,} is "
            f"neither UTF-8 nor Windows-1252): {SAVE_AS}.",
            field="file",
        ) from None


def _text_only(text: str) -> str:
    if "\x00" in text:
        raise DomainError(
            f"The file is not text (it holds NUL characters): {SAVE_AS}.", field="file"
        )
    return text


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


def _check_archive(raw: bytes) -> None:
    """Refuse a workbook by what its parts declare they expand to, before any is opened.

    zipfile never inflates a part past its declared size (a part that lies fails its CRC),
    so the declared sizes bound the work of reading it.
    """
    unreadable = DomainError("The Excel file could not be read.", field="file")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise unreadable from None
    limit = settings.COST_IMPORT_MAX_EXPANDED_BYTES
    expanded = sum(part.file_size for part in parts)
    if expanded > limit:
        raise DomainError(
            f"The Excel file expands to {file_size_text(expanded)} when opened; at most "
            f"{file_size_text(limit)} is read. Split it into smaller files.",
            field="file",
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _RATIO_CHECKED_ABOVE and ratio > MAX_COMPRESSION_RATIO:
            raise DomainError(
                f"The Excel file expands {ratio:,.0f} times when opened (a workbook expands at "
                f"most {MAX_COMPRESSION_RATIO} times); it is not read.",
                field="file",
            )


def _xlsx_as_csv(raw: bytes) -> str:
    """The first sheet of an Excel workbook as CSV text, row for row (so row numbers in
    error messages are the sheet's). Cached formula results are read, never formulas; the
    XML is parsed with defusedxml (openpyxl uses it when installed; projects.checks
    insists), and reading stops at the row limit."""
    _check_archive(raw)
    limit = settings.COST_IMPORT_MAX_ROWS
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error for a damaged file
        raise DomainError("The Excel file could not be read.", field="file") from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    try:
        sheet = workbook.worksheets[0]
        width = min(sheet.max_column or MAX_COLUMNS, MAX_COLUMNS)
        rows = sheet.iter_rows(values_only=True, max_col=width, max_row=limit + 2)
        for number, row in enumerate(rows, start=1):
            if number > limit + 1:  # the header and `limit` rows below it
                raise _too_many_rows(limit)
            writer.writerow([_xlsx_cell(value) for value in row])
    except DomainError:
        raise
    except Exception:  # a damaged sheet, or XML that defusedxml refuses (entities, DTDs)
        raise DomainError("The Excel file could not be read.", field="file") from None
    finally:
        workbook.close()
    return out.getvalue()


# --- A checked file, kept until it is applied ----------------------------------------------

_KEY = "cost-import:{}"
_LATEST = "cost-import-latest:{}:{}"  # project, user → their newest token


@dataclass(frozen=True)
class CheckedImport:
    """A reviewed file as it was uploaded, and the version of every line it changes as the
    review showed it (so applying refuses to overwrite a line changed since)."""

    csv_text: str
    seen_versions: dict[CellKey, int | None]


def cost_import_keep(
    *, project: Project, user, csv_text: str, seen_versions: dict[CellKey, int | None]
) -> str:
    """Keep a checked file for COST_IMPORT_REVIEW_MINUTES; the token that applies it.

    Only the user's newest checked file per project is kept: a user re-uploading in a loop
    holds one file in the cache, not one per upload (Redis runs with noeviction).
    """
    token = secrets.token_urlsafe(32)
    timeout = settings.COST_IMPORT_REVIEW_MINUTES * 60
    latest = _LATEST.format(project.pk, user.pk)
    previous = cache.get(latest)
    if previous:
        cache.delete(_KEY.format(previous))
    cache.set(
        _KEY.format(token),
        {
            "project": project.pk,
            "user": user.pk,
            "csv": zlib.compress(csv_text.encode("utf-8"), 1),
            "versions": [
                [key.month.isoformat(), key.expense_type, key.category, version]
                for key, version in seen_versions.items()
            ],
        },
        timeout,
    )
    cache.set(latest, token, timeout)
    return token


def cost_import_take(*, token: str, project: Project, user) -> CheckedImport:
    """The checked file behind `token`, taken out of the cache: a token is applied once.

    Another user's token, or one for another project, is PermissionDenied. A token that is
    not (or no longer) kept is a DomainError telling the user to upload the file again.
    """
    key = _KEY.format(token)
    kept = cache.get(key)
    if kept is not None and (kept["project"] != project.pk or kept["user"] != user.pk):
        raise PermissionDenied("This checked file belongs to someone else.")
    # delete() says whether the key was there: of two concurrent applies, one gets it.
    if kept is None or not cache.delete(key):
        minutes = settings.COST_IMPORT_REVIEW_MINUTES
        raise DomainError(
            f"The checked file is no longer kept (files are kept for {minutes} minutes after "
            "checking, and only your latest for this project): upload it again.",
            field="file",
        )
    return CheckedImport(
        csv_text=zlib.decompress(kept["csv"]).decode("utf-8"),
        seen_versions={
            CellKey(date.fromisoformat(month), expense_type, category): version
            for month, expense_type, category, version in kept["versions"]
        },
    )
