"""The directors' dashboard in a real browser, on the small demo organisation: the charts are
drawn, a tile drills down to exactly the projects it counts, the picker narrows the figures,
and a stale figure refreshes itself once recomputed. Screenshots go to docs/screenshots/.

Headless Chromium from the system package (/usr/bin/chromium) through Playwright's sync API
against pytest-django's live server; the demo data is committed (transactional tests) so the
server thread sees it.
"""

from __future__ import annotations

import os
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from portfolio.models import Portfolio
from projects.models import RollupState
from reporting.engine import rebuild_series, recompute
from reporting.models import ProjectRollup
from tests.browser_support import DESKTOP, PHONE, picture, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(transactional_db):
    """The small demo organisation (27 projects, five portfolios, logins with password
    'demo'), with its rollups computed as the worker would."""
    call_command("seed_demo", "--size", "small", "--seed", "1729", verbosity=0)
    recompute()
    return Portfolio.objects.filter(director__username="director").order_by("name")


def open_dashboard(page, base: str, query: str = "") -> None:
    page.goto(f"{base}/portfolios/dashboard/{query}")
    page.get_by_test_id("dashboard").wait_for()


def test_a_director_reads_the_charts_and_drills_from_a_tile_to_its_projects(
    browser, live_server, demo
):
    page = browser.new_context(viewport=DESKTOP).new_page()
    base = live_server.url
    sign_in(page, base, "director", "demo")
    open_dashboard(page, base)

    # Every chart is drawn: the S-curve's lines, a bubble per scored project, a heat-map cell
    # per group and month.
    assert page.locator("[data-testid=chart-s-curve] .chart-wide svg path").count() >= 4
    bubbles = page.locator("[data-testid=chart-bubbles] .chart-wide svg circle")
    assert bubbles.count() >= 5
    assert page.locator("[data-testid=chart-capacity] .chart-wide svg rect").count() >= 12
    assert page.locator("[data-testid=chart-bubbles] .chart-wide svg a").count() >= 5

    # The slipping tile says how many projects it stands for; its list has exactly those.
    tile = page.get_by_test_id("tile-slipping")
    promised = int(re.search(r"in (\d+) project", tile.inner_text()).group(1))
    assert promised > 0
    tile.click()
    page.wait_for_url(re.compile(r"slipping=1"))
    listed = int(re.search(r"\d+", page.get_by_test_id("project-count").inner_text()).group())
    assert listed == promised
    assert (
        "With a slipped key milestone (open or achieved late)"
        in page.get_by_test_id("drill-downs").inner_text()
    )

    # Back on the dashboard, a red count in the health matrix lands on its red projects.
    open_dashboard(page, base)
    cell = page.get_by_test_id("matrix-health_rag-red")
    red = int(cell.inner_text())
    cell.click()
    page.wait_for_url(re.compile(r"rule=red"))
    listed = int(re.search(r"\d+", page.get_by_test_id("project-count").inner_text()).group())
    assert listed == red

    # The picker narrows the dashboard to one portfolio.
    open_dashboard(page, base)
    one = demo.first()
    page.locator("#picker").select_option(str(one.pk))
    page.wait_for_url(re.compile(rf"portfolio={one.pk}"))
    assert page.get_by_role("heading", level=1).inner_text() == one.name
    page.context.close()


def test_a_stale_figure_says_so_and_refreshes_itself_when_recomputed(browser, live_server, demo):
    page = browser.new_context(viewport=DESKTOP).new_page()
    base = live_server.url
    sign_in(page, base, "director", "demo")
    rollup = ProjectRollup.objects.filter(portfolio__in=demo).first()
    RollupState.objects.filter(project_id=rollup.project_id).update(
        requested=99, stale_since=timezone.now()
    )
    open_dashboard(page, base, f"?portfolio={rollup.portfolio_id}")
    assert "Recomputing 1 project" in page.get_by_test_id("recomputing").inner_text()
    before = page.get_by_test_id("as-of").inner_text()

    # What the worker would do; the page polls and finds the figures current.
    recompute(project_ids=[rollup.project_id])
    rebuild_series()
    page.get_by_test_id("recomputing").wait_for(state="detached", timeout=10_000)
    assert page.get_by_test_id("as-of").inner_text() != before
    page.context.close()


def test_a_director_asks_how_a_tile_is_computed_and_lands_on_its_list(browser, live_server, demo):
    page = browser.new_context(viewport=DESKTOP).new_page()
    base = live_server.url
    sign_in(page, base, "director", "demo")
    open_dashboard(page, base)
    tile_value = page.get_by_test_id("tile-exposure").locator(".kpi-value").inner_text()

    page.get_by_role("link", name="How is this computed? (Risk exposure)").click()
    page.get_by_test_id("explain-exposure").wait_for()
    assert "probability × impact" in page.get_by_test_id("explain-formula").inner_text()
    assert (
        "approved, active or on hold" in page.get_by_test_id("explain-scope").inner_text().lower()
    )
    assert page.get_by_test_id("explain-values").inner_text().strip() == tile_value
    assert "Computed" in page.get_by_test_id("explain-dates").inner_text()

    # The list it is made from says the same number over its rows.
    page.get_by_test_id("explain-list").click()
    page.get_by_test_id("list-figure").wait_for()
    assert page.get_by_test_id("list-figure-value").inner_text() == tile_value
    page.context.close()


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_dashboard(browser, live_server, demo, size, viewport):
    extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    page = browser.new_context(viewport=viewport, **extra).new_page()
    base = live_server.url
    sign_in(page, base, "director", "demo")
    open_dashboard(page, base)
    if size == "phone":  # the phone drawings arrive together once the first one's box shows
        page.locator("#s-curve-compact").scroll_into_view_if_needed()
        for chart in ("s-curve", "bubbles", "capacity"):
            page.locator(f"#{chart}-compact svg").wait_for()
        page.evaluate("window.scrollTo(0, 0)")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the dashboard overflows by {overflow}px"
    picture(page, f"dashboard-{size}")
    page.goto(f"{base}/portfolios/projects/?live=1&slipping=1")
    picture(page, f"dashboard-drilldown-{size}")
    # A figure's explanation, and the list it is made from with the figure and its column.
    page.goto(f"{base}/portfolios/dashboard/explain/exposure/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the explanation overflows by {overflow}px"
    picture(page, f"explain-{size}")
    page.goto(f"{base}/portfolios/projects/?live=1&sort=-ac&kpi=ac")
    picture(page, f"explain-list-{size}")
    page.context.close()


def test_every_list_a_tile_opens_fits_1366_px_with_code_and_name_frozen(browser, live_server, demo):
    """Before: the lists' measure columns ran off a 1366 px screen, and scrolling sideways
    lost which project a row was."""
    from reporting import kpis

    page = browser.new_context(viewport=DESKTOP).new_page()
    base = live_server.url
    sign_in(page, base, "director", "demo")
    lists = [f"/portfolios/projects/?{kpi.drill}&kpi={kpi.key}" for kpi in kpis.CATALOGUE]
    lists.append(f"/portfolios/{demo[0].pk}/?live=1&kpi=cpi")
    for url in lists:
        page.goto(base + url)
        page.get_by_test_id("project-table").wait_for()
        scroll, visible = page.evaluate(
            "() => { const w = document.querySelector('.table-responsive');"
            " return [w.scrollWidth, w.clientWidth]; }"
        )
        assert scroll <= visible, f"{url}: {scroll} px of table in {visible} px"
        positions = page.evaluate(
            "() => [...document.querySelectorAll('[data-testid=project-table] tr > :nth-child(2)')]"
            ".slice(0, 3).map(c => getComputedStyle(c).position)"
        )
        assert set(positions) == {"sticky"}, url
