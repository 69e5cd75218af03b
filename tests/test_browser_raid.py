"""The RAID log, change requests and lessons learned in a real browser, plus screenshots.

Headless Chromium from the system package (/usr/bin/chromium), driven by Playwright's sync API
against pytest-django's live server; the data is committed (transactional tests) so the
server thread sees it. Screenshots go to docs/screenshots/ at desktop and phone width.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from portfolio.tests.factories import PortfolioFactory
from ppm.roles import Role
from projects import services
from projects.choices import ChangeRequestState, RaidStatus
from projects.models import Assumption, ChangeRequest, Dependency, Issue, LessonLearned, Project
from projects.tests.factories import MilestoneFactory, ProjectFactory, RiskFactory
from tests.browser_support import DESKTOP, PHONE, person, shoot, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def office(transactional_db):
    """One director's portfolio; Ana manages ERP-01 (a full RAID log), CRM-02 and a closed
    intranet project; Raj manages the data platform ERP-01 waits on."""
    today = timezone.localdate()
    director = person("helen.ward", "Helen", "Ward", Role.DIRECTOR)
    ana = person("ana.silva", "Ana", "Silva", Role.PROJECT_MANAGER)
    raj = person("raj.patel", "Raj", "Patel", Role.PROJECT_MANAGER)
    sponsor = person("tom.becker", "Tom", "Becker", Role.EXECUTIVE)
    ent = PortfolioFactory(code="ENT", name="Enterprise Applications", director=director)
    start = date(2026, 1, 12)

    def make(code: str, name: str, manager: User, **fields) -> Project:
        fields.setdefault("state", "active")
        return ProjectFactory(
            portfolio=ent,
            code=code,
            name=name,
            manager=manager,
            sponsor=sponsor,
            category="erp",
            baseline_start=start,
            baseline_finish=date(2026, 12, 18),
            forecast_finish=date(2026, 12, 18),
            **fields,
        )

    erp = make("ERP-01", "S/4HANA finance rollout", ana, budget_at_completion=Decimal(1850000))
    crm = make("CRM-02", "Customer portal relaunch", ana, budget_at_completion=Decimal(620000))
    data = make("DAT-04", "Enterprise data platform", raj, budget_at_completion=Decimal(980000))
    intranet = make(
        "APP-06", "Intranet migration", ana, state="closed", budget_at_completion=Decimal(90000)
    )

    cutover = MilestoneFactory(
        project=erp,
        name="Cutover rehearsal complete",
        baseline_date=date(2026, 11, 20),
        forecast_date=date(2026, 12, 4),
    )
    MilestoneFactory(
        project=crm,
        name="Portal beta live",
        baseline_date=date(2026, 10, 30),
        forecast_date=date(2026, 11, 13),
    )
    cleansed = MilestoneFactory(
        project=data,
        name="Master data cleansed",
        baseline_date=date(2026, 10, 15),
        forecast_date=date(2026, 11, 5),
    )
    for title, p, i, cost, response, plan, due in [
        (
            "Key SAP FI consultant unavailable in December",
            4,
            4,
            None,
            "mitigate",
            "Second consultant on standby through the integrator.",
            today + timedelta(days=9),
        ),
        (
            "Legacy ledger data fails migration reconciliation",
            3,
            5,
            Decimal(120000),
            "mitigate",
            "Two extra mock loads; finance signs off each reconciliation.",
            today - timedelta(days=3),
        ),
        (
            "Business units add reports late in UAT",
            3,
            3,
            Decimal(35000),
            "accept",
            "Change control on every new report.",
            today + timedelta(days=20),
        ),
        (
            "Licence true-up after go-live user count",
            2,
            4,
            Decimal(45000),
            "transfer",
            "Fixed-price true-up clause in the licence contract.",
            today + timedelta(days=45),
        ),
    ]:
        RiskFactory(
            project=erp,
            title=title,
            probability=p,
            impact=i,
            cost_impact=cost,
            response=response,
            response_plan=plan,
            owner=ana,
            due_date=due,
        )
    RiskFactory(
        project=erp,
        title="Audit firm not available for go-live sign-off",
        probability=2,
        impact=2,
        status=RaidStatus.CLOSED,
        resolution="Audit slot booked for 15 December.",
        closed_at=timezone.now(),
    )
    Issue.objects.create(
        project=erp,
        title="UAT environment refresh failed",
        description="The weekend refresh stopped at the HR schema.",
        priority="high",
        owner=ana,
        due_date=today - timedelta(days=2),
    )
    Issue.objects.create(
        project=erp, title="Two key users on leave in week 47", owner=ana, priority="medium"
    )
    Assumption.objects.create(
        project=erp,
        title="Finance super-users are released 50 % for UAT",
        owner=director,
        due_date=today + timedelta(days=12),
    )
    Dependency.objects.create(
        project=erp,
        depends_on=data,
        milestone=cutover,
        depends_on_milestone=cleansed,
        title="Cutover needs cleansed master data",
        owner=ana,
        due_date=date(2026, 11, 5),
    )
    # Two projects wait on ERP-01's cutover: Ana sees her own portal, not Raj's platform.
    Dependency.objects.create(
        project=crm,
        depends_on=erp,
        depends_on_milestone=cutover,
        title="Portal invoices need the new general ledger",
        owner=ana,
        due_date=date(2026, 12, 4),
    )
    Dependency.objects.create(
        project=data,
        depends_on=erp,
        title="Finance data feed switches to S/4HANA",
        owner=raj,
    )
    ChangeRequest.objects.create(
        project=erp,
        title="Defer fixed-asset module to phase 2",
        description="Moves fixed assets out of the first release.",
        scope_impact="Fixed assets leave release 1.",
        schedule_impact_days=-5,
        cost_impact=Decimal("-20000"),
        state=ChangeRequestState.REJECTED,
        raised_by=ana,
        submitted_at=timezone.now(),
        decided_by=director,
        decided_at=timezone.now(),
        decision_comment="Auditors need fixed assets in the first year-end.",
    )
    for project, title, category, what, recommendation in [
        (
            intranet,
            "Book test windows with the business early",
            "Testing",
            "User testing clashed with the month-end close and slipped by a month.",
            "Agree test windows at plan approval and protect them in the business calendar.",
        ),
        (
            intranet,
            "Name vendor resources in the contract",
            "Procurement",
            "The vendor swapped its lead architect mid-design.",
            "Key-person clauses and a handover period for any replacement.",
        ),
        (
            crm,
            "Rehearse cutover twice",
            "Deployment",
            "The first rehearsal found 14 missing steps in the vendor runbook.",
            "Plan at least two full rehearsals with timings; go/no-go on the second.",
        ),
        (
            data,
            "Clean data before migrating it",
            "Data",
            "Duplicate supplier records caused payment run errors after go-live.",
            "Start data cleansing during design; make data owners accountable.",
        ),
    ]:
        LessonLearned.objects.create(
            project=project,
            title=title,
            category=category,
            what_happened=what,
            recommendation=recommendation,
            recorded_by=project.manager,
        )
    return {"director": director, "ana": ana, "erp": erp, "crm": crm, "intranet": intranet}


def heat_count(page, p: int, i: int) -> str:
    return page.get_by_test_id(f"heat-{p}-{i}").inner_text().split("\n")[0].strip()


# --- Flows ----------------------------------------------------------------------------------


def test_a_project_manager_adds_a_risk_sees_it_on_the_heat_map_and_closes_an_issue(
    browser, live_server, office
):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    base = live_server.url
    erp = office["erp"]
    sign_in(page, base, "ana.silva")
    page.goto(f"{base}/projects/{erp.pk}/")
    page.get_by_role("link", name="RAID", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("open-risks").inner_text() == "4"
    assert page.get_by_test_id("heat-4-5").locator("a").count() == 0  # nothing there yet

    # Add a risk in the panel: the form comes and goes without leaving the page.
    page.get_by_role("link", name="Add risk").click()
    form = page.get_by_test_id("raid-form")
    form.wait_for()
    form.get_by_label("Title").fill("Integrator misses the data-load window")
    form.get_by_label("Probability").select_option("4")
    form.get_by_label(re.compile(r"^Impact")).select_option("5")
    form.get_by_label("Cost impact").fill("80,000")
    form.get_by_label("Response strategy").select_option("mitigate")
    form.get_by_label("Response plan").fill("Book a second load window with the integrator.")
    form.get_by_label("Owner").select_option(label="Ana Silva")
    form.get_by_label("Due date").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    url_before = page.url
    form.get_by_role("button", name="Add risk").click()
    page.get_by_test_id("raid-flash").wait_for()
    assert (
        "Integrator misses the data-load window" in page.get_by_test_id("raid-flash").inner_text()
    )
    assert page.url == url_before
    assert page.get_by_test_id("raid-form").count() == 0
    assert heat_count(page, 4, 5) == "1"
    assert page.get_by_test_id("open-risks").inner_text() == "5"
    assert page.get_by_test_id("exposure").inner_text() == str(16 + 15 + 9 + 8 + 20)
    # EMV: 50 % × 120,000 + 50 % × 35,000 + 30 % × 45,000 + 70 % × 80,000
    assert page.get_by_test_id("emv").inner_text() == "€147,000"

    # Drill down from the heat-map cell to the risks behind it.
    page.get_by_test_id("heat-4-5").locator("a").click()
    page.wait_for_url(re.compile(r"p=4&i=5"))
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=register] tbody tr').length === 1"
    )
    row = page.locator("[data-testid=register] tbody tr").first
    assert "Integrator misses the data-load window" in row.inner_text()
    assert "€56,000" in row.inner_text()
    assert page.get_by_test_id("drill-chip").is_visible()

    # Close an issue: an empty resolution is refused and everything typed is kept.
    page.get_by_role("link", name=re.compile(r"^Issues")).click()
    page.wait_for_url(re.compile(r"kind=issues"))
    issue_row = page.locator("tr", has_text="UAT environment refresh failed")
    assert issue_row.get_by_test_id("overdue").is_visible()
    issue_row.get_by_role("link", name="Close UAT environment refresh failed").click()
    form = page.get_by_test_id("raid-form")
    form.wait_for()
    assert form.get_by_label("Status").input_value() == "closed"
    form.get_by_label("Description").fill("Basis team reran the refresh on Sunday night.")
    form.get_by_role("button", name="Save").click()
    error = page.get_by_test_id("error-resolution")
    error.wait_for()
    assert "Closing needs a resolution" in error.inner_text()
    form = page.get_by_test_id("raid-form")
    assert (
        form.get_by_label("Description").input_value()
        == "Basis team reran the refresh on Sunday night."
    )
    assert form.get_by_label("Status").input_value() == "closed"
    form.get_by_label("Resolution").fill("Environment refreshed; UAT resumed on Monday.")
    form.get_by_role("button", name="Save").click()
    page.get_by_test_id("raid-flash").wait_for()
    assert "closed" in page.get_by_test_id("raid-flash").inner_text()
    assert page.locator("tr", has_text="UAT environment refresh failed").count() == 0
    page.get_by_role("link", name="Closed", exact=True).click()
    page.wait_for_url(re.compile(r"status=closed"))
    closed_row = page.locator("tr", has_text="UAT environment refresh failed")
    closed_row.wait_for()
    assert "Environment refreshed; UAT resumed on Monday." in closed_row.inner_text()
    issue = Issue.objects.get(title="UAT environment refresh failed")
    assert issue.status == RaidStatus.CLOSED
    assert issue.description == "Basis team reran the refresh on Sunday night."
    context.close()


def test_a_dependency_is_chosen_from_suggestions_and_its_milestones(browser, live_server, office):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "ana.silva")
    page.goto(f"{base}/projects/{office['erp'].pk}/raid/?kind=dependencies")
    row = page.locator("[data-testid=register] tbody tr").first
    assert "DAT-04" in row.inner_text() and "+21 d" in row.inner_text()
    waiting = page.get_by_test_id("dependents").locator("tbody tr")
    assert waiting.count() == 1
    assert "Portal invoices need the new general ledger" in waiting.first.inner_text()
    assert "1 more in projects you cannot open" in page.get_by_test_id("raid-log").inner_text()

    page.get_by_role("link", name="Add dependency").click()
    form = page.get_by_test_id("raid-form")
    form.wait_for()
    form.get_by_label("Title").fill("Portal single sign-on before ERP go-live")
    form.get_by_label("Our milestone").select_option(
        label="Cutover rehearsal complete · 4 Dec 2026"
    )
    projects_typed = form.get_by_label("Waits on project")
    projects_typed.fill("portal")
    page.wait_for_function(
        "() => document.querySelectorAll('#dependency-projects option').length === 1"
    )
    assert page.locator("#dependency-projects option").get_attribute("value") == "CRM-02"
    projects_typed.fill("CRM-02")
    page.wait_for_function(
        "() => document.querySelectorAll('#id_depends_on_milestone option').length === 2"
    )
    form.get_by_label("Their milestone").select_option(label="Portal beta live · 13 Nov 2026")
    form.get_by_role("button", name="Add dependency").click()
    page.get_by_test_id("raid-flash").wait_for()
    new_row = page.locator("[data-testid=register] tr", has_text="Portal single sign-on")
    assert "CRM-02" in new_row.inner_text() and "+14 d" in new_row.inner_text()
    dependency = Dependency.objects.get(title="Portal single sign-on before ERP go-live")
    assert dependency.depends_on == office["crm"]
    assert dependency.depends_on_milestone.name == "Portal beta live"
    context.close()


def test_a_change_raised_by_the_manager_is_approved_by_the_director_and_moves_the_finish(
    browser, live_server, office
):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    base = live_server.url
    erp = office["erp"]
    sign_in(page, base, "ana.silva")
    page.goto(f"{base}/projects/{erp.pk}/changes/")
    assert page.get_by_test_id("forecast-finish").inner_text() == "18 Dec 2026"
    page.get_by_role("link", name="Raise a change request").click()
    form = page.get_by_test_id("change-form")
    form.wait_for()
    form.get_by_label("Title").fill("Add intercompany reconciliation")
    form.get_by_label("Description").fill("Finance asks for intercompany matching in scope.")
    form.get_by_label("Scope impact").fill("Intercompany matching for 6 legal entities.")
    form.get_by_label("Schedule impact (days)").fill("14")
    form.get_by_label("Cost impact").fill("45,000")
    form.get_by_role("button", name="Raise for decision").click()
    page.get_by_test_id("change-flash").wait_for()
    row = page.locator("[data-testid=change-row]", has_text="Add intercompany reconciliation")
    assert "Submitted" in row.inner_text()
    assert "finish 1 Jan 2027" in row.inner_text()
    assert row.get_by_role("link", name=re.compile("Decide")).count() == 0  # not the PM's call
    assert page.get_by_test_id("pending-count").inner_text() == "1"

    sign_in(page, base, "helen.ward")
    page.goto(f"{base}/projects/{erp.pk}/changes/")
    # The change is decided in its review (the gate engine's default panel for a change: the
    # portfolio's director or any PMO member).
    page.locator(
        "[data-testid=change-row]", has_text="Add intercompany reconciliation"
    ).get_by_test_id("decide-in-review").click()
    page.wait_for_load_state("networkidle")
    outcome = page.get_by_test_id("change-outcome").inner_text()
    assert "1 Jan 2027" in outcome and "€1,895,000" in outcome
    page.get_by_label("Comment").fill("Funded from the portfolio contingency.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("decision-record")).to_contain_text("Helen Ward")
    page.goto(f"{base}/projects/{erp.pk}/changes/")
    assert page.get_by_test_id("forecast-finish").inner_text() == "1 Jan 2027"
    assert page.get_by_test_id("bac").inner_text() == "€1,895,000"
    row = page.locator("[data-testid=change-row]", has_text="Add intercompany reconciliation")
    assert "Approved" in row.inner_text() and "Helen Ward" in row.inner_text()
    erp.refresh_from_db()
    assert erp.forecast_finish == date(2027, 1, 1)
    context.close()


def test_lessons_are_captured_at_closure_and_found_across_projects(browser, live_server, office):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "ana.silva")
    page.goto(f"{base}/projects/{office['intranet'].pk}/lessons/")
    assert page.get_by_test_id("closure-prompt").is_visible()
    page.get_by_label("Title").fill("Pilot with one department first")
    page.get_by_label("Category").fill("Deployment")
    page.get_by_label("What happened").fill("The big-bang launch flooded the service desk.")
    page.get_by_role("button", name="Record lesson").click()
    page.get_by_test_id("error-recommendation").wait_for()
    assert page.get_by_label("What happened").input_value() == (
        "The big-bang launch flooded the service desk."
    )
    page.get_by_label("Recommendation").fill("Pilot with one department, then roll out weekly.")
    page.get_by_role("button", name="Record lesson").click()
    page.get_by_test_id("lesson-flash").wait_for()
    assert "Pilot with one department first" in page.get_by_test_id("lessons").inner_text()

    page.get_by_role("link", name="Search lessons across projects").click()
    page.wait_for_load_state("networkidle")
    # Ana sees the lessons of her own projects only (not the data platform's).
    assert page.get_by_test_id("lesson-count").inner_text().startswith("4 lessons")
    with page.expect_response(re.compile(r"/projects/lessons/\?q=vendor")):
        page.get_by_label("Search title, what happened and recommendation").fill("vendor")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=lesson-hit]').length === 2"
    )
    assert "q=vendor" in page.url
    assert page.locator("[data-testid=lesson-hit] mark").count() >= 2
    page.get_by_label("Category").select_option("Procurement")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=lesson-hit]').length === 1"
    )
    assert "Name vendor resources" in page.get_by_test_id("lesson-results").inner_text()
    context.close()


def test_the_pages_fit_a_phone_screen(browser, live_server, office):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "ana.silva")
    erp = office["erp"].pk
    for path in [
        f"/projects/{erp}/raid/",
        f"/projects/{erp}/raid/?kind=issues",
        f"/projects/{erp}/raid/?kind=dependencies",
        f"/projects/{erp}/raid/risks/add/",
        f"/projects/{erp}/changes/",
        f"/projects/{office['intranet'].pk}/lessons/",
        "/projects/lessons/?q=vendor",
    ]:
        page.goto(f"{base}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} overflows by {overflow}px"
    context.close()


# --- Screenshots ----------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_raid_change_and_lesson_pages(
    browser, live_server, office, size, viewport
):
    erp = office["erp"]
    services.change_request_raise(
        project=erp,
        by=office["ana"],
        title="Add intercompany reconciliation",
        description="Finance asks for intercompany matching in scope.",
        scope_impact="Intercompany matching for 6 legal entities.",
        schedule_impact_days=14,
        cost_impact=Decimal("45000"),
    )
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "ana.silva")
    page.goto(f"{base}/projects/{erp.pk}/raid/")
    shoot(page, f"raid-{size}")
    page.goto(f"{base}/projects/{erp.pk}/raid/?kind=dependencies")
    shoot(page, f"raid-dependencies-{size}")
    page.goto(f"{base}/projects/{erp.pk}/raid/?kind=issues")
    page.get_by_role("link", name="Close UAT environment refresh failed").click()
    page.get_by_test_id("raid-form").wait_for()
    page.get_by_role("button", name="Save").click()
    page.get_by_test_id("error-resolution").wait_for()
    shoot(page, f"raid-close-error-{size}")
    page.goto(f"{base}/projects/{office['intranet'].pk}/lessons/")
    shoot(page, f"lessons-{size}")
    page.goto(f"{base}/projects/lessons/?q=vendor")
    shoot(page, f"lessons-search-{size}")
    sign_in(page, base, "helen.ward")
    page.goto(f"{base}/projects/{erp.pk}/changes/")
    page.locator(
        "[data-testid=change-row]", has_text="Add intercompany reconciliation"
    ).get_by_test_id("decide-in-review").click()
    page.get_by_test_id("change-outcome").wait_for()
    shoot(page, f"changes-{size}")
    context.close()
