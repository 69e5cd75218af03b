"""Portfolio prioritisation in a real browser: a director scores a project, opens the ranking,
defers a project above the budget cut line in a what-if, sees the line and the budget move,
and applies the change after a confirmation step; plus screenshots at desktop and phone width.

Headless Chromium from the system package (/usr/bin/chromium), driven by Playwright's sync API
against pytest-django's live server; the data is committed (transactional tests) so the
server thread sees it. Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from governance import services
from governance.tests.factories import CriterionFactory
from portfolio.models import PortfolioBudget, Resource
from portfolio.selectors import current_fiscal_year
from portfolio.tests.factories import PortfolioFactory
from ppm.audit import history_for
from ppm.roles import Role
from projects.models import Allocation, CostLine, Project, ProjectScore
from projects.tests.factories import ProjectFactory
from tests.browser_support import DESKTOP, PHONE, person, shoot, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# code, name, state, FY budget, scores (strategic fit, business value, delivery risk,
# regulatory need), monthly hours by resource group.
# fmt: off
PROJECTS = [
    ("ERP-01", "S/4HANA finance rollout", "active", 1_400_000, (5, 4, 3, 5),
     {"Developers": 120, "Business analysts": 60}),
    ("SEC-07", "Zero-trust network access", "approved", 650_000, (4, 3, 2, 5),
     {"Security analysts": 150}),
    ("CRM-02", "Customer portal relaunch", "active", 520_000, (4, 4, 4, 1),
     {"Developers": 80, "Testers": 40}),
    ("DAT-04", "Enterprise data platform", "active", 480_000, (3, 4, 3, 2),
     {"Developers": 100, "Business analysts": 40}),
    ("APP-09", "Mobile field service app", "proposed", 220_000, None, {"Developers": 60}),
    ("HR-05", "HR self-service", "proposed", 300_000, (2, 3, 2, 3), {"Business analysts": 30}),
    ("WKP-03", "Digital workplace refresh", "on_hold", 150_000, (3, 2, 4, 1), {"Developers": 20}),
]
# fmt: on
CRITERIA = [
    ("Strategic fit", "Contribution to the three-year IT strategy.", 40, True),
    ("Business value", "Benefits case: revenue, savings, risk avoided.", 30, True),
    ("Delivery risk", "Complexity, novelty and dependencies.", 20, False),
    ("Regulatory need", "Required by law, audit or a regulator.", 10, True),
]
GROUPS = {  # group: (people, hours per week each)
    "Developers": (4, "37.5"),
    "Business analysts": (2, "37.5"),
    "Security analysts": (1, "37.5"),
    "Testers": (2, "30.0"),
}


@pytest.fixture
def office(transactional_db):
    """Helen directs Enterprise Applications: seven live projects, a €2.8m envelope for this
    fiscal year, four PMO criteria and a shared resource pool also booked by Infrastructure.
    APP-09 is a new proposal nobody has scored yet."""
    fy = current_fiscal_year()
    this_month = timezone.localdate().replace(day=1)
    director = person("helen.ward", "Helen", "Ward", Role.DIRECTOR)
    ana = person("ana.silva", "Ana", "Silva", Role.PROJECT_MANAGER)
    person("tom.becker", "Tom", "Becker", Role.EXECUTIVE)
    pia = person("pia.moreau", "Pia", "Moreau", Role.PMO)
    ent = PortfolioFactory(code="ENT", name="Enterprise Applications", director=director)
    infra = PortfolioFactory(code="INF", name="Infrastructure & Cloud", director=director)
    PortfolioBudget.objects.create(portfolio=ent, fiscal_year=fy, amount=Decimal("2800000"))
    criteria = [
        CriterionFactory(name=n, description=d, weight=Decimal(w), higher_is_better=h)
        for n, d, w, h in CRITERIA
    ]
    pool = {
        group: [
            Resource.objects.create(
                name=f"{group[:-1]} {i + 1}", group=group, capacity_hours_per_week=Decimal(h)
            )
            for i in range(n)
        ]
        for group, (n, h) in GROUPS.items()
    }
    months = [date(fy, m, 1) for m in range(1, 13)]
    projects, lines, bookings, scores = {}, [], [], []
    for code, name, state, budget, marks, hours in PROJECTS:
        p = ProjectFactory(
            portfolio=ent,
            code=code,
            name=name,
            state=state,
            manager=ana,
            baseline_start=date(fy, 1, 5),
            baseline_finish=date(fy, 12, 18),
            budget_at_completion=Decimal(budget),
        )
        projects[code] = p
        # The year's plan lies ahead (December), except a slice already spent by the project
        # now on hold, so the page shows money that stays committed.
        held_slice = Decimal(40_000) if state == "on_hold" and this_month.month > 1 else 0
        if held_slice:
            lines.append(
                CostLine(
                    project=p,
                    month=months[0],
                    expense_type="opex",
                    category="labour",
                    planned=held_slice,
                )
            )
        lines.append(
            CostLine(
                project=p,
                month=months[11],
                expense_type="opex",
                category="vendor",
                planned=Decimal(budget) - held_slice,
            )
        )
        for index, (group, monthly) in enumerate(hours.items()):
            resource = pool[group][(len(projects) + index) % len(pool[group])]
            bookings += [
                Allocation(project=p, resource=resource, month=m, hours=Decimal(monthly))
                for m in months
            ]
        if marks:
            scores += [
                ProjectScore(project=p, criterion=c, score=s, scored_by=director)
                for c, s in zip(criteria, marks, strict=True)
            ]
    dc = ProjectFactory(portfolio=infra, code="DC-01", name="Data-centre exit", manager=ana)
    for group, monthly in {"Developers": 60, "Security analysts": 25, "Testers": 50}.items():
        bookings += [
            Allocation(project=dc, resource=pool[group][-1], month=m, hours=Decimal(monthly))
            for m in months
        ]
    CostLine.objects.bulk_create(lines)
    Allocation.objects.bulk_create(bookings)
    ProjectScore.objects.bulk_create(scores)
    held = 40_000 if this_month.month > 1 else 0
    return {
        "portfolio": ent,
        "projects": projects,
        "fy": fy,
        "held": held,
        "pmo": pia,
        "criteria": criteria,
    }


def ranking_rows(page) -> list[str]:
    """The ranking table's rows in order: project codes and the cut lines between them."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('[data-testid=ranking] tbody tr'))"
        ".map(tr => tr.dataset.testid.replace('rank-', ''))"
        ".filter(id => id !== 'held-line')"
    )


def test_a_director_scores_ranks_defers_in_a_what_if_and_applies_it(browser, live_server, office):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    base = live_server.url
    ent = office["portfolio"]
    crm = office["projects"]["CRM-02"]
    sign_in(page, base, "helen.ward")

    # Score the new proposal from the portfolio page.
    page.goto(f"{base}/portfolios/{ent.pk}/")
    page.get_by_test_id("portfolio-links").get_by_role("link", name="Scores").click()
    page.wait_for_load_state("networkidle")
    row = page.get_by_test_id("score-row-APP-09")
    assert row.get_by_test_id("priority-APP-09").inner_text() == "—"
    for criterion in ("Strategic fit", "Business value", "Delivery risk", "Regulatory need"):
        row.get_by_label(f"{criterion} score of APP-09").fill("3")
    row.locator("td[data-label='Business value'] summary").click()
    row.get_by_label("Comment on Business value for APP-09").fill("Field teams lose a day a week.")
    row.get_by_role("button", name="Save scores of APP-09").click()
    page.get_by_test_id("score-flash").wait_for()
    row = page.get_by_test_id("score-row-APP-09")
    assert "Scores of APP-09 saved." in row.inner_text()
    assert row.get_by_test_id("priority-APP-09").inner_text() == "50.0"
    assert ProjectScore.objects.filter(project__code="APP-09").count() == 4

    # The ranking: APP-09 lands fifth; the €2.8m envelope is cut after CRM-02.
    page.get_by_role("link", name="Ranking & what-if").click()
    page.wait_for_load_state("networkidle")
    assert ranking_rows(page) == [
        "ERP-01",
        "SEC-07",
        "CRM-02",
        "cut-line",
        "DAT-04",
        "APP-09",
        "HR-05",
        "WKP-03",
    ]
    assert "Does not fit" in page.get_by_test_id("rank-DAT-04").inner_text()
    held = office["held"]  # WKP-03's spend to date, counted before the ranking
    assert page.get_by_test_id("planned-total").inner_text() == f"€{3_570_000 + held:,}"
    assert page.get_by_test_id("not-fitting").inner_text() == "3 projects"

    # What-if: defer CRM-02, above the line. Nothing is saved; the line moves down two rows.
    with page.expect_response(re.compile(rf"act-{crm.pk}=defer")):
        page.get_by_test_id("rank-CRM-02").get_by_text("Defer").click()
    page.get_by_test_id("whatif-bar").wait_for()
    assert f"act-{crm.pk}=defer" in page.url
    assert ranking_rows(page) == [
        "ERP-01",
        "SEC-07",
        "CRM-02",
        "cut-line-now",
        "DAT-04",
        "APP-09",
        "cut-line",
        "HR-05",
        "WKP-03",
    ]
    assert page.get_by_test_id("planned-delta").inner_text() == "−€520,000"
    assert page.get_by_test_id("planned-total").inner_text() == f"€{3_050_000 + held:,}"
    assert page.get_by_test_id("released").inner_text() == "€520,000"
    assert page.get_by_test_id("lifted").inner_text() == "Now above the cut line: DAT-04, APP-09."
    assert "now fits" in page.get_by_test_id("rank-APP-09").inner_text()
    assert page.get_by_test_id("not-fitting-delta").inner_text() == "−2"
    assert Project.objects.get(pk=crm.pk).state == "active"

    # Apply, through the confirmation step.
    page.get_by_test_id("apply-link").click()
    page.wait_for_load_state("networkidle")
    change = page.get_by_test_id("apply-CRM-02")
    assert "Active" in change.inner_text() and "On hold" in change.inner_text()
    assert "releases €520,000" in change.inner_text()
    page.get_by_role("button", name="Confirm and apply 1 change").click()
    page.get_by_text("Give the reason for this rebalance").wait_for()  # refused without one
    assert Project.objects.get(pk=crm.pk).state == "active"
    page.get_by_label("Reason").fill("Portal relaunch waits for the ERP go-live; fund data first.")
    page.get_by_role("button", name="Confirm and apply 1 change").click()
    page.wait_for_url(re.compile(r"/ranking/\?fy="))
    assert "Portfolio rebalanced: CRM-02 deferred (on hold)." in page.locator("main").inner_text()
    assert "On hold" in page.get_by_test_id("rank-CRM-02").inner_text()
    assert ranking_rows(page)[:7] == [
        "ERP-01",
        "SEC-07",
        "CRM-02",
        "DAT-04",
        "APP-09",
        "cut-line",
        "HR-05",
    ]
    crm.refresh_from_db()
    assert (crm.state, crm.version) == ("on_hold", 2)
    assert "fund data first" in history_for(crm)[0].reason
    context.close()


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_prioritisation_pages(browser, live_server, office, size, viewport):
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=1,
        is_mobile=size == "phone",
        has_touch=size == "phone",
    )
    page = context.new_page()
    base = live_server.url
    ent = office["portfolio"]
    crm = office["projects"]["CRM-02"]
    sign_in(page, base, "helen.ward")
    pages = {
        f"ranking-whatif-{size}": f"/governance/portfolios/{ent.pk}/ranking/?act-{crm.pk}=defer",
        f"scores-{size}": f"/governance/portfolios/{ent.pk}/scores/",
        f"rebalance-confirm-{size}": (
            f"/governance/portfolios/{ent.pk}/ranking/apply/?act-{crm.pk}=defer&v-{crm.pk}=1"
        ),
        f"criteria-{size}": "/governance/criteria/",
    }
    # The PMO retuned a weight: the criteria page shows it in its history.
    services.criterion_update(
        criterion=office["criteria"][2], expected_version=1, by=office["pmo"], weight=Decimal(15)
    )
    for name, path in pages.items():
        if name.startswith("criteria"):
            sign_in(page, base, "pia.moreau")
        page.goto(f"{base}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} overflows by {overflow}px"
        shoot(page, name)
    context.close()
