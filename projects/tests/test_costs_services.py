"""Cost services beyond the basics in test_services.py: amounts as spreadsheets show them,
no silent overwrite of a line the user never saw, pasted blocks and CSV dialects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ppm.audit import history_for
from projects import services
from projects.models import CostLine
from projects.services import ConflictError, DomainError
from projects.services.costs import CellKey, parse_amount
from projects.tests.factories import CostLineFactory

MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)
MARCH_LABOUR = CellKey(MARCH, "opex", "labour")
APRIL_LABOUR = CellKey(APRIL, "opex", "labour")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12,500.50", "12500.50"),
        ("12.500,50", "12500.50"),  # a continental spreadsheet
        ("1.250,00 €", "1250.00"),
        ("1,5", "1.50"),  # a decimal comma: a thousands comma is followed by three digits
        ("1.234.567", "1234567.00"),
        ("12 500,50", "12500.50"),
        ("$1,200.00", "1200.00"),
        ("-", "0.00"),  # accounting format's zero
        ("  ", "0.00"),
        ("-0", "0.00"),
        ("0.12", "0.12"),
    ],
)
def test_amounts_are_read_the_way_spreadsheets_show_them(typed, expected):
    assert parse_amount(typed) == Decimal(expected)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.500", "'12.500' is ambiguous"),  # 12.5 or 12,500: never guess by a factor of 1,000
        ("(1,200)", "Amounts cannot be negative."),
        ("−300", "Amounts cannot be negative."),
        ("1e5", "'1e5' is not an amount."),
        ("12,5000", "'12,5000' is not an amount."),
        ("1,2,3.4", "'1,2,3.4' is not an amount."),
        ("0.125", "Amounts have at most two decimals."),
        ("9999999999999", "That amount is too large."),
    ],
)
def test_amounts_that_cannot_be_read_safely_are_refused(typed, message):
    with pytest.raises(DomainError) as caught:
        parse_amount(typed, field_name="planned")
    assert caught.value.message.startswith(message)
    assert caught.value.field == "planned"


@pytest.mark.django_db
def test_setting_a_cell_the_user_saw_empty_refuses_a_line_created_meanwhile(pm, project):
    CostLineFactory(project=project, month=MARCH, planned=Decimal("700"))
    with pytest.raises(ConflictError) as caught:
        services.cost_cell_set(
            project=project,
            key=CellKey(MARCH, "opex", "labour"),
            amount_field="planned",
            amount=Decimal("1"),
            by=pm,
            expected_version=None,
        )
    assert caught.value.current.planned == Decimal("700")
    assert CostLine.objects.get(project=project).planned == Decimal("700")


@pytest.mark.django_db
def test_an_import_checked_against_seen_versions_saves_nothing_when_one_line_moved(pm, project):
    march = CostLineFactory(project=project, month=MARCH)
    april = CostLineFactory(project=project, month=APRIL)
    CostLine.objects.filter(pk=april.pk).update(planned=Decimal("1"), version=2)
    preview = services.cost_paste_preview(
        text="5\t6", months=[MARCH, APRIL], rows=[("opex", "labour", "actual")]
    )
    with pytest.raises(ConflictError):
        services.cost_import_apply(
            project=project,
            preview=preview,
            by=pm,
            seen_versions={
                CellKey(MARCH, "opex", "labour"): 1,
                CellKey(APRIL, "opex", "labour"): 1,
            },
        )
    march.refresh_from_db()
    assert (march.actual, march.version) == (Decimal("0"), 1)


@pytest.mark.django_db
def test_an_import_writes_each_line_once_with_the_reason_in_the_audit(pm, project):
    preview = services.cost_paste_preview(
        text="100\t200\n90\t210",
        months=[MARCH, APRIL],
        rows=[("opex", "labour", "planned"), ("opex", "labour", "actual")],
    )
    CostLineFactory(project=project, month=MARCH)
    services.cost_import_apply(
        project=project,
        preview=preview,
        by=pm,
        seen_versions={MARCH_LABOUR: 1, APRIL_LABOUR: None},
        reason="Pasted from a spreadsheet",
    )
    march = CostLine.objects.get(project=project, month=MARCH)
    assert (march.planned, march.actual, march.version) == (Decimal("100"), Decimal("90"), 2)
    april = CostLine.objects.get(project=project, month=APRIL)
    assert (april.planned, april.actual, april.version) == (Decimal("200"), Decimal("210"), 1)
    entry = history_for(march, limit=1)[0]
    assert (entry.user_id, entry.reason) == (pm.pk, "Pasted from a spreadsheet")


def test_an_empty_row_inside_a_pasted_block_clears_cells_instead_of_shifting_rows():
    rows = [("opex", "labour", m) for m in ("planned", "actual", "forecast")]
    preview = services.cost_paste_preview(text="1\n\n3\n", months=[MARCH], rows=rows)
    assert [(c[1], c[2]) for c in preview.cells] == [
        ("planned", Decimal("1")),
        ("actual", Decimal("0")),
        ("forecast", Decimal("3")),
    ]
    assert services.cost_paste_preview(text="\n\n", months=[MARCH], rows=rows).errors


def test_a_semicolon_csv_with_decimal_commas_and_labels_is_read():
    preview = services.cost_csv_preview(
        "\ufeffMonth;Expense Type;Category;Planned;Actual\n"
        "Mar 2026;Opex;Labour;1.250,50;\n"
        ";;;;\n"  # the blank row spreadsheets leave
    )
    assert not preview.errors
    assert preview.cells == [(CellKey(MARCH, "opex", "labour"), "planned", Decimal("1250.50"))]


def test_a_csv_row_with_one_bad_amount_contributes_no_cells():
    preview = services.cost_csv_preview(
        "month,expense_type,category,planned,actual\n2026-03,opex,labour,100,abc\n"
    )
    assert preview.cells == []
    assert [(e.row, e.message) for e in preview.errors] == [(2, "'abc' is not an amount.")]
