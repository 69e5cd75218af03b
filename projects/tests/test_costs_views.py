"""The costs section: who may see and edit the grid, what it shows, how a cell, a pasted block
and a CSV file are saved (or refused, with the user's input kept), and how many queries."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects import services
from projects.choices import CostCategory, ExpenseType
from projects.models import CostLine
from projects.selectors.costs import ROW_KEYS, months_between
from projects.services.costs import CellKey
from projects.tests.factories import CostLineFactory, ProjectFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 14)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """The grid highlights and pages around "today", and it decides which months take
    actuals: pin it."""
    monkeypatch.setattr("projects.views.costs.grid._today", lambda: TODAY)
    monkeypatch.setattr("projects.views.costs.files._today", lambda: TODAY)


def grid_url(project, **query) -> str:
    url = reverse("projects:costs", args=[project.pk])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def cell_url(project, year: str = "2026") -> str:
    return f"{reverse('projects:costs-cell', args=[project.pk])}?year={year}"


def line(project, month: date, **amounts) -> CostLine:
    return CostLineFactory(
        project=project,
        month=month,
        expense_type=amounts.pop("expense_type", ExpenseType.OPEX),
        category=amounts.pop("category", CostCategory.LABOUR),
        planned=Decimal(amounts.pop("planned", "0")),
        actual=Decimal(amounts.pop("actual", "0")),
        forecast=Decimal(amounts.pop("forecast", "0")),
    )


@pytest.fixture
def costed(project):
    """ERP-01 (Jan–Dec 2026): opex labour in March and April, capex hardware in April."""
    line(project, date(2026, 3, 1), planned="10000", actual="9000", forecast="10500")
    line(project, date(2026, 4, 1), planned="12000", actual="13500.50", forecast="12000")
    line(
        project,
        date(2026, 4, 1),
        expense_type=ExpenseType.CAPEX,
        category=CostCategory.HARDWARE,
        planned="5000",
        actual="6000",
        forecast="6000",
    )
    return project


# --- Who may do what ----------------------------------------------------------------------

POST_URLS = ["costs-cell", "costs-paste", "costs-import", "costs-import-apply"]


def test_an_anonymous_visitor_is_sent_to_sign_in(client, project):
    for name in ["costs", "costs-export", "costs-template", *POST_URLS]:
        url = reverse(f"projects:{name}", args=[project.pk])
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302, name
            assert response.url.startswith(reverse("login")), name


@pytest.mark.parametrize("persona", ["pm", "director", "pmo"])
def test_people_who_may_change_the_project_get_a_grid_of_inputs(client, request, costed, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(grid_url(costed))
    assert response.status_code == 200
    assert response.text.count('class="cg-in"') == 2 * 3 * 12  # 2 rows × 3 measures × 12 months
    assert reverse("projects:costs-import", args=[costed.pk]) in response.text


def test_an_executive_reads_the_grid_without_inputs_or_upload(client, executive, costed):
    client.force_login(executive)
    response = client.get(grid_url(costed))
    assert response.status_code == 200
    assert 'class="cg-in"' not in response.text
    assert "<form" not in response.text.split('id="cost-table"')[1].split("</table>")[0]
    assert "13,500.50" in response.text
    assert reverse("projects:costs-import", args=[costed.pk]) not in response.text
    assert client.get(reverse("projects:costs-export", args=[costed.pk])).status_code == 200


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "outsider"])
def test_people_outside_the_project_get_403_not_404(client, request, costed, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(grid_url(costed)).status_code == 403
    assert client.get(reverse("projects:costs-export", args=[costed.pk])).status_code == 403
    for name in POST_URLS:
        assert client.post(reverse(f"projects:{name}", args=[costed.pk])).status_code == 403


@pytest.mark.parametrize("persona", ["executive", "other_pm", "other_director"])
def test_read_only_and_outside_roles_get_403_on_every_write(client, request, costed, persona):
    client.force_login(request.getfixturevalue(persona))
    posts = {
        "costs-cell": {"cell": "2026-03_opex_labour_planned", "version": "1", "amount": "1"},
        "costs-paste": {"anchor": "2026-03_opex_labour_planned", "text": "1\t2"},
        "costs-import": {},
        "costs-import-apply": {"token": "x" * 43},
    }
    for name, data in posts.items():
        response = client.post(reverse(f"projects:{name}", args=[costed.pk]), data, **HTMX)
        assert response.status_code == 403, name
    for name in ["costs-import", "costs-template"]:
        assert client.get(reverse(f"projects:{name}", args=[costed.pk])).status_code == 403
    assert CostLine.objects.get(project=costed, month=date(2026, 3, 1)).planned == Decimal("10000")


# --- What the grid shows ------------------------------------------------------------------


def test_the_grid_has_every_month_of_the_span_rows_in_use_and_totals_with_variance(
    client, pm, costed
):
    client.force_login(pm)
    response = client.get(grid_url(costed))
    grid = response.context["grid"]
    assert [c.month for c in grid.months] == months_between(date(2026, 1, 1), date(2026, 12, 1))
    assert grid.year is None  # twelve months: one page, no year switcher
    assert 'aria-label="Fiscal year"' not in response.text
    assert [(r.expense_type, r.category, r.measure) for r in grid.rows] == [
        ("capex", "hardware", "planned"),
        ("capex", "hardware", "actual"),
        ("capex", "hardware", "forecast"),
        ("opex", "labour", "planned"),
        ("opex", "labour", "actual"),
        ("opex", "labour", "forecast"),
    ]
    labour_actual = grid.rows[4]
    assert labour_actual.total == Decimal("22500.50")
    assert labour_actual.variance_text == "+500.50"
    html = response.text
    assert 'id="tot-opex-labour-actual">22,500.50<' in html
    assert 'class="cg-var var-over" id="var-opex-labour-actual">+500.50<' in html
    assert 'class="cg-var var-under" id="var-opex-labour-forecast">−' not in html  # +500
    # Month totals, grand totals and the variance rows.
    grand_actual = next(s for s in grid.grand if s.id == "g-actual")
    assert grand_actual.total == Decimal("28500.50")
    variance_actual = next(s for s in grid.variances if s.id == "d-actual")
    april = [c.month for c in grid.months].index(date(2026, 4, 1))
    assert variance_actual.cells[april][0] == "+2,500.50"
    assert "var-over" in variance_actual.cells[april][1]
    # The current month is highlighted.
    assert 'class="cg-mh is-now " aria-current="date"' in html


def test_the_figures_above_the_grid_compare_actual_with_plan_to_date(client, pm, costed):
    client.force_login(pm)
    # May's plan (today is 14 May 2026) has no actuals yet: it is not part of "to date".
    line(costed, date(2026, 5, 1), planned="30000", forecast="31000")
    response = client.get(grid_url(costed))
    kpis = response.context["kpis"]
    assert kpis.planned == Decimal("57000")
    assert kpis.through == date(2026, 4, 1)
    assert kpis.planned_to_date == Decimal("27000")
    assert kpis.actual_to_date == Decimal("28500.50")
    assert kpis.variance_to_date == Decimal("1500.50")
    # Forecast (bottom-up): January to April at their actual (28,500.50), May at its
    # forecast (31,000), against the 57,000 planned. (Before: the stored forecasts of past
    # months, 2,500 over, whatever was actually spent.)
    assert kpis.forecast == Decimal("59500.50")
    assert kpis.forecast_variance == Decimal("2500.50")
    # The grid agrees: the grand actual row and the variance rows use the same months.
    grid = response.context["grid"]
    assert next(s for s in grid.grand if s.id == "g-actual").variance == Decimal("1500.50")
    actual_row, forecast_row = grid.variances
    may = [c.month for c in grid.months].index(date(2026, 5, 1))
    assert actual_row.cells[may][0] == ""  # no actuals for May yet: nothing to compare
    assert forecast_row.cells[may][0] == "+1,000"
    assert actual_row.total == kpis.variance_to_date
    assert "+€1,501" in response.text and "to Apr 2026 (the latest actuals)" in response.text


def test_without_actuals_there_is_no_variance_to_date(client, pm, project):
    line(project, date(2026, 3, 1), planned="100")
    client.force_login(pm)
    response = client.get(grid_url(project))
    assert response.context["kpis"].variance_to_date is None
    assert "No actuals recorded yet" in response.text


def test_a_long_project_is_paged_by_fiscal_year_with_a_whole_span_view(client, pm, portfolio):
    project = ProjectFactory(
        portfolio=portfolio,
        manager=pm,
        baseline_start=date(2025, 7, 1),
        baseline_finish=date(2027, 6, 30),
        forecast_finish=date(2027, 9, 15),
    )
    line(project, date(2025, 8, 1), planned="100")
    line(project, date(2027, 9, 1), planned="300")
    client.force_login(pm)
    default = client.get(grid_url(project)).context["grid"]
    assert default.year == 2026
    assert len(default.months) == 12
    assert default.years == [2025, 2026, 2027]
    assert default.rows[0].project_total == Decimal("400")
    last = client.get(grid_url(project, year="2027")).context["grid"]
    assert [c.month for c in last.months][-1] == date(2027, 9, 1)  # to the forecast finish
    whole = client.get(grid_url(project, year="all"))
    assert len(whole.context["grid"].months) == 27
    assert 'aria-label="Fiscal year"' in whole.text
    # An htmx year switch answers with the grid only.
    fragment = client.get(grid_url(project, year="2025"), **HTMX)
    assert fragment.text.lstrip().startswith('<div id="cost-grid"')


def test_a_row_being_added_shows_empty_inputs(client, pm, costed):
    client.force_login(pm)
    grid = client.get(grid_url(costed, add="capex.cloud")).context["grid"]
    cloud = [r for r in grid.rows if r.category == "cloud"]
    assert [r.measure for r in cloud] == ["planned", "actual", "forecast"]
    assert all(c.version is None and c.amount == 0 for r in cloud for c in r.cells)
    assert "capex.cloud" not in [value for value, _ in grid.addable_rows]


def test_a_project_without_costs_says_how_to_start(client, pm, project, executive):
    client.force_login(pm)
    response = client.get(grid_url(project))
    assert 'data-testid="cost-empty"' in response.text
    assert "upload a CSV file" in response.text
    client.force_login(executive)
    assert "No costs recorded" in client.get(grid_url(project)).text


# --- One cell ------------------------------------------------------------------------------


def test_a_plain_post_saves_a_cell_and_returns_to_it(client, pm, costed):
    client.force_login(pm)
    response = client.post(
        cell_url(costed),
        {"cell": "2026-03_opex_labour_actual", "version": "1", "amount": "9,250.75"},
    )
    assert response.status_code == 302
    assert response.url == f"{grid_url(costed, year=2026)}#c-2026-03_opex_labour_actual"
    saved = CostLine.objects.get(project=costed, month=date(2026, 3, 1))
    assert (saved.actual, saved.version) == (Decimal("9250.75"), 2)
    page = client.get(response.url)
    assert "Saved Opex · Labour · Actual · Mar 2026: 9,250.75." in page.text


def test_an_htmx_save_returns_the_cell_and_refreshes_totals_out_of_band(client, pm, costed):
    client.force_login(pm)
    response = client.post(
        cell_url(costed),
        {"cell": "2026-05_opex_labour_planned", "version": "", "amount": "8000"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<td class="cg-c')
    assert 'id="c-2026-05_opex_labour_planned"' in html
    created = CostLine.objects.get(project=costed, month=date(2026, 5, 1))
    assert created.planned == Decimal("8000")
    # The other measures of the new line learn its version, so their next save is not refused.
    assert 'id="ver-2026-05_opex_labour_actual" value="1" hx-swap-oob="true"' in html
    assert 'id="tot-opex-labour-planned" hx-swap-oob="true">30,000<' in html
    # May has no actuals yet: its plan moves the forecast variance, not the actual one.
    assert 'id="var-opex-labour-forecast" hx-swap-oob="true">−7,500<' in html
    assert 'id="var-opex-labour-actual" hx-swap-oob="true">+500.50<' in html
    assert 'id="g-planned" hx-swap-oob="true"' in html
    assert 'id="d-forecast" hx-swap-oob="true"' in html
    assert 'id="s-opex-planned" hx-swap-oob="true"' in html
    assert 'id="cost-kpis"' in html and "€35,000" in html
    assert "Saved Opex · Labour · Planned · May 2026: 8,000." in html


def test_a_bad_amount_is_shown_at_the_cell_with_the_typed_text_kept(client, pm, costed):
    client.force_login(pm)
    data = {"cell": "2026-03_opex_labour_actual", "version": "1", "amount": "12,5x"}
    fragment = client.post(cell_url(costed), data, **HTMX)
    assert fragment.status_code == 200
    assert "is-invalid" in fragment.text
    assert 'value="12,5x"' in fragment.text
    assert "&#x27;12,5x&#x27; is not an amount." in fragment.text
    assert 'data-saved="9,000"' in fragment.text
    assert 'id="ver-2026-03_opex_labour_actual" value="1"' in fragment.text
    # Without JavaScript: the page again, the message at the cell, the text kept.
    page = client.post(cell_url(costed), data)
    assert page.status_code == 200
    cell = page.context["grid"].cells["2026-03_opex_labour_actual"]
    assert (cell.typed, cell.error) == ("12,5x", "'12,5x' is not an amount.")
    assert 'data-testid="cell-error"' in page.text
    assert CostLine.objects.get(project=costed, month=date(2026, 3, 1)).actual == Decimal("9000")


def test_a_stale_cell_shows_the_other_persons_value_and_keeps_yours(client, pm, director, costed):
    saved = CostLine.objects.get(project=costed, month=date(2026, 3, 1))
    services.cost_cell_set(
        project=costed,
        key=CellKey(saved.month, saved.expense_type, saved.category),
        amount_field="actual",
        amount=Decimal("9500"),
        by=director,
        expected_version=1,
    )
    client.force_login(pm)
    data = {"cell": "2026-03_opex_labour_actual", "version": "1", "amount": "8,800"}
    fragment = client.post(cell_url(costed), data, **HTMX)
    html = fragment.text
    assert "is-conflict" in html
    assert 'value="8,800"' in html  # yours, kept
    assert "Dora Director saved <strong>9,500</strong>" in html  # theirs, shown
    assert 'id="ver-2026-03_opex_labour_actual" value="2"' in html  # Enter applies yours
    assert "Not saved — Dora Director changed Opex · Labour · Actual · Mar 2026" in html
    assert CostLine.objects.get(pk=saved.pk).actual == Decimal("9500")
    # Re-applying deliberately (with the version now shown) wins.
    again = {**data, "version": "2"}
    assert client.post(cell_url(costed), again, **HTMX).status_code == 200
    assert CostLine.objects.get(pk=saved.pk).actual == Decimal("8800")


def test_a_conflict_without_javascript_shows_the_page_with_both_values(
    client, pm, director, costed
):
    CostLine.objects.filter(project=costed, month=date(2026, 3, 1)).update(
        actual=Decimal("9100"), version=2
    )
    client.force_login(pm)
    page = client.post(
        cell_url(costed), {"cell": "2026-03_opex_labour_actual", "version": "1", "amount": "7"}
    )
    assert page.status_code == 200
    cell = page.context["grid"].cells["2026-03_opex_labour_actual"]
    assert (cell.typed, cell.version, cell.conflict.theirs) == ("7", 2, "9,100")
    assert 'data-testid="cell-conflict"' in page.text


def test_a_line_created_by_someone_else_meanwhile_is_a_conflict_not_an_overwrite(
    client, pm, costed
):
    line(costed, date(2026, 6, 1), planned="4000")
    client.force_login(pm)
    response = client.post(
        cell_url(costed),
        {"cell": "2026-06_opex_labour_planned", "version": "", "amount": "1"},
        **HTMX,
    )
    assert "is-conflict" in response.text
    assert CostLine.objects.get(project=costed, month=date(2026, 6, 1)).planned == Decimal("4000")


def test_a_tampered_cell_name_is_a_bad_request(client, pm, costed):
    client.force_login(pm)
    for cell in ["2026-03_opex_unicorns_planned", "2026-13_opex_labour_planned", "x"]:
        response = client.post(cell_url(costed), {"cell": cell, "amount": "1"}, **HTMX)
        assert response.status_code == 400
    far = {"cell": "2031-01_opex_labour_planned", "amount": "oops"}
    assert client.post(cell_url(costed), far, **HTMX).status_code == 400
    assert not CostLine.objects.filter(month__year=2031).exists()


# --- A pasted block ------------------------------------------------------------------------


def paste(client, project, anchor: str, text: str, versions: dict | None = None, **extra):
    return client.post(
        f"{reverse('projects:costs-paste', args=[project.pk])}?year=2026",
        {"anchor": anchor, "text": text, "versions": json.dumps(versions or {}), **extra},
        **HTMX,
    )


def test_a_pasted_block_lands_right_and_down_from_its_cell_and_can_be_undone(client, pm, costed):
    client.force_login(pm)
    versions = {"2026-03_opex_labour": 1, "2026-04_opex_labour": 1, "2026-05_opex_labour": None}
    block = "1\t2\t3\n4\t5\t6\r\n"
    response = paste(client, costed, "2026-03_opex_labour_planned", block, versions)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="cost-grid"')
    assert 'data-focus="2026-03_opex_labour_planned"' in response.text
    assert "Pasted 6 values (2 rows × 3 months from Opex · Labour · Planned" in response.text
    lines = {
        ln.month.month: (ln.planned, ln.actual, ln.version)
        for ln in CostLine.objects.filter(project=costed, category="labour")
    }
    assert lines == {
        3: (Decimal("1"), Decimal("4"), 2),
        4: (Decimal("2"), Decimal("5"), 2),
        5: (Decimal("3"), Decimal("6"), 1),
    }
    undo = response.context["status"].undo
    assert undo["text"] == "10,000\t12,000\t\n9,000\t13,500.50\t"
    undone = client.post(
        f"{reverse('projects:costs-paste', args=[costed.pk])}?year=2026",
        {**undo, "undo": "1"},
        **HTMX,
    )
    assert "Paste undone" in undone.text
    assert undone.context["status"].undo is None  # no undo of the undo
    march = CostLine.objects.get(project=costed, category="labour", month=date(2026, 3, 1))
    assert (march.planned, march.actual) == (Decimal("10000"), Decimal("9000"))


def test_a_block_with_bad_values_saves_nothing_and_lists_each_problem(client, pm, costed):
    client.force_login(pm)
    response = paste(client, costed, "2026-03_opex_labour_planned", "1\tabc\n-4\t5\n")
    assert response["HX-Retarget"] == "#cost-status"
    assert response["HX-Reswap"] == "outerHTML"
    assert "Row 1: column 2: &#x27;abc&#x27; is not an amount." in response.text
    assert "Row 2: column 1: Amounts cannot be negative." in response.text
    assert CostLine.objects.get(
        project=costed, category="labour", month=date(2026, 3, 1)
    ).planned == Decimal("10000")


def test_a_block_too_tall_for_the_grid_is_refused(client, pm, costed):
    client.force_login(pm)
    response = paste(client, costed, "2026-03_opex_labour_forecast", "1\n2\n")
    assert "only 1 fit below" in response.text


def test_a_block_over_a_line_changed_since_loading_saves_nothing(client, pm, costed):
    CostLine.objects.filter(project=costed, month=date(2026, 4, 1), category="labour").update(
        planned=Decimal("99"), version=5
    )
    client.force_login(pm)
    versions = {"2026-03_opex_labour": 1, "2026-04_opex_labour": 1}
    response = paste(client, costed, "2026-03_opex_labour_planned", "1\t2", versions)
    assert "Nothing was pasted" in response.text
    assert response.context["status"].kind == "conflict"
    march = CostLine.objects.get(project=costed, category="labour", month=date(2026, 3, 1))
    assert (march.planned, march.version) == (Decimal("10000"), 1)


# --- CSV -------------------------------------------------------------------------------------


def upload(client, project, text: str, name: str = "costs.csv", encoding: str = "utf-8"):
    file = SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")
    return client.post(reverse("projects:costs-import", args=[project.pk]), {"file": file})


def test_an_upload_with_errors_lists_them_by_row_and_offers_no_apply(client, pm, costed):
    client.force_login(pm)
    response = upload(
        client,
        costed,
        "month,expense_type,category,planned\n2026-03,opex,labour,11000\n2026-13,opex,labour,1\n"
        "2026-05,opex,unicorns,1\n",
    )
    assert response.status_code == 200
    review = response.context["review"]
    assert [(e.row, e.message) for e in review.preview.errors] == [
        (3, "'2026-13' is not a month (use YYYY-MM)."),
        (4, "Unknown category 'unicorns'."),
    ]
    assert "Apply" not in response.text
    assert CostLine.objects.get(
        project=costed, category="labour", month=date(2026, 3, 1)
    ).planned == Decimal("10000")


def test_an_upload_is_reviewed_then_applied_all_at_once(client, pm, costed):
    client.force_login(pm)
    csv_text = (
        "Month;Expense type;Category;Planned;Actual;Forecast\r\n"
        "2026-03;opex;labour;10000;9100,50;\r\n"  # planned unchanged, actual changed
        "2026-07;Capex;Cloud;2.500,00;;\r\n"  # a new line
    )
    response = upload(client, costed, csv_text, encoding="cp1252")
    review = response.context["review"]
    assert [(str(c.key.month), c.measure, c.current, c.new) for c in review.changes] == [
        ("2026-03-01", "actual", Decimal("9000"), Decimal("9100.50")),
        ("2026-07-01", "planned", Decimal("0"), Decimal("2500.00")),
    ]
    assert review.unchanged == 1
    assert "Apply 2 changes" in response.text
    apply = client.post(
        reverse("projects:costs-import-apply", args=[costed.pk]),
        {"token": response.context["token"]},
    )
    assert apply.status_code == 302
    assert apply.url == grid_url(costed)
    march = CostLine.objects.get(project=costed, category="labour", month=date(2026, 3, 1))
    assert (march.planned, march.actual, march.version) == (
        Decimal("10000"),
        Decimal("9100.50"),
        2,
    )
    assert CostLine.objects.get(project=costed, category="cloud").planned == Decimal("2500")


def test_applying_a_review_after_someone_changed_the_costs_saves_nothing(client, pm, costed):
    client.force_login(pm)
    response = upload(client, costed, "month,expense_type,category,actual\n2026-03,opex,labour,1\n")
    CostLine.objects.filter(project=costed, month=date(2026, 3, 1), category="labour").update(
        actual=Decimal("42"), version=7
    )
    apply = client.post(
        reverse("projects:costs-import-apply", args=[costed.pk]),
        {"token": response.context["token"]},
    )
    assert apply.status_code == 200
    assert "changed the costs since your preview" in apply.text
    assert apply.context["review"].changes[0].current == Decimal("42")
    assert CostLine.objects.get(
        project=costed, category="labour", month=date(2026, 3, 1)
    ).actual == Decimal("42")


def test_an_htmx_upload_answers_with_the_review_only(client, pm, costed):
    client.force_login(pm)
    csv_bytes = b"month,expense_type,category,planned\n2026-03,opex,labour,5\n"
    file = SimpleUploadedFile("c.csv", csv_bytes)
    response = client.post(
        reverse("projects:costs-import", args=[costed.pk]), {"file": file}, **HTMX
    )
    assert response.text.lstrip().startswith('<div id="cost-import"')
    assert "Apply 1 change" in response.text


def test_an_excel_workbook_is_read_from_its_first_sheet(client, pm, costed):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["month", "expense_type", "category", "planned", "actual"])
    sheet.append([datetime(2026, 3, 1), "opex", "labour", 10000, 9100.5])
    sheet.append(["2026-08", "capex", "licence", 1234.56, None])
    sheet.append(["2026-09", "capex", "licence", 12.345, None])  # never rounded silently
    content = io.BytesIO()
    workbook.save(content)
    file = SimpleUploadedFile("plan.xlsx", content.getvalue())
    client.force_login(pm)
    response = client.post(reverse("projects:costs-import", args=[costed.pk]), {"file": file})
    review = response.context["review"]
    assert [(e.row, e.message) for e in review.preview.errors] == [
        (4, "Amounts have at most two decimals.")
    ]
    assert [(str(c.key.month), c.measure, c.new) for c in review.changes] == [
        ("2026-03-01", "actual", Decimal("9100.50")),
        ("2026-08-01", "planned", Decimal("1234.56")),
    ]


def test_a_file_that_is_not_text_is_refused_next_to_the_field(client, pm, costed):
    client.force_login(pm)
    file = SimpleUploadedFile("c.csv", b"\x81\x8d\x8f\x90\x9d" * 10)
    response = client.post(reverse("projects:costs-import", args=[costed.pk]), {"file": file})
    assert response.context["form"].errors["file"] == [
        "The file is not UTF-8 text (byte 0x81 at position 0 is neither UTF-8 nor "
        "Windows-1252): save it as “CSV UTF-8” or as an Excel .xlsx workbook and upload it "
        "again."
    ]
    assert "invalid-feedback" in response.text


def test_the_export_is_the_import_format_and_round_trips(client, pm, costed):
    client.force_login(pm)
    response = client.get(reverse("projects:costs-export", args=[costed.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="ERP-01-costs.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines() == [
        "month,expense_type,category,planned,actual,forecast",
        "2026-03,opex,labour,10000.00,9000.00,10500.00",
        "2026-04,capex,hardware,5000.00,6000.00,6000.00",
        "2026-04,opex,labour,12000.00,13500.50,12000.00",
    ]
    review = upload(client, costed, text).context["review"]
    assert review.changes == [] and review.unchanged == 9


def test_the_template_lists_every_month_and_row_with_empty_amounts(client, pm, costed):
    client.force_login(pm)
    response = client.get(reverse("projects:costs-template", args=[costed.pk]))
    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "month,expense_type,category,planned,actual,forecast"
    assert len(rows) == 1 + 12 * len(ROW_KEYS)
    assert rows[1] == "2026-01,capex,labour,,,"


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("months", [2, 48])
def test_the_grid_runs_a_fixed_number_of_queries(
    client, pm, portfolio, django_assert_num_queries, months
):
    project = ProjectFactory(
        portfolio=portfolio,
        manager=pm,
        baseline_start=date(2024, 1, 1),
        baseline_finish=date(2027, 12, 31),
    )
    CostLine.objects.bulk_create(
        CostLine(
            project=project,
            month=month,
            expense_type=expense_type,
            category=category,
            planned=Decimal("100"),
            actual=Decimal("90"),
        )
        for month in months_between(date(2024, 1, 1), date(2027, 12, 1))[:months]
        for expense_type, category in ROW_KEYS
    )
    client.force_login(pm)
    # session, user, the project with its header figures, roles, view scope, change scope,
    # every cost line of the project, the month its plan is fixed through
    with django_assert_num_queries(8):
        response = client.get(grid_url(project, year="all"))
    assert response.status_code == 200
    assert len(response.context["grid"].months) == 48
    with django_assert_num_queries(8):
        client.get(grid_url(project, year="2024"))


@pytest.mark.parametrize("months", [2, 48])
def test_saving_a_cell_runs_a_fixed_number_of_queries(
    client, pm, portfolio, django_assert_num_queries, months
):
    project = ProjectFactory(
        portfolio=portfolio,
        manager=pm,
        baseline_start=date(2024, 1, 1),
        baseline_finish=date(2027, 12, 31),
    )
    for month in months_between(date(2024, 1, 1), date(2027, 12, 1))[:months]:
        line(project, month, planned="100")
    client.force_login(pm)
    data = {"cell": "2024-01_opex_labour_actual", "version": "1", "amount": "5"}
    # session, user, project, roles, view scope, change scope; the service (pghistory sets its
    # audit context with the statements): the line, the month the plan is fixed through, its
    # conditional update, the stale mark; then every cost line, for the totals of the answer
    with django_assert_num_queries(13):
        response = client.post(cell_url(project, "2024"), data, **HTMX)
    assert response.status_code == 200
    assert "is-saved" in response.text


# --- Actuals of months still to come (today is 14 May 2026) -------------------------------------

NOT_YET = "Actuals can be recorded up to the current month (May 2026); Jun 2026 has not happened"


def test_a_future_actual_is_refused_at_the_cell_with_the_typed_text_kept(client, pm, costed):
    client.force_login(pm)
    data = {"cell": "2026-06_opex_labour_actual", "version": "", "amount": "4,000"}
    fragment = client.post(cell_url(costed), data, **HTMX)
    assert fragment.status_code == 200
    assert 'id="c-2026-06_opex_labour_actual"' in fragment.text
    assert "is-invalid" in fragment.text
    assert 'value="4,000"' in fragment.text
    assert NOT_YET in fragment.text
    # Without JavaScript: the page again, the message at the cell, the text kept.
    page = client.post(cell_url(costed), data)
    assert page.status_code == 200
    cell = page.context["grid"].cells["2026-06_opex_labour_actual"]
    assert cell.typed == "4,000"
    assert cell.error.startswith(NOT_YET)
    assert 'data-testid="cell-error"' in page.text
    assert not CostLine.objects.filter(project=costed, month=date(2026, 6, 1)).exists()


def test_this_months_actual_and_next_months_forecast_are_saved(client, pm, costed):
    client.force_login(pm)
    for cell in ("2026-05_opex_labour_actual", "2026-06_opex_labour_forecast"):
        response = client.post(cell_url(costed), {"cell": cell, "version": "", "amount": "700"})
        assert response.status_code == 302
    may, june = CostLine.objects.filter(
        project=costed, category="labour", month__gte=date(2026, 5, 1)
    )
    assert (may.actual, june.forecast, june.actual) == (Decimal("700"), Decimal("700"), 0)


def test_the_grid_offers_no_typing_in_actuals_of_months_to_come(client, pm, costed):
    client.force_login(pm)
    response = client.get(grid_url(costed, year=2026))
    grid = response.context["grid"]
    locked = {key for key, cell in grid.cells.items() if cell.locked}
    labour_actuals = {f"2026-{m:02d}_opex_labour_actual" for m in range(6, 13)}
    assert labour_actuals <= locked
    assert all(key.endswith("_actual") and key >= "2026-06" for key in locked)
    assert not grid.cells["2026-05_opex_labour_actual"].locked
    html = response.text
    start = html.index('id="c-2026-06_opex_labour_actual"')
    assert "readonly" in html[start : html.index("</td>", start)]
    start = html.index('id="c-2026-05_opex_labour_actual"')
    assert "readonly" not in html[start : html.index("</td>", start)]
    assert 'data-testid="future-actuals-note"' in html


def test_a_pasted_block_with_a_future_actual_saves_nothing(client, pm, costed):
    client.force_login(pm)
    response = paste(client, costed, "2026-05_opex_labour_planned", "1\t2\n3\t4\n")
    assert response["HX-Retarget"] == "#cost-status"
    assert f"Row 2: column 2: {NOT_YET}" in response.text
    assert not CostLine.objects.filter(project=costed, month__gte=date(2026, 5, 1)).exists()


def test_an_upload_with_a_future_actual_lists_that_row_and_offers_no_apply(client, pm, costed):
    client.force_login(pm)
    response = upload(
        client,
        costed,
        "month,expense_type,category,planned,actual\n2026-05,opex,labour,1,1\n"
        "2026-06,opex,labour,1,1\n",
    )
    review = response.context["review"]
    assert [(e.row, e.message[: len(NOT_YET)]) for e in review.preview.errors] == [(3, NOT_YET)]
    assert not review.can_apply
    assert not CostLine.objects.filter(project=costed, month__gte=date(2026, 5, 1)).exists()
