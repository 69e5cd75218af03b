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
from projects.services.costs import CellKey, ImportPreview, parse_amount
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
        # Digits Decimal() refuses although \d and isdigit() accept them.
        ("1,000.²", "'1,000.²' is not an amount."),
        ("1²", "'1²' is not an amount."),
        ("١٢", "'١٢' is not an amount."),
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


# --- Actuals of months still to come ---------------------------------------------------------

TODAY = date(2026, 4, 14)  # April is the month in progress; May is still to come
MAY = date(2026, 5, 1)
NOT_YET = "Actuals can be recorded up to the current month (Apr 2026); May 2026 has not"


def set_cell(project, pm, month: date, measure: str, amount: str) -> CostLine:
    return services.cost_cell_set(
        project=project,
        key=CellKey(month, "opex", "labour"),
        amount_field=measure,
        amount=Decimal(amount),
        by=pm,
        expected_version=None,
        today=TODAY,
    )


@pytest.mark.django_db
def test_an_actual_for_a_month_still_to_come_is_refused_naming_the_cell(pm, project):
    with pytest.raises(DomainError) as caught:
        set_cell(project, pm, MAY, "actual", "500")
    assert caught.value.field == "actual"
    assert caught.value.message.startswith(NOT_YET)
    assert not CostLine.objects.filter(project=project).exists()


@pytest.mark.django_db
def test_the_current_months_actual_and_future_plans_and_forecasts_are_accepted(pm, project):
    assert set_cell(project, pm, APRIL, "actual", "500").actual == Decimal("500")  # to date
    assert set_cell(project, pm, MAY, "planned", "700").planned == Decimal("700")
    line = CostLine.objects.get(project=project, month=MAY)
    line = services.cost_cell_set(
        project=project,
        key=CellKey(MAY, "opex", "labour"),
        amount_field="forecast",
        amount=Decimal("650"),
        by=pm,
        expected_version=line.version,
        today=TODAY,
    )
    assert (line.planned, line.actual, line.forecast) == (Decimal("700"), 0, Decimal("650"))


@pytest.mark.django_db
def test_a_future_actual_entered_by_mistake_can_be_cleared(pm, project):
    CostLineFactory(project=project, month=MAY, actual=Decimal("90"))
    line = services.cost_cell_set(
        project=project,
        key=CellKey(MAY, "opex", "labour"),
        amount_field="actual",
        amount=Decimal("0"),
        by=pm,
        expected_version=1,
        today=TODAY,
    )
    assert line.actual == 0


def test_a_pasted_future_actual_is_that_rows_error_and_the_plan_row_is_fine():
    rows = [("opex", "labour", "planned"), ("opex", "labour", "actual")]
    preview = services.cost_paste_preview(
        text="1\t2\n3\t4\n", months=[APRIL, MAY], rows=rows, today=TODAY
    )
    assert [(e.row, e.message[: len(NOT_YET) + 10]) for e in preview.errors] == [
        (2, f"column 2: {NOT_YET}")
    ]
    # Zero (an empty cell, as a block copied over the whole row has) is no error.
    clean = services.cost_paste_preview(
        text="1\t2\n3\t\n", months=[APRIL, MAY], rows=rows, today=TODAY
    )
    assert clean.errors == []


@pytest.mark.django_db
def test_a_csv_row_with_a_future_actual_is_that_rows_error(project):
    preview = services.cost_csv_preview(
        "month,expense_type,category,planned,actual,forecast\n"
        "2026-04,opex,labour,10,9,10\n"
        "2026-05,opex,labour,10,1,10\n"
        "2026-06,opex,labour,10,0.00,10\n",  # as the export writes a future month
        project=project,
        today=TODAY,
    )
    assert [(e.row, e.message[: len(NOT_YET)]) for e in preview.errors] == [(3, NOT_YET)]
    assert {k.month for k, _, _ in preview.cells} == {APRIL, date(2026, 6, 1)}


@pytest.mark.django_db
def test_applying_a_preview_with_a_future_actual_writes_nothing(pm, project):
    preview = ImportPreview(
        cells=[
            (APRIL_LABOUR, "planned", Decimal("5")),
            (CellKey(MAY, "opex", "labour"), "actual", Decimal("5")),
        ]
    )
    with pytest.raises(DomainError) as caught:
        services.cost_import_apply(project=project, preview=preview, by=pm, today=TODAY)
    assert caught.value.field == "actual"
    assert not CostLine.objects.filter(project=project).exists()
