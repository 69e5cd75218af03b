"""Reads behind the status section: a project's reports, one report, last period's report,
and the rules' suggestion shown beside a draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from projects.choices import LifecycleState, ReportState
from projects.health import project_health_suggestion
from projects.metrics import HealthSuggestion, report_due_period_end
from projects.models import Project, StatusReport
from projects.services.dates import add_months, month_end, reporting_window
from projects.services.status import DIMENSIONS, current_reports

IN_FLIGHT_STATES = (LifecycleState.APPROVED, LifecycleState.ACTIVE, LifecycleState.ON_HOLD)

DIMENSION_LABELS = {
    "overall": "Overall",
    "schedule": "Schedule",
    "cost": "Cost",
    "scope": "Scope",
    "risk": "Risk",
}


PERIODS_OFFERED = 36  # the start form lists this many months back; older ones can be typed


def reporting_periods(
    *, project: Project, reports: list[StatusReport], today: date
) -> list[tuple[date, str]]:
    """The periods a new report can be started for, newest first, as (period end, label):
    the reporting calendar's month ends without a report, each labelled with where it stands
    (in progress, due, overdue). No query: `reports` are the project's current reports."""
    first, last = reporting_window(project, today=today)
    due = report_due_period_end(today)
    taken = {r.period_end for r in reports}
    periods = []
    month = last
    while month >= first and len(periods) < PERIODS_OFFERED:
        if month not in taken:
            if month > due:
                note = " (in progress)"
            elif month == due:
                note = " (due)"
            else:
                note = " (overdue)"
            periods.append((month, f"{month:%B %Y}{note}"))
        month = month_end(add_months(month, -1))
    return periods


def default_period(periods: list[tuple[date, str]], *, today: date) -> date | None:
    """The period a new report proposes: the one due (last month), else the month in
    progress, else the latest still open."""
    open_periods = [d for d, _ in periods]
    due = report_due_period_end(today)
    for choice in (due, month_end(today)):
        if choice in open_periods:
            return choice
    return open_periods[0] if open_periods else None


def report_flag(*, project: Project, last_period_end: date | None, today: date) -> str:
    """'due' when a project in flight lacks the report of the period just ended, 'overdue'
    when it lacks an earlier one too, '' otherwise ("My projects" marks them)."""
    if project.state not in IN_FLIGHT_STATES:
        return ""
    due = report_due_period_end(today)
    first = month_end(project.baseline_start)
    if first > due:
        return ""  # its first period has not ended yet
    if last_period_end is not None and last_period_end >= due:
        return ""
    before = month_end(add_months(due, -1))
    if (last_period_end is not None and last_period_end >= before) or first == due:
        return "due"
    return "overdue"


def overridden_dimensions(report: StatusReport) -> list[str]:
    """The dimensions where a submitted report's RAG differs from the rules' frozen
    suggestion (empty for a draft: its suggestion is not frozen yet)."""
    suggested = report.suggested_rags or {}
    return [d for d in DIMENSIONS if d in suggested and getattr(report, f"{d}_rag") != suggested[d]]


def status_reports(*, project: Project) -> list[StatusReport]:
    """The project's reports (current versions: a corrected report shows as its correction),
    newest period first, with its author. One query.

    Each report carries `overridden` (the dimensions that differ from the rules)."""
    reports = list(
        current_reports()
        .filter(project=project)
        .select_related("author", "corrected_by")
        .order_by("-period_end", "-pk")
    )
    for report in reports:
        report.overridden = overridden_dimensions(report)
    return reports


def status_report_of(*, project: Project, pk: int) -> StatusReport:
    """One report of the project (raises StatusReport.DoesNotExist), with its author and,
    for a correction or a corrected version, the versions either side (any version stays
    readable at its own URL)."""
    report = StatusReport.objects.select_related(
        "author", "corrected_by", "supersedes", "superseded_by__corrected_by"
    ).get(project=project, pk=pk)
    report.project = project  # already loaded: the services read it without a query
    report.overridden = overridden_dimensions(report)
    return report


def previous_report(*, report: StatusReport) -> StatusReport | None:
    """Last period's submitted report, shown beside a report for reference. One query."""
    previous = (
        current_reports()
        .filter(
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
