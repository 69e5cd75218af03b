"""What changed since a date: each kind of change is found when it happened and not when it did
not, lines come only from the portfolios asked for, each links to its project, and the
number of queries does not grow with the portfolio."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from governance.models import Review
from governance.tests.gates import published_workflow
from portfolio.models import HealthPolicy
from portfolio.tests.factories import PortfolioFactory
from projects.choices import RaidStatus
from projects.models import MilestoneForecast, Project, Risk
from projects.tests.factories import MilestoneFactory, ProjectFactory, RiskFactory
from reporting.changes import KINDS, ChangeLine, Changes, what_changed
from reporting.engine import recompute, snapshot
from reporting.models import ProjectRollup, ProjectRollupSnapshot

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


@pytest.fixture
def since():
    return _today() - timedelta(days=14)


@pytest.fixture
def world(portfolio, other_portfolio, pm, other_pm, since):
    """Two projects in `portfolio` and one in `other_portfolio`, rolled up, snapshotted on
    `since` (green, BAC 250,000 each) and recomputed since."""
    a = ProjectFactory(portfolio=portfolio, manager=pm, code="A-1", name="Alpha")
    b = ProjectFactory(portfolio=portfolio, manager=pm, code="B-2", name="Beta")
    c = ProjectFactory(portfolio=other_portfolio, manager=other_pm, code="C-3", name="Gamma")
    recompute()
    snapshot(taken_on=since)
    ProjectRollupSnapshot.objects.update(health_rag="green")
    ProjectRollup.objects.update(health_rag="green")
    return a, b, c


def _kinds(changes: Changes, kind: str) -> list[ChangeLine]:
    return [line for line in changes.lines if line.kind == kind]


def _changes(portfolio, since, **kwargs) -> Changes:
    return what_changed(portfolio_ids=[portfolio.pk], since=since, **kwargs)


# --- Health --------------------------------------------------------------------------------


def test_a_project_that_turned_red_is_listed_and_links_to_its_page(portfolio, world, since):
    a, _b, _c = world
    ProjectRollup.objects.filter(project=a).update(health_rag="red")
    changes = _changes(portfolio, since)
    (line,) = _kinds(changes, "turned_red")
    assert (line.project_id, line.before, line.after) == (a.pk, "green", "red")
    assert line.url == reverse("projects:detail", args=[a.pk])
    assert line.project_name == "Alpha" and line.project_code == "A-1"
    assert changes.baseline_taken_on == since
    assert not _kinds(changes, "recovered")


def test_a_project_red_at_both_ends_or_without_a_baseline_is_not_turned_red(
    portfolio, pm, world, since
):
    a, _b, _c = world
    ProjectRollupSnapshot.objects.filter(project=a).update(health_rag="red")
    ProjectRollup.objects.filter(project=a).update(health_rag="red")
    new = ProjectFactory(portfolio=portfolio, manager=pm)  # created after the snapshot
    recompute(project_ids=[new.pk])
    ProjectRollup.objects.filter(project=new).update(health_rag="red")
    changes = _changes(portfolio, since)
    assert not _kinds(changes, "turned_red")
    assert not _kinds(changes, "recovered")


def test_a_project_that_recovered_from_red_is_listed(portfolio, world, since):
    _a, b, _c = world
    ProjectRollupSnapshot.objects.filter(project=b).update(health_rag="red")
    ProjectRollup.objects.filter(project=b).update(health_rag="amber")
    (line,) = _kinds(_changes(portfolio, since), "recovered")
    assert (line.project_id, line.before, line.after) == (b.pk, "red", "amber")


def test_the_baseline_is_the_latest_snapshot_on_or_before_since(portfolio, world, since):
    a, _b, _c = world
    # An older snapshot said red, the one on `since` green: green is the baseline. A later
    # one (after `since`) is not a baseline at all.
    snapshot(taken_on=since - timedelta(days=7))
    ProjectRollupSnapshot.objects.filter(project=a, taken_on=since - timedelta(days=7)).update(
        health_rag="red"
    )
    snapshot(taken_on=since + timedelta(days=1))
    ProjectRollupSnapshot.objects.filter(project=a, taken_on=since + timedelta(days=1)).update(
        health_rag="red"
    )
    ProjectRollup.objects.filter(project=a).update(health_rag="red")
    changes = _changes(portfolio, since)
    assert [line.project_id for line in _kinds(changes, "turned_red")] == [a.pk]
    assert changes.baseline_taken_on == since


# --- Risks ---------------------------------------------------------------------------------


def test_a_high_risk_raised_since_is_listed_and_others_are_not(portfolio, world, since):
    a, b, _c = world
    red = HealthPolicy.current().risk_red_score  # high: score at or above it
    raised = timezone.now() - timedelta(days=3)
    high = RiskFactory(project=a, probability=5, impact=5, title="Vendor insolvency")
    low = RiskFactory(project=a, probability=1, impact=1)
    old = RiskFactory(project=b, probability=5, impact=5)
    closed = RiskFactory(
        project=b, probability=5, impact=5, status=RaidStatus.CLOSED, resolution="Gone"
    )
    Risk.objects.filter(pk__in=[high.pk, low.pk, closed.pk]).update(created_at=raised)
    Risk.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    assert 25 >= red > 1
    (line,) = _kinds(_changes(portfolio, since), "new_high_risk")
    assert line.project_id == a.pk and "Vendor insolvency" in line.text and line.after == "25"


def test_a_risk_on_the_since_day_itself_is_before_the_window(portfolio, world, since):
    a, _b, _c = world
    risk = RiskFactory(project=a, probability=5, impact=5)
    noon = timezone.make_aware(datetime.combine(since, time(12)))
    Risk.objects.filter(pk=risk.pk).update(created_at=noon)
    assert not _kinds(_changes(portfolio, since), "new_high_risk")


# --- Milestones ----------------------------------------------------------------------------


def _forecast(milestone, as_of, forecast_date):
    MilestoneForecast.objects.create(milestone=milestone, as_of=as_of, forecast_date=forecast_date)


def test_a_milestone_forecast_moved_later_since_is_listed(portfolio, world, since):
    a, b, _c = world
    base = _today() + timedelta(days=60)
    slipped = MilestoneFactory(project=a, name="Go-live", baseline_date=base)
    _forecast(slipped, since - timedelta(days=10), base + timedelta(days=5))  # before: stood
    _forecast(slipped, since + timedelta(days=2), base + timedelta(days=12))
    _forecast(slipped, since + timedelta(days=4), base + timedelta(days=19))
    earlier = MilestoneFactory(project=b, baseline_date=base)
    _forecast(earlier, since + timedelta(days=3), base - timedelta(days=4))  # pulled in
    before_window = MilestoneFactory(project=b, baseline_date=base)
    _forecast(before_window, since - timedelta(days=1), base + timedelta(days=30))
    (line,) = _kinds(_changes(portfolio, since), "slipped")
    assert line.project_id == a.pk and "Go-live" in line.text and "14 days later" in line.text
    assert line.before == f"{(base + timedelta(days=5)).day} " + f"{base + timedelta(days=5):%b %Y}"


def test_a_first_forecast_since_is_compared_with_the_baseline(portfolio, world, since):
    a, _b, _c = world
    base = _today() + timedelta(days=60)
    milestone = MilestoneFactory(project=a, baseline_date=base)
    _forecast(milestone, since + timedelta(days=1), base + timedelta(days=3))
    (line,) = _kinds(_changes(portfolio, since), "slipped")
    assert "3 days later" in line.text


# --- Budget --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "listed"),
    [
        (Decimal("275000.00"), True),  # +10 %
        (Decimal("237500.00"), True),  # −5 %: at the threshold
        (Decimal("255000.00"), False),  # +2 %
        (Decimal("0.00"), True),  # to zero
    ],
)
def test_a_budget_change_at_or_above_the_threshold_is_listed(portfolio, world, since, now, listed):
    a, _b, _c = world
    ProjectRollup.objects.filter(project=a).update(bac=now)
    lines = _kinds(_changes(portfolio, since), "budget")
    assert bool(lines) is listed
    if listed:
        assert lines[0].before == "€250,000" and lines[0].after.endswith(f"{now:,.0f}")


def test_a_budget_from_zero_is_listed_and_the_threshold_is_a_parameter(portfolio, world, since):
    a, b, _c = world
    ProjectRollupSnapshot.objects.filter(project=a).update(bac=0)
    ProjectRollup.objects.filter(project=b).update(bac=Decimal("255000.00"))
    lines = _kinds(_changes(portfolio, since, budget_change_pct=Decimal("1")), "budget")
    assert {line.project_id for line in lines} == {a.pk, b.pk}


# --- Gate decisions ------------------------------------------------------------------------


def _review(project, gate, *, state, decided_days_ago: int | None) -> Review:
    requester = User.objects.get(pk=project.manager_id)
    now = timezone.now()
    decided = None if decided_days_ago is None else now - timedelta(days=decided_days_ago)
    return Review.objects.create(
        kind="gate",
        portfolio=project.portfolio,
        project=project,
        gate=gate,
        workflow_version=gate.workflow_version,
        title=f"{gate.name}: {project.name}",
        rule="any",
        sla_days=5,
        requested_by=requester,
        requested_at=now - timedelta(days=40),
        due_at=now - timedelta(days=35),
        state=state,
        decided_at=decided,
    )


def test_gate_decisions_in_the_window_are_listed(portfolio, world, since, pmo):
    a, b, _c = world
    version = published_workflow(
        pmo, [{"name": "Business case", "phase": "Plan", "portfolio_director": True}]
    )
    gate = version.gates.get()
    _review(a, gate, state="approved", decided_days_ago=2)
    _review(b, gate, state="rejected", decided_days_ago=30)  # before `since`
    _review(b, gate, state="open", decided_days_ago=None)  # not decided
    (line,) = _kinds(_changes(portfolio, since), "gate")
    assert line.project_id == a.pk and "Business case" in line.text and "approved" in line.text


# --- Scope, grouping and queries -----------------------------------------------------------


def test_lines_come_only_from_the_portfolios_and_projects_asked_for(
    portfolio, other_portfolio, world, since
):
    a, b, c = world
    ProjectRollup.objects.update(health_rag="red")
    assert {line.project_id for line in _changes(portfolio, since).lines} == {a.pk, b.pk}
    assert {line.project_id for line in _changes(other_portfolio, since).lines} == {c.pk}
    narrowed = _changes(portfolio, since, project_ids=[b.pk])
    assert {line.project_id for line in narrowed.lines} == {b.pk}


def test_a_closed_project_is_not_listed(portfolio, world, since):
    a, _b, _c = world
    Project.objects.filter(pk=a.pk).update(state="cancelled")
    ProjectRollup.objects.filter(project=a).update(health_rag="red", state="cancelled")
    assert not _kinds(_changes(portfolio, since), "turned_red")


def test_groups_follow_the_fixed_order_and_leave_out_empty_kinds(portfolio, world, since):
    a, _b, _c = world
    ProjectRollup.objects.filter(project=a).update(health_rag="red", bac=Decimal("400000"))
    changes = _changes(portfolio, since)
    assert [g.kind for g in changes.groups()] == ["turned_red", "budget"]
    assert [g.heading for g in changes.groups()] == [
        dict(KINDS)[k] for k in ("turned_red", "budget")
    ]
    assert changes.count("budget") == 1


@pytest.mark.parametrize("size", [1, 6])
def test_what_changed_runs_one_query_per_kind_whatever_the_size(
    director, pm, pmo, since, django_assert_num_queries, size
):
    portfolios = [PortfolioFactory(director=director) for _ in range(2)]
    version = published_workflow(pmo, [{"name": "Go", "phase": "Run", "portfolio_director": True}])
    projects = [ProjectFactory(portfolio=p, manager=pm) for p in portfolios for _ in range(size)]
    recompute()
    snapshot(taken_on=since)
    for project in projects:
        RiskFactory(project=project, probability=5, impact=5)
        milestone = MilestoneFactory(project=project, baseline_date=_today())
        _forecast(milestone, since + timedelta(days=1), _today() + timedelta(days=9))
        _review(project, version.gates.get(), state="approved", decided_days_ago=1)
    ProjectRollup.objects.update(health_rag="red", bac=Decimal("1"))
    with django_assert_num_queries(5):
        changes = what_changed(portfolio_ids=[p.pk for p in portfolios], since=since)
    assert len(changes.lines) == 5 * len(projects)


# --- The page ------------------------------------------------------------------------------


def test_the_page_lists_the_changes_with_links_to_the_projects(
    client, director, portfolio, world, since
):
    a, _b, c = world
    ProjectRollup.objects.filter(project__in=[a, c]).update(health_rag="red")
    client.force_login(director)
    page = client.get(reverse("reporting:trends"), {"since": since.isoformat()})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="change-turned_red"' in html
    assert f'href="{reverse("projects:detail", args=[a.pk])}"' in html
    assert "Gamma" not in html  # another director's portfolio


def test_the_page_says_when_nothing_changed(client, director, world, since):
    client.force_login(director)
    html = client.get(reverse("reporting:trends"), {"since": since.isoformat()}).content
    assert b'data-testid="no-changes"' in html


def test_the_page_shows_fifty_lines_of_a_kind_and_counts_the_rest(
    client, director, portfolio, pm, world, since
):
    from reporting.views.trends import LINES_PER_KIND

    a, _b, _c = world
    risks = [RiskFactory(project=a, probability=5, impact=5) for _ in range(LINES_PER_KIND + 3)]
    Risk.objects.filter(pk__in=[r.pk for r in risks]).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    client.force_login(director)
    html = client.get(reverse("reporting:trends"), {"since": since.isoformat()}).content.decode()
    assert html.count("New high risk:") == LINES_PER_KIND
    assert 'data-testid="more-new_high_risk">and 3 more' in html
