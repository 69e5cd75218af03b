"""The rollup SQL gives exactly what the Python definitions in metrics.py give."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import metrics, services
from projects.health import project_evm
from projects.models import RollupState
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)
from reporting.engine import recompute
from reporting.models import PortfolioRollup, ProjectRollup

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 6, 15)


def expected(project) -> dict:
    """The rollup of one project by the Python definitions (the specification)."""
    report = (
        project.status_reports.filter(state="submitted", period_end__lte=AS_OF)
        .order_by("-period_end")
        .first()
    )
    pct = report.percent_complete if report else None
    method = project.ev_method or project.portfolio.ev_method
    # The one Python reading of a project's EVM (the status editor's rule suggestion uses it
    # too): EV method, hold date and the budget baseline in force.
    evm = project_evm(project=project, as_of=AS_OF)
    dates = [
        metrics.MilestoneDates(m.baseline_date, m.forecast_date, m.actual_date, m.is_key)
        for m in project.milestones.all()
    ]
    risks = [r for r in project.risks.all() if r.status != "closed"]
    scores = [metrics.risk_score(r.probability, r.impact) for r in risks]
    health = metrics.suggest_health(
        cpi=evm.cpi,
        spi=evm.spi,
        slip_days=metrics.project_slip_days(dates),
        max_open_risk_score=max(scores, default=None),
        pending_scope_changes=0,
    )
    return {
        "pv": evm.pv,
        "ev": evm.ev,
        "ac": evm.ac,
        "cv": evm.cv,
        "sv": evm.sv,
        "cpi": evm.cpi,
        "spi": evm.spi,
        "eac": evm.eac,
        "etc": evm.etc,
        "vac": evm.vac,
        "tcpi": evm.tcpi,
        "slip_days": metrics.project_slip_days(dates),
        "milestones_slipping": metrics.slipped_milestones(dates),
        "percent_complete": pct,
        "ev_method": method,
        "first_report_due": metrics.first_report_period_end(project.baseline_start),
        "on_time_rate": metrics.on_time_rate(dates),
        "exposure": sum(scores),
        "emv": sum(
            (metrics.expected_monetary_value(r.probability, r.cost_impact) for r in risks), D("0")
        ),
        "health_rag": health.overall,
        "schedule_rag": health.schedule,
        "cost_rag": health.cost,
        "risk_rag": health.risk,
    }


def actual(project) -> dict:
    row = ProjectRollup.objects.get(project=project)
    return {name: getattr(row, name) for name in expected(project)}


@pytest.fixture
def busy_project(pm):
    project = ProjectFactory(manager=pm, budget_at_completion=D("100000"))
    for month, planned, spent in [
        (1, "20000", "22000"),
        (2, "20000", "25000"),
        (6, "30000", "1000"),
        (7, "30000", "0"),
    ]:
        CostLineFactory(
            project=project, month=date(2026, month, 1), planned=D(planned), actual=D(spent)
        )
    StatusReportFactory(
        project=project,
        period_end=date(2026, 5, 31),
        state="submitted",
        submitted_at=timezone.now(),
        percent_complete=D("37.5"),
    )
    StatusReportFactory(
        project=project, period_end=date(2026, 6, 30), percent_complete=D("99")
    )  # draft and after as_of: ignored
    MilestoneFactory(
        project=project,
        baseline_date=date(2026, 3, 1),
        forecast_date=date(2026, 3, 1),
        actual_date=date(2026, 3, 4),
    )
    MilestoneFactory(
        project=project,
        baseline_date=date(2026, 5, 1),
        forecast_date=date(2026, 5, 20),
        actual_date=date(2026, 4, 28),
    )
    MilestoneFactory(
        project=project, baseline_date=date(2026, 8, 1), forecast_date=date(2026, 9, 12)
    )
    RiskFactory(project=project, probability=4, impact=5, cost_impact=D("12345.67"))
    RiskFactory(project=project, probability=1, impact=2)
    return project


def test_the_sql_rollup_equals_the_python_definitions(busy_project):
    recompute(as_of=AS_OF)
    assert actual(busy_project) == expected(busy_project)
    # Measured at the May report: EV 37,500; AC Jan–May 47,000; PV Jan–May 40,000.
    assert actual(busy_project)["cpi"] == D("0.7979")
    assert actual(busy_project)["spi"] == D("0.9375")


def test_pv_prorates_the_month_of_a_mid_month_status_date(pm):
    project = ProjectFactory(manager=pm, budget_at_completion=D("3000"))
    CostLineFactory(project=project, month=date(2026, 6, 1), planned=D("3000"))
    StatusReportFactory(
        project=project,
        period_end=date(2026, 6, 10),
        state="submitted",
        submitted_at=timezone.now(),
        percent_complete=D("10"),
    )
    recompute(as_of=AS_OF)
    row = ProjectRollup.objects.get(project=project)
    assert row.pv == D("1000.00")  # 3,000 × 10/30
    assert row.spi == D("0.3000")
    assert actual(project) == expected(project)


def test_a_project_with_no_data_has_not_defined_ratios(pm):
    empty = ProjectFactory(manager=pm)
    recompute(project_ids=[empty.pk], as_of=AS_OF)
    row = ProjectRollup.objects.get(project=empty)
    assert (row.cpi, row.spi, row.tcpi, row.slip_days, row.on_time_rate) == (None,) * 5
    # Not yet reported: no EV (not zero), and the estimate at completion is the budget.
    assert (row.ev, row.cv, row.sv, row.percent_complete) == (None,) * 4
    assert row.eac == empty.budget_at_completion and row.vac == 0
    assert row.health_rag == "green"


def test_a_project_without_a_report_is_not_red_and_leaves_the_portfolio_ratios_alone(pm):
    """Before: SPI 0 and CPI 0, red, and the portfolio's CPI dragged down by its spending."""
    reported = ProjectFactory(manager=pm, budget_at_completion=D("100000"))
    CostLineFactory(project=reported, month=date(2026, 5, 1), planned=D("40000"), actual=D("40000"))
    StatusReportFactory(
        project=reported,
        period_end=date(2026, 5, 31),
        state="submitted",
        submitted_at=timezone.now(),
        percent_complete=D("50"),
    )
    silent = ProjectFactory(
        manager=pm, portfolio=reported.portfolio, budget_at_completion=D("60000")
    )
    CostLineFactory(project=silent, month=date(2026, 5, 1), planned=D("30000"), actual=D("70000"))

    recompute(project_ids=[reported.pk, silent.pk], as_of=AS_OF)

    row = ProjectRollup.objects.get(project=silent)
    assert (row.ev, row.cpi, row.spi) == (None, None, None)
    assert row.cost_rag == row.schedule_rag == "green"
    assert row.eac == D("70000.00")  # already above its budget: AC
    portfolio = PortfolioRollup.objects.get(portfolio=reported.portfolio)
    assert portfolio.cpi == D("1.2500")  # 50,000 earned ÷ 40,000 spent by the reported one
    assert portfolio.spi == D("1.2500")
    # One EAC per level: the portfolio's is the sum of its projects' EACs.
    assert portfolio.eac == D("80000.00") + D("70000.00")
    assert portfolio.ac == D("110000.00")


def test_recompute_clears_the_stale_mark_but_not_a_later_write(pm, busy_project):
    milestone = busy_project.milestones.filter(actual_date__isnull=True).get()
    services.milestone_reforecast(
        milestone=milestone,
        expected_version=milestone.version,
        forecast_date=date(2026, 9, 30),
        by=pm,
        reason="late",
    )
    recompute(project_ids=[busy_project.pk], as_of=AS_OF)
    state = RollupState.objects.get(project=busy_project)
    assert not state.is_stale and state.stale_since is None

    # A write after the claim (simulated: bump requested behind the engine's back).
    RollupState.objects.filter(project=busy_project).update(requested=state.requested + 1)
    assert RollupState.objects.get(project=busy_project).is_stale


def test_recompute_is_a_fixed_number_of_statements(pm, django_assert_max_num_queries):
    for _ in range(5):
        ProjectFactory(manager=pm)
    with django_assert_max_num_queries(24):
        recompute(as_of=AS_OF)
    assert ProjectRollup.objects.count() == 5


def test_an_edits_recompute_leaves_the_series_to_the_debounced_rebuild(
    pm, django_assert_num_queries
):
    """A targeted recompute only marks its portfolio's series stale, in one statement;
    rebuild_series then rebuilds exactly the marked portfolios."""
    from reporting.engine import rebuild_series
    from reporting.models import PortfolioMonth, PortfolioSeriesState

    project = ProjectFactory(manager=pm)
    other = ProjectFactory(manager=pm)
    CostLineFactory(project=project, month=date(2026, 3, 1), planned=D("50.00"))
    recompute(as_of=AS_OF)
    CostLineFactory(project=project, month=date(2026, 4, 1), planned=D("70.00"))
    with django_assert_num_queries(13):
        recompute(project_ids=[project.pk], as_of=AS_OF)
    assert PortfolioMonth.objects.filter(portfolio=project.portfolio).count() == 1
    assert PortfolioSeriesState.objects.get(portfolio=project.portfolio).is_stale
    assert not PortfolioSeriesState.objects.get(portfolio=other.portfolio).is_stale

    assert rebuild_series() == 1
    assert PortfolioMonth.objects.filter(portfolio=project.portfolio).count() == 2
    assert not PortfolioSeriesState.objects.filter(stale_since__isnull=False).exists()
    assert rebuild_series() == 0


@pytest.mark.django_db(transaction=True)
def test_an_edit_reaches_the_rollup_through_a_real_worker(pm, celery_worker):
    import time

    project = ProjectFactory(manager=pm)
    risk = RiskFactory(project=project, probability=1, impact=1)

    services.raid_update(item=risk, expected_version=risk.version, by=pm, probability=5, impact=5)

    deadline = time.monotonic() + 20
    row = None
    while time.monotonic() < deadline:
        row = ProjectRollup.objects.filter(project=project).first()
        if row is not None and row.exposure == 25:
            break
        time.sleep(0.05)
    assert row is not None and row.exposure == 25 and row.risk_rag == "red"
    assert not RollupState.objects.get(project=project).is_stale


def test_portfolio_figures_are_sums_of_their_projects(pm, portfolio, busy_project):
    from reporting.models import PortfolioRollup

    busy_project.portfolio = portfolio
    busy_project.save()
    other = ProjectFactory(portfolio=portfolio, manager=pm, budget_at_completion=D("50000"))
    CostLineFactory(project=other, month=date(2026, 1, 1), planned=D("10000"), actual=D("8000"))
    StatusReportFactory(
        project=other,
        period_end=date(2026, 1, 31),
        state="submitted",
        submitted_at=timezone.now(),
        percent_complete=D("30"),
        overall_rag="green",
    )
    ProjectFactory(
        portfolio=portfolio, manager=pm, state="cancelled", budget_at_completion=D("999999")
    )

    recompute(as_of=AS_OF)

    rows = ProjectRollup.objects.filter(portfolio=portfolio).exclude(state="cancelled")
    totals = PortfolioRollup.objects.get(portfolio=portfolio)
    assert totals.bac == sum(r.bac for r in rows) == D("150000.00")
    assert totals.ev == sum(r.ev for r in rows)
    assert totals.ac == sum(r.ac for r in rows)
    assert totals.cpi == metrics.EVM(bac=totals.bac, pv=totals.pv, ev=totals.ev, ac=totals.ac).cpi
    assert totals.projects == 2
    assert totals.reported_green == 2 and totals.reported_none == 0
    assert (totals.health_green + totals.health_amber + totals.health_red) == 2
    assert totals.exposure == 22


def test_a_second_snapshot_the_same_day_replaces_the_first(busy_project):
    from reporting.engine import snapshot
    from reporting.models import ProjectRollupSnapshot

    recompute(as_of=AS_OF)
    assert snapshot(taken_on=AS_OF) == 1
    ProjectRollup.objects.filter(project=busy_project).update(high_risks=7)
    assert snapshot(taken_on=AS_OF) == 1
    row = ProjectRollupSnapshot.objects.get(project=busy_project)
    rollup = ProjectRollup.objects.get(project=busy_project)
    assert row.cpi == rollup.cpi
    assert row.high_risks == 7
    assert (row.milestones_slipping, row.fy_plan) == (rollup.milestones_slipping, rollup.fy_plan)


def test_priority_score_follows_the_weighted_definition(pm):
    from portfolio.models import ScoringCriterion
    from projects.models import ProjectScore

    value = ScoringCriterion.objects.create(name="Business value", weight=D("3"))
    risk = ScoringCriterion.objects.create(
        name="Delivery risk", weight=D("1"), higher_is_better=False
    )
    ScoringCriterion.objects.create(name="Retired", weight=D("5"), active=False)
    project = ProjectFactory(manager=pm)
    ProjectScore.objects.create(project=project, criterion=value, score=5)
    ProjectScore.objects.create(project=project, criterion=risk, score=2)

    recompute(as_of=AS_OF)

    expected_score = metrics.priority_score(
        [
            metrics.CriterionScore(5, D("3"), 1, 5),
            metrics.CriterionScore(2, D("1"), 1, 5, False),
        ]
    )
    assert expected_score == D("93.75")  # (3 × 1 + 1 × 0.75) / 4
    assert ProjectRollup.objects.get(project=project).priority_score == expected_score


def test_the_s_curve_series_accumulates_earned_value_by_month(pm, portfolio):
    from reporting.models import PortfolioMonth

    project = ProjectFactory(portfolio=portfolio, manager=pm, budget_at_completion=D("1000"))
    CostLineFactory(project=project, month=date(2026, 1, 1), planned=D("100"), actual=D("90"))
    CostLineFactory(project=project, month=date(2026, 2, 1), planned=D("200"), actual=D("0"))
    for period_end, pct in [
        (date(2026, 1, 15), "5"),
        (date(2026, 1, 31), "10"),
        (date(2026, 3, 31), "40"),
    ]:
        StatusReportFactory(
            project=project,
            period_end=period_end,
            state="submitted",
            submitted_at=timezone.now(),
            percent_complete=D(pct),
        )

    recompute(as_of=AS_OF)

    series = list(
        PortfolioMonth.objects.filter(portfolio=portfolio).values_list(
            "month", "planned", "actual", "ev"
        )
    )
    assert series == [
        (date(2026, 1, 1), D("100.00"), D("90.00"), D("100.00")),  # Jan: last report 10 %
        (date(2026, 2, 1), D("200.00"), D("0.00"), D("100.00")),  # no report: EV holds
        (date(2026, 3, 1), D("0.00"), D("0.00"), D("400.00")),
    ]


def test_the_s_curve_earns_value_by_each_projects_method(pm, portfolio):
    """Before: the S-curve's EV line read percent complete whatever the method."""
    from reporting.models import PortfolioMonth

    by_milestones = ProjectFactory(
        portfolio=portfolio, manager=pm, budget_at_completion=D("1000"), ev_method="milestones"
    )
    for weight, done in [("1", date(2026, 1, 20)), ("3", date(2026, 3, 5)), ("4", None)]:
        MilestoneFactory(
            project=by_milestones,
            weight=D(weight),
            baseline_date=date(2026, 4, 1),
            actual_date=done,
        )
    half_half = ProjectFactory(
        portfolio=portfolio,
        manager=pm,
        budget_at_completion=D("600"),
        ev_method="50_50",
        actual_finish=date(2026, 4, 10),
    )
    CostLineFactory(project=half_half, month=date(2026, 2, 1), planned=D("0"), actual=D("50"))
    all_or_nothing = ProjectFactory(
        portfolio=portfolio, manager=pm, budget_at_completion=D("300"), ev_method="0_100"
    )
    StatusReportFactory(
        project=all_or_nothing,
        period_end=date(2026, 3, 31),
        state="submitted",
        submitted_at=timezone.now(),
        percent_complete=D("100"),
    )

    recompute(as_of=AS_OF)

    ev = dict(PortfolioMonth.objects.filter(portfolio=portfolio).values_list("month", "ev"))
    assert ev == {
        date(2026, 1, 1): D("125.00"),  # 1 of 8 weight × 1,000
        date(2026, 2, 1): D("425.00"),  # + half of 600 once money is spent
        date(2026, 3, 1): D("1100.00"),  # 4 of 8 weight: 500; 300; + 300 reported finished
        date(2026, 4, 1): D("1400.00"),  # the 50/50 project finishes: its other 300
    }


def test_demand_is_summed_by_month_and_resource_group(pm, portfolio):
    from portfolio.tests.factories import ResourceFactory
    from projects.models import Allocation
    from reporting.models import PortfolioDemand

    project = ProjectFactory(portfolio=portfolio, manager=pm)
    dev1, dev2 = ResourceFactory(group="Developers"), ResourceFactory(group="Developers")
    Allocation.objects.create(project=project, resource=dev1, month=date(2026, 3, 1), hours=D("80"))
    Allocation.objects.create(
        project=project, resource=dev2, month=date(2026, 3, 1), hours=D("40.5")
    )

    recompute(as_of=AS_OF)

    row = PortfolioDemand.objects.get(portfolio=portfolio)
    assert (row.month, row.resource_group, row.hours) == (
        date(2026, 3, 1),
        "Developers",
        D("120.5"),
    )


def test_a_project_on_hold_releases_its_bookings_from_this_month_on(pm, portfolio):
    from portfolio.tests.factories import ResourceFactory
    from projects.models import Allocation
    from reporting.models import PortfolioDemand

    held = ProjectFactory(portfolio=portfolio, manager=pm, state="on_hold")
    dev = ResourceFactory(group="Developers")
    this_month = AS_OF.replace(day=1)
    for month in (date(2026, 1, 1), this_month):
        Allocation.objects.create(project=held, resource=dev, month=month, hours=D("50"))

    recompute(as_of=AS_OF)

    assert list(
        PortfolioDemand.objects.filter(portfolio=portfolio).values_list("month", "hours")
    ) == [(date(2026, 1, 1), D("50.0"))]


def test_the_project_page_shows_pv_status_date_etc_and_tcpi_or_not_yet_reported(
    client, pm, busy_project
):
    silent = ProjectFactory(manager=pm, budget_at_completion=D("60000"))
    recompute(project_ids=[busy_project.pk, silent.pk], as_of=AS_OF)
    client.force_login(pm)

    page = client.get(reverse("projects:detail", args=[busy_project.pk])).content.decode()
    row = ProjectRollup.objects.get(project=busy_project)
    assert "Status date 31 May 2026" in page
    for label in ("Planned value (PV)", "Estimate to complete (ETC)", "TCPI", "BAC ÷ CPI"):
        assert label in page
    assert f"{row.tcpi:.2f}" in page

    page = client.get(reverse("projects:detail", args=[silent.pk])).content.decode()
    assert "Not yet reported." in page
    assert "budget: no cost efficiency measured yet" in page


@pytest.mark.parametrize(
    ("method", "finished", "expected_ev"),
    [
        # BAC 120,000 × 40 % reported.
        ("percent", None, D("48000.00")),
        # Weight achieved by the 31 May status date: 1 + 2 of 10 (the 2 June one is later).
        ("milestones", None, D("36000.00")),
        # Not finished: nothing yet; finished on 20 May: all of BAC.
        ("0_100", None, D("0")),
        ("0_100", date(2026, 5, 20), D("120000.00")),
        # Started (money spent): half; finished: all.
        ("50_50", None, D("60000.00")),
        ("50_50", date(2026, 5, 20), D("120000.00")),
    ],
)
def test_worked_examples_of_each_earned_value_method(pm, method, finished, expected_ev):
    """docs/metrics.md tells these same examples."""
    project = ProjectFactory(
        manager=pm,
        budget_at_completion=D("120000"),
        ev_method=method,
        actual_finish=finished,
    )
    CostLineFactory(project=project, month=date(2026, 5, 1), planned=D("50000"), actual=D("30000"))
    StatusReportFactory(
        project=project,
        period_end=date(2026, 5, 31),
        state="submitted",
        submitted_at=timezone.now(),
        percent_complete=D("40"),
    )
    for weight, done in [(1, date(2026, 3, 10)), (2, date(2026, 5, 20)), (3, date(2026, 6, 2))]:
        MilestoneFactory(
            project=project, weight=D(weight), baseline_date=done, actual_date=done, is_key=False
        )
    MilestoneFactory(project=project, weight=D("4"), baseline_date=date(2026, 9, 30))

    recompute(project_ids=[project.pk], as_of=AS_OF)

    row = ProjectRollup.objects.get(project=project)
    assert (row.ev_method, row.ev) == (method, expected_ev)
    assert row.cpi == round(expected_ev / D("30000"), 4)


def test_a_project_takes_its_portfolios_method_unless_it_overrides_it(pm, portfolio):
    portfolio.ev_method = "0_100"
    portfolio.save()
    inherits = ProjectFactory(manager=pm, portfolio=portfolio)
    overrides = ProjectFactory(manager=pm, portfolio=portfolio, ev_method="50_50")
    recompute(project_ids=[inherits.pk, overrides.pk], as_of=AS_OF)
    assert ProjectRollup.objects.get(project=inherits).ev_method == "0_100"
    assert ProjectRollup.objects.get(project=overrides).ev_method == "50_50"


def test_a_project_on_hold_plans_nothing_after_its_hold_date(pm, portfolio):
    """Before: an on-hold project kept accruing planned value and turned red."""
    held = ProjectFactory(
        portfolio=portfolio,
        manager=pm,
        state="on_hold",
        on_hold_since=date(2026, 4, 10),
        budget_at_completion=D("120000"),
    )
    for month in range(1, 7):
        CostLineFactory(project=held, month=date(2026, month, 1), planned=D("10000"))
    StatusReportFactory(
        project=held,
        period_end=date(2026, 5, 31),
        state="submitted",
        submitted_at=timezone.now(),
        percent_complete=D("30"),
    )

    recompute(project_ids=[held.pk], as_of=AS_OF)

    row = ProjectRollup.objects.get(project=held)
    # Jan–Mar whole, April to the 10th of 30 days: 30,000 + 3,333.33; nothing after.
    assert row.pv == D("33333.33")
    assert row.ev == D("36000.00") and row.spi == D("1.0800")
    assert row.schedule_rag == "green"
    # Its plan from April on is released from this fiscal year's plan (the envelope share).
    assert row.fy_plan == D("30000.00")


def test_a_huge_ratio_is_stored_not_an_overflow_that_stops_the_recompute(pm):
    """Found by the property test: half of a large BAC earned against one cent spent gave a
    CPI of ~10^8, past the column's size, and the whole recompute failed."""
    project = ProjectFactory(
        manager=pm, budget_at_completion=D("99999999999999.99"), ev_method="50_50"
    )
    CostLineFactory(project=project, month=date(2026, 1, 1), planned=D("0.01"), actual=D("0.01"))
    recompute(project_ids=[project.pk], as_of=AS_OF)
    row = ProjectRollup.objects.get(project=project)
    assert row.cpi == D("5000000000000000.0000")


def test_the_rewritten_tables_are_vacuumed_outside_a_transaction_only(transactional_db):
    from django.db import transaction

    from reporting.engine import vacuum_rewritten

    with transaction.atomic():
        assert vacuum_rewritten() is False  # VACUUM cannot run in a transaction block
    assert vacuum_rewritten() is True
