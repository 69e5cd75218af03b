"""The portfolio project list filters and sorts on rollup figures; exports are what is filtered."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from portfolio.tests.factories import UserFactory
from projects.tests.factories import (
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)
from reporting.engine import recompute
from reporting.models import ProjectRollup

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(portfolio, pm):
    calm = ProjectFactory(portfolio=portfolio, manager=pm, code="CALM-1")
    risky = ProjectFactory(
        portfolio=portfolio, manager=pm, code="RISK-1", budget_at_completion=Decimal("1234567.89")
    )
    RiskFactory(project=risky, probability=5, impact=4)
    late = ProjectFactory(portfolio=portfolio, manager=pm, code="LATE-1")
    MilestoneFactory(project=late, baseline_date=date(2026, 6, 1), forecast_date=date(2026, 7, 15))
    recompute()
    return calm, risky, late


def listed(client, portfolio, query: str) -> list[str]:
    response = client.get(reverse("reporting:portfolio-detail", args=[portfolio.pk]) + query)
    assert response.status_code == 200
    return [p.code for p in response.context["table"].page.object_list]


def test_drill_down_filters_select_the_rows_behind_a_figure(client, director, portfolio, figures):
    client.force_login(director)
    assert listed(client, portfolio, "?high_risk=1") == ["RISK-1"]
    assert listed(client, portfolio, "?slipping=1") == ["LATE-1"]
    assert listed(client, portfolio, "?rule=red") == sorted(
        ProjectRollup.objects.filter(health_rag="red").values_list("project__code", flat=True)
    )


def test_sorting_by_exposure_puts_the_riskiest_first(client, director, portfolio, figures):
    client.force_login(director)
    assert listed(client, portfolio, "?sort=-exposure")[0] == "RISK-1"


def test_csv_export_has_every_filtered_row_with_exact_money(client, director, portfolio, figures):
    client.force_login(director)
    url = reverse("reporting:portfolio-projects-export", args=[portfolio.pk, "csv"])
    response = client.get(url + "?high_risk=1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["Code"] for r in rows] == ["RISK-1"]
    assert rows[0]["BAC"] == "1234567.89"
    assert rows[0]["Risk exposure"] == "20"


def test_exports_keep_the_rule_health_and_reported_status_filters(
    client, director, portfolio, figures
):
    calm, _risky, _late = figures
    StatusReportFactory(
        project=calm, state="submitted", submitted_at=timezone.now(), overall_rag="red"
    )
    recompute()
    client.force_login(director)
    url = reverse("reporting:portfolio-projects-export", args=[portfolio.pk, "csv"])

    def exported(query: str) -> list[dict]:
        response = client.get(url + query)
        assert response.status_code == 200
        return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    rule_red = sorted(
        ProjectRollup.objects.filter(health_rag="red").values_list("project__code", flat=True)
    )
    assert "RISK-1" in rule_red and "CALM-1" not in rule_red
    assert [r["Code"] for r in exported("?rule=red")] == rule_red
    assert [r["Rule health"] for r in exported("?rule=red")] == ["red"] * len(rule_red)
    assert [(r["Code"], r["Reported status"]) for r in exported("?reported=red")] == [
        ("CALM-1", "red")
    ]
    assert [r["Code"] for r in exported("?health=red")] == ["CALM-1"]  # the old name
    assert exported("?rule=red&reported=red") == []
    book = load_workbook(
        io.BytesIO(
            client.get(
                reverse("reporting:portfolio-projects-export", args=[portfolio.pk, "xlsx"])
                + "?reported=none"
            ).content
        )
    )
    codes = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(codes) == ["LATE-1", "RISK-1"]


def test_xlsx_export_has_typed_cells(client, director, portfolio, figures):
    client.force_login(director)
    url = reverse("reporting:portfolio-projects-export", args=[portfolio.pk, "xlsx"])
    response = client.get(url + "?sort=code")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Code", "Name"]
    codes = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert codes == ["CALM-1", "LATE-1", "RISK-1"]
    bac = sheet.cell(row=4, column=header.index("BAC") + 1).value
    assert Decimal(str(bac)) == Decimal("1234567.89")


def test_xlsx_export_formats_numbers_filters_and_says_when_its_figures_were_computed(
    client, director, portfolio, figures
):
    """Before: plain cells, no filter, and nothing saying how old the figures were."""
    client.force_login(director)
    url = reverse("reporting:portfolio-projects-export", args=[portfolio.pk, "xlsx"])
    book = load_workbook(io.BytesIO(client.get(url + "?sort=code&live=1").content))
    sheet = book["Projects"]
    header = [c.value for c in sheet[1]]
    formats = {
        label: sheet.cell(row=2, column=i + 1).number_format for i, label in enumerate(header)
    }
    assert formats["BAC"] == formats["EAC"] == "#,##0.00"
    assert formats["CPI"] in ("0.00", "General")  # General where CPI is not defined (blank)
    assert formats["Baseline finish"] == "yyyy-mm-dd"
    assert sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(row=1, column=len(header)).column_letter}4"
    about = dict(book["About"].iter_rows(values_only=True))
    computed = ProjectRollup.objects.filter(project__portfolio=portfolio).latest("computed_at")
    assert (
        timezone.localtime(computed.computed_at).strftime("%Y-%m-%d %H:%M")
        in about["Figures computed"]
    )
    assert about["Filters"] == "In flight (approved, active, on hold)"
    assert "never converted" in about["Money"]


def test_the_cross_portfolio_list_exports_what_it_shows(client, director, portfolio, figures):
    client.force_login(director)
    listed = client.get(reverse("reporting:projects") + "?live=1")
    assert 'data-testid="export-csv"' in listed.content.decode()
    rows = list(
        csv.DictReader(
            io.StringIO(
                b"".join(
                    client.get(reverse("reporting:projects-export", args=["csv"]) + "?live=1")
                ).decode()
            )
        )
    )
    assert sorted(r["Code"] for r in rows) == ["CALM-1", "LATE-1", "RISK-1"]
    client.force_login(UserFactory())  # no portfolio role
    assert client.get(reverse("reporting:projects-export", args=["csv"])).status_code == 403


def test_exports_check_role_and_scope(client, pm, other_director, portfolio, figures):
    url = reverse("reporting:portfolio-projects-export", args=[portfolio.pk, "csv"])
    client.force_login(pm)
    assert client.get(url).status_code == 403
    client.force_login(other_director)
    assert client.get(url).status_code == 403
    assert (
        client.get(
            reverse("reporting:portfolio-projects-export", args=[portfolio.pk, "pdf"])
        ).status_code
        == 404
    )


# --- Formula injection ---------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "-2+3", "@SUM(A1)"]


@pytest.fixture
def formulas(portfolio, pm):
    """Three projects named like formulas, one of them early: a negative slip and EAC."""
    for number, name in enumerate(FORMULAS, start=1):
        ProjectFactory(portfolio=portfolio, manager=pm, code=f"F-{number}", name=name)
    recompute()
    ProjectRollup.objects.filter(project__code="F-1").update(slip_days=-12, eac=Decimal("-1500.50"))


def test_csv_export_neutralises_text_that_reads_as_a_formula(client, director, portfolio, formulas):
    client.force_login(director)
    url = reverse("reporting:portfolio-projects-export", args=[portfolio.pk, "csv"])
    response = client.get(url + "?sort=code")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["Name"] for r in rows] == [f"'{name}" for name in FORMULAS]
    # Numbers stay numbers: a spreadsheet still reads a negative amount as one.
    assert (rows[0]["Worst key slip (days)"], rows[0]["EAC"]) == ("-12", "-1500.50")


def test_xlsx_export_stores_text_as_text_never_as_a_formula(client, director, portfolio, formulas):
    client.force_login(director)
    url = reverse("reporting:portfolio-projects-export", args=[portfolio.pk, "xlsx"])
    response = client.get(url + "?sort=code")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [c for c in cells if c.data_type == "f"] == []
    header = [c.value for c in sheet[1]]
    names = [row[header.index("Name")] for row in sheet.iter_rows(min_row=2)]
    assert [(c.value, c.data_type, c.quotePrefix) for c in names] == [
        (name, "s", True) for name in FORMULAS
    ]
    first = sheet[2]
    slip, eac = first[header.index("Worst key slip (days)")], first[header.index("EAC")]
    assert (slip.value, slip.data_type) == (-12, "n")
    assert (Decimal(str(eac.value)), eac.data_type) == (Decimal("-1500.50"), "n")
