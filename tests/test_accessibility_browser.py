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
from django.utils import timezone

from ppm.models import Notification
from ppm.notifications import notification_mark_read, notify
from ppm.roles import Role
from projects import services
from projects.choices import ReportState
from projects.models import Milestone, Project, StatusReport
from reporting.engine import recompute
from tests.browser_support import DESKTOP, PASSWORD, person, shoot, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_VERSION = "4.14.1"
AXE = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
REPORT = Path(settings.BASE_DIR) / "docs" / "accessibility.md"
MSPDI_PLAN = Path(settings.BASE_DIR) / "projects" / "tests" / "fixtures" / "mspdi" / "plan.xml"
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


def _workflow_pages(project: Project) -> list[tuple[str, str | None, str]]:
    """The workflow builder's pages, on a workflow with a superseded version that a project
    still follows, a published one and a draft that changes it; a selection rule and a change
    rule."""
    from django.contrib.auth.models import User

    from governance.models import WorkflowRule
    from governance.services import reviews as gate_reviews
    from governance.services import workflows as wf
    from governance.services.change_rules import ChangeRuleInput, change_rule_save

    pmo = User.objects.get(username="pmo")
    workflow = wf.workflow_create(by=pmo, name="Delivery", description="Projects under €1m")
    v1 = workflow.versions.get()
    for name, phase in (("Business case", "Planning"), ("Plan", "Build"), ("Go-live", "Run")):
        wf.gate_save(
            version=v1,
            by=pmo,
            data=wf.GateInput(
                name=name,
                phase=phase,
                portfolio_director=True,
                criteria=[(f"{name} document", True), ("Risks logged", False)],
            ),
        )
    v1.refresh_from_db()  # the gates moved the draft's version
    wf.version_publish(version=v1, by=pmo, expected_version=v1.version, note="First version")
    other = Project.objects.exclude(workflow__isnull=False).exclude(pk=project.pk).first()
    gate_reviews.project_enrol(project=other, version=v1, next_gate=v1.gates.get(order=2), by=pmo)
    v2 = wf.draft_for(workflow=workflow, by=pmo)
    wf.gate_delete(gate=v2.gates.get(name="Business case"), by=pmo)
    v2.refresh_from_db()
    wf.version_publish(version=v2, by=pmo, expected_version=v2.version, note="Leaner")
    v3 = wf.draft_for(workflow=workflow, by=pmo)
    gate = v3.gates.get(name="Plan")
    wf.gate_save(
        version=v3,
        by=pmo,
        gate=gate,
        data=wf.GateInput(name="Plan", phase="Build", rule="all", portfolio_director=True),
    )
    WorkflowRule.objects.create(workflow=workflow, priority=10, min_budget=0)
    rule = change_rule_save(
        by=pmo, data=ChangeRuleInput(name="Large cost", priority=1, portfolio_director=True)
    )
    base = f"/governance/workflows/{workflow.pk}/"
    tester = f"?portfolio={project.portfolio_id}&category=software&budget=1000"
    return [
        ("workflows", "pmo", "/governance/workflows/"),
        ("workflow with a draft", "pmo", base),
        ("workflow, read only", project.portfolio.director.username, base),
        ("gate form", "pmo", f"/governance/workflows/gates/{gate.pk}/edit/"),
        ("migrate projects", "pmo", f"{base}migrate/?from={v1.pk}"),
        ("selection rules and tester", "pmo", f"/governance/workflows/rules/{tester}"),
        ("change rules", "pmo", "/governance/change-rules/"),
        ("change rule form", "pmo", f"/governance/change-rules/{rule.pk}/edit/"),
    ]


def _intake_and_gate_pages(project: Project) -> list[tuple[str, str | None, str]]:
    """Intake requests (a draft with its checklist, one in review) and the gate page: the
    project enrolled with a criterion ticked and a link attached; another project not
    enrolled, as the PMO sees it (the enrol form)."""
    from datetime import date
    from decimal import Decimal

    from django.contrib.auth.models import User

    from governance.services import intake as intake_services
    from governance.services import reviews as gate_reviews
    from governance.services.workflows import workflow_for

    pm, pmo = project.manager, User.objects.get(username="pmo")
    version = workflow_for(
        portfolio_id=project.portfolio_id,
        category=project.category,
        budget=project.budget_at_completion,
    )
    gates = list(version.gates.order_by("order"))
    nxt = gates[1] if len(gates) > 1 else gates[0]
    gate_reviews.project_enrol(project=project, version=version, next_gate=nxt, by=pmo)
    first = nxt.criteria.order_by("order").first()
    if first is not None:
        gate_reviews.criterion_check_set(
            target=project, criterion=first, by=pm, met=True, note="See the plan"
        )
        gate_reviews.evidence_add(
            target=project, criterion=first, by=pm, link="https://wiki.example.org/plan"
        )

    def request(title: str):
        return intake_services.intake_save(
            by=pm,
            data=intake_services.IntakeInput(
                title=title,
                portfolio=project.portfolio,
                category="software",
                problem="Customers phone us for every order status.",
                solution="A self-service portal.",
                benefits="Fewer calls.",
                risks="Integration with the ERP.",
                cost_estimate=Decimal("250000.00"),
                desired_start=date(2027, 1, 1),
                duration_months=9,
                proposed_manager=pm,
            ),
        )

    draft = request("Supplier portal")
    submitted = request("Customer portal")
    for criterion in intake_services.intake_first_gate(submitted).criteria.all():
        gate_reviews.criterion_check_set(
            target=submitted, criterion=criterion, by=pm, met=True, note=""
        )
        if criterion.evidence_required:
            gate_reviews.evidence_add(
                target=submitted, criterion=criterion, by=pm, link="https://wiki.example.org/case"
            )
    intake_services.intake_submit(intake=submitted, by=pm, expected_version=submitted.version)
    bare = Project.objects.filter(workflow__isnull=True).exclude(pk=project.pk).first()
    director = project.portfolio.director.username
    return [
        ("intake list", "pm", "/governance/intake/"),
        ("intake list, PMO", "pmo", "/governance/intake/?state=in_review"),
        ("new intake request", "pm", "/governance/intake/new/"),
        ("edit an intake request", "pm", f"/governance/intake/{draft.pk}/edit/"),
        ("intake draft and checklist", "pm", f"/governance/intake/{draft.pk}/"),
        ("intake request in review", director, f"/governance/intake/{submitted.pk}/"),
        ("project gates", "pm", f"/governance/projects/{project.pk}/gates/"),
        ("project gates, read only", "executive", f"/governance/projects/{project.pk}/gates/"),
        ("project gates, enrol", "pmo", f"/governance/projects/{bare.pk}/gates/"),
    ]


def _review_pages(project: Project) -> list[tuple[str, str | None, str]]:
    """Reviews: a gate review of another project of the portfolio (checklist ticked, evidence
    linked), a change request of the project under review, one decided (its printable
    record), and a delegation."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from governance.services import reviews as gate_reviews
    from governance.tests.gates import published_workflow

    pmo = User.objects.get(username="pmo")
    director = project.portfolio.director
    other = (
        project.portfolio.projects.filter(state="active", workflow__isnull=True)
        .exclude(pk=project.pk)
        .order_by("code")
        .first()
    )
    # A workflow of its own (the Standard one of a new installation may have been flushed
    # by an earlier transactional test).
    version = published_workflow(
        pmo,
        [
            {
                "name": "Build",
                "phase": "Go-live",
                "rule": "m_of_n",
                "rule_m": 1,
                "portfolio_director": True,
                "approver_groups": ["PMO"],
                "criteria": [("Acceptance tests passed", True), ("Runbook reviewed", False)],
            }
        ],
        name="Review walk",
        default=False,
    )
    gate = version.gates.get()
    gate_reviews.project_enrol(project=other, version=version, next_gate=gate, by=pmo)
    for criterion in gate.criteria.all():
        gate_reviews.criterion_check_set(
            target=other, criterion=criterion, by=other.manager, met=True, note="Signed off"
        )
        gate_reviews.evidence_add(
            target=other,
            criterion=criterion,
            by=other.manager,
            link="https://wiki.example.org/case",
            name="Business case on the wiki",
        )
    gate_review = gate_reviews.review_request(project=other, by=other.manager, note="Ready.")
    change = services.change_request_raise(
        project=project,
        by=project.manager,
        title="Add the Austrian payroll",
        description="HR asks for it in the first release.",
        schedule_impact_days=14,
        cost_impact=45000,
    )
    decided = services.change_request_raise(
        project=project,
        by=project.manager,
        title="Drop the legacy report pack",
        description="Nobody reads it.",
        scope_impact="Twelve reports fewer.",
    )
    decided_review = decided.reviews.get()
    gate_reviews.review_decide(
        review=decided_review, by=director, verdict="approve", comment="Agreed."
    )
    today = timezone.localdate()
    gate_reviews.delegation_create(
        holder=director, delegate=pmo, starts=today, ends=today + timedelta(days=7)
    )
    return [
        ("gate review", director.username, f"/governance/reviews/{gate_review.pk}/"),
        ("change review", director.username, f"/governance/reviews/{change.reviews.get().pk}/"),
        ("change review, read only", "pm", f"/governance/reviews/{change.reviews.get().pk}/"),
        ("decision record", "pm", f"/governance/reviews/{decided_review.pk}/record/"),
        ("delegation", director.username, "/governance/delegations/"),
    ]


def _report_pages(project: Project) -> list[tuple[str, str | None, str]]:
    """The PDF report pages (issue 11): the library with a finished run (its tiny PDF stored),
    a failed one and one rendering; a run of each state; the definitions, a new one and one
    being edited (a recipient who receives nothing listed)."""
    import hashlib

    from django.contrib.auth.models import User
    from django.core.files.base import ContentFile

    from reporting.models import ReportRun
    from reporting.services.reports import definition_fire, download_request
    from reporting.services.schedules import DefinitionInput, definition_save

    pmo = User.objects.get(username="pmo")
    director = project.portfolio.director
    definition = definition_save(
        by=pmo,
        data=DefinitionInput(
            name="Weekly executive summary",
            kind="summary",
            portfolios=[project.portfolio],
            project=None,
            recipients=[director, project.manager],
            recipient_groups=[],
            budget_change_pct=5,
            enabled=True,
            cadence="weekly",
            cron="0 7 * * 1",
        ),
    )
    (done,) = definition_fire(definition, trigger="schedule")
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    stored = done.file.storage.save(f"reports/a11y/summary-{done.pk}.pdf", ContentFile(pdf))
    ReportRun.objects.filter(pk=done.pk).update(
        status="done",
        stage="",
        file=stored,
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=2,
        as_of=done.created_at,
        finished_at=done.created_at,
    )
    failed = download_request(user=director, kind="pack", portfolio=project.portfolio)
    ReportRun.objects.filter(pk=failed.pk).update(
        status="failed", attempts=3, error="RenderError: no fonts"
    )
    rendering = download_request(user=director, kind="summary")
    ReportRun.objects.filter(pk=rendering.pk).update(
        status="rendering", stage="Drawing the charts", attempts=1
    )
    return [
        ("report library", "pmo", "/reports/"),
        ("report library, director", director.username, "/reports/"),
        ("report run, done", "pmo", f"/reports/runs/{done.pk}/"),
        ("report run, failed", "pmo", f"/reports/runs/{failed.pk}/"),
        ("report run, rendering", director.username, f"/reports/runs/{rendering.pk}/"),
        ("report definitions", "pmo", "/reports/definitions/"),
        ("new report definition", "pmo", "/reports/definitions/new/"),
        ("report definition", "pmo", f"/reports/definitions/{definition.pk}/"),
    ]


def _token_pages(owner) -> list[tuple[str, str | None, str]]:
    """The owner's API tokens: one in use (used today), one revoked and one expired (both
    greyed); and the page that shows a new token's secret once, which answers the form (see
    SUBMITTED)."""
    from ppm.accounts.tokens import api_token_create
    from ppm.models import ApiToken

    now = timezone.now()
    for name in ("Power BI refresh", "Old laptop script", "Trial import"):
        api_token_create(owner=owner, name=name, expires_at=now + timedelta(days=90), now=now)
    tokens = ApiToken.objects.filter(owner=owner)
    tokens.filter(name="Power BI refresh").update(last_used_at=now)
    tokens.filter(name="Old laptop script").update(revoked_at=now)
    tokens.filter(name="Trial import").update(
        created_at=now - timedelta(days=40), expires_at=now - timedelta(days=10)
    )
    return [
        ("API tokens", owner.username, "/accounts/tokens/"),
        ("API token created", owner.username, "/accounts/tokens/"),
    ]


def _feed_pages(owner, portfolio) -> list[tuple[str, str | None, str]]:
    """The owner's calendar feeds: one in use (fetched today) and one revoked (greyed); and
    the page that shows a new feed's address once, which answers the form (the portfolio
    chosen in advance by the query string; see SUBMITTED)."""
    from ppm.feeds import calendar_feed_create
    from ppm.models import CalendarFeed

    now = timezone.now()
    for name in ("Outlook at work", "Old phone"):
        calendar_feed_create(owner=owner, portfolio=portfolio, name=name, now=now)
    feeds = CalendarFeed.objects.filter(owner=owner)
    feeds.filter(name="Outlook at work").update(last_used_at=now)
    feeds.filter(name="Old phone").update(revoked_at=now)
    return [
        ("calendar feeds", owner.username, "/accounts/feeds/"),
        ("calendar feed created", owner.username, f"/accounts/feeds/?portfolio={portfolio.pk}"),
    ]


# Pages that answer a form: the walk opens the path, fills the fields (by label) and presses
# the button, and checks the page that comes back.
SUBMITTED = {
    "API token created": ("Create token", {"Name": "Nightly export"}),
    "calendar feed created": ("Create feed", {"Name": "Google Calendar"}),
    # A file field is given a file (a Path): the preview of a Microsoft Project plan's import.
    "milestone import preview": (
        "Check the plan",
        {"Microsoft Project XML file": MSPDI_PLAN},
    ),
}


def _pages(project: Project) -> list[tuple[str, str | None, str]]:
    """(page name, who opens it — None when signed out, path) for every page type."""
    pk = project.pk
    submitted, draft = _reports(project)
    portfolio = project.portfolio
    director = portfolio.director.username
    live = portfolio.projects.filter(state="active").exclude(pk=pk).order_by("code").first()
    foreign = Project.objects.exclude(manager__username="pm").exclude(delegates__username="pm")
    foreign = foreign.exclude(portfolio__director__username="pm").order_by("pk").first()
    # The inbox with something in it: one notice read, one unread (and the badge showing it).
    for title in (f"Status report due: {project.code}", f"Change request decided: {project.code}"):
        notify(
            [project.manager], kind="other", title=title, body="Details.", url=f"/projects/{pk}/"
        )
    first = Notification.objects.filter(recipient=project.manager).order_by("pk").first()
    notification_mark_read(user=project.manager, pk=first.pk)
    return [
        ("sign-in", None, "/accounts/login/"),
        ("my projects", "pm", "/projects/"),
        ("project overview", "pm", f"/projects/{pk}/"),
        ("status list", "pm", f"/projects/{pk}/status/"),
        ("status editor", "pm", f"/projects/{pk}/status/{draft.pk}/"),
        ("submitted report", "pm", f"/projects/{pk}/status/{submitted.pk}/"),
        ("milestones", "pm", f"/projects/{pk}/milestones/"),
        ("milestone import", "pm", f"/projects/{pk}/milestones/import/"),
        ("milestone import preview", "pm", f"/projects/{pk}/milestones/import/"),
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
        ("inbox", "pm", "/inbox/"),
        ("inbox mail settings", "pm", "/inbox/settings/"),
        *_workflow_pages(project),
        *_intake_and_gate_pages(project),
        *_review_pages(project),
        ("gate metrics", "pmo", "/portfolios/gates/"),
        ("gate metric reviews", "pmo", "/portfolios/gates/reviews/?kpi=gate_cycle_days"),
        # Trends and what changed (issue 11); the seed's history gives every chart points.
        ("trends", director, f"/portfolios/trends/?portfolio={portfolio.pk}"),
        ("project trends", "pm", f"/portfolios/projects/{pk}/trends/"),
        *_report_pages(project),  # PDF report pages (issue 11)
        *_token_pages(project.manager),  # personal API tokens
        *_feed_pages(project.portfolio.director, project.portfolio),  # calendar feeds
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


def _open(page, url: str, name: str):
    """Go to `url` (and submit its form, for a page in SUBMITTED); the response of the page
    that ends up shown."""
    response = page.goto(url)
    if name in SUBMITTED:
        button, fields = SUBMITTED[name]
        for label, value in fields.items():
            field = page.get_by_label(label, exact=True)
            if isinstance(value, Path):
                field.set_input_files(value)
            else:
                field.fill(value)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name=button).click()
        response = navigation.value
    page.wait_for_load_state("networkidle")
    return response


def _axe_walk(browser, base: str, pages, password: str) -> dict[str, list[dict]]:
    """axe's violations on each of `pages` ((name, who, path), each opened as `who`)."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    source = AXE.read_text()
    results: dict[str, list[dict]] = {}
    signed_in_as: str | None = None
    for name, who, path in pages:
        if who != signed_in_as:
            page.context.clear_cookies()
            if who is not None:
                sign_in(page, base, who, password)
            signed_in_as = who
        response = _open(page, f"{base}{path}", name)
        # The page checked is the page meant: right status, signed in as its reader.
        expected = int(name) if name in ("403", "404") else 200
        assert response.status == expected, f"{name}: {path} answered {response.status}"
        assert "/accounts/login/" not in page.url or who is None, f"{name}: not signed in"
        page.evaluate(source)  # defines window.axe (see the module docstring)
        outcome = page.evaluate(RUN_AXE)
        assert outcome["passed"] > 10, f"{name}: axe checked almost nothing"
        results[name] = outcome["violations"]
    context.close()
    return results


def _assert_nothing_blocking(results: dict[str, list[dict]]) -> None:
    failing = {
        name: violations
        for name, violations in results.items()
        if any(v["impact"] in BLOCKING for v in violations)
    }
    assert not failing, "axe found critical or serious violations:\n" + "\n".join(
        _describe(name, violations) for name, violations in failing.items()
    )


def test_every_page_type_has_no_critical_or_serious_axe_violation(
    browser, live_server, demo, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path  # the PDF of a finished report run (issue 11)
    results = _axe_walk(browser, live_server.url, _pages(demo), DEMO_PASSWORD)

    REPORT.write_text(_table(results))
    print(_table(results))
    _assert_nothing_blocking(results)


def test_the_api_tokens_pages_have_no_critical_or_serious_axe_violation(
    browser, live_server, transactional_db
):
    """The token pages alone, without the demo organisation (`-k tokens`): quicker to run
    while working on them, and it leaves docs/accessibility.md to the full walk."""
    owner = person("tess.token", "Tess", "Token", Role.PROJECT_MANAGER)
    results = _axe_walk(browser, live_server.url, _token_pages(owner), PASSWORD)
    print(_table(results))
    _assert_nothing_blocking(results)


def test_the_calendar_feeds_pages_have_no_critical_or_serious_axe_violation(
    browser, live_server, transactional_db
):
    """The calendar feed pages alone, without the demo organisation (`-k calendar_feeds`)."""
    from portfolio.tests.factories import PortfolioFactory

    owner = person("dana.feeds", "Dana", "Feeds", Role.DIRECTOR)
    portfolio = PortfolioFactory(director=owner, name="Enterprise Applications")
    results = _axe_walk(browser, live_server.url, _feed_pages(owner, portfolio), PASSWORD)
    print(_table(results))
    _assert_nothing_blocking(results)


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
