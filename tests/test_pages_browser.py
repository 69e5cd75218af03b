"""The start pages in a real browser: sign in, navigate, filter, sign out; plus screenshots.

Headless Chromium from the system package (/usr/bin/chromium), driven by Playwright's sync API
against pytest-django's live server (which also serves the static files). Screenshots of every
start page at desktop and phone width are written to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from portfolio.models import Portfolio
from portfolio.selectors import current_fiscal_year
from portfolio.tests.factories import PortfolioBudgetFactory, PortfolioFactory
from ppm.roles import Role
from projects.choices import (
    RAG,
    ChangeRequestState,
    CostCategory,
    DeliveryMethod,
    ExpenseType,
    ReportState,
)
from projects.models import ChangeRequest, Issue, Project
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)

# Playwright's sync API keeps an event loop running in this thread; the ORM calls made by the
# test itself (factories) are still synchronous and safe.
from tests.browser_support import DESKTOP, PASSWORD, PHONE, person, shoot

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# --- Realistic data ---------------------------------------------------------------------------


def report(project: Project, rag: str, percent: int, narrative: str, *, days_ago: int = 0) -> None:
    period_end = date(2026, 10, 31) - timedelta(days=days_ago)
    StatusReportFactory(
        project=project,
        period_end=period_end,
        state=ReportState.SUBMITTED,
        submitted_at=timezone.now(),
        author=project.manager,
        overall_rag=rag,
        schedule_rag=rag,
        cost_rag=RAG.GREEN if rag != RAG.RED else RAG.AMBER,
        scope_rag=RAG.GREEN,
        risk_rag=rag,
        percent_complete=Decimal(percent),
        narrative=narrative,
    )


@pytest.fixture
def office(transactional_db):
    """Two portfolios of one director, two project managers, ten projects with history."""
    director = person("helen.ward", "Helen", "Ward", Role.DIRECTOR)
    ana = person("ana.silva", "Ana", "Silva", Role.PROJECT_MANAGER)
    raj = person("raj.patel", "Raj", "Patel", Role.PROJECT_MANAGER)
    sponsor = person("tom.becker", "Tom", "Becker", Role.EXECUTIVE)
    year = current_fiscal_year()
    ent = PortfolioFactory(
        code="ENT",
        name="Enterprise Applications",
        director=director,
        currency="EUR",
        description="Finance, HR and customer-facing business applications.",
    )
    inf = PortfolioFactory(code="INF", name="Infrastructure & Cloud", director=director)
    PortfolioBudgetFactory(portfolio=ent, fiscal_year=year, amount=Decimal("4500000"))
    PortfolioBudgetFactory(portfolio=inf, fiscal_year=year, amount=Decimal("5000000"))

    specs = [
        # portfolio, code, name, manager, state, category, BAC, rag, % complete
        (ent, "ERP-01", "S/4HANA finance rollout", ana, "active", "erp", 1850000, RAG.AMBER, 55),
        (
            ent,
            "CRM-02",
            "Customer portal relaunch",
            ana,
            "active",
            "software",
            620000,
            RAG.GREEN,
            70,
        ),
        (ent, "HR-03", "Payroll system replacement", raj, "on_hold", "erp", 410000, RAG.RED, 30),
        (ent, "DAT-04", "Enterprise data platform", raj, "approved", "data", 980000, RAG.GREEN, 5),
        (ent, "APP-05", "Contract management tool", raj, "proposed", "software", 150000, None, 0),
        (ent, "APP-06", "Intranet migration", ana, "closed", "workplace", 90000, RAG.GREEN, 100),
        (
            inf,
            "CLD-01",
            "Azure landing zone",
            ana,
            "active",
            "cloud_migration",
            750000,
            RAG.GREEN,
            60,
        ),
        (inf, "NET-02", "SD-WAN rollout", raj, "active", "network", 1200000, RAG.AMBER, 45),
        (
            inf,
            "SEC-03",
            "Zero-trust network access",
            raj,
            "active",
            "security",
            540000,
            RAG.RED,
            35,
        ),
        (inf, "DC-04", "Data-centre exit", raj, "active", "infrastructure", 2100000, RAG.AMBER, 40),
    ]
    projects = {}
    for pf, code, name, manager, state, category, bac, rag, pct in specs:
        start = date(2026, 1, 12)
        project = ProjectFactory(
            portfolio=pf,
            code=code,
            name=name,
            manager=manager,
            sponsor=sponsor,
            state=state,
            category=category,
            delivery_method=DeliveryMethod.HYBRID if category == "software" else "waterfall",
            current_gate="G2 Business case" if state == "proposed" else "G3 Build",
            baseline_start=start,
            baseline_finish=date(2026, 12, 18),
            forecast_finish=date(2027, 1, 29) if rag == RAG.RED else date(2026, 12, 18),
            budget_at_completion=Decimal(bac),
        )
        if rag:
            report(project, rag, pct, f"{name}: progressing as planned this month.")
        projects[code] = project

    erp = projects["ERP-01"]
    erp.delegates.add(raj)
    report(erp, RAG.GREEN, 45, "Blueprint signed off.", days_ago=31)
    StatusReportFactory(project=erp, period_end=date(2026, 11, 30), overall_rag=RAG.RED)  # draft
    for name, baseline, forecast, actual in [
        ("Blueprint signed off", date(2026, 2, 27), date(2026, 3, 6), date(2026, 3, 6)),
        ("Build complete", date(2026, 7, 31), date(2026, 8, 28), date(2026, 8, 26)),
        ("User acceptance test complete", date(2026, 10, 16), date(2026, 11, 13), None),
        ("Go-live", date(2026, 11, 30), date(2026, 12, 14), None),
        ("Hypercare ends", date(2027, 1, 29), date(2027, 1, 29), None),
    ]:
        MilestoneFactory(
            project=erp,
            name=name,
            baseline_date=baseline,
            forecast_date=forecast,
            actual_date=actual,
        )
    erp_narrative = (
        "Build closed two weeks late after the general-ledger mapping rework.\n"
        "UAT started on 2 November with finance super-users; 41 of 180 scripts passed so far.\n\n"
        "Go-live moves to 14 December, inside the change freeze agreed with the CFO."
    )
    StatusReportFactory(
        project=erp,
        period_end=date(2026, 11, 15),
        state=ReportState.SUBMITTED,
        submitted_at=timezone.now(),
        author=ana,
        overall_rag=RAG.AMBER,
        schedule_rag=RAG.AMBER,
        cost_rag=RAG.GREEN,
        scope_rag=RAG.GREEN,
        risk_rag=RAG.RED,
        percent_complete=Decimal("62"),
        narrative=erp_narrative,
        achievements="Build complete; data migration dress rehearsal 1 passed.",
        next_steps="Finish UAT cycle 1; cut-over plan sign-off by the CFO.",
    )
    for month in range(1, 11):
        for category, expense, planned, actual in [
            (CostCategory.LABOUR, ExpenseType.OPEX, 62000, 64500),
            (CostCategory.VENDOR, ExpenseType.CAPEX, 48000, 51200),
            (CostCategory.LICENCE, ExpenseType.OPEX, 12500, 12500),
        ]:
            CostLineFactory(
                project=erp,
                month=date(2026, month, 1),
                category=category,
                expense_type=expense,
                planned=Decimal(planned),
                actual=Decimal(actual),
                forecast=Decimal(actual),
            )
    for title, p, i, cost in [
        ("Key SAP FI consultant unavailable in December", 4, 4, None),
        ("Legacy ledger data fails migration reconciliation", 3, 5, 120000),
        ("Business units add reports late in UAT", 3, 3, None),
        ("Licence true-up after go-live user count", 2, 4, 45000),
    ]:
        RiskFactory(
            project=erp,
            title=title,
            probability=p,
            impact=i,
            cost_impact=cost,
            owner=ana,
            due_date=date(2026, 12, 1),
        )
    RiskFactory(
        project=projects["SEC-03"], title="Identity provider outage", probability=4, impact=4
    )
    RiskFactory(project=projects["DC-04"], title="Lease extension refused", probability=3, impact=5)
    Issue.objects.create(project=erp, title="UAT environment refresh failed", owner=ana)
    Issue.objects.create(project=erp, title="Two key users on leave in week 47", owner=ana)
    ChangeRequest.objects.create(
        project=erp,
        title="Add intercompany reconciliation",
        description="Finance asks for intercompany matching in scope.",
        schedule_impact_days=10,
        cost_impact=Decimal("45000"),
        state=ChangeRequestState.SUBMITTED,
        raised_by=ana,
        submitted_at=timezone.now(),
    )
    ChangeRequest.objects.create(
        project=erp,
        title="Defer fixed-asset module to phase 2",
        description="Moves fixed assets out of the first release.",
        schedule_impact_days=-5,
        cost_impact=Decimal("-20000"),
        state=ChangeRequestState.APPROVED,
        raised_by=ana,
        decided_by=director,
        decided_at=timezone.now(),
    )
    return {"director": director, "ana": ana, "raj": raj, "erp": erp, "ent": ent}


# --- Helpers ----------------------------------------------------------------------------------


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def sign_out_and_in(page, base_url: str, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, base_url, username)


PM_NAV = ["My projects", "Lessons learned", "My approvals", "Reports", "Intake", "Inbox"]


def nav_labels(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid=nav-items] .nav-link").all_inner_texts()]


# --- Tests ------------------------------------------------------------------------------------


def test_a_project_manager_signs_in_opens_a_project_and_signs_out(browser, live_server, office):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    failed_assets: list[str] = []
    page.on(
        "response",
        lambda r: failed_assets.append(r.url) if "/static/" in r.url and r.status >= 400 else None,
    )
    base = live_server.url

    # A wrong password keeps the username and says what went wrong.
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("ana.silva")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_test_id("form-errors").is_visible()
    assert page.get_by_label("Username").input_value() == "ana.silva"

    sign_in(page, base, "ana.silva")
    assert page.url == f"{base}/projects/"
    assert page.get_by_role("heading", name="My projects").is_visible()
    # A project manager's navigation holds their projects and nothing else (and the reports
    # made for them, issue 11).
    assert nav_labels(page) == PM_NAV
    assert "active" in page.locator("[data-testid=nav-items] .nav-link").first.get_attribute(
        "class"
    )

    # The stylesheets and scripts are served and applied.
    navbar_bg = page.evaluate(
        "getComputedStyle(document.querySelector('.app-navbar')).backgroundColor"
    )
    assert navbar_bg == "rgb(31, 47, 74)"
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.bootstrap") == "object"
    assert failed_assets == []

    # Ana manages ERP-01, CRM-02, APP-06 and CLD-01.
    rows = page.locator("[data-testid=project-table] tbody tr")
    assert rows.count() == 4
    # Typing in the search box refreshes the table through htmx, and the URL follows.
    with page.expect_response(re.compile(r"/projects/\?q=azure")):
        page.get_by_label("Search code or name").fill("azure")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=project-table] tbody tr').length === 1"
    )
    assert "q=azure" in page.url
    assert page.get_by_test_id("project-count").inner_text().startswith("1 project")
    page.get_by_label("Search code or name").fill("")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=project-table] tbody tr').length === 4"
    )

    page.get_by_role("link", name="S/4HANA finance rollout").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{base}/projects/{office['erp'].pk}/"
    assert page.get_by_role("heading", name="S/4HANA finance rollout").is_visible()
    status = page.get_by_test_id("latest-status")
    assert "UAT started on 2 November" in status.inner_text()
    assert page.locator("[data-testid=milestones] .slip-late").count() >= 3
    assert nav_labels(page) == PM_NAV

    page.locator("#user-menu").click()
    # The open menu: a project manager has the Reports menu too (issue 11).
    assert "Project manager" in page.locator(".dropdown-menu.show").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" in page.url
    page.goto(f"{base}/projects/")
    assert "/accounts/login/" in page.url
    context.close()


def test_a_director_gets_both_sections_and_the_portfolio_table_filters_in_place(
    browser, live_server, office
):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "helen.ward")
    assert page.url == f"{base}/portfolios/dashboard/"
    page.get_by_role("link", name="Portfolios", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert nav_labels(page) == [
        "Dashboard",
        "Portfolios",
        "My projects",
        "Lessons learned",
        "My approvals",
        "Governance",
        "Reports",  # the report library (issue 11)
        "Intake",
        "Inbox",
    ]
    assert page.locator("[data-testid=portfolio-card]").count() == 2

    page.get_by_role("link", name="Enterprise Applications").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=project-table] tbody tr").count() == 6
    # Sort by budget in the table, then filter in the bar: the URL and the table keep both.
    page.get_by_role("link", name="BAC").click()
    page.wait_for_url(re.compile(r"sort=bac"))
    with page.expect_response(re.compile(r"state=active")):
        page.get_by_label("State").select_option("active")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=project-table] tbody tr').length === 2"
    )
    assert "state=active" in page.url
    assert "sort=bac" in page.url
    rows = page.locator("[data-testid=project-table] tbody tr")
    assert "Customer portal relaunch" in rows.nth(0).inner_text()  # €620,000
    assert "S/4HANA finance rollout" in rows.nth(1).inner_text()  # €1,850,000
    # Going back restores the unfiltered table.
    page.go_back()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=project-table] tbody tr').length === 6"
    )
    context.close()


def test_the_navigation_collapses_at_phone_width(browser, live_server, office):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server.url, "helen.ward")
    nav_link = page.get_by_role("link", name="My projects")
    assert not nav_link.is_visible()
    page.get_by_role("button", name="Toggle navigation").click()
    nav_link.wait_for(state="visible")
    # No page scrolls sideways at phone width.
    for path in [
        "/portfolios/",
        f"/portfolios/{office['ent'].pk}/",
        "/projects/",
        f"/projects/{office['erp'].pk}/",
    ]:
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} overflows by {overflow}px"
    context.close()


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_start_pages(browser, live_server, office, size, viewport):
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    shoot(page, f"login-{size}")

    sign_in(page, base, "helen.ward")
    page.goto(f"{base}/portfolios/")
    shoot(page, f"portfolio-list-{size}")
    ent: Portfolio = office["ent"]
    page.goto(f"{base}/portfolios/{ent.pk}/")
    shoot(page, f"portfolio-detail-{size}")
    page.goto(f"{base}/projects/")
    shoot(page, f"my-projects-{size}")
    page.goto(f"{base}/projects/{office['erp'].pk}/")
    shoot(page, f"project-{size}")
    # The styled 403 page, as a project manager outside their scope would see it.
    page.goto(f"{base}/portfolios/424242/")
    assert page.get_by_role("heading", name="This page does not exist").is_visible()
    sign_out_and_in(page, base, "raj.patel")
    page.goto(f"{base}/portfolios/")
    assert page.get_by_role("heading", name="You do not have access to this page").is_visible()
    shoot(page, f"forbidden-{size}")
    context.close()
