"""Planned and earned value against the budget baseline in force in each period: a re-plan or
an approved change request does not re-rate progress made before it (issue 8)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from portfolio.capacity import add_months
from projects import services
from projects.models import BudgetBaseline, CostLine
from projects.tests.factories import CostLineFactory, ProjectFactory, StatusReportFactory
from reporting.engine import rebuild_series, recompute
from reporting.models import PortfolioMonth, ProjectRollup

pytestmark = pytest.mark.django_db


@pytest.fixture
def halfway(pm):
    """BAC 100,000; five months behind us at 10,000 planned and spent each; the report at the
    end of last month says 50 percent: EV 50,000 = PV = AC, CPI = SPI = 1."""
    today = timezone.localdate()
    this_month = today.replace(day=1)
    project = ProjectFactory(
        manager=pm,
        state="active",
        budget_at_completion=D("100000.00"),
        baseline_start=add_months(this_month, -5),
    )
    for offset in range(-5, 5):
        CostLineFactory(
            project=project,
            month=add_months(this_month, offset),
            planned=D("10000.00"),
            actual=D("10000.00") if offset < 0 else D("0"),
        )
    StatusReportFactory(
        project=project,
        period_end=this_month - timedelta(days=1),
        state="submitted",
        submitted_at=timezone.now(),
        percent_complete=D("50.00"),
    )
    recompute(project_ids=[project.pk], as_of=today)
    return project


def _rollup(project) -> ProjectRollup:
    return ProjectRollup.objects.get(project=project)


def _replan(project, bac: str, by) -> None:
    project.refresh_from_db()
    services.project_replan(
        project=project,
        expected_version=project.version,
        by=by,
        reason="scope added by the steering board",
        budget_at_completion=D(bac),
    )


def test_a_budget_increase_does_not_read_as_an_efficiency_gain(halfway, director):
    before = _rollup(halfway)
    assert (before.ev, before.ac, before.cpi) == (D("50000.00"), D("50000.00"), D("1.0000"))

    _replan(halfway, "140000", director)
    recompute(project_ids=[halfway.pk], as_of=timezone.localdate())

    after = _rollup(halfway)
    # Re-rated, EV would be 140,000 × 50 % = 70,000 and CPI 1.40: a 40 % "gain" from a budget.
    assert after.bac == D("140000.00")
    assert (after.ev, after.cpi, after.spi) == (D("50000.00"), D("1.0000"), D("1.0000"))
    first, second = BudgetBaseline.objects.filter(project=halfway).order_by("number")
    assert (first.bac, second.bac) == (D("100000.00"), D("140000.00"))
    assert second.effective_month == timezone.localdate().replace(day=1)
    assert (second.ev_carried, second.ev_offset) == (D("50000.00"), D("70000.00"))
    assert second.reason == "scope added by the steering board"


def test_progress_after_the_re_baseline_is_rated_at_the_new_budget(halfway, director):
    _replan(halfway, "140000", director)
    this_month = timezone.localdate().replace(day=1)
    month_end = add_months(this_month, 1) - timedelta(days=1)
    StatusReportFactory(
        project=halfway,
        period_end=month_end,
        state="submitted",
        submitted_at=timezone.now(),
        percent_complete=D("60.00"),
    )
    recompute(project_ids=[halfway.pk], as_of=month_end)
    rollup = _rollup(halfway)
    # 50,000 earned before, then 10 points of 140,000.
    assert rollup.ev == D("64000.00")
    assert rollup.pv == D("60000.00")  # five frozen months and this one


def test_re_planning_past_months_does_not_move_planned_value(halfway, director):
    _replan(halfway, "140000", director)
    last_month = add_months(timezone.localdate().replace(day=1), -1)
    CostLine.objects.filter(project=halfway, month=last_month).update(planned=D("30000.00"))
    recompute(project_ids=[halfway.pk], as_of=timezone.localdate())
    assert _rollup(halfway).pv == D("50000.00")  # the plan in force last month: 10,000


def test_the_s_curve_keeps_past_months_at_the_baseline_then_in_force(halfway, director):
    rebuild_series()
    before = list(PortfolioMonth.objects.filter(portfolio=halfway.portfolio).order_by("month"))
    _replan(halfway, "140000", director)
    last_month = add_months(timezone.localdate().replace(day=1), -1)
    CostLine.objects.filter(project=halfway, month=last_month).update(planned=D("30000.00"))
    recompute(project_ids=[halfway.pk], as_of=timezone.localdate())
    rebuild_series()
    after = list(PortfolioMonth.objects.filter(portfolio=halfway.portfolio).order_by("month"))
    past = [(m.month, m.planned, m.ev) for m in before if m.month <= last_month]
    assert past == [(m.month, m.planned, m.ev) for m in after if m.month <= last_month]
    assert [m.ev for m in after if m.month == last_month] == [D("50000.00")]


def test_two_changes_in_one_month_amend_its_baseline(halfway, director):
    _replan(halfway, "140000", director)
    _replan(halfway, "120000", director)
    baselines = list(BudgetBaseline.objects.filter(project=halfway).order_by("number"))
    assert [b.bac for b in baselines] == [D("100000.00"), D("120000.00")]
    assert baselines[1].ev_offset == D("60000.00")
    recompute(project_ids=[halfway.pk], as_of=timezone.localdate())
    assert _rollup(halfway).ev == D("50000.00")


def test_a_project_not_yet_begun_changes_budget_without_a_baseline(pm, director):
    start = add_months(timezone.localdate().replace(day=1), 2)
    project = ProjectFactory(
        manager=pm,
        budget_at_completion=D("1000"),
        baseline_start=start,
        baseline_finish=add_months(start, 6),
    )
    _replan(project, "2000", director)
    assert not BudgetBaseline.objects.filter(project=project).exists()


def test_an_approved_change_with_a_cost_impact_is_a_re_baseline(halfway, pm, pmo):
    change = services.change_request_raise(
        project=halfway,
        by=pm,
        title="Add a second data centre",
        description="Resilience asked for by audit.",
        schedule_impact_days=0,
        cost_impact=D("40000"),
    )
    services.change_request_decide(
        request=change,
        expected_version=change.version,
        by=pmo,
        approve=True,
        comment="Agreed at the board.",
    )
    recompute(project_ids=[halfway.pk], as_of=timezone.localdate())
    assert BudgetBaseline.objects.filter(project=halfway).count() == 2
    rollup = _rollup(halfway)
    assert (rollup.bac, rollup.ev, rollup.cpi) == (D("140000.00"), D("50000.00"), D("1.0000"))


def test_the_project_page_lists_its_baselines_and_the_one_in_force(client, halfway, pmo):
    _replan(halfway, "140000", pmo)
    client.force_login(pmo)
    page = client.get(f"/projects/{halfway.pk}/").content.decode()
    table = page.split('data-testid="budget-baselines"', 1)[1].split("</table>", 1)[0]
    assert "100,000" in table and "140,000" in table and "in force" in table
    assert "50,000" in table  # earned before the new budget took effect
    assert "scope added by the steering board" in table


# --- The plan of a month a status report has measured is fixed ----------------------------


def _cell(project, month, amount: str, by):
    line = CostLine.objects.filter(project=project, month=month).first()
    return services.cost_cell_set(
        project=project,
        key=services.CellKey(month, line.expense_type, line.category),
        amount_field="planned",
        amount=D(amount),
        by=by,
        expected_version=line.version,
    )


def test_the_plan_of_a_reported_month_is_fixed_and_later_months_stay_open(halfway, pm):
    this_month = timezone.localdate().replace(day=1)
    last_month = add_months(this_month, -1)
    with pytest.raises(services.DomainError, match="is fixed"):
        _cell(halfway, last_month, "30000", pm)
    _cell(halfway, last_month, "10000", pm)  # the same amount: nothing changes, it passes
    _cell(halfway, this_month, "12000", pm)  # not measured yet: the plan is open
    recompute(project_ids=[halfway.pk], as_of=timezone.localdate())
    assert _rollup(halfway).pv == D("50000.00")


def test_a_file_changing_a_reported_months_plan_shows_that_rows_error(halfway):
    last_month = add_months(timezone.localdate().replace(day=1), -1)
    line = CostLine.objects.filter(project=halfway, month=last_month).first()
    text = (
        "month,expense_type,category,planned\n"
        f"{last_month:%Y-%m},{line.expense_type},{line.category},30000\n"
        f"{last_month:%Y-%m},{line.expense_type},{line.category},10000\n"
    )
    preview = services.cost_csv_preview(text, project=halfway)
    assert [(e.row, "is fixed" in e.message) for e in preview.errors] == [(2, True)]


def test_the_grid_shows_reported_months_plan_read_only(client, halfway, pmo):
    last_month = add_months(timezone.localdate().replace(day=1), -1)
    line = CostLine.objects.filter(project=halfway, month=last_month).first()
    client.force_login(pmo)
    page = client.get(f"/projects/{halfway.pk}/costs/").content.decode()
    key = f"{last_month:%Y-%m}_{line.expense_type}_{line.category}"
    planned = page.split(f'id="c-{key}_planned"', 1)[1].split("</td>", 1)[0]
    actual = page.split(f'id="c-{key}_actual"', 1)[1].split("</td>", 1)[0]
    assert "readonly" in planned and "has measured this month" in planned
    assert "readonly" not in actual
    assert f"The plan up to {last_month:%b %Y} is fixed" in page
