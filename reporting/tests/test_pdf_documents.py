"""The PDF reports as a reader gets them: every KPI tile reads exactly as the dashboard shows
it, the pages are as many as promised, a run holds nothing from outside its scope, every page
says whose scope it is, for whom and as of when, and the gate record keeps each decision.

The PDFs are made by WeasyPrint (reporting.pdf.render.html_to_pdf) and read back with
poppler's pdftotext, as a reader's PDF viewer would show them.
"""

from __future__ import annotations

import html
import re
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.services import reviews
from governance.tests.gates import published_workflow
from portfolio.capacity import add_months
from portfolio.tests.factories import PortfolioBudgetFactory, PortfolioFactory, make_user
from ppm.roles import Role
from projects.choices import LifecycleState
from projects.models import ChangeRequest, Project
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)
from reporting.choices import ReportKind, RunTrigger
from reporting.dashboard import portfolio_dashboard, selection_of
from reporting.engine import recompute
from reporting.kpis import CATALOGUE
from reporting.models import ReportRun
from reporting.pdf.documents import build_html, readers_text
from reporting.pdf.render import html_to_pdf
from reporting.tests.test_dashboard import build_portfolio

pytestmark = pytest.mark.django_db

# The dashboard tiles' test ids, by catalogue key.
TILE_IDS = {
    "bac": "tile-bac",
    "ac": "tile-ac",
    "eac": "tile-eac",
    "cpi": "tile-cpi",
    "spi": "tile-spi",
    "slipping": "tile-slipping",
    "on_time": "tile-on-time",
    "worst_slip": "tile-worst-slip",
    "exposure": "tile-exposure",
    "high_risks": "tile-high-risks",
    "status_overdue": "tile-freshness",
}


def make_run(kind, *, portfolios=(), readers=(), project=None, review=None, since=None):
    ids = [p.pk for p in portfolios] or ([project.portfolio_id] if project else [])
    run = ReportRun.objects.create(
        kind=kind,
        title=f"{ReportKind(kind).label}: test",
        trigger=RunTrigger.DOWNLOAD,
        portfolio_ids=ids,
        scope_label=", ".join(p.name for p in portfolios),
        project=project,
        review=review,
        since=since or timezone.localdate() - timedelta(days=7),
        requested_by=readers[0] if readers else None,
    )
    run.readers.set(readers)
    return run


def render(run) -> tuple[str, bytes, int]:
    page = build_html(run, as_of=timezone.now())
    pdf, pages = html_to_pdf(page)
    return page, pdf, pages


def pdf_text(pdf: bytes, *, layout: bool = True, page: int | None = None) -> str:
    """The PDF's text as pdftotext reads it (-layout keeps lines; -raw keeps content order)."""
    args = ["pdftotext", "-layout" if layout else "-raw", "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    out = subprocess.run([*args, "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode()


def dashboard_tiles(client, user, portfolio=None) -> dict[str, list[str]]:
    """Each tile's values (one per currency for money) as the dashboard page writes them,
    tags stripped; every portfolio the user may see when `portfolio` is None."""
    client.force_login(user)
    query = {"portfolio": portfolio.pk} if portfolio else {}
    page = client.get(reverse("reporting:dashboard"), query).text
    values = {}
    for key, test_id in TILE_IDS.items():
        values[key] = []
        for tile in re.findall(rf'data-testid="{test_id}">(.*?)</a>', page, re.S):
            value = re.search(r'<div class="kpi-value"[^>]*>(.*?)</div>', tile, re.S).group(1)
            values[key].append(html.unescape(re.sub(r"<[^>]+>", "", value)).strip())
    return values


def assert_tiles_as_shown(shown: dict[str, list[str]], page: str, pdf: bytes) -> None:
    text = pdf_text(pdf, layout=False)
    labels = {k.key: k.label for k in CATALOGUE}
    for key, values in shown.items():
        assert values, key
        assert page.count(f'data-kpi="{key}"') == len(values), key
        for value in values:
            # Each tile is its label, then its value on the next line (content order).
            assert f"{labels[key]}\n{value}\n" in text, (key, value)


@pytest.fixture
def built(portfolio, pm):
    build_portfolio(portfolio, pm, projects=3)
    # Cents, so "the same to the cent" is tested on figures that need rounding.
    for project in Project.objects.filter(portfolio=portfolio):
        CostLineFactory(
            project=project,
            month=add_months(timezone.localdate().replace(day=1), -2),
            planned=Decimal("1234.56"),
            actual=Decimal("987.65"),
        )
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=timezone.localdate().year)
    recompute()
    return portfolio


# --- Figures: the PDF says what the dashboard says ------------------------------------------


@pytest.mark.parametrize("kind", [ReportKind.SUMMARY, ReportKind.PACK])
def test_every_kpi_tile_reads_exactly_as_the_dashboard_shows_it(client, director, built, kind):
    shown = dashboard_tiles(client, director, built)
    assert set(shown) == {k.key for k in CATALOGUE if k.tile}
    run = make_run(kind, portfolios=[built], readers=[director])
    page, pdf, _pages = render(run)
    assert_tiles_as_shown(shown, page, pdf)
    # Money to the cent: the AC the dashboard computes, in whole units as it shows them.
    d = portfolio_dashboard(selection=selection_of([built.pk]))
    (money,) = d.money
    assert [f"€{money.evm.ac.quantize(Decimal(1)):,}"] == shown["ac"]


def test_several_currencies_get_their_money_tiles_each_as_the_dashboard_does(
    client, director, built, pm
):
    pounds = PortfolioFactory(director=director, currency="GBP", name="UK estates")
    build_portfolio(pounds, pm, projects=2)
    recompute()
    shown = dashboard_tiles(client, director)  # "All my portfolios"
    assert len(shown["bac"]) == 2 and shown["bac"][1].startswith("£")
    run = make_run(ReportKind.SUMMARY, portfolios=[built, pounds], readers=[director])
    page, pdf, pages = render(run)
    assert_tiles_as_shown(shown, page, pdf)
    assert pages <= 2


def test_the_health_matrix_and_the_top_slips_are_the_dashboards(director, built):
    d = portfolio_dashboard(selection=selection_of([built.pk]))
    run = make_run(ReportKind.SUMMARY, portfolios=[built], readers=[director])
    _page, pdf, _pages = render(run)
    text = pdf_text(pdf)
    overall = next(row for row in d.matrix if row.field == "health_rag")
    counts = r"\s+".join(str(cell.count) for cell in overall.cells)
    assert re.search(rf"Overall \(rules\)\s+{counts}", text)
    for milestone in d.top_slips[:5]:
        assert f"+{milestone.slip} d" in text and milestone.project.code in text
    assert "Budget burn" in text and "What changed since" in text


# --- Pages ------------------------------------------------------------------------------------


def test_the_summary_fits_two_pages_and_the_pack_has_a_contents_page(director, built):
    run = make_run(ReportKind.SUMMARY, portfolios=[built], readers=[director])
    _page, _pdf, pages = render(run)
    assert 1 <= pages <= 2
    _page, pdf, pages = render(make_run(ReportKind.PACK, portfolios=[built], readers=[director]))
    assert pages >= 4
    # The contents share the first page with the cover.
    contents = pdf_text(pdf, page=1)
    assert "Contents" in contents
    # target-counter() wrote each section's page number after its entry.
    listed = dict(re.findall(r"(Every project in flight|Key figures)[ .]+(\d+)", contents))
    assert listed and all(1 < int(n) <= pages for n in listed.values())
    projects_page = int(listed["Every project in flight"])
    assert "Every project in flight" in pdf_text(pdf, page=projects_page)
    for project in Project.objects.filter(portfolio=built):
        assert project.code in pdf_text(pdf, page=projects_page)


def reported_project(portfolio, pm, narrative: str) -> Project:
    """An active project whose latest submitted report says `narrative`."""
    project = ProjectFactory(
        portfolio=portfolio,
        manager=pm,
        state=LifecycleState.ACTIVE,
        budget_at_completion=Decimal("250000.00"),
    )
    StatusReportFactory(
        project=project,
        period_end=timezone.localdate().replace(day=1) - timedelta(days=1),
        state="submitted",
        submitted_at=timezone.now(),
        overall_rag="red",
        percent_complete=Decimal("40.00"),
        narrative=narrative,
    )
    return project


def test_a_busy_project_still_fits_its_one_pager(director, built, pm):
    project = reported_project(built, pm, "A long narrative. " * 400)
    today = timezone.localdate()
    for n in range(12):
        MilestoneFactory(
            project=project,
            name=f"Milestone with a long descriptive name number {n}",
            baseline_date=today + timedelta(days=10 * n),
            forecast_date=today + timedelta(days=10 * n + 3 * n),
        )
        RiskFactory(project=project, title=f"Risk {n} " + "words " * 12, probability=3, impact=4)
    for n in range(6):
        ChangeRequest.objects.create(
            project=project,
            title=f"Change {n}",
            description="d",
            state="submitted",
            raised_by=pm,
            cost_impact=Decimal("1000"),
        )
    recompute()
    _page, pdf, pages = render(make_run(ReportKind.PROJECT, project=project, readers=[director]))
    assert pages == 1
    text = pdf_text(pdf)
    assert project.code in text and "Latest status" in text and "Top risks" in text
    assert "continued in Conductor" in text


def test_the_narrative_is_rendered_markdown_and_typed_html_stays_text(director, built, pm):
    narrative = '# Plan\n\n**On track** <script>alert("x")</script> <img src=x onerror=alert(1)>'
    project = reported_project(built, pm, narrative)
    page = build_html(
        make_run(ReportKind.PROJECT, project=project, readers=[director]), as_of=timezone.now()
    )
    assert "<strong>On track</strong>" in page
    assert "<h3>Plan</h3>" in page  # under the page's own h1 and h2
    assert "<script>" not in page and "<img src=x" not in page and "&lt;img src=x" in page
    assert "&lt;script&gt;" in page


# --- Scope: a reader of A gets nothing of B ---------------------------------------------------


def test_a_run_for_portfolio_a_holds_nothing_of_portfolio_b(
    director, other_director, built, other_portfolio, other_pm
):
    secret = ProjectFactory(
        portfolio=other_portfolio,
        manager=other_pm,
        name="Project Nightingale",
        state=LifecycleState.ACTIVE,
        budget_at_completion=Decimal("777777.00"),
    )
    MilestoneFactory(
        project=secret,
        name="Nightingale launch",
        baseline_date=timezone.localdate(),
        forecast_date=timezone.localdate() + timedelta(days=90),
    )
    RiskFactory(project=secret, title="Nightingale vendor folds", probability=5, impact=5)
    recompute()
    for kind in (ReportKind.SUMMARY, ReportKind.PACK):
        page, pdf, _pages = render(make_run(kind, portfolios=[built], readers=[director]))
        for text in (page, pdf_text(pdf)):
            assert "Nightingale" not in text and secret.code not in text
            assert "777,777" not in text and other_portfolio.name not in text
    # And B's own run does show them, so the test would notice a renamed field.
    _page, pdf, _pages = render(
        make_run(ReportKind.PACK, portfolios=[other_portfolio], readers=[other_director])
    )
    assert "Nightingale" in pdf_text(pdf) and "777,777" in pdf_text(pdf)


# --- Header and footer ------------------------------------------------------------------------


def test_every_page_names_the_scope_the_reader_and_the_time_and_counts_the_pages(director, built):
    run = make_run(ReportKind.PACK, portfolios=[built], readers=[director])
    _page, pdf, pages = render(run)
    d = portfolio_dashboard(selection=selection_of([built.pk]))
    computed = timezone.localtime(d.freshness.computed_at)
    name = director.get_full_name() or director.username
    for number in (1, pages):
        text = pdf_text(pdf, page=number)
        assert f"Scope: {built.name}" in text
        assert f"For: {name}" in text
        assert f"Figures as of {computed:%-d %b %Y, %H:%M}" in text
        assert "Printed " in text
        assert f"Page {number} of {pages}" in text


def test_readers_are_named_up_to_three_then_counted(director, built):
    people = [
        make_user(f"reader{n}", Role.DIRECTOR, first_name=f"Reader{n}", last_name="Zed")
        for n in range(5)
    ]
    run = make_run(ReportKind.SUMMARY, portfolios=[built], readers=people)
    assert readers_text(run) == "Reader0 Zed, Reader1 Zed, Reader2 Zed and 2 others"
    run.readers.set(people[:2])
    assert readers_text(run) == "Reader0 Zed and Reader1 Zed"


# --- Cost: one query per section ----------------------------------------------------------------


def test_the_pack_reads_a_fixed_number_of_queries_whatever_the_size(director, portfolio, pm):
    def queries() -> int:
        run = make_run(ReportKind.PACK, portfolios=[portfolio], readers=[director])
        with CaptureQueriesContext(connection) as captured:
            build_html(run, as_of=timezone.now())
        return len(captured)

    build_portfolio(portfolio, pm, projects=2)
    recompute()
    few = queries()
    build_portfolio(portfolio, pm, projects=6)
    recompute()
    assert queries() == few


# --- Gate decision record -----------------------------------------------------------------------


@pytest.fixture
def decided_gate_review(project, pm, pmo, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    approvers = [
        make_user(f"gatekeeper{i}", Role.DIRECTOR, first_name=f"Gate{i}", last_name="Keeper")
        for i in (1, 2)
    ]
    workflow = published_workflow(
        pmo,
        [
            {
                "name": "Plan",
                "phase": "Build",
                "state_after": LifecycleState.ACTIVE,
                "rule": "m_of_n",
                "rule_m": 2,
                "approver_users": approvers,
                "criteria": [("Schedule baselined", True)],
            }
        ],
    )
    gate = workflow.gates.get(name="Plan")
    reviews.project_enrol(project=project, version=workflow, next_gate=gate, by=pmo)
    Project.objects.filter(pk=project.pk).update(state=LifecycleState.APPROVED)
    project.refresh_from_db()
    criterion = gate.criteria.get()
    reviews.criterion_check_set(target=project, criterion=criterion, by=pm, met=True, note="Done")
    reviews.evidence_add(
        target=project,
        criterion=criterion,
        by=pm,
        upload=SimpleUploadedFile("baseline-plan.pdf", b"%PDF-1.7 plan", "application/pdf"),
    )
    review = reviews.review_request(project=project, by=pm, note="Ready for build.")
    reviews.review_decide(
        review=review, by=approvers[0], verdict="approve", comment="Benefits are credible."
    )
    reviews.review_decide(
        review=review, by=approvers[1], verdict="approve", comment="Plan baselined <ok>."
    )
    review.refresh_from_db()
    return review


def test_the_gate_record_keeps_every_decision_and_its_comment(director, decided_gate_review):
    review = decided_gate_review
    assert review.decided_at is not None
    run = make_run(
        ReportKind.GATE_RECORD, project=review.project, review=review, readers=[director]
    )
    page, pdf, pages = render(run)
    text = pdf_text(pdf)
    assert "Benefits are credible." in text and "Plan baselined <ok>." in text
    assert "Plan baselined &lt;ok&gt;." in page
    assert "Gate1 Keeper" in text and "Gate2 Keeper" in text
    assert "Approved" in text and "baseline-plan.pdf" in text
    assert review.title in text
    assert f"Page 1 of {pages}" in text


def test_a_portfolio_not_computed_yet_still_renders_and_says_so(director, portfolio, pm):
    project = ProjectFactory(portfolio=portfolio, manager=pm, state=LifecycleState.ACTIVE)
    for kind in (ReportKind.SUMMARY, ReportKind.PACK):
        _page, pdf, _pages = render(make_run(kind, portfolios=[portfolio], readers=[director]))
        assert "Figures not computed yet" in pdf_text(pdf, page=1)
    _page, pdf, pages = render(make_run(ReportKind.PROJECT, project=project, readers=[director]))
    assert pages == 1 and "figures not computed yet" in pdf_text(pdf)
