"""The directors' dashboard: its figures agree with the rollups and with the lists they drill
into, it runs a fixed number of queries whatever the size, it shows only what the reader may
see, and it says when a figure is being recomputed."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portfolio.capacity import add_months, monthly_capacity, working_days
from portfolio.models import HealthPolicy, Resource
from portfolio.tests.factories import PortfolioBudgetFactory, PortfolioFactory, ResourceFactory
from projects.choices import LifecycleState
from projects.models import Allocation, RollupState
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)
from reporting import figure_cache
from reporting.dashboard import portfolio_dashboard, select_portfolios
from reporting.engine import recompute
from reporting.models import PortfolioMonth, PortfolioRollup, ProjectRollup

pytestmark = pytest.mark.django_db

URL = reverse("reporting:dashboard")


def build_portfolio(portfolio, manager, *, projects: int) -> None:
    """`projects` projects with what every dashboard part reads: slipping and on-time
    milestones, high and low risks, a cost plan with actuals, a submitted report, bookings."""
    today = timezone.localdate()
    month = today.replace(day=1)
    developers = ResourceFactory(group="Developers", capacity_hours_per_week=Decimal("37.5"))
    for n in range(projects):
        project = ProjectFactory(
            portfolio=portfolio,
            manager=manager,
            state=LifecycleState.ACTIVE,
            budget_at_completion=Decimal("100000.00"),
        )
        MilestoneFactory(
            project=project,
            baseline_date=today + timedelta(days=30),
            forecast_date=today + timedelta(days=30 + 5 * (n + 1)),
        )
        MilestoneFactory(
            project=project,
            baseline_date=today - timedelta(days=40),
            forecast_date=today - timedelta(days=40),
            actual_date=today - timedelta(days=41),
        )
        RiskFactory(project=project, probability=4, impact=4, cost_impact=Decimal("1000"))
        RiskFactory(project=project, probability=1, impact=2)
        for offset in (-1, 0, 1):
            CostLineFactory(
                project=project,
                month=add_months(month, offset),
                planned=Decimal("10000.00"),
                actual=Decimal("12000.00") if offset <= 0 else Decimal("0"),
            )
        StatusReportFactory(
            project=project,
            period_end=month - timedelta(days=1),
            state="submitted",
            submitted_at=timezone.now(),
            overall_rag="amber",
            percent_complete=Decimal("15.00"),
        )
        Allocation.objects.create(project=project, resource=developers, month=month, hours=80)


@pytest.fixture
def built(portfolio, pm):
    build_portfolio(portfolio, pm, projects=3)
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=timezone.localdate().year)
    recompute()
    return portfolio


# --- Figures -------------------------------------------------------------------------------


def test_tiles_sum_the_portfolio_rollup_and_recompute_the_ratios(director, built):
    selection = select_portfolios(user=director, portfolio_id=built.pk)
    d = portfolio_dashboard(selection=selection)
    rollup = PortfolioRollup.objects.get(portfolio=built)
    (money,) = d.money
    assert money.evm.bac == rollup.bac == Decimal("300000.00")
    assert money.evm.ac == rollup.ac
    assert money.evm.cpi == rollup.cpi
    assert money.evm.eac == rollup.eac
    assert d.milestones_slipping == 3 and d.projects_slipping == 3
    assert d.high_risks == 3 and d.projects_with_high_risks == 3
    assert d.exposure == 3 * (16 + 2)
    assert d.on_time_rate == Decimal(100)
    assert [m.slip for m in d.top_slips] == [15, 10, 5]
    assert d.no_current_report == 0
    assert sum(c.count for c in d.matrix[-1].cells) == d.in_flight == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("live=1&slipping=1", "projects_slipping"),
        ("live=1&high_risk=1", "projects_with_high_risks"),
        ("live=1&cpi_below=1", "cpi_below_one"),
        ("live=1&no_report=1", "no_current_report"),
        ("live=1&overrun=1", "overrunning"),
    ],
)
def test_every_drill_down_lists_as_many_projects_as_its_tile_counts(
    client, director, built, pm, query, expected
):
    # One project with no report and no slip, so every filter has something to leave out.
    ProjectFactory(portfolio=built, manager=pm, state=LifecycleState.ACTIVE)
    recompute()
    d = portfolio_dashboard(selection=select_portfolios(user=director, portfolio_id=built.pk))
    client.force_login(director)
    page = client.get(reverse("reporting:portfolio-detail", args=[built.pk]) + "?" + query)
    count = re.search(r'data-testid="project-count">\s*(\d+)', page.content.decode())
    assert int(count.group(1)) == getattr(d, expected)


def test_matrix_cells_drill_to_the_projects_they_count(client, director, built):
    d = portfolio_dashboard(selection=select_portfolios(user=director, portfolio_id=built.pk))
    client.force_login(director)
    for row in d.matrix:
        param = "rule" if row.field == "health_rag" else row.field.removesuffix("_rag")
        for cell in row.cells:
            page = client.get(
                reverse("reporting:portfolio-detail", args=[built.pk])
                + f"?live=1&{param}={cell.rag}"
            )
            count = re.search(r'data-testid="project-count">\s*(\d+)', page.content.decode())
            assert int(count.group(1)) == cell.count, (row.field, cell.rag)


def _listed(client, portfolio, query: str) -> int:
    page = client.get(reverse("reporting:portfolio-detail", args=[portfolio.pk]) + query)
    assert page.status_code == 200
    return int(re.search(r'data-testid="project-count">\s*(\d+)', page.text).group(1))


def test_the_reported_row_drills_to_the_reported_status_not_the_rule_health(
    client, director, built, pm
):
    # Rule health and reported status disagree here: the PMs report amber while the rules
    # rate the projects red (CPI 0.17, 15 % done on 120 % spent). A project with no report
    # too, so the "without any report" link has a row to count.
    ProjectFactory(portfolio=built, manager=pm, state=LifecycleState.ACTIVE)
    recompute()
    d = portfolio_dashboard(selection=select_portfolios(user=director, portfolio_id=built.pk))
    assert [c.count for c in d.reported] == [0, 3, 0] and d.reported_none == 1
    assert d.matrix[-1].cells[2].count == 3  # rule health: red
    client.force_login(director)
    page = client.get(URL, {"portfolio": built.pk}).text
    assert "?live=1&amp;reported=amber" in page and "?live=1&amp;reported=none" in page
    assert "health=" not in page
    for cell in d.reported:
        assert _listed(client, built, f"?live=1&reported={cell.rag}") == cell.count, cell.rag
    assert _listed(client, built, "?live=1&reported=none") == d.reported_none
    # A bookmark from before the split still opens the reported-status list, and an
    # unknown value is ignored rather than an error.
    assert _listed(client, built, "?live=1&health=amber") == 3
    assert _listed(client, built, "?live=1&health=purple") == d.in_flight


def test_the_high_risk_label_and_count_follow_the_pmos_policy(client, director, built):
    client.force_login(director)
    d = portfolio_dashboard(selection=select_portfolios(user=director, portfolio_id=built.pk))
    assert (d.high_risk_score, d.high_risks) == (15, 3)  # the 4 × 4 risks, not the 1 × 2
    policy = HealthPolicy.current()
    policy.risk_red_score = 20
    policy.save()
    recompute()
    d = portfolio_dashboard(selection=select_portfolios(user=director, portfolio_id=built.pk))
    assert (d.high_risk_score, d.high_risks, d.projects_with_high_risks) == (20, 0, 0)
    tile = re.search(
        r'data-testid="tile-high-risks">(.*?)</a>',
        client.get(URL, {"portfolio": built.pk}).text,
        re.S,
    ).group(1)
    assert "Score ≥ 20" in tile and "Score ≥ 15" not in tile
    assert _listed(client, built, "?live=1&high_risk=1") == 0
    policy.risk_red_score = 16
    policy.save()
    recompute()
    assert "Score ≥ 16" in client.get(URL, {"portfolio": built.pk}).text
    assert _listed(client, built, "?live=1&high_risk=1") == 3


def test_the_s_curve_carries_a_portfolios_earned_value_through_a_month_it_has_no_row(
    director, portfolio, other_portfolio, pmo
):
    PortfolioMonth.objects.create(
        portfolio=portfolio, month=date(2026, 1, 1), planned=10, actual=10, forecast=10, ev=50
    )
    PortfolioMonth.objects.create(
        portfolio=portfolio, month=date(2026, 3, 1), planned=10, actual=10, forecast=10, ev=80
    )
    PortfolioMonth.objects.create(
        portfolio=other_portfolio, month=date(2026, 2, 1), planned=5, actual=5, forecast=5, ev=7
    )
    d = portfolio_dashboard(selection=select_portfolios(user=pmo, portfolio_id=None))
    assert [(m["month"].month, m["ev"]) for m in d.months] == [(1, 50), (2, 57), (3, 87)]
    assert [m["planned"] for m in d.months] == [10, 5, 10]


def test_capacity_is_weekly_hours_over_the_working_days_of_each_month():
    assert working_days(date(2026, 2, 1)) == 20
    assert working_days(date(2026, 3, 1)) == 22
    assert monthly_capacity(Decimal("37.5"), date(2026, 3, 1)) == Decimal("165.0")
    assert add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)


def test_the_heat_map_sets_every_portfolios_bookings_against_shared_capacity(
    director, built, other_portfolio, other_pm
):
    build_portfolio(other_portfolio, other_pm, projects=1)
    recompute()
    d = portfolio_dashboard(selection=select_portfolios(user=director, portfolio_id=built.pk))
    month = timezone.localdate().replace(day=1)
    cell = d.capacity.cells[("Developers", month)]
    assert cell.demand == Decimal("320.0")  # 4 projects × 80 h, both portfolios
    assert cell.selected_demand == Decimal("240.0")
    assert cell.capacity == monthly_capacity(Decimal("75.0"), month)  # two 37.5 h developers


# --- Queries -------------------------------------------------------------------------------


def _dashboard_queries(client, user, django_assert_num_queries, *, cold, warm, **query):
    client.force_login(user)
    client.get(URL, query)  # warm the session and the content types
    figure_cache.new_generation()
    fragment = {"HX-Request": "true"}
    with django_assert_num_queries(cold):  # drawn from the rollups, then kept
        drawn = client.get(URL, query, headers=fragment)
    with django_assert_num_queries(warm):  # served from the cache until a figure changes
        kept = client.get(URL, query, headers=fragment)
    assert drawn.status_code == kept.status_code == 200
    assert kept.content == drawn.content


@pytest.mark.parametrize("size", [1, 6])
def test_the_dashboard_runs_a_fixed_number_of_queries_whatever_the_size(
    client, director, portfolio, pm, django_assert_num_queries, size
):
    build_portfolio(portfolio, pm, projects=size)
    for _ in range(size):
        build_portfolio(PortfolioFactory(director=director), pm, projects=size)
    recompute()
    # Session, user, groups, the portfolios with their rollups, and the freshness check; a
    # body drawn afresh adds the series, top slips, attention, bubbles and capacity reads.
    _dashboard_queries(client, director, django_assert_num_queries, cold=11, warm=5)
    _dashboard_queries(
        client, director, django_assert_num_queries, cold=11, warm=5, portfolio=portfolio.pk
    )


# --- The kept body -------------------------------------------------------------------------


def _fragment(client, **query) -> str:
    return client.get(URL, query, headers={"HX-Request": "true"}).content.decode()


def test_a_kept_body_gives_way_once_an_edit_is_recomputed(client, director, built, pm):
    client.force_login(director)
    before = _fragment(client)
    assert _fragment(client) == before  # kept
    project = ProjectRollup.objects.filter(portfolio=built).first().project
    project.budget_at_completion = Decimal("400000.00")
    project.save()
    RollupState.objects.filter(project=project).update(requested=99, stale_since=timezone.now())
    # While a figure is recomputed, nothing kept is served: the body says so and polls.
    assert "Recomputing 1 project" in _fragment(client)
    recompute(project_ids=[project.pk])
    after = _fragment(client)
    assert "Recomputing" not in after and after != before
    assert "600,000" in after  # the budget at completion tile: 2 × 100,000 + 400,000


def test_a_change_read_directly_retires_the_kept_body(client, director, built):
    """Capacity is read from the resources, not from a rollup: saving one is a new generation."""
    client.force_login(director)
    before = _fragment(client, portfolio=built.pk)
    resource = Resource.objects.get(group="Developers")
    resource.capacity_hours_per_week = Decimal("75.0")
    resource.save()
    assert _fragment(client, portfolio=built.pk) != before


def test_each_reader_gets_the_body_of_their_own_selection(
    client, director, other_director, built, other_portfolio, other_pm
):
    build_portfolio(other_portfolio, other_pm, projects=1)
    recompute()
    mine = {p.code for p in built.projects.all()}
    theirs = {p.code for p in other_portfolio.projects.all()}
    for reader, shown, hidden in ((director, mine, theirs), (other_director, theirs, mine)):
        client.force_login(reader)
        for _ in range(2):  # drawn, then kept
            body = _fragment(client)
            assert any(code in body for code in shown)
            assert not any(code in body for code in hidden)
    client.force_login(director)
    _fragment(client, portfolio=other_portfolio.pk)
    response = client.get(URL, {"portfolio": other_portfolio.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 403


def test_the_dashboard_still_renders_when_the_cache_is_down(client, director, built, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(figure_cache.cache, "get", down)
    monkeypatch.setattr(figure_cache.cache, "set", down)
    monkeypatch.setattr(figure_cache.cache, "add", down)
    client.force_login(director)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-testid="dashboard"' in response.content.decode()


# --- Who sees what -------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["pm", "outsider"])
def test_the_dashboard_is_refused_to_other_roles(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_a_director_picks_only_among_their_own_portfolios(
    client, director, built, other_portfolio, other_project
):
    client.force_login(director)
    page = client.get(URL).content.decode()
    assert built.name in page and other_portfolio.name not in page
    assert other_project.code not in page
    assert client.get(URL, {"portfolio": other_portfolio.pk}).status_code == 403
    assert client.get(URL, {"portfolio": 999_999}).status_code == 403


def test_all_my_portfolios_counts_only_the_directors_own_projects(
    director, built, other_portfolio, other_pm
):
    build_portfolio(other_portfolio, other_pm, projects=2)
    recompute()
    d = portfolio_dashboard(selection=select_portfolios(user=director, portfolio_id=None))
    assert d.in_flight == 3
    assert {m.project.portfolio_id for m in d.top_slips} == {built.pk}


@pytest.mark.parametrize("persona", ["pmo", "executive"])
def test_pmo_and_executives_read_every_portfolio_and_nothing_on_it_writes(
    client, request, persona, built, other_portfolio
):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(URL).content.decode()
    assert built.name in page and other_portfolio.name in page
    body = page.split('data-testid="dashboard"', 1)[1]
    assert "<form" not in body and "hx-post" not in body
    assert client.post(URL).status_code == 405


# --- Freshness -----------------------------------------------------------------------------


def test_a_stale_figure_says_so_and_the_body_polls_until_it_is_current(client, director, built):
    client.force_login(director)
    page = client.get(URL).content.decode()
    assert 'data-testid="recomputing"' not in page and "every 2s" not in page

    project = ProjectRollup.objects.filter(portfolio=built).first().project
    RollupState.objects.filter(project=project).update(requested=99, stale_since=timezone.now())
    page = client.get(URL).content.decode()
    assert "Recomputing 1 project" in page
    assert 'hx-trigger="every 2s"' in page

    # The poll gets the body alone; once current, the body stops polling.
    recompute(project_ids=[project.pk])
    from reporting.engine import rebuild_series

    rebuild_series()
    fragment = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="dashboard-body"')
    assert "every 2s" not in fragment and "<html" not in fragment


def test_every_chart_is_drawn_on_the_server(client, director, built):
    client.force_login(director)
    page = client.get(URL, {"portfolio": built.pk}).content.decode()
    for testid in ("chart-s-curve", "chart-bubbles", "chart-capacity"):
        section = page.split(f'data-testid="{testid}"', 1)[1]
        assert "<svg" in section.split("</section>", 1)[0], testid


def test_the_cross_portfolio_list_holds_only_the_readers_projects(
    client, director, pm, project, other_project
):
    url = reverse("reporting:projects")
    client.force_login(director)
    page = client.get(url).content.decode()
    assert project.code in page and other_project.code not in page
    # A portfolio filter naming someone else's portfolio finds nothing rather than leaking.
    page = client.get(url, {"portfolio": other_project.portfolio_id}).content.decode()
    assert other_project.code not in page
    client.force_login(pm)
    assert client.get(url).status_code == 403


def test_a_phone_gets_its_own_drawings_on_request_and_a_desktop_never_pays_for_them(
    client, director, built
):
    client.force_login(director)
    page = client.get(URL, {"portfolio": built.pk}).content.decode()
    assert page.count("<svg") == 3  # the wide drawings only
    assert 'hx-trigger="intersect once"' in page

    fragment = client.get(
        URL, {"portfolio": built.pk, "charts": "compact"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert fragment.count("<svg") == 3
    assert fragment.count('hx-swap-oob="innerHTML"') == 2
    assert "-compact" in fragment and "<html" not in fragment
