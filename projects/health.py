"""Read the evidence behind one project's rule-based health and ask the rules (metrics.py)."""

from __future__ import annotations

from datetime import date

from django.db.models import Case, F, IntegerField, Max, Q, Sum, When
from django.db.models.functions import Coalesce

from portfolio.models import HealthPolicy
from projects import metrics
from projects.choices import ChangeRequestState, RaidStatus, ReportState
from projects.models import ChangeRequest, CostLine, Milestone, Project, Risk, StatusReport


def project_evm(*, project: Project, as_of: date) -> metrics.EVM:
    """EVM of one project, measured at its status date (the latest submitted report's period
    end on or before `as_of`), by the definitions in metrics.py. Two queries."""
    report = (
        StatusReport.objects.filter(
            project=project,
            state=ReportState.SUBMITTED,
            period_end__lte=as_of,
            superseded_by__isnull=True,
        )
        .order_by("-period_end")
        .values("percent_complete", "period_end")
        .first()
    )
    at = metrics.status_date(
        last_report_period_end=report["period_end"] if report else None, as_of=as_of
    )
    lines = list(
        CostLine.objects.filter(project=project, month__lte=at.replace(day=1)).values_list(
            "month", "planned", "actual"
        )
    )
    bac = project.budget_at_completion
    return metrics.EVM(
        bac=bac,
        pv=metrics.planned_value([(m, p) for m, p, _ in lines], at=at),
        ev=metrics.earned_value(bac, report["percent_complete"] if report else None),
        ac=metrics.actual_cost([(m, a) for m, _, a in lines], at=at),
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
