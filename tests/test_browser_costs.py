"""The cost grid in a real browser: inline editing with totals updating in place, keyboard
moves, pasting a block from a spreadsheet, a refused amount, a conflict between two people;
plus screenshots at desktop and phone width.

Headless Chromium from the system package (/usr/bin/chromium), driven by Playwright's sync API
against pytest-django's live server; the data is committed (transactional tests) so the
server thread sees it. Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portfolio.tests.factories import PortfolioFactory
from ppm.roles import Role
from projects.choices import CostCategory, ExpenseType
from projects.models import CostLine, Project
from projects.selectors.costs import months_between
from projects.tests.factories import ProjectFactory
from tests.browser_support import DESKTOP, PHONE, person, picture, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Monthly plan of the fixture project: (expense type, category, planned, actual factor).
PLAN = [
    (ExpenseType.CAPEX, CostCategory.HARDWARE, "18000", "1.04"),
    (ExpenseType.CAPEX, CostCategory.VENDOR, "42000", "1.10"),
    (ExpenseType.OPEX, CostCategory.LABOUR, "61500", "0.97"),
    (ExpenseType.OPEX, CostCategory.LICENCE, "8250", "1.00"),
    (ExpenseType.OPEX, CostCategory.CLOUD, "3400", "1.22"),
]


# The grid's day, pinned: actuals are refused for months still to come, and the tests type
# actuals into June and February-April, so on a real January day they would be refused.
TODAY = date(timezone.localdate().year, 11, 14)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    # The live server runs in this process, so the views read the pinned day too.
    monkeypatch.setattr("projects.views.costs.grid._today", lambda: TODAY)
    monkeypatch.setattr("projects.views.costs.files._today", lambda: TODAY)


@pytest.fixture
def office(transactional_db):
    """Ana manages a data-centre exit running through this calendar (= fiscal) year, with a
    monthly plan in five categories, actuals up to last month and a forecast for every month.
    Helen directs the portfolio; Tom is an executive."""
    year = TODAY.year
    this_month = TODAY.replace(day=1)
    director = person("helen.ward", "Helen", "Ward", Role.DIRECTOR)
    ana = person("ana.silva", "Ana", "Silva", Role.PROJECT_MANAGER)
    person("tom.becker", "Tom", "Becker", Role.EXECUTIVE)
    portfolio = PortfolioFactory(
        code="INF", name="Infrastructure & Cloud", director=director, currency="EUR"
    )
    project = ProjectFactory(
        portfolio=portfolio,
        code="DC-04",
        name="Data-centre exit",
        manager=ana,
        baseline_start=date(year, 1, 5),
        baseline_finish=date(year, 12, 18),
        budget_at_completion=Decimal("1600000"),
    )
    lines = []
    for month in months_between(date(year, 1, 1), date(year, 12, 1)):
        for expense_type, category, planned, factor in PLAN:
            plan = Decimal(planned)
            actual = (plan * Decimal(factor)).quantize(Decimal("1")) if month < this_month else 0
            lines.append(
                CostLine(
                    project=project,
                    month=month,
                    expense_type=expense_type,
                    category=category,
                    planned=plan,
                    actual=actual,
                    forecast=actual or plan,
                )
            )
    CostLine.objects.bulk_create(lines)
    return {"project": project, "year": year, "ana": ana, "director": director}


def open_grid(page, base_url: str, project: Project) -> None:
    page.goto(f"{base_url}/projects/{project.pk}/costs/")
    page.wait_for_load_state("networkidle")
    # A marker that a full page load would wipe: proves later updates happen in place.
    page.evaluate("window.__noReload = true")


def cell(page, key: str):
    return page.locator(f"#c-{key} input.cg-in")


def text_of(page, element_id: str) -> str:
    return page.locator(f"#{element_id}").inner_text().strip()


def wait_idle(page) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def line_of(project: Project, month: date, category: str) -> CostLine:
    return CostLine.objects.get(project=project, month=month, category=category)


def test_a_project_manager_edits_cells_and_the_totals_follow_without_a_reload(
    browser, live_server, office
):
    project, year = office["project"], office["year"]
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server.url, "ana.silva")
    open_grid(page, live_server.url, project)

    labour = f"{year}-06_opex_labour"
    assert text_of(page, "tot-opex-labour-planned") == "738,000"
    assert text_of(page, "var-opex-labour-forecast") != ""
    before_grand = text_of(page, "g-planned")

    # Type a new plan for June and press Enter: saved, the cursor moves down to Actual.
    cell(page, f"{labour}_planned").click()
    cell(page, f"{labour}_planned").fill("65,000")
    with page.expect_response(lambda r: "/costs/cell/" in r.url):
        cell(page, f"{labour}_planned").press("Enter")
    wait_idle(page)
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        f"Opex · Labour · Actual · Jun {year}"
    )
    assert text_of(page, "tot-opex-labour-planned") == "741,500"
    assert text_of(page, "g-planned") != before_grand
    assert "Saved Opex · Labour · Planned · Jun" in text_of(page, "cost-status")
    # The June column of the variance row now compares the month's actual with the new plan.
    # (Actual variance is shown up to the latest actuals: the months before this one.)
    june = CostLine.objects.filter(project=project, month=date(year, 6, 1))
    difference = sum(ln.actual - ln.planned for ln in june)
    has_actuals = date(year, 6, 1) < TODAY.replace(day=1)
    expected = f"{difference:+,.0f}".replace("-", "−") if has_actuals and difference else ""
    variance_june = page.locator("#d-actual td").nth(5).inner_text()  # January is nth(0)
    assert variance_june.strip() == expected
    assert page.evaluate("window.__noReload") is True

    # Arrow keys move between cells; Tab saves the cell it leaves (Actual, same line: the
    # version learnt from the previous save means no false conflict).
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    page.keyboard.type("60000")
    with page.expect_response(lambda r: "/costs/cell/" in r.url):
        page.keyboard.press("Tab")
    wait_idle(page)
    saved = line_of(project, date(year, 6, 1), "labour")
    assert (saved.planned, saved.actual, saved.version) == (
        Decimal("65000"),
        Decimal("60000"),
        3,
    )
    assert cell(page, f"{labour}_actual").input_value() == "60,000"
    assert page.evaluate("window.__noReload") is True
    context.close()


def test_a_bad_amount_is_shown_at_the_cell_and_esc_puts_the_saved_value_back(
    browser, live_server, office
):
    project, year = office["project"], office["year"]
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server.url, "ana.silva")
    open_grid(page, live_server.url, project)
    key = f"{year}-03_capex_vendor_forecast"
    before = cell(page, key).input_value()
    cell(page, key).click()
    cell(page, key).fill("12.500")
    with page.expect_response(lambda r: "/costs/cell/" in r.url):
        cell(page, key).press("Enter")
    wait_idle(page)
    message = page.locator(f"#c-{key} [data-testid=cell-error]")
    assert "is ambiguous" in message.inner_text()
    assert cell(page, key).input_value() == "12.500"  # the typed text is kept
    assert cell(page, key).get_attribute("aria-invalid") == "true"
    assert "Not saved" in text_of(page, "cost-status")
    assert line_of(project, date(year, 3, 1), "vendor").version == 1
    cell(page, key).click()
    cell(page, key).press("Escape")
    assert cell(page, key).input_value() == before
    assert page.locator(f"#c-{key} [data-testid=cell-error]").count() == 0
    context.close()


def test_a_block_pasted_from_a_spreadsheet_fills_two_rows_of_three_months(
    browser, live_server, office
):
    project, year = office["project"], office["year"]
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_in(page, live_server.url, "ana.silva")
    open_grid(page, live_server.url, project)
    # As Excel copies a 2 × 3 block: tabs between cells, CRLF after each row.
    block = "1,000\\t2,000\\t3,000\\r\\n4,000\\t5,000\\t6,000\\r\\n"
    page.evaluate(f"navigator.clipboard.writeText('{block}')")
    anchor = f"{year}-02_opex_cloud_planned"
    cell(page, anchor).click()
    with page.expect_response(lambda r: "/costs/paste/" in r.url):
        page.keyboard.press("Control+V")
    wait_idle(page)
    # The cursor is back in the block's first cell once the grid is redrawn.
    page.wait_for_function(
        "key => document.activeElement && document.activeElement.closest('#c-' + key)",
        arg=anchor,
    )
    assert "Pasted 6 values (2 rows × 3 months from Opex · Cloud" in text_of(page, "cost-status")
    values = [
        cell(page, f"{year}-{m:02d}_opex_cloud_{measure}").input_value()
        for measure in ("planned", "actual")
        for m in (2, 3, 4)
    ]
    assert values == ["1,000", "2,000", "3,000", "4,000", "5,000", "6,000"]
    march = line_of(project, date(year, 3, 1), "cloud")
    assert (march.planned, march.actual) == (Decimal("2000"), Decimal("5000"))
    assert page.evaluate("window.__noReload") is True

    # Undo puts the previous figures back.
    with page.expect_response(lambda r: "/costs/paste/" in r.url):
        page.get_by_role("button", name="Undo paste").click()
    wait_idle(page)
    assert "Paste undone" in text_of(page, "cost-status")
    assert line_of(project, date(year, 3, 1), "cloud").planned == Decimal("3400")
    context.close()


def test_two_people_on_the_same_cell_get_a_conflict_not_a_silent_overwrite(
    browser, live_server, office
):
    project, year = office["project"], office["year"]
    key = f"{year}-09_opex_licence_forecast"
    ana_context = browser.new_context(viewport=DESKTOP)
    helen_context = browser.new_context(viewport=DESKTOP)
    ana = ana_context.new_page()
    helen = helen_context.new_page()
    sign_in(ana, live_server.url, "ana.silva")
    sign_in(helen, live_server.url, "helen.ward")
    open_grid(ana, live_server.url, project)
    open_grid(helen, live_server.url, project)

    cell(helen, key).click()
    cell(helen, key).fill("9,900")
    with helen.expect_response(lambda r: "/costs/cell/" in r.url):
        cell(helen, key).press("Enter")
    wait_idle(helen)

    cell(ana, key).click()
    cell(ana, key).fill("7,700")
    with ana.expect_response(lambda r: "/costs/cell/" in r.url):
        cell(ana, key).press("Enter")
    wait_idle(ana)
    conflict = ana.locator(f"#c-{key} [data-testid=cell-conflict]")
    assert "Helen Ward saved 9,900" in conflict.inner_text()
    assert cell(ana, key).input_value() == "7,700"  # Ana's input, kept
    assert "Helen Ward changed Opex · Licence · Forecast" in text_of(ana, "cost-status")
    assert line_of(project, date(year, 9, 1), "licence").forecast == Decimal("9900")
    picture(ana, "costs-conflict-desktop", full_page=False)

    # Leaving the cell decides nothing; Enter in it applies Ana's value deliberately.
    cell(ana, key).click()
    ana.keyboard.press("Tab")
    ana.wait_for_timeout(300)
    assert line_of(project, date(year, 9, 1), "licence").forecast == Decimal("9900")
    cell(ana, key).click()
    with ana.expect_response(lambda r: "/costs/cell/" in r.url):
        cell(ana, key).press("Enter")
    wait_idle(ana)
    assert line_of(project, date(year, 9, 1), "licence").forecast == Decimal("7700")
    # The response is in; its swap may land a moment later, so wait for it rather than race it.
    expect(ana.locator(f"#c-{key}.is-conflict")).to_have_count(0)
    ana_context.close()
    helen_context.close()


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_cost_grid(browser, live_server, office, size, viewport):
    project = office["project"]
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    sign_in(page, live_server.url, "ana.silva")
    page.goto(f"{live_server.url}/projects/{project.pk}/costs/")
    page.wait_for_load_state("networkidle")
    # The grid scrolls inside its box; the page never scrolls sideways; the labels stay put.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page overflows by {overflow}px"
    label = page.locator("#cost-table tbody th.cg-label").first
    assert label.evaluate("el => getComputedStyle(el).position") == "sticky"
    # The current month is in view when the page opens.
    now = page.locator("#cost-table thead th.is-now")
    box = page.locator(".cg-scroll").bounding_box()
    month = now.bounding_box()
    assert box["x"] <= month["x"] and month["x"] + month["width"] <= box["x"] + box["width"]
    picture(page, f"costs-{size}", full_page=False)

    page.goto(f"{live_server.url}/projects/{project.pk}/costs/import/")
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "costs.csv",
                "mimeType": "text/csv",
                "buffer": (
                    f"month,expense_type,category,planned,actual\n"
                    f"{office['year']}-11,opex,labour,64000,\n"
                    f"{office['year']}-12,opex,cloud,4100,\n"
                    f"{office['year']}-13,opex,cloud,1,\n"
                ).encode(),
            }
        ],
    )
    with page.expect_response(lambda r: "/costs/import/" in r.url):
        page.get_by_role("button", name="Check the file").click()
    page.get_by_test_id("import-errors").wait_for()
    assert "is not a month" in page.get_by_test_id("import-errors").inner_text()
    assert page.get_by_role("button", name="Apply").count() == 0
    picture(page, f"costs-import-{size}")
    context.close()


def test_an_executive_reads_the_grid_without_inputs(browser, live_server, office):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server.url, "tom.becker")
    page.goto(f"{live_server.url}/projects/{office['project'].pk}/costs/")
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("cost-grid").is_visible()
    assert page.locator("#cost-table input").count() == 0
    assert page.get_by_role("link", name="Upload CSV").count() == 0
    context.close()


def test_without_javascript_each_cell_saves_with_enter_and_comes_back(browser, live_server, office):
    project, year = office["project"], office["year"]
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url, "ana.silva")
    page.goto(f"{live_server.url}/projects/{project.pk}/costs/")
    key = f"{year}-12_opex_cloud_forecast"
    cell(page, key).fill("3,900")
    with page.expect_navigation():
        cell(page, key).press("Enter")
    assert page.url.endswith(f"/costs/#c-{key}")
    assert f"Saved Opex · Cloud · Forecast · Dec {year}: 3,900." in page.inner_text(".messages")
    assert cell(page, key).input_value() == "3,900"
    assert line_of(project, date(year, 12, 1), "cloud").forecast == Decimal("3900")
    # A refused amount comes back on the page, at its cell, as typed.
    cell(page, key).fill("lots")
    with page.expect_navigation():
        cell(page, key).press("Enter")
    assert page.locator(f"#c-{key} [data-testid=cell-error]").inner_text() == (
        "'lots' is not an amount."
    )
    assert cell(page, key).input_value() == "lots"
    context.close()


def test_a_save_that_cannot_reach_the_server_says_so_and_can_be_sent_again(
    browser, live_server, office
):
    project, year = office["project"], office["year"]
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server.url, "ana.silva")
    open_grid(page, live_server.url, project)
    key = f"{year}-12_capex_hardware_forecast"
    page.route("**/costs/cell/**", lambda route: route.abort())
    cell(page, key).click()
    cell(page, key).fill("19,500")
    cell(page, key).press("Enter")
    page.get_by_text("Not saved: the server could not be reached").wait_for()
    assert cell(page, key).input_value() == "19,500"
    page.unroute("**/costs/cell/**")
    cell(page, key).click()
    with page.expect_response(lambda r: "/costs/cell/" in r.url):
        cell(page, key).press("Enter")
    wait_idle(page)
    assert line_of(project, date(year, 12, 1), "hardware").forecast == Decimal("19500")
    context.close()
