"""Accessibility: axe-core (Deque's rules engine, vendored in tests/vendor/) runs on every page
type in a real browser and finds no critical and no serious violation.

Each page is opened as the person who would use it, on the small demo organisation, and axe
checks it as rendered (styles applied, charts drawn). The result per page — violations counted
by impact — is written to docs/accessibility.md, so a reader sees what axe found without
running the suite; on failure the violations are printed page by page, with the elements
they concern.

The Content-Security-Policy (script-src 'self') would refuse axe as a <script> tag: its source
is evaluated through the DevTools protocol instead (page.evaluate), which CSP does not govern,
so every page is checked as users get it, with the policy in force (a style or script the
policy blocks is missing here too).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from projects import services
from projects.choices import ReportState
from projects.models import Milestone, Project, StatusReport
from reporting.engine import recompute
from tests.browser_support import DESKTOP, shoot, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_VERSION = "4.14.1"
AXE = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
REPORT = Path(settings.BASE_DIR) / "docs" / "accessibility.md"
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = ("critical", "serious")
DEMO_PASSWORD = "demo"

# Run in the page: every rule axe has for WCAG 2.x A/AA and its best practices (its default).
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return {
    passed: result.passes.length,
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''})),
    })),
  };
}"""


@pytest.fixture
def demo(transactional_db):
    """The small demo organisation with its rollups computed, and one audited change (so the
    history page has a line to show)."""
    call_command("seed_demo", "--size", "small", "--seed", "1729", verbosity=0)
    recompute()
    project = (
        Project.objects.filter(manager__username="pm", state="active").order_by("code").first()
    )
    milestone = Milestone.objects.filter(project=project, actual_date__isnull=True).first()
    services.milestone_reforecast(
        milestone=milestone,
        expected_version=milestone.version,
        forecast_date=milestone.forecast_date + timedelta(days=7),
        by=project.manager,
        reason="Supplier needs another week",
    )
    recompute()  # the dashboard shows settled figures, not "recomputing"
    return project


def _reports(project: Project) -> tuple[StatusReport, StatusReport]:
    """A submitted report of the project and a draft (opened for the next period if none)."""
    submitted = project.status_reports.filter(state=ReportState.SUBMITTED).first()
    draft = project.status_reports.filter(state=ReportState.DRAFT).first()
    if draft is None:
        latest = project.status_reports.order_by("-period_end").first()
        period = latest.period_end if latest else date.today()
        next_month = date(period.year + period.month // 12, period.month % 12 + 1, 28)
        draft = StatusReport.objects.create(
            project=project, period_end=next_month, author=project.manager
        )
    return submitted, draft


def _pages(project: Project) -> list[tuple[str, str | None, str]]:
    """(page name, who opens it — None when signed out, path) for every page type."""
    pk = project.pk
    submitted, draft = _reports(project)
    portfolio = project.portfolio
    director = portfolio.director.username
    live = portfolio.projects.filter(state="active").exclude(pk=pk).order_by("code").first()
    foreign = Project.objects.exclude(manager__username="pm").exclude(delegates__username="pm")
    foreign = foreign.exclude(portfolio__director__username="pm").order_by("pk").first()
    return [
        ("sign-in", None, "/accounts/login/"),
        ("my projects", "pm", "/projects/"),
        ("project overview", "pm", f"/projects/{pk}/"),
        ("status list", "pm", f"/projects/{pk}/status/"),
        ("status editor", "pm", f"/projects/{pk}/status/{draft.pk}/"),
        ("submitted report", "pm", f"/projects/{pk}/status/{submitted.pk}/"),
        ("milestones", "pm", f"/projects/{pk}/milestones/"),
        ("costs", "pm", f"/projects/{pk}/costs/"),
        ("RAID risks", "pm", f"/projects/{pk}/raid/?kind=risks"),
        ("RAID issues", "pm", f"/projects/{pk}/raid/?kind=issues"),
        ("RAID assumptions", "pm", f"/projects/{pk}/raid/?kind=assumptions"),
        ("RAID dependencies", "pm", f"/projects/{pk}/raid/?kind=dependencies"),
        ("change requests", "pm", f"/projects/{pk}/changes/"),
        ("lessons", "pm", f"/projects/{pk}/lessons/"),
        ("lessons search", "pm", "/projects/lessons/?q=vendor"),
        ("history", "pm", f"/projects/{pk}/history/"),
        ("lifecycle", "pmo", f"/projects/{pk}/lifecycle/"),
        ("lifecycle, read only", "pm", f"/projects/{pk}/lifecycle/"),
        ("project details and plan", "pmo", f"/projects/{pk}/edit/"),
        ("new project", "pmo", "/projects/new/"),
        ("password change", "pm", "/accounts/password/"),
        ("password reset", None, "/accounts/password/reset/"),
        ("password reset sent", None, "/accounts/password/reset/sent/"),
        ("discard a draft", "pm", f"/projects/{pk}/status/{draft.pk}/discard/"),
        ("correct a submitted report", "pmo", f"/projects/{pk}/status/{submitted.pk}/correct/"),
        ("403", "pm", f"/projects/{foreign.pk}/"),
        ("404", "pm", "/projects/999999/"),
        ("portfolio list", director, "/portfolios/"),
        ("portfolio detail", director, f"/portfolios/{portfolio.pk}/"),
        ("dashboard", director, "/portfolios/dashboard/"),
        ("drill-down project list", director, "/portfolios/projects/?slipping=1"),
        ("figure explanation", director, "/portfolios/dashboard/explain/cpi/"),
        ("list opened from a tile", director, "/portfolios/projects/?live=1&sort=-ac&kpi=ac"),
        ("ranking", director, f"/governance/portfolios/{portfolio.pk}/ranking/"),
        ("scores", director, f"/governance/portfolios/{portfolio.pk}/scores/"),
        (
            "rebalance confirm",
            director,
            f"/governance/portfolios/{portfolio.pk}/ranking/apply/"
            f"?act-{live.pk}=defer&v-{live.pk}={live.version}",
        ),
        ("criteria", "pmo", "/governance/criteria/"),
        ("my approvals", director, "/governance/approvals/"),
        ("figures policy", "pmo", "/governance/policy/"),
        ("figures policy, read only", director, "/governance/policy/"),
    ]


def _table(results: dict[str, list[dict]]) -> str:
    lines = [
        "# Accessibility: axe-core per page type",
        "",
        f"Written by `tests/test_accessibility_browser.py` (axe-core {AXE_VERSION}, WCAG 2.x A/AA",
        "and best-practice rules, desktop width, small demo organisation). Rules violated, by",
        "impact, with the number of elements each; the test fails on any critical or serious one.",
        "",
        "| page | critical | serious | moderate | minor | rules (elements) |",
        "|---|---|---|---|---|---|",
    ]
    for name, violations in results.items():
        counts = Counter(v["impact"] for v in violations)
        rules = ", ".join(f"`{v['id']}` ({len(v['nodes'])})" for v in violations) or "—"
        cells = " | ".join(str(counts.get(impact, 0)) for impact in IMPACTS)
        lines.append(f"| {name} | {cells} | {rules} |")
    return "\n".join(lines) + "\n"


def _describe(name: str, violations: list[dict]) -> str:
    out = [f"{name}:"]
    for v in violations:
        if v["impact"] in BLOCKING:
            out.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
            out.extend(f"      {n['target']}  — {n['summary']}" for n in v["nodes"][:8])
    return "\n".join(out)


def test_every_page_type_has_no_critical_or_serious_axe_violation(browser, live_server, demo):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    base = live_server.url
    source = AXE.read_text()
    results: dict[str, list[dict]] = {}
    signed_in_as: str | None = None
    for name, who, path in _pages(demo):
        if who != signed_in_as:
            page.context.clear_cookies()
            if who is not None:
                sign_in(page, base, who, DEMO_PASSWORD)
            signed_in_as = who
        response = page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        # The page checked is the page meant: right status, signed in as its reader.
        expected = int(name) if name in ("403", "404") else 200
        assert response.status == expected, f"{name}: {path} answered {response.status}"
        assert "/accounts/login/" not in page.url or who is None, f"{name}: not signed in"
        page.evaluate(source)  # defines window.axe (see the module docstring)
        outcome = page.evaluate(RUN_AXE)
        assert outcome["passed"] > 10, f"{name}: axe checked almost nothing"
        results[name] = outcome["violations"]
    context.close()

    REPORT.write_text(_table(results))
    print(_table(results))
    failing = {
        name: violations
        for name, violations in results.items()
        if any(v["impact"] in BLOCKING for v in violations)
    }
    assert not failing, "axe found critical or serious violations:\n" + "\n".join(
        _describe(name, violations) for name, violations in failing.items()
    )


def test_screenshots_of_pages_the_accessibility_fixes_touched(browser, live_server, demo):
    """The project section bar, badges, outline buttons, heat maps and the history after the
    contrast and structure fixes: screenshots to look at; the section bar is a navigation
    landmark with the current section marked."""
    page = browser.new_context(viewport=DESKTOP).new_page()
    base = live_server.url
    sign_in(page, base, "pm", DEMO_PASSWORD)
    page.goto(f"{base}/projects/{demo.pk}/raid/?kind=risks")
    tabs = page.get_by_role("navigation", name="Project sections")
    assert tabs.get_by_role("link", name="RAID").get_attribute("aria-current") == "page"
    shoot(page, "a11y-raid-risks-desktop")
    page.goto(f"{base}/projects/{demo.pk}/history/")
    assert "Supplier needs another week" in page.get_by_test_id("history").inner_text()
    shoot(page, "a11y-history-desktop")
    sign_in(page, base, demo.portfolio.director.username, DEMO_PASSWORD)
    page.goto(f"{base}/portfolios/dashboard/")
    page.get_by_test_id("dashboard").wait_for()
    shoot(page, "a11y-dashboard-desktop")
    page.goto(f"{base}/portfolios/")
    shoot(page, "a11y-portfolios-desktop")
    page.goto(f"{base}/governance/portfolios/{demo.portfolio_id}/ranking/")
    shoot(page, "a11y-ranking-desktop")
