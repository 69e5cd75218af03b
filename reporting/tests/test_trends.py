"""Trends: each catalogue figure's last point equals its dashboard tile, the series are read in
one query whatever the size, the pages show only what the reader may see, a bad `since`
is a message (never a 500), and the demo's history task fills the weeks before today."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portfolio.tests.factories import PortfolioFactory
from ppm.charts import render_svg
from projects.choices import LifecycleState
from projects.tests.factories import MilestoneFactory, ProjectFactory, RiskFactory
from reporting.dashboard import portfolio_dashboard, select_portfolios
from reporting.engine import recompute, snapshot
from reporting.figures import tile_figures
from reporting.kpis import CATALOGUE, Unit
from reporting.models import ProjectRollup, ProjectRollupSnapshot
from reporting.tasks import history_days, snapshot_history
from reporting.tests.test_dashboard import build_portfolio
from reporting.trends import (
    HEALTH,
    Series,
    portfolio_series,
    project_series,
    trend_chart,
)

pytestmark = pytest.mark.django_db

URL = reverse("reporting:trends")


def _mixed(director, portfolio, pm, *, size: int = 2):
    """Two currencies, projects in flight with and without a report, overdue and not, and
    projects out of scope (proposed, closed) whose figures must not count."""
    build_portfolio(portfolio, pm, projects=size)
    pounds = PortfolioFactory(director=director, currency="GBP")
    build_portfolio(pounds, pm, projects=size)
    today = timezone.localdate()
    # In flight, started long ago, never reported: status overdue, no EV (left out of CPI).
    silent = ProjectFactory(
        portfolio=portfolio,
        manager=pm,
        baseline_start=today - timedelta(days=200),
        baseline_finish=today + timedelta(days=200),
        budget_at_completion=Decimal("70000.00"),
    )
    MilestoneFactory(
        project=silent,
        baseline_date=today + timedelta(days=10),
        forecast_date=today + timedelta(days=90),  # the worst slip: 80 days
    )
    RiskFactory(project=silent, probability=5, impact=5)
    # Out of scope: their money, slips and risks are in the snapshot but not in a figure.
    for state in (LifecycleState.PROPOSED, LifecycleState.CLOSED):
        other = ProjectFactory(portfolio=pounds, manager=pm, state=state)
        MilestoneFactory(
            project=other,
            baseline_date=today + timedelta(days=5),
            forecast_date=today + timedelta(days=400),
        )
        RiskFactory(project=other, probability=5, impact=5)
    return pounds


# --- The figures ---------------------------------------------------------------------------


def test_the_last_point_of_every_series_is_the_dashboard_tile(director, portfolio, pm):
    pounds = _mixed(director, portfolio, pm)
    today = timezone.localdate()
    recompute()
    snapshot(taken_on=today - timedelta(days=7))  # an older point, not the one compared
    snapshot(taken_on=today)
    selection = select_portfolios(user=director, portfolio_id=None)
    assert set(selection.ids) == {portfolio.pk, pounds.pk}
    dashboard = portfolio_dashboard(selection=selection, today=today)

    series = portfolio_series(portfolio_ids=selection.ids, today=today)
    last = {(s.kpi.key, s.currency): s.points[-1] for s in series}
    for kpi in CATALOGUE:
        for figure in tile_figures(dashboard, kpi):
            day, value = last[(kpi.key, figure.currency)]
            assert day == today
            assert value == figure.value, (kpi.key, figure.currency, value, figure.value)
    # Every catalogue figure has its series; money ones one per currency.
    money = [k for k in CATALOGUE if k.unit in (Unit.MONEY, Unit.RATIO)]
    assert len(series) == 2 * len(money) + (len(CATALOGUE) - len(money))
    # The figures are not trivially equal: the mixed data shows in them.
    assert last[("status_overdue", None)][1] == 1
    assert last[("worst_slip", None)][1] == 80
    assert last[("cpi", "EUR")][1] is not None


def test_a_portfolio_of_one_selection_sums_only_its_own_projects(director, portfolio, pm):
    pounds = _mixed(director, portfolio, pm)
    recompute()
    snapshot()
    selection = select_portfolios(user=director, portfolio_id=pounds.pk)
    dashboard = portfolio_dashboard(selection=selection)
    series = portfolio_series(portfolio_ids=selection.ids)
    assert {s.currency for s in series} == {"GBP", None}
    for s in series:
        (figure,) = tile_figures(dashboard, s.kpi)
        assert s.last == figure.value, s.kpi.key


def test_series_hold_each_snapshot_day_in_the_window_oldest_first(director, portfolio, pm):
    build_portfolio(portfolio, pm, projects=1)
    recompute()
    today = timezone.localdate()
    days = [today - timedelta(weeks=w) for w in (30, 3, 2, 1, 0)]
    for day in days:
        snapshot(taken_on=day)
    series = portfolio_series(portfolio_ids=[portfolio.pk], weeks=26, today=today)
    for s in series:
        assert [d for d, _v in s.points] == days[1:]  # 30 weeks ago is outside the window


def test_a_ratio_with_nothing_to_divide_by_is_not_defined_on_that_day(portfolio, pm):
    ProjectFactory(portfolio=portfolio, manager=pm)  # no report: no EV, CPI undefined
    recompute()
    snapshot()
    series = {s.kpi.key: s for s in portfolio_series(portfolio_ids=[portfolio.pk])}
    assert series["cpi"].last is None and series["on_time"].last is None
    assert series["bac"].last == Decimal("250000.00")
    chart = trend_chart(series["cpi"], chart_id="cpi")
    assert "not defined on 1" in chart.description
    render_svg(chart)  # drawn without the undefined point, not failing on it


def test_a_project_series_reads_its_own_snapshots(portfolio, pm, project):
    build_portfolio(portfolio, pm, projects=1)
    recompute()
    today = timezone.localdate()
    snapshot(taken_on=today - timedelta(weeks=1))
    ProjectRollup.objects.filter(project=project).update(health_rag="red")
    snapshot(taken_on=today)
    series = {s.kpi.key: s for s in project_series(project_id=project.pk, today=today)}
    assert series["health"].kpi is HEALTH
    assert [v for _d, v in series["health"].points] == [3, 1]  # green, then red
    assert series["bac"].currency == "EUR" and series["bac"].last == Decimal("250000.00")
    assert series["cpi"].last is None  # not yet reported
    assert set(series) == {
        "health",
        "bac",
        "eac",
        "ac",
        "ev",
        "cpi",
        "spi",
        "worst_slip",
        "exposure",
        "high_risks",
    }
    for s in series.values():
        svg = render_svg(trend_chart(s, chart_id=f"t-{s.kpi.key}"))
        assert svg.startswith("<svg") and "<title" in svg


def test_an_empty_series_draws_its_empty_message(portfolio):
    kpi = next(k for k in CATALOGUE if k.key == "exposure")
    chart = trend_chart(Series(kpi, None, []), chart_id="empty")
    assert "No snapshot yet" in render_svg(chart)


@pytest.mark.parametrize("size", [1, 4])
def test_series_are_read_in_one_query_whatever_the_size(
    director, portfolio, pm, django_assert_num_queries, size
):
    build_portfolio(portfolio, pm, projects=size)
    for _ in range(size):
        build_portfolio(PortfolioFactory(director=director, currency="GBP"), pm, projects=size)
    recompute()
    for weeks in range(size):
        snapshot(taken_on=timezone.localdate() - timedelta(weeks=weeks))
    ids = select_portfolios(user=director, portfolio_id=None).ids
    with django_assert_num_queries(1):
        portfolio_series(portfolio_ids=ids)
    project = portfolio.projects.first()
    with django_assert_num_queries(1):
        project_series(project_id=project.pk)


# --- The pages -----------------------------------------------------------------------------


@pytest.fixture
def snapshotted(portfolio, pm):
    build_portfolio(portfolio, pm, projects=2)
    recompute()
    today = timezone.localdate()
    for weeks in (2, 1, 0):
        snapshot(taken_on=today - timedelta(weeks=weeks))
    return portfolio


def test_the_page_draws_every_figure_and_defaults_to_the_last_snapshot_a_week_old(
    client, director, snapshotted
):
    client.force_login(director)
    page = client.get(URL, {"portfolio": snapshotted.pk})
    assert page.status_code == 200
    html = page.content.decode()
    for kpi in CATALOGUE:
        assert f'data-testid="trend-{kpi.key}"' in html
    week_ago = timezone.localdate() - timedelta(weeks=1)
    assert f'value="{week_ago.isoformat()}"' in html
    assert "What changed since" in html


def test_without_snapshots_the_since_day_is_a_week_ago(client, director, portfolio):
    client.force_login(director)
    html = client.get(URL).content.decode()
    week_ago = timezone.localdate() - timedelta(days=7)
    assert f'value="{week_ago.isoformat()}"' in html
    assert 'data-testid="no-snapshots"' in html


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("yesterday", "Enter a date as YYYY-MM-DD."),
        ("2026-02-30", "Enter a date as YYYY-MM-DD."),
        ("0001-01-01", "check the year"),
        ("9999-12-31", "check the year"),
        ("2099-01-01", "Choose a day before today"),
        ("2001-01-01", "Choose a day within the last year"),
        ("²⁰²⁶-01-01", "Enter a date as YYYY-MM-DD."),
        ("9" * 4500, "Enter a date as YYYY-MM-DD."),
    ],
)
def test_a_since_that_cannot_be_used_is_a_message_next_to_the_field(
    client, director, snapshotted, since, message
):
    client.force_login(director)
    page = client.get(URL, {"since": since})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'data-testid="since-error"' in html and message in html
    assert 'aria-invalid="true"' in html


def test_a_nul_in_since_is_refused_before_the_view(client, director, snapshotted):
    client.force_login(director)
    assert client.get(URL, {"since": "1\x00"}).status_code == 400  # ppm.middleware


def test_a_past_since_is_used(client, director, snapshotted):
    client.force_login(director)
    since = timezone.localdate() - timedelta(days=20)
    page = client.get(URL, {"since": since.isoformat()})
    assert page.status_code == 200
    assert f"What changed since {since.day} " in page.content.decode()


def test_a_portfolio_outside_the_readers_scope_is_403(client, director, other_portfolio):
    client.force_login(director)
    assert client.get(URL, {"portfolio": other_portfolio.pk}).status_code == 403


@pytest.mark.parametrize("persona", ["pm", "outsider"])
def test_the_page_is_for_portfolio_readers(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_the_dashboard_and_the_portfolio_page_link_to_the_trends(client, director, snapshotted):
    client.force_login(director)
    for url in (
        reverse("reporting:dashboard") + f"?portfolio={snapshotted.pk}",
        reverse("reporting:portfolio-detail", args=[snapshotted.pk]),
    ):
        html = client.get(url).content.decode()
        assert f"{URL}?portfolio={snapshotted.pk}" in html, url


@pytest.mark.parametrize("size", [1, 5])
def test_the_page_runs_a_fixed_number_of_queries_whatever_the_size(
    client, director, portfolio, pm, django_assert_num_queries, size
):
    build_portfolio(portfolio, pm, projects=size)
    for _ in range(size):
        build_portfolio(PortfolioFactory(director=director), pm, projects=size)
    recompute()
    for weeks in range(size + 1):
        snapshot(taken_on=timezone.localdate() - timedelta(weeks=weeks))
    client.force_login(director)
    client.get(URL)  # warm the session
    # Session, user, groups; the portfolios; the default since day; the series; the five
    # kinds of change (rollups, baselines, risks, milestones, gate reviews).
    with django_assert_num_queries(11):
        assert client.get(URL).status_code == 200


def test_a_project_s_trends_are_a_fragment_for_htmx_and_a_page_otherwise(
    client, pm, portfolio, project
):
    build_portfolio(portfolio, pm, projects=1)
    recompute()
    snapshot()
    url = reverse("reporting:project-trends", args=[project.pk])
    client.force_login(pm)
    page = client.get(url)
    assert page.status_code == 200 and b"<html" in page.content
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and b"<html" not in fragment.content
    assert b'data-testid="project-trend-health"' in fragment.content


def test_the_project_page_loads_its_trends_with_a_link_fallback(client, pm, project):
    client.force_login(pm)
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    url = reverse("reporting:project-trends", args=[project.pk])
    assert re.search(rf'hx-get="{url}" hx-trigger="load"', html)
    assert f'<a href="{url}">' in html


@pytest.mark.parametrize(("persona", "status"), [("other_pm", 403), ("outsider", 403)])
def test_a_project_s_trends_follow_its_scope(client, request, project, persona, status):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("reporting:project-trends", args=[project.pk])
    assert client.get(url).status_code == status


@pytest.mark.parametrize("size", [1, 5])
def test_a_project_s_trends_run_a_fixed_number_of_queries(
    client, pm, portfolio, project, django_assert_num_queries, size
):
    build_portfolio(portfolio, pm, projects=1)
    recompute()
    for weeks in range(size):
        snapshot(taken_on=timezone.localdate() - timedelta(weeks=weeks))
    url = reverse("reporting:project-trends", args=[project.pk])
    client.force_login(pm)
    client.get(url)
    # Session, user, groups; the project; its scope check; its snapshots.
    with django_assert_num_queries(6):
        client.get(url, headers={"HX-Request": "true"})


# --- The demo's history --------------------------------------------------------------------


def test_history_days_are_the_sundays_before_the_day():
    thursday = date(2026, 12, 3)
    assert history_days(weeks=3, as_of=thursday) == [
        date(2026, 11, 15),
        date(2026, 11, 22),
        date(2026, 11, 29),
    ]
    sunday = date(2026, 11, 29)
    assert history_days(weeks=1, as_of=sunday) == [date(2026, 11, 22)]


def test_the_history_task_snapshots_each_sunday_and_ends_as_of_the_day(portfolio, pm, project):
    build_portfolio(portfolio, pm, projects=1)
    as_of = timezone.localdate()
    assert snapshot_history(3, as_of.isoformat()) == 4
    days = list(
        ProjectRollupSnapshot.objects.filter(project=project)
        .order_by("taken_on")
        .values_list("taken_on", flat=True)
    )
    assert days == [*history_days(weeks=3, as_of=as_of), as_of]
    assert ProjectRollup.objects.get(project=project).as_of == as_of
