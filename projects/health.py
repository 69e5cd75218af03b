"""Read the evidence behind one project's rule-based health and ask the rules (metrics.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Case, F, IntegerField, Max, Q, Sum, When
from django.db.models.functions import Coalesce

from portfolio.models import HealthPolicy
from projects import metrics
from projects.choices import ChangeRequestState, RaidStatus, ReportState
from projects.models import (
    BudgetBaseline,
    BudgetBaselineMonth,
    ChangeRequest,
    CostLine,
    Milestone,
    Project,
    Risk,
    StatusReport,
)


def latest_report(project: Project, *, on_or_before: date = date.max) -> dict | None:
    """The project's latest current submitted report on or before a day (a correction counts
    in its current version): its percent complete and period end."""
    return (
        StatusReport.objects.filter(
            project=project,
            state=ReportState.SUBMITTED,
            period_end__lte=on_or_before,
            superseded_by__isnull=True,
        )
        .order_by("-period_end")
        .values("percent_complete", "period_end")
        .first()
    )


def _by_method(
    project: Project, *, bac: Decimal, percent_complete, at: date, actual: Decimal
) -> Decimal | None:
    """The project's earned-value method at `at` for budget `bac` (metrics); its milestones
    are read only for the weighted-milestones method."""
    method = project.ev_method or project.portfolio.ev_method
    stones = (
        list(project.milestones.values_list("weight", "actual_date"))
        if method == metrics.MILESTONES
        else []
    )
    return metrics.earned_value_by_method(
        method,
        bac=bac,
        percent_complete=percent_complete,
        milestones=stones,
        at=at,
        actual_cost=actual,
        actual_finish=project.actual_finish,
    )


def method_earned_value(project: Project, *, bac: Decimal, at: date) -> Decimal | None:
    """What the project's method gives at date `at` for budget `bac`, with no baseline
    adjustment: what a new budget baseline carries and offsets (projects.services.baseline)."""
    report = latest_report(project, on_or_before=at)
    actual = metrics.actual_cost(
        CostLine.objects.filter(project=project, month__lte=at.replace(day=1)).values_list(
            "month", "actual"
        ),
        at=at,
    )
    return _by_method(
        project,
        bac=bac,
        percent_complete=report["percent_complete"] if report else None,
        at=at,
        actual=actual,
    )


def project_evm(*, project: Project, as_of: date) -> metrics.EVM:
    """EVM of one project, measured at its status date (the latest submitted report's period
    end on or before `as_of`), by the definitions in metrics.py the rollup engine follows:
    the project's EV method, its hold date, and the budget baseline in force (PV on the plan
    in force, EV at the baseline's budget plus what was earned before it)."""
    report = latest_report(project, on_or_before=as_of)
    at = metrics.status_date(
        last_report_period_end=report["period_end"] if report else None, as_of=as_of
    )
    held = metrics.hold_date(state=project.state, on_hold_since=project.on_hold_since, as_of=as_of)
    lines = list(CostLine.objects.filter(project=project).values_list("month", "planned", "actual"))
    baselines = [
        metrics.BaselineFacts(b.effective_month, b.bac, b.ev_carried, b.ev_offset)
        for b in BudgetBaseline.objects.filter(project=project)
    ]
    frozen = (
        list(
            BudgetBaselineMonth.objects.filter(baseline__project=project).values_list(
                "month", "planned"
            )
        )
        if baselines
        else []
    )
    plan = metrics.plan_in_force(
        [(m, p) for m, p, _ in lines],
        frozen,
        frozen_before=max((b.effective_month for b in baselines), default=None),
    )
    ac = metrics.actual_cost([(m, a) for m, _, a in lines], at=at)
    pct = report["percent_complete"] if report else None
    return metrics.EVM(
        bac=project.budget_at_completion,
        pv=metrics.planned_value(plan, at=min(at, held) if held else at),
        ev=metrics.earned_value_in_force(
            lambda bac: _by_method(project, bac=bac, percent_complete=pct, at=at, actual=ac),
            bac=project.budget_at_completion,
            baselines=baselines,
            at=at,
        ),
        ac=ac,
    )


def project_health_suggestion(*, project: Project, as_of: date) -> metrics.HealthSuggestion:
    """The rules' RAG for a project on a date, by the PMO's policy (a handful of aggregates)."""
    evm = project_evm(project=project, as_of=as_of)
    # Worst slip over the key milestones, open or achieved (metrics.project_slip_days).
    slip = Milestone.objects.filter(project=project, is_key=True).aggregate(
        slip=Max(Coalesce("actual_date", "forecast_date") - F("baseline_date"))
    )["slip"]
    risk = (
        Risk.objects.filter(project=project)
        .exclude(status=RaidStatus.CLOSED)
        .aggregate(top=Max(F("probability") * F("impact"), output_field=IntegerField()))["top"]
    )
    pending = ChangeRequest.objects.filter(
        project=project, state=ChangeRequestState.SUBMITTED
    ).aggregate(
        n=Sum(Case(When(~Q(scope_impact=""), then=1), default=0, output_field=IntegerField()))
    )["n"]
    return metrics.suggest_health(
        cpi=evm.cpi,
        spi=evm.spi,
        slip_days=slip.days if slip is not None else None,
        max_open_risk_score=risk,
        pending_scope_changes=pending or 0,
        thresholds=metrics.HealthThresholds.from_policy(HealthPolicy.current()),
    )
