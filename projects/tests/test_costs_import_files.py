"""Cost imports under hostile or odd files: workbooks that expand, files with too many rows,
text in encodings other than UTF-8, and a checked file applied by its token only."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from projects.checks import openpyxl_uses_defusedxml
from projects.models import CostLine
from projects.selectors.costs import ROW_KEYS, month_key, months_between
from projects.tests.factories import CostLineFactory, ProjectFactory

pytestmark = pytest.mark.django_db

HEADER = ["month", "expense_type", "category", "planned", "actual", "forecast"]
SAVE_AS = "save it as “CSV UTF-8” or as an Excel .xlsx workbook and upload it again."


def upload(client, project, content: bytes, name: str = "costs.csv"):
    file = SimpleUploadedFile(name, content)
    return client.post(reverse("projects:costs-import", args=[project.pk]), {"file": file})


def apply(client, project, token: str):
    return client.post(reverse("projects:costs-import-apply", args=[project.pk]), {"token": token})


def file_errors(response) -> list[str]:
    assert response.status_code == 200
    return response.context["form"].errors.get("file", [])


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten(xlsx: bytes, part: str, change) -> bytes:
    """The workbook with one part's bytes replaced by change(bytes)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(data) if info.filename == part else data)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """A day after every month these files give actuals for (actuals of months still to come
    are refused, tested in test_costs_views)."""
    monkeypatch.setattr("projects.views.costs.files._today", lambda: date(2028, 1, 10))


SHEET = "xl/worksheets/sheet1.xml"
PLAN = [HEADER, ["2026-03", "opex", "labour", 11000, None, None]]


@pytest.fixture
def cant_open_workbooks(monkeypatch):
    """Makes opening a workbook fail the test: a refused file is refused before it is parsed."""

    def opened(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", opened)


# --- Workbooks that expand -------------------------------------------------------------------


@override_settings(COST_IMPORT_MAX_EXPANDED_BYTES=1024 * 1024)
def test_a_workbook_expanding_past_the_limit_is_refused_unopened(
    client, pm, project, cant_open_workbooks
):
    # 20,000 rows: 2 MB of sheet XML in a file of ~170 KB (the upload limit is 2 MB).
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>2026-03</t></is></c></row>' % (n, n)
        for n in range(3, 20_003)
    )
    bomb = rewritten(
        workbook(PLAN), SHEET, lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>")
    )
    assert len(bomb) < 200 * 1024
    client.force_login(pm)
    [error] = file_errors(upload(client, project, bomb, "bomb.xlsx"))
    assert error.startswith("The Excel file expands to 1.")
    assert error.endswith("MB when opened; at most 1 MB is read. Split it into smaller files.")


@override_settings(COST_IMPORT_MAX_EXPANDED_BYTES=10 * 1024 * 1024)
def test_a_workbook_part_compressed_like_a_bomb_is_refused_unopened(
    client, pm, project, cant_open_workbooks
):
    # 2 MB of blanks inside the sheet: under the size limit, but no sheet shrinks 1,000×.
    padded = rewritten(
        workbook(PLAN),
        SHEET,
        lambda xml: xml.replace(b"</worksheet>", b" " * 2_000_000 + b"</worksheet>"),
    )
    client.force_login(pm)
    [error] = file_errors(upload(client, project, padded, "plan.xlsx"))
    assert error.startswith("The Excel file expands ")
    assert error.endswith(
        "times when opened (a workbook expands at most 100 times); it is not read."
    )


@override_settings(COST_IMPORT_MAX_ROWS=50)
def test_reading_a_workbook_stops_at_the_row_limit(client, pm, project):
    rows = [HEADER] + [["2026-03", "opex", "labour", n, None, None] for n in range(51)]
    client.force_login(pm)
    assert file_errors(upload(client, project, workbook(rows), "plan.xlsx")) == [
        "The file has more than 50 rows below its header; at most 50 are read. Split it into "
        "smaller files (or delete empty rows at its end)."
    ]
    response = upload(client, project, workbook(rows[:51]), "plan.xlsx")
    assert file_errors(response) == []
    assert response.context["review"].preview.errors == []


@override_settings(COST_IMPORT_MAX_ROWS=50)
def test_a_workbook_with_one_cell_a_million_rows_down_stops_at_the_limit(client, pm, project):
    # The sheet's rows are numbered: the reader fills the gap with empty rows, one by one.
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.cell(row=1_000_000, column=1, value="2026-03")
    out = io.BytesIO()
    book.save(out)
    client.force_login(pm)
    [error] = file_errors(upload(client, project, out.getvalue(), "plan.xlsx"))
    assert error.startswith("The file has more than 50 rows")


@override_settings(COST_IMPORT_MAX_ROWS=50)
def test_a_csv_file_over_the_row_limit_is_refused(client, pm, project):
    lines = [",".join(HEADER)] + ["2026-03,opex,labour,1,,"] * 51
    client.force_login(pm)
    [error] = file_errors(upload(client, project, "\n".join(lines).encode()))
    assert error.startswith("The file has more than 50 rows below its header")
    assert file_errors(upload(client, project, "\n".join(lines[:51]).encode() + b"\n")) == []


def test_a_workbook_declaring_xml_entities_is_not_read(client, pm, project):
    """Entities are how XML bombs expand; defusedxml refuses any. Plain expat would expand
    this harmless one and read the row."""
    with_entity = rewritten(
        workbook(PLAN),
        SHEET,
        lambda xml: xml.replace(b"?>", b'?><!DOCTYPE worksheet [<!ENTITY t "opex">]>', 1).replace(
            b"<t>opex</t>", b"<t>&t;</t>"
        ),
    )
    client.force_login(pm)
    assert file_errors(upload(client, project, with_entity, "plan.xlsx")) == [
        "The Excel file could not be read."
    ]


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl_uses_defusedxml(None) == []


# --- Encodings -------------------------------------------------------------------------------

CSV = "month\texpense_type\tcategory\tplanned\n2026-03\topex\tlabour\t12 500,50 €\n"


@pytest.mark.parametrize(
    ("encoding", "mark"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),  # Excel's "Unicode Text"
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-8", codecs.BOM_UTF8),  # Excel's "CSV UTF-8"
        ("cp1252", b""),  # Excel's "CSV (Comma delimited)" on Western European Windows
    ],
)
def test_text_with_a_byte_order_mark_or_in_windows_1252_is_read(
    client, pm, project, encoding, mark
):
    client.force_login(pm)
    response = upload(client, project, mark + CSV.encode(encoding))
    assert file_errors(response) == []
    review = response.context["review"]
    assert review.preview.errors == []
    assert [(c.measure, c.new) for c in review.changes] == [("planned", Decimal("12500.50"))]


def test_utf_16_without_a_byte_order_mark_is_named_as_such(client, pm, project):
    client.force_login(pm)
    assert file_errors(upload(client, project, CSV.encode("utf-16-le"))) == [
        f"The file is UTF-16 text without a byte order mark: {SAVE_AS}"
    ]


def test_a_damaged_utf_16_file_says_where(client, pm, project):
    client.force_login(pm)
    damaged = codecs.BOM_UTF16_LE + CSV.encode("utf-16-le") + b"\x00\xd8"  # a lone surrogate
    [error] = file_errors(upload(client, project, damaged))
    assert error.startswith("The file is UTF-16 text but byte ")
    assert error.endswith(f"is not UTF-16: {SAVE_AS}")


def test_bytes_that_are_no_known_text_are_named_with_their_position(client, pm, project):
    client.force_login(pm)
    content = b"month,expense_type,category\n2026-03,opex,\x81labour\n"
    assert file_errors(upload(client, project, content)) == [
        "The file is not UTF-8 text (byte 0x81 at position 41 is neither UTF-8 nor "
        f"Windows-1252): {SAVE_AS}"
    ]


def test_an_old_excel_workbook_is_named_as_such(client, pm, project):
    client.force_login(pm)
    content = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    assert file_errors(upload(client, project, content, "plan.xls")) == [
        f"This is an old Excel .xls workbook: {SAVE_AS}"
    ]


# --- Review, then apply by token -------------------------------------------------------------


def plan_csv(months: list[date], amount: str) -> bytes:
    lines = [",".join(HEADER)] + [
        f"{month_key(month)},{expense_type},{category},{amount},{amount},{amount}"
        for month in months
        for expense_type, category in ROW_KEYS
    ]
    return ("\n".join(lines) + "\n").encode()


MONTHS = months_between(date(2026, 1, 1), date(2027, 12, 1))


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_many_row_file_is_applied_by_its_token_alone(client, pm, project):
    """The apply form used to send the whole file back: a file larger than Django's form-size
    limit (2.5 MB by default, ~64,000 rows; 1 KB here) passed its review and failed to apply
    with a 400."""
    content = plan_csv(MONTHS, "100")
    assert len(content) > 4 * 1024
    client.force_login(pm)
    review = upload(client, project, content)
    assert review.context["review"].can_apply
    assert "month,expense_type" not in review.text  # the file is not in the page
    token = review.context["token"]
    assert f'name="token" value="{token}"' in review.text
    response = apply(client, project, token)
    assert response.status_code == 302
    assert CostLine.objects.filter(project=project).count() == len(MONTHS) * len(ROW_KEYS)
    assert set(CostLine.objects.values_list("planned", "actual", "forecast")) == {
        (Decimal("100"), Decimal("100"), Decimal("100"))
    }
    # A token applies once.
    again = apply(client, project, token)
    assert "The checked file is no longer kept" in again.context["warning"]


def test_an_unknown_or_expired_token_asks_for_the_file_again(client, pm, project):
    client.force_login(pm)
    token = upload(client, project, plan_csv(MONTHS[:1], "5")).context["token"]
    cache.clear()  # what the expiry does
    response = apply(client, project, token)
    assert response.status_code == 200
    assert response.context["warning"] == (
        "The checked file is no longer kept (files are kept for 60 minutes after checking, "
        "and only your latest for this project): upload it again."
    )
    assert not CostLine.objects.filter(project=project).exists()


def test_a_token_of_another_user_or_project_is_refused(client, pm, director, portfolio, project):
    client.force_login(pm)
    token = upload(client, project, plan_csv(MONTHS[:1], "5")).context["token"]
    second = ProjectFactory(portfolio=portfolio, manager=pm, code="ERP-02")
    assert apply(client, second, token).status_code == 403
    client.force_login(director)  # may change the project too, but did not check this file
    assert apply(client, project, token).status_code == 403
    assert not CostLine.objects.exists()
    client.force_login(pm)
    assert apply(client, project, token).status_code == 302  # still the owner's to apply


def test_a_new_check_replaces_the_users_previous_one(client, pm, project):
    client.force_login(pm)
    first = upload(client, project, plan_csv(MONTHS[:1], "5")).context["token"]
    second = upload(client, project, plan_csv(MONTHS[:1], "6")).context["token"]
    assert "no longer kept" in apply(client, project, first).context["warning"]
    assert apply(client, project, second).status_code == 302
    assert set(CostLine.objects.values_list("planned", flat=True)) == {Decimal("6")}


def test_applying_writes_every_line_or_none(client, pm, project):
    """A line changed since the review, last in the file: none of the others is written."""
    client.force_login(pm)
    last = MONTHS[-1]
    expense_type, category = ROW_KEYS[-1]
    token = upload(client, project, plan_csv(MONTHS, "7")).context["token"]
    CostLineFactory(
        project=project, month=last, expense_type=expense_type, category=category, planned=1
    )
    response = apply(client, project, token)
    assert "changed the costs since your preview" in response.context["warning"]
    assert list(CostLine.objects.values_list("planned", flat=True)) == [Decimal("1")]
    # The review is shown again against the current values, with a fresh token.
    assert response.context["token"] not in ("", token)
