"""My projects and the project page: who may open them, what they show, how many queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portfolio.models import Portfolio
from portfolio.tests.factories import PortfolioFactory, UserFactory
from projects.choices import (
    RAG,
    Category,
    ChangeRequestState,
    CostCategory,
    ExpenseType,
    LifecycleState,
    RaidStatus,
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

pytestmark = pytest.mark.django_db


def make_project_with_history(
    *,
    portfolio: Portfolio,
    manager: User,
    rag: str = RAG.GREEN,
    state: str = LifecycleState.ACTIVE,
    bac: Decimal = Decimal("250000.00"),
    **fields,
) -> Project:
    """A project with the rows every page reads: milestones, reports, risks, costs, issues, CRs.

    The latest submitted report says `rag`; an older submitted one and a newer draft (both
    red) must never be taken for the latest status.
    """
    project = ProjectFactory(
        portfolio=portfolio, manager=manager, state=state, budget_at_completion=bac, **fields
    )
    MilestoneFactory(
        project=project,
        baseline_date=date(2026, 3, 31),
        forecast_date=date(2026, 3, 31),
        actual_date=date(2026, 4, 3),
    )
    MilestoneFactory(
        project=project, baseline_date=date(2026, 9, 30), forecast_date=date(2026, 10, 21)
    )
    submitted = timezone.now()
    StatusReportFactory(
        project=project,
        period_end=date(2026, 9, 30),
        state=ReportState.SUBMITTED,
        submitted_at=submitted,
        overall_rag=RAG.RED,
    )
    StatusReportFactory(
        project=project,
        period_end=date(2026, 10, 31),
        state=ReportState.SUBMITTED,
        submitted_at=submitted,
        overall_rag=rag,
        percent_complete=Decimal("40"),
        narrative="Build on track.\nTesting starts next month.",
    )
    StatusReportFactory(
        project=project,
        period_end=date(2026, 11, 30),
        state=ReportState.DRAFT,
        overall_rag=RAG.RED,
    )
    RiskFactory(project=project, title="Vendor insolvency", probability=4, impact=4)
    RiskFactory(project=project, title="Key person leaves", probability=2, impact=3)
    RiskFactory(
        project=project,
        title="Licence audit",
        probability=5,
        impact=5,
        status=RaidStatus.CLOSED,
        resolution="Audit passed.",
    )
    CostLineFactory(
        project=project,
        category=CostCategory.LABOUR,
        planned=Decimal("10000"),
        actual=Decimal("9000"),
        forecast=Decimal("10500"),
    )
    CostLineFactory(
        project=project,
        category=CostCategory.VENDOR,
        expense_type=ExpenseType.CAPEX,
        planned=Decimal("5000"),
        actual=Decimal("6000"),
        forecast=Decimal("6000"),
    )
    Issue.objects.create(project=project, title="Test environment unavailable")
    ChangeRequest.objects.create(
        project=project,
        title="Add SSO",
        description="Single sign-on for staff.",
        schedule_impact_days=14,
        cost_impact=Decimal("12000"),
        state=ChangeRequestState.SUBMITTED,
        raised_by=manager,
    )
    return project


def page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- My projects ------------------------------------------------------------------------------


def test_my_projects_sends_an_anonymous_visitor_to_sign_in(client):
    url = reverse("projects:mine")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("persona", ["executive", "outsider"])
def test_my_projects_is_refused_to_roles_that_are_responsible_for_no_project(
    client, request, persona
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("projects:mine")).status_code == 403


def test_a_project_manager_sees_the_projects_they_manage_or_are_delegated_on(
    client, pm, project, other_project, other_pm
):
    delegated = ProjectFactory(
        portfolio=other_project.portfolio, manager=other_pm, code="DC-02", name="Backup renewal"
    )
    delegated.delegates.add(pm)
    client.force_login(pm)
    response = client.get(reverse("projects:mine"))
    assert response.status_code == 200
    codes = [p.code for p in response.context["table"].page]
    assert codes == ["DC-02", "ERP-01"]
    assert reverse("projects:detail", args=[project.pk]) in response.text


def test_a_director_sees_every_project_of_their_portfolios_only(
    client, director, project, other_project, portfolio
):
    second = ProjectFactory(portfolio=portfolio, code="ERP-02", name="Payroll upgrade")
    client.force_login(director)
    codes = [p.code for p in client.get(reverse("projects:mine")).context["table"].page]
    assert codes == ["ERP-01", second.code]


def test_pmo_sees_every_project(client, pmo, project, other_project):
    client.force_login(pmo)
    codes = [p.code for p in client.get(reverse("projects:mine")).context["table"].page]
    assert codes == ["DC-01", "ERP-01"]


@pytest.fixture
def pmo_with_a_mixed_book(pmo, portfolio, other_portfolio, pm):
    """Five projects across two portfolios with distinct states, categories and budgets."""
    specs = [
        ("APP-01", "Customer portal", portfolio, LifecycleState.ACTIVE, Category.SOFTWARE, 300),
        ("APP-02", "Data lake", portfolio, LifecycleState.PROPOSED, Category.DATA, 900),
        ("APP-03", "Zero trust", other_portfolio, LifecycleState.ACTIVE, Category.SECURITY, 150),
        (
            "APP-04",
            "Cloud landing zone",
            other_portfolio,
            LifecycleState.ON_HOLD,
            Category.CLOUD_MIGRATION,
            500,
        ),
        ("APP-05", "Data catalogue", other_portfolio, LifecycleState.CLOSED, Category.DATA, 50),
    ]
    for code, name, pf, state, category, bac in specs:
        ProjectFactory(
            code=code,
            name=name,
            portfolio=pf,
            manager=pm,
            state=state,
            category=category,
            budget_at_completion=Decimal(bac) * 1000,
        )
    return pmo


def codes_for(client, query: dict) -> list[str]:
    response = client.get(reverse("projects:mine"), query)
    assert response.status_code == 200
    return [p.code for p in response.context["table"].page]


def test_my_projects_filters_by_search_state_category_and_portfolio(
    client, pmo_with_a_mixed_book, other_portfolio
):
    client.force_login(pmo_with_a_mixed_book)
    assert codes_for(client, {"q": "data"}) == ["APP-02", "APP-05"]
    assert codes_for(client, {"q": "app-03"}) == ["APP-03"]
    assert codes_for(client, {"state": "active"}) == ["APP-01", "APP-03"]
    assert codes_for(client, {"category": "data"}) == ["APP-02", "APP-05"]
    assert codes_for(client, {"portfolio": other_portfolio.pk}) == ["APP-03", "APP-04", "APP-05"]
    assert codes_for(client, {"portfolio": other_portfolio.pk, "category": "data"}) == ["APP-05"]


def test_my_projects_ignores_filter_values_it_does_not_know(client, pmo_with_a_mixed_book):
    client.force_login(pmo_with_a_mixed_book)
    everything = codes_for(client, {})
    assert codes_for(client, {"state": "bogus", "sort": "password", "portfolio": "x"}) == everything


def test_my_projects_sorts_by_budget_name_and_lifecycle_state(client, pmo_with_a_mixed_book):
    client.force_login(pmo_with_a_mixed_book)
    assert codes_for(client, {"sort": "-bac"}) == ["APP-02", "APP-04", "APP-01", "APP-03", "APP-05"]
    assert codes_for(client, {"sort": "name"}) == ["APP-04", "APP-01", "APP-05", "APP-02", "APP-03"]
    # Lifecycle order, not alphabetical: proposed, active, on hold, closed.
    assert codes_for(client, {"sort": "state"}) == [
        "APP-02",
        "APP-01",
        "APP-03",
        "APP-04",
        "APP-05",
    ]


def test_my_projects_pages_by_fifty_and_keeps_filters_in_page_links(client, pm, portfolio):
    for i in range(55):
        ProjectFactory(portfolio=portfolio, manager=pm, code=f"BULK-{i:03d}")
    client.force_login(pm)
    first = client.get(reverse("projects:mine"), {"q": "bulk"})
    assert len(first.context["table"].page) == 50
    assert first.context["table"].total == 55
    assert "?q=bulk&amp;page=2" in first.text
    second = client.get(reverse("projects:mine"), {"q": "bulk", "page": 2})
    assert [p.code for p in second.context["table"].page] == [
        f"BULK-{i:03d}" for i in range(50, 55)
    ]
    # A page beyond the end shows the last page rather than an error.
    assert client.get(reverse("projects:mine"), {"q": "bulk", "page": 99}).status_code == 200


def test_an_htmx_request_gets_only_the_table_and_a_boosted_one_the_whole_page(client, pm, project):
    client.force_login(pm)
    url = reverse("projects:mine")
    fragment = client.get(url, {"q": "ERP"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="project-table"')
    assert "<html" not in fragment.text
    assert "ERP rollout" in fragment.text
    assert "HX-Request" in fragment["Vary"]
    boosted = client.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text
    restore = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


@pytest.mark.parametrize(("portfolios", "per_portfolio"), [(1, 2), (3, 12)])
def test_my_projects_runs_a_fixed_number_of_queries(
    client, pm, django_assert_num_queries, portfolios, per_portfolio
):
    for _ in range(portfolios):
        pf = PortfolioFactory()
        for i in range(per_portfolio):
            project = make_project_with_history(portfolio=pf, manager=UserFactory())
            if i % 2 == 0:
                project.delegates.add(pm)
            else:
                project.manager = pm
                project.save()
    client.force_login(pm)
    # session, user, roles, portfolio options, count, page rows
    with django_assert_num_queries(6):
        response = client.get(reverse("projects:mine"), {"sort": "manager"})
    assert response.context["table"].total == portfolios * per_portfolio


# --- The project page -------------------------------------------------------------------------


def test_project_page_sends_an_anonymous_visitor_to_sign_in(client, project):
    url = reverse("projects:detail", args=[project.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive"])
def test_project_page_opens_for_those_who_may_see_the_project(client, request, persona, project):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("projects:detail", args=[project.pk]))
    assert response.status_code == 200
    assert "ERP rollout" in response.text


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "outsider"])
def test_project_page_is_refused_outside_the_users_scope(client, request, persona, project):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("projects:detail", args=[project.pk]))
    assert response.status_code == 403
    assert "ERP rollout" not in response.text


def test_project_page_of_a_missing_project_is_not_found(client, pmo):
    client.force_login(pmo)
    assert client.get(reverse("projects:detail", args=[987654])).status_code == 404


def test_project_page_shows_the_latest_submitted_status_not_a_draft(client, pm, portfolio):
    project = make_project_with_history(portfolio=portfolio, manager=pm, rag=RAG.AMBER)
    client.force_login(pm)
    response = client.get(reverse("projects:detail", args=[project.pk]))
    report = response.context["overview"].latest_report
    assert report.period_end == date(2026, 10, 31)
    assert report.overall_rag == RAG.AMBER
    # Narrative is plain text with line breaks, escaped.
    assert "<p>Build on track.<br>\nTesting starts next month.</p>" in response.text  # Markdown
    assert 'class="rag rag-amber"' in response.text
    assert "40%" in response.text


def test_project_page_escapes_the_narrative(client, pm, project):
    StatusReportFactory(
        project=project,
        state=ReportState.SUBMITTED,
        submitted_at=timezone.now(),
        narrative="<script>alert(1)</script>",
    )
    client.force_login(pm)
    response = client.get(reverse("projects:detail", args=[project.pk]))
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_project_page_shows_milestone_slip_and_highlights_late_ones(client, pm, project):
    MilestoneFactory(
        project=project,
        name="Go-live",
        baseline_date=date(2026, 6, 30),
        forecast_date=date(2026, 7, 14),
    )
    MilestoneFactory(
        project=project,
        name="Design signed off",
        baseline_date=date(2026, 3, 31),
        forecast_date=date(2026, 5, 1),
        actual_date=date(2026, 3, 28),
    )
    client.force_login(pm)
    response = client.get(reverse("projects:detail", args=[project.pk]))
    rows = {r.milestone.name: r for r in response.context["overview"].milestones}
    assert rows["Go-live"].slip_days == 14
    assert rows["Go-live"].slipping
    # An achieved milestone's slip counts from its actual date, not its old forecast.
    assert rows["Design signed off"].slip_days == -3
    assert not rows["Design signed off"].slipping
    assert '<span class="slip-late">+14 d</span>' in response.text
    assert "−3 d" in response.text


def test_project_page_sums_costs_by_category(client, pm, project):
    CostLineFactory(
        project=project,
        month=date(2026, 1, 1),
        planned=Decimal("1000.40"),
        actual=Decimal("900"),
        forecast=Decimal("1000"),
    )
    CostLineFactory(
        project=project,
        month=date(2026, 2, 1),
        planned=Decimal("1000.40"),
        actual=Decimal("1100"),
        forecast=Decimal("1000"),
    )
    CostLineFactory(
        project=project,
        category=CostCategory.CLOUD,
        planned=Decimal("500"),
        actual=Decimal("0"),
        forecast=Decimal("750.25"),
    )
    # Months still to come count at their forecast.
    upcoming = timezone.localdate().replace(day=1)
    CostLineFactory(
        project=project,
        month=date(upcoming.year + 1, upcoming.month, 1),
        category=CostCategory.CLOUD,
        planned=Decimal("100"),
        forecast=Decimal("120"),
    )
    client.force_login(pm)
    costs = client.get(reverse("projects:detail", args=[project.pk])).context["overview"].costs
    assert [(r.label, r.planned, r.actual, r.forecast) for r in costs.rows] == [
        ("Labour", Decimal("2000.80"), Decimal("2000.00"), Decimal("2000.00")),
        # Forecast (bottom-up): a past month is what was spent (0 in March, not the 750.25
        # once forecast), a month to come its forecast.
        ("Cloud", Decimal("600.00"), Decimal("0.00"), Decimal("120.00")),
    ]
    assert (costs.planned, costs.actual, costs.forecast) == (
        Decimal("2600.80"),
        Decimal("2000.00"),
        Decimal("2120.00"),
    )


def test_project_page_lists_the_ten_highest_open_risks(client, pm, project):
    for i in range(12):
        RiskFactory(project=project, title=f"Risk p{1 + i % 5}", probability=1 + i % 5, impact=3)
    RiskFactory(
        project=project,
        title="Closed big one",
        probability=5,
        impact=5,
        status=RaidStatus.CLOSED,
        resolution="Gone",
    )
    Issue.objects.create(project=project, title="Open issue")
    Issue.objects.create(
        project=project, title="Closed issue", status=RaidStatus.CLOSED, resolution="Fixed"
    )
    client.force_login(pm)
    response = client.get(reverse("projects:detail", args=[project.pk]))
    risks = response.context["overview"].top_risks
    assert len(risks) == 10
    assert [r.score for r in risks] == sorted((r.score for r in risks), reverse=True)
    assert risks[0].score == 15
    assert "Closed big one" not in response.text
    assert response.context["project"].open_risk_count == 12
    assert response.context["project"].open_issue_count == 1


def test_project_page_lists_change_requests_with_their_impact(client, pm, project):
    ChangeRequest.objects.create(
        project=project,
        title="Drop the mobile app",
        description="Out of scope.",
        schedule_impact_days=-10,
        cost_impact=Decimal("-25000"),
    )
    client.force_login(pm)
    response = client.get(reverse("projects:detail", args=[project.pk]))
    assert "Drop the mobile app" in response.text
    assert "−10 d" in response.text
    assert "−€25,000" in response.text


def test_the_top_risks_are_banded_by_the_pmos_policy(client, pm, project):
    from portfolio.models import HealthPolicy

    RiskFactory(project=project, owner=pm, probability=4, impact=4)
    client.force_login(pm)
    url = reverse("projects:detail", args=[project.pk])
    badge = '<span class="rag rag-{}" title="Probability 4 × impact 4">16</span>'
    assert badge.format("red") in client.get(url).text  # the default policy: red from 15
    policy = HealthPolicy.current()
    policy.risk_amber_score, policy.risk_red_score = 16, 20
    policy.save()
    assert badge.format("amber") in client.get(url).text


@pytest.mark.parametrize("size", [1, 25])
def test_project_page_runs_a_fixed_number_of_queries(
    client, pm, portfolio, django_assert_num_queries, size
):
    project = make_project_with_history(portfolio=portfolio, manager=pm)
    for i in range(size):
        MilestoneFactory(project=project, baseline_date=date(2026, 5, 1) + timedelta(days=i))
        RiskFactory(project=project, owner=pm, probability=1 + i % 5, impact=2)
        Issue.objects.create(project=project, title=f"Issue {i}")
        ChangeRequest.objects.create(
            project=project, title=f"CR {i}", description=".", raised_by=pm
        )
        CostLineFactory(
            project=project,
            month=date(2025, 1 + i % 12, 1),
            expense_type=ExpenseType.CAPEX if i >= 12 else ExpenseType.OPEX,
            category=list(CostCategory)[i % 5],
        )
    client.force_login(pm)
    # session, user, roles, project (+ RAID counts, latest RAG), view check, change check,
    # latest report, milestones, risks, change requests, costs, budget baselines
    with django_assert_num_queries(12):
        response = client.get(reverse("projects:detail", args=[project.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("sort", ["code", "-name", "manager", "-state", "bac", "-forecast_finish"])
def test_every_sort_works_on_the_distinct_rows_of_a_delegated_project_manager(
    client, pm, project, other_project, sort
):
    # A project manager's scope joins delegates and needs DISTINCT: PostgreSQL insists that
    # every ORDER BY expression is selected, so each sort key is tried on that query.
    other_project.delegates.add(pm)
    client.force_login(pm)
    response = client.get(reverse("projects:mine"), {"sort": sort})
    assert response.status_code == 200
    assert sorted(p.code for p in response.context["table"].page) == ["DC-01", "ERP-01"]


def test_my_projects_filters_by_the_reported_status_of_the_latest_report(client, pm, portfolio):
    from django.utils import timezone

    red = ProjectFactory(portfolio=portfolio, manager=pm, code="RED-1")
    green = ProjectFactory(portfolio=portfolio, manager=pm, code="GRN-1")
    ProjectFactory(portfolio=portfolio, manager=pm, code="NEW-1")
    for project, rag in ((red, "red"), (green, "green")):
        StatusReportFactory(
            project=project, state="submitted", submitted_at=timezone.now(), overall_rag=rag
        )
    client.force_login(pm)

    def codes(query: str) -> set[str]:
        page = client.get(reverse("projects:mine") + query).context["table"].page
        return {p.code for p in page.object_list}

    assert codes("?reported=red") == {"RED-1"}
    assert codes("?reported=none") == {"NEW-1"}
    assert codes("?reported=purple") == {"RED-1", "GRN-1", "NEW-1"}  # unknown: ignored
    # The parameter's old name still works, so a bookmark does not lose its filter.
    assert codes("?health=red") == {"RED-1"}
    assert codes("?health=none") == {"NEW-1"}


def test_my_projects_filters_rule_health_apart_from_the_reported_status(client, pm, portfolio):
    from django.utils import timezone

    from reporting.engine import recompute
    from reporting.models import ProjectRollup

    # The PM reports green, but the rules rate a 5 × 5 open risk red.
    told_green = ProjectFactory(portfolio=portfolio, manager=pm, code="GRN-1")
    StatusReportFactory(
        project=told_green, state="submitted", submitted_at=timezone.now(), overall_rag="green"
    )
    RiskFactory(project=told_green, probability=5, impact=5)
    ProjectFactory(portfolio=portfolio, manager=pm, code="CALM-1")
    recompute()
    assert ProjectRollup.objects.get(project=told_green).health_rag == "red"
    client.force_login(pm)

    def codes(query: str) -> set[str]:
        page = client.get(reverse("projects:mine") + query).context["table"].page
        return {p.code for p in page.object_list}

    assert codes("?rule=red") == {"GRN-1"}
    assert codes("?reported=red") == set()
    assert codes("?rule=red&reported=green") == {"GRN-1"}
    text = client.get(reverse("projects:mine")).text
    assert ">Rule health</label>" in text and ">Reported status</label>" in text
    assert ">Reported</th>" in text and '>Rule health<span class="sort-arrow"' in text
