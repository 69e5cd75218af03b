"""The numbers against worked examples.

The EVM example is the classic textbook one (e.g. PMBOK Guide style exercises): BAC 100,000;
at the status date PV 50,000, the work is 40 % complete and 45,000 has been spent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from projects import metrics
from projects.metrics import EVM, MilestoneDates


@pytest.fixture
def textbook() -> EVM:
    return EVM(
        bac=D("100000"), pv=D("50000"), ev=metrics.earned_value(D("100000"), D("40")), ac=D("45000")
    )


def test_earned_value_is_bac_times_percent_complete(textbook):
    assert textbook.ev == D("40000.00")


def test_variances(textbook):
    assert textbook.cv == D("-5000.00")
    assert textbook.sv == D("-10000.00")


def test_performance_indices(textbook):
    assert textbook.cpi == D("0.8889")
    assert textbook.spi == D("0.8000")


def test_estimates_at_and_to_completion(textbook):
    assert textbook.eac == D("112500.00")
    assert textbook.etc == D("67500.00")
    assert textbook.vac == D("-12500.00")
    assert textbook.tcpi == D("1.0909")


def test_ratios_without_a_denominator_are_not_defined_rather_than_zero():
    nothing_spent = EVM(bac=D("1000"), pv=D("0"), ev=D("0"), ac=D("0"))
    assert nothing_spent.cpi is None
    assert nothing_spent.spi is None
    # No cost efficiency yet: the estimate at completion is the budget.
    assert (nothing_spent.eac, nothing_spent.eac_method) == (D("1000"), metrics.EAC_BY_BUDGET)
    assert nothing_spent.etc == D("1000")
    assert nothing_spent.vac == 0
    assert nothing_spent.tcpi == D("1.0000")

    budget_gone = EVM(bac=D("1000"), pv=D("1000"), ev=D("800"), ac=D("1000"))
    assert budget_gone.tcpi is None


def test_pv_prorates_the_status_dates_month_and_ac_takes_it_whole():
    plan = [(date(2026, 1, 1), D("10")), (date(2026, 2, 1), D("28")), (date(2026, 3, 1), D("40"))]
    assert metrics.planned_value(plan, at=date(2026, 2, 14)) == D("24.00")  # 10 + 28 × 14/28
    assert metrics.planned_value(plan, at=date(2026, 2, 28)) == D("38.00")  # month end: whole
    assert metrics.actual_cost(plan, at=date(2026, 2, 14)) == D("38")
    assert metrics.actual_cost(plan, at=date(2025, 12, 31)) == D("0")


def test_evm_is_measured_at_the_latest_reports_period_end():
    assert metrics.status_date(
        last_report_period_end=date(2026, 5, 31), as_of=date(2026, 6, 15)
    ) == date(2026, 5, 31)
    assert metrics.status_date(last_report_period_end=None, as_of=date(2026, 6, 15)) == date(
        2026, 6, 15
    )


def test_money_stays_decimal(textbook):
    for value in (textbook.cv, textbook.eac, textbook.cpi):
        assert isinstance(value, D)


def test_milestone_slip_uses_the_actual_date_once_achieved():
    assert metrics.milestone_slip_days(baseline=date(2026, 3, 3), forecast=date(2026, 3, 17)) == 14
    assert (
        metrics.milestone_slip_days(
            baseline=date(2026, 3, 3), forecast=date(2026, 3, 17), actual=date(2026, 3, 1)
        )
        == -2
    )


def test_project_slip_is_the_worst_key_milestone_open_or_achieved_late():
    milestones = [
        MilestoneDates(date(2026, 1, 1), date(2026, 1, 31), actual=date(2026, 2, 20)),  # +50
        MilestoneDates(date(2026, 5, 1), date(2026, 5, 11)),  # open, +10
        MilestoneDates(date(2026, 6, 1), date(2026, 6, 4)),  # open, +3
        MilestoneDates(date(2026, 3, 1), date(2026, 3, 9), actual=date(2026, 2, 27)),  # early
        MilestoneDates(date(2026, 7, 1), date(2026, 9, 1), is_key=False),  # not key
    ]
    assert metrics.project_slip_days(milestones) == 50
    # The same milestones, counted where they slipped: the late one achieved and two open.
    assert metrics.slipped_milestones(milestones) == 3
    assert metrics.project_slip_days([]) is None
    assert metrics.slipped_milestones([]) == 0


def test_not_yet_reported_is_not_zero_progress():
    silent = EVM(bac=D("1000"), pv=D("400"), ev=metrics.earned_value(D("1000"), None), ac=D("300"))
    assert silent.ev is None and not silent.reported
    assert (silent.cv, silent.sv, silent.cpi, silent.spi, silent.tcpi) == (None,) * 5
    assert silent.eac == D("1000")
    assert EVM(bac=D("1000"), pv=D("0"), ev=None, ac=D("1300")).eac == D("1300")
    health = metrics.suggest_health(
        cpi=silent.cpi, spi=silent.spi, slip_days=None, max_open_risk_score=None,
        pending_scope_changes=0,
    )  # fmt: skip
    assert health.overall == metrics.GREEN


def test_totals_sum_project_eacs_and_take_ratios_over_reported_projects():
    reported = EVM(bac=D("1000"), pv=D("500"), ev=D("400"), ac=D("500"))
    silent = EVM(bac=D("2000"), pv=D("800"), ev=None, ac=D("900"))
    totals = metrics.EVMTotals.of([reported, silent])
    assert totals.eac == reported.eac + silent.eac == D("1250.00") + D("2000")
    assert (totals.bac, totals.ac, totals.ev) == (D("3000"), D("1400"), D("400"))
    assert totals.cpi == D("0.8000") and totals.spi == D("0.8000")
    assert totals.vac == D("-250.00")


def test_status_is_overdue_only_after_the_first_reporting_period_has_ended():
    today = date(2026, 12, 2)  # November's report is due
    assert not metrics.status_overdue(last_report=None, start=date(2027, 1, 4), today=today)
    assert not metrics.status_overdue(last_report=None, start=date(2026, 12, 1), today=today)
    assert metrics.status_overdue(last_report=None, start=date(2026, 11, 20), today=today)
    assert metrics.status_overdue(
        last_report=date(2026, 10, 31), start=date(2026, 1, 1), today=today
    )
    assert not metrics.status_overdue(
        last_report=date(2026, 11, 30), start=date(2026, 1, 1), today=today
    )


def test_on_time_rate_counts_achieved_milestones_met_by_baseline():
    milestones = [
        MilestoneDates(date(2026, 1, 1), date(2026, 1, 1), actual=date(2026, 1, 1)),
        MilestoneDates(date(2026, 2, 1), date(2026, 2, 1), actual=date(2026, 2, 9)),
        MilestoneDates(date(2026, 3, 1), date(2026, 3, 1), actual=date(2026, 2, 27)),
        MilestoneDates(date(2026, 4, 1), date(2026, 4, 9)),  # open: not counted
    ]
    assert metrics.on_time_rate(milestones) == D("0.6667")
    assert metrics.on_time_rate([]) is None


def test_risk_score_and_expected_monetary_value():
    assert metrics.risk_score(4, 5) == 20
    assert metrics.expected_monetary_value(4, D("250000")) == D("175000.00")
    assert metrics.expected_monetary_value(2, None) == D("0")
    with pytest.raises(ValueError):
        metrics.risk_score(0, 3)


def test_health_rules_pick_the_worst_evidence():
    suggestion = metrics.suggest_health(
        cpi=D("0.90"),
        spi=D("1.02"),
        slip_days=45,
        max_open_risk_score=12,
        pending_scope_changes=0,
    )
    assert suggestion.cost == "amber"
    assert suggestion.schedule == "red"  # SPI is fine but a key milestone slipped 45 days
    assert suggestion.risk == "amber"
    assert suggestion.scope == "green"
    assert suggestion.overall == "red"
    assert "45 days" in suggestion.evidence["schedule"]


def test_health_with_no_evidence_yet_is_green():
    suggestion = metrics.suggest_health(
        cpi=None, spi=None, slip_days=None, max_open_risk_score=None, pending_scope_changes=0
    )
    assert suggestion.as_dict() == dict.fromkeys(
        ["overall", "schedule", "cost", "scope", "risk"], "green"
    )


def test_thresholds_are_inclusive_at_the_boundary():
    t = metrics.HealthThresholds(cpi_amber=D("0.95"), cpi_red=D("0.85"))
    edge = metrics.suggest_health(
        cpi=D("0.95"),
        spi=None,
        slip_days=0,
        max_open_risk_score=15,
        pending_scope_changes=1,
        thresholds=t,
    )
    assert edge.cost == "green"
    assert edge.risk == "red"
    assert edge.scope == "amber"


@pytest.mark.django_db
def test_the_pmo_policy_row_supplies_the_thresholds():
    from portfolio.models import HealthPolicy

    policy = HealthPolicy.current()
    policy.risk_red_score = 20
    policy.save()

    thresholds = metrics.HealthThresholds.from_policy(HealthPolicy.current())
    assert thresholds.risk_red_score == 20
    assert thresholds.cpi_amber == D("0.950")


def test_the_bottom_up_forecast_counts_a_past_month_at_its_actual():
    lines = [
        (date(2026, 10, 1), D("100"), D("90")),  # past: spent 100, once forecast 90
        (date(2026, 11, 1), D("0"), D("500")),  # past, nothing spent: 0
        (date(2026, 12, 1), D("40"), D("200")),  # this month: its forecast
        (date(2027, 1, 1), D("0"), D("300")),
    ]
    assert metrics.bottom_up_forecast(lines, today=date(2026, 12, 2)) == D("600")
