"""The ranking's arithmetic: order, cut line, held spend, capacity and the what-if deltas."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.http import QueryDict

from governance.selectors.ranking import WhatIf, build_ranking, ranking_data
from governance.selectors.scores import score_grid
from governance.tests.factories import AllocationFactory, CriterionFactory, ScoreFactory
from portfolio.tests.factories import PortfolioBudgetFactory, PortfolioFactory, ResourceFactory
from projects import metrics
from projects.tests.factories import CostLineFactory, ProjectFactory
from reporting.engine import recompute
from reporting.models import ProjectRollup

pytestmark = pytest.mark.django_db

TODAY = date(2026, 7, 15)  # July: January–June are "to date", July–December remain
D = Decimal


def ranked(portfolio, whatif: WhatIf | None = None, year: int = 2026):
    return build_ranking(ranking_data(portfolio=portfolio, fiscal_year=year, today=TODAY), whatif)


def codes(ranking) -> list[str]:
    return [r.facts.code for r in ranking.rows]


@pytest.fixture
def fit():
    return CriterionFactory(name="Strategic fit", weight=D("3"))


@pytest.fixture
def risk():
    return CriterionFactory(name="Delivery risk", weight=D("1"), higher_is_better=False)


def project(portfolio, code: str, *, state: str = "active", budget: str = "0", to_date: str = "0"):
    """A project with `to_date` planned in March and `budget - to_date` in October 2026."""
    p = ProjectFactory(portfolio=portfolio, code=code, state=state)
    if D(to_date):
        CostLineFactory(project=p, month=date(2026, 3, 1), planned=D(to_date))
    if D(budget) - D(to_date):
        CostLineFactory(project=p, month=date(2026, 10, 1), planned=D(budget) - D(to_date))
    return p


def test_it_ranks_by_score_with_unscored_last_and_ties_by_code(portfolio, fit):
    for code, score in [("C-3", 4), ("A-1", None), ("B-2", 4), ("D-4", 5), ("0-0", None)]:
        p = project(portfolio, code)
        if score is not None:
            ScoreFactory(project=p, criterion=fit, score=score)
    result = ranked(portfolio)
    assert codes(result) == ["D-4", "B-2", "C-3", "0-0", "A-1"]
    assert [r.rank for r in result.rows] == [1, 2, 3, 4, 5]
    assert [r.facts.score for r in result.rows] == [D("100.00"), D("75.00"), D("75.00"), None, None]


def test_closed_and_cancelled_projects_are_not_ranked(portfolio, other_portfolio):
    project(portfolio, "LIVE", state="proposed")
    project(portfolio, "DONE", state="closed")
    project(portfolio, "GONE", state="cancelled")
    project(other_portfolio, "ELSE")
    assert codes(ranked(portfolio)) == ["LIVE"]


def test_the_score_is_the_metrics_definition_over_active_criteria_and_matches_the_rollup(
    portfolio, fit, risk
):
    retired = CriterionFactory(name="Retired", weight=D("5"), active=False)
    p = project(portfolio, "P-1")
    ScoreFactory(project=p, criterion=fit, score=4)
    ScoreFactory(project=p, criterion=risk, score=2)
    ScoreFactory(project=p, criterion=retired, score=1)
    expected = metrics.priority_score(
        [
            metrics.CriterionScore(4, D("3"), 1, 5, True),
            metrics.CriterionScore(2, D("1"), 1, 5, False),
        ]
    )
    (row,) = ranked(portfolio).rows
    # (3 × 0.75 + 1 × 0.75) / 4 = 75.00; the retired criterion does not count.
    assert row.facts.score == expected == D("75.00")
    assert row.facts.scored == 2
    recompute(project_ids=[p.pk])
    assert ProjectRollup.objects.get(project=p).priority_score == row.facts.score


def test_the_cut_line_falls_after_the_last_project_within_the_envelope(portfolio, fit):
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=2026, amount=D("1000.00"))
    for code, score, budget in [
        ("A", 5, "400.10"),
        ("B", 4, "599.90"),  # cumulative exactly 1,000.00: still fits
        ("C", 3, "0.01"),  # 1,000.01: over by one cent
        ("D", 2, "0.00"),  # nothing to spend, but ranked below the line: waits
    ]:
        ScoreFactory(project=project(portfolio, code, budget=budget), criterion=fit, score=score)
    result = ranked(portfolio)
    assert [r.now.cumulative for r in result.rows] == [
        D("400.10"),
        D("1000.00"),
        D("1000.01"),
        D("1000.01"),
    ]
    assert [r.now.fits for r in result.rows] == [True, True, False, False]
    assert [r.line_after_now for r in result.rows] == [False, True, False, False]
    assert result.now.headroom_at_line == D("0.00")
    assert result.now.headroom == D("-0.01")
    assert (result.now.fitting, result.now.not_fitting) == (2, 2)
    assert isinstance(result.now.drawn, Decimal)


def test_the_line_sits_above_everything_when_the_first_project_is_too_big(portfolio):
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=2026, amount=D("100"))
    project(portfolio, "BIG", budget="101")
    result = ranked(portfolio)
    assert result.now.cut_index == -1 and result.cut_top_now
    assert result.rows[0].now.fits is False


def test_without_an_envelope_there_is_no_cut_line(portfolio):
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=2025, amount=D("100"))
    project(portfolio, "P", budget="50")
    result = ranked(portfolio)
    assert result.now.envelope is None and result.now.cut_index is None
    assert result.rows[0].now.fits is None and not result.rows[0].line_after_now
    assert result.rows[0].now.cumulative == D("50")
    assert result.data.budget_years == [2025]


def test_only_planned_lines_of_the_fiscal_year_count(portfolio):
    p = project(portfolio, "P", budget="300", to_date="100")
    CostLineFactory(project=p, month=date(2025, 12, 1), planned=D("999"))
    CostLineFactory(project=p, month=date(2027, 1, 1), planned=D("999"))
    (row,) = ranked(portfolio).rows
    assert (row.facts.budget, row.facts.to_date) == (D("300"), D("100"))


def test_a_project_on_hold_counts_its_spend_to_date_first_and_releases_the_rest(portfolio, fit):
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=2026, amount=D("1000"))
    held = project(portfolio, "HELD", state="on_hold", budget="500", to_date="200")
    ScoreFactory(project=held, criterion=fit, score=1)  # ranked last, but its spend is sunk
    ScoreFactory(project=project(portfolio, "A", budget="700"), criterion=fit, score=5)
    ScoreFactory(project=project(portfolio, "B", budget="200"), criterion=fit, score=4)
    result = ranked(portfolio)
    assert codes(result) == ["A", "B", "HELD"]
    assert result.now.held == D("200")
    assert [r.now.cumulative for r in result.rows] == [D("900"), D("1100"), None]
    assert [r.now.fits for r in result.rows] == [True, False, None]
    assert result.now.drawn == D("1100")  # 700 + 200 + 200 to date


def test_a_what_if_defer_releases_the_remaining_plan_and_moves_the_cut_line(portfolio, fit):
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=2026, amount=D("1000"))
    a = project(portfolio, "A", budget="600", to_date="150")
    for p, score in [(a, 5), (project(portfolio, "B", budget="300"), 4)]:
        ScoreFactory(project=p, criterion=fit, score=score)
    ScoreFactory(project=project(portfolio, "C", budget="400"), criterion=fit, score=3)
    before = ranked(portfolio)
    assert [r.now.fits for r in before.rows] == [True, True, False]

    result = ranked(portfolio, WhatIf(actions={a.pk: "defer"}))
    row_a, row_b, row_c = result.rows
    assert row_a.whatif.state == "on_hold" and row_a.whatif.counted == D("150")
    assert row_a.released == D("450")
    assert result.released == D("450")
    assert result.whatif.held == D("150")
    # 150 held first, then B 300 and C 400 fit: 850.
    assert [r.whatif.cumulative for r in result.rows] == [None, D("450"), D("850")]
    assert row_c.fit_change == "in" and result.lifted == [row_c]
    assert (result.now.not_fitting, result.whatif.not_fitting) == (1, 0)
    assert result.not_fitting_delta == -1
    assert result.line_moved and row_b.line_after_now and row_c.line_after_whatif
    # Nothing was written.
    a.refresh_from_db()
    assert a.state == "active" and a.version == 1


def test_cancel_and_resume_in_a_what_if(portfolio):
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=2026, amount=D("1000"))
    held = project(portfolio, "HELD", state="on_hold", budget="400", to_date="100")
    live = project(portfolio, "LIVE", state="proposed", budget="300")
    result = ranked(portfolio, WhatIf(actions={held.pk: "resume", live.pk: "cancel"}))
    rows = {r.facts.code: r for r in result.rows}
    assert rows["HELD"].whatif.state == "active" and rows["HELD"].released == D("-300")
    assert rows["LIVE"].whatif.state == "cancelled" and rows["LIVE"].released == D("300")
    assert result.now.drawn == D("400") and result.whatif.drawn == D("400")


def test_a_toggle_the_lifecycle_forbids_is_ignored_with_its_reason(portfolio):
    proposal = project(portfolio, "PROP", state="proposed", budget="100")
    result = ranked(portfolio, WhatIf(actions={proposal.pk: "defer"}))
    (row,) = result.rows
    assert not row.changed and "cannot be put on hold" in row.refused
    assert [value for value, _ in row.actions] == ["keep", "cancel"]
    assert result.changes == []


def test_the_what_if_remembers_the_version_it_was_built_on(portfolio):
    p = project(portfolio, "P", budget="100")
    fresh = ranked(portfolio, WhatIf(actions={p.pk: "defer"}))
    assert fresh.rows[0].version_seen == 1 and not fresh.rows[0].stale
    old = ranked(portfolio, WhatIf(actions={p.pk: "cancel"}, versions={p.pk: 0}))
    assert old.rows[0].stale and old.stale_changes == old.rows
    assert f"act-{p.pk}=cancel" in old.apply_query() and f"v-{p.pk}=0" in old.apply_query()


def test_what_if_toggles_are_read_from_the_query_string():
    query = QueryDict("fy=2026&act-5=defer&v-5=3&act-6=keep&v-6=9&act-7=explode&act-x=defer&v-8=2")
    whatif = WhatIf.from_query(query)
    assert whatif.actions == {5: "defer"}
    assert whatif.versions == {5: 3}
    assert whatif.query(fy=2026) == "fy=2026&act-5=defer&v-5=3"


def test_capacity_counts_the_years_working_days_and_other_portfolios_bookings(
    portfolio, other_portfolio
):
    devs = [
        ResourceFactory(group="Developers", capacity_hours_per_week=D("37.5")),
        ResourceFactory(group="Developers", capacity_hours_per_week=D("30.0")),
    ]
    ResourceFactory(group="Developers", capacity_hours_per_week=D("40.0"), active=False)
    mine = project(portfolio, "MINE", budget="0")
    held = project(portfolio, "HELD", state="on_hold")
    theirs = ProjectFactory(portfolio=other_portfolio, code="THEIRS")
    theirs_held = ProjectFactory(portfolio=other_portfolio, code="T-HELD", state="on_hold")
    closed = ProjectFactory(portfolio=other_portfolio, code="T-DONE", state="closed")
    for p, month, hours in [
        (mine, date(2026, 2, 1), "100.0"),  # to date
        (mine, date(2026, 9, 1), "250.5"),  # remaining
        (held, date(2026, 2, 1), "20.0"),  # held: to date counts
        (held, date(2026, 9, 1), "80.0"),  # held: remaining released
        (theirs, date(2026, 9, 1), "300.0"),
        (theirs_held, date(2026, 9, 1), "60.0"),  # released
        (closed, date(2026, 9, 1), "500.0"),  # not live
        (mine, date(2027, 1, 1), "700.0"),  # another fiscal year
    ]:
        AllocationFactory(project=p, resource=devs[0], month=month, hours=D(hours))
    result = ranked(portfolio, WhatIf(actions={mine.pk: "defer"}))
    (devs_row,) = result.capacity
    assert devs_row.capacity == D("3523.5")  # (37.5 + 30) / 5 × 261 working days in 2026
    assert devs_row.others == D("300.0")
    assert devs_row.mine_now == D("370.5")  # 100 + 250.5 + 20
    assert devs_row.mine_whatif == D("120.0")  # 100 to date + 20
    assert devs_row.delta == D("-250.5")
    assert devs_row.utilisation_now == D("19.0")  # 670.5 / 3523.5
    assert devs_row.utilisation_whatif == D("11.9")  # 420 / 3523.5
    assert result.hours_released == D("250.5")
    rows = {r.facts.code: r for r in result.rows}
    assert (rows["MINE"].hours_released, rows["HELD"].hours_released) == (D("250.5"), D("0"))


def test_demand_on_a_group_without_capacity_is_over(portfolio):
    p = project(portfolio, "P")
    AllocationFactory(
        project=p,
        resource=ResourceFactory(group="Architects", active=False),
        month=date(2026, 9, 1),
        hours=D("10"),
    )
    (row,) = ranked(portfolio).capacity
    assert row.capacity == 0 and row.utilisation_now is None and row.over_now


def test_the_ranking_takes_a_fixed_number_of_queries(portfolio, fit, django_assert_num_queries):
    for i in range(3):
        ScoreFactory(project=project(portfolio, f"P-{i}", budget="10"), criterion=fit)
    with django_assert_num_queries(7):
        ranking_data(portfolio=portfolio, fiscal_year=2026, today=TODAY)


def test_the_score_grid_shows_live_projects_with_their_stamp_and_priority(portfolio, fit, risk):
    p = project(portfolio, "A-1")
    project(portfolio, "B-2", state="proposed")
    project(portfolio, "Z-9", state="closed")
    ScoreFactory(project=p, criterion=fit, score=5)
    grid = score_grid(portfolio=portfolio)
    assert [r.project.code for r in grid.rows] == ["A-1", "B-2"]
    assert grid.rows[0].priority == D("100.00") and grid.rows[0].scored == 1
    assert (grid.complete, grid.unscored) == (0, 1)
    assert [(c.name, c.share) for c in grid.criteria] == [  # heaviest first
        ("Strategic fit", D("75.0")),
        ("Delivery risk", D("25.0")),
    ]
    todo = score_grid(portfolio=portfolio, show="todo")
    assert [r.project.code for r in todo.rows] == ["A-1", "B-2"]
    ScoreFactory(project=p, criterion=risk, score=1)
    assert [r.project.code for r in score_grid(portfolio=portfolio, show="todo").rows] == ["B-2"]
    assert grid.rows[0].stamp != score_grid(portfolio=portfolio).rows[0].stamp


def test_an_unrelated_portfolio_is_untouched(other_portfolio):
    PortfolioFactory()
    assert ranked(other_portfolio).rows == []
