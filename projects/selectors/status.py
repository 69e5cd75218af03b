"""Reads behind the status section: a project's reports, one report, last period's report,
and the rules' suggestion shown beside a draft."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from projects.choices import ReportState
from projects.health import project_health_suggestion
from projects.metrics import HealthSuggestion
from projects.models import Project, StatusReport
from projects.services.status import DIMENSIONS

DIMENSION_LABELS = {
    "overall": "Overall",
    "schedule": "Schedule",
    "cost": "Cost",
    "scope": "Scope",
    "risk": "Risk",
}


def month_end(day: date) -> date:
    """The last day of `day`'s month: the default end of a reporting period."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def overridden_dimensions(report: StatusReport) -> list[str]:
    """The dimensions where a submitted report's RAG differs from the rules' frozen
    suggestion (empty for a draft: its suggestion is not frozen yet)."""
    suggested = report.suggested_rags or {}
    return [d for d in DIMENSIONS if d in suggested and getattr(report, f"{d}_rag") != suggested[d]]


def status_reports(*, project: Project) -> list[StatusReport]:
    """Every report of the project, newest period first, with its author. One query.

    Each report carries `overridden` (the dimensions that differ from the rules)."""
    reports = list(
        StatusReport.objects.filter(project=project)
        .select_related("author")
        .order_by("-period_end", "-pk")
    )
    for report in reports:
        report.overridden = overridden_dimensions(report)
    return reports


def status_report_of(*, project: Project, pk: int) -> StatusReport:
    """One report of the project (raises StatusReport.DoesNotExist), with its author."""
    report = StatusReport.objects.select_related("author").get(project=project, pk=pk)
    report.project = project  # already loaded: the services read it without a query
    report.overridden = overridden_dimensions(report)
    return report


def previous_report(*, report: StatusReport) -> StatusReport | None:
    """Last period's submitted report, shown beside a report for reference. One query."""
    previous = (
        StatusReport.objects.filter(
            project_id=report.project_id,
            state=ReportState.SUBMITTED,
            period_end__lt=report.period_end,
        )
        .select_related("author")
        .order_by("-period_end")
        .first()
    )
    if previous is not None:
        previous.overridden = overridden_dimensions(previous)
    return previous


@dataclass(frozen=True)
class DimensionView:
    """One RAG dimension of a report as the editor and the report page show it."""

    key: str
    label: str
    chosen: str
    suggested: str | None
    evidence: str
    reason: str

    @property
    def overridden(self) -> bool:
        return self.suggested is not None and self.chosen != self.suggested


def report_dimensions(
    *, report: StatusReport, suggestion: HealthSuggestion | None = None
) -> list[DimensionView]:
    """The five dimensions with the rules' suggestion beside the manager's choice.

    A submitted report shows the suggestion frozen at submission; a draft shows `suggestion`
    (the rules as they read the project today)."""
    if report.state == ReportState.SUBMITTED or suggestion is None:
        suggested = report.suggested_rags or {}
        evidence: dict[str, str] = {}
    else:
        suggested = suggestion.as_dict()
        evidence = {**suggestion.evidence, "overall": "the worst of the four dimensions"}
    reasons = report.override_reasons or {}
    return [
        DimensionView(
            key=d,
            label=DIMENSION_LABELS[d],
            chosen=getattr(report, f"{d}_rag"),
            suggested=suggested.get(d),
            evidence=evidence.get(d, ""),
            reason=reasons.get(d, ""),
        )
        for d in DIMENSIONS
    ]


def rules_suggestion(*, report: StatusReport) -> HealthSuggestion:
    """What the rules say for the report's period, from the project's current figures."""
    return project_health_suggestion(project=report.project, as_of=report.period_end)
