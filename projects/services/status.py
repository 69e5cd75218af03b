"""Status reports: draft → edit → submit, one per project and reporting period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from ppm.audit import acting_as
from projects.choices import RAG, ReportState
from projects.health import project_health_suggestion
from projects.models import Project, StatusReport
from projects.services.common import DomainError, mark_rollup_stale, save_versioned

DIMENSIONS = ("overall", "schedule", "cost", "scope", "risk")
EDITABLE_FIELDS = (
    *(f"{d}_rag" for d in DIMENSIONS),
    "narrative",
    "achievements",
    "next_steps",
    "percent_complete",
    "override_reasons",
)
COPIED_FIELDS = (*(f"{d}_rag" for d in DIMENSIONS), "narrative", "next_steps", "percent_complete")


def status_report_start(
    *, project: Project, period_end: date, by, copy_from_last: bool = False
) -> StatusReport:
    """Open a draft for a period; optionally start from the last submitted report's content."""
    report = StatusReport(project=project, period_end=period_end, author=by)
    if copy_from_last:
        previous = (
            StatusReport.objects.filter(
                project=project, state=ReportState.SUBMITTED, period_end__lt=period_end
            )
            .order_by("-period_end")
            .first()
        )
        if previous is None:
            raise DomainError("There is no earlier submitted report to copy from.")
        for name in COPIED_FIELDS:
            setattr(report, name, getattr(previous, name))
        # Last period's next steps are this period's starting point for achievements.
        report.achievements = previous.next_steps
        report.next_steps = ""
        report.override_reasons = dict(previous.override_reasons)
    try:
        with transaction.atomic(), acting_as(by):
            report.save()
            mark_rollup_stale(project.pk)
    except IntegrityError:
        raise DomainError(
            f"A report for the period ending {period_end:%d %b %Y} already exists.",
            field="period_end",
        ) from None
    return report


class MissingOverrideReasons(DomainError):
    """Several RAG choices differ from the rules without a reason: one message per reason
    field, so the form can mark every one of them at once (the first is the error's own)."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


def _check_overrides(report: StatusReport, suggested: dict[str, str]) -> None:
    reasons = report.override_reasons or {}
    errors: dict[str, str] = {}
    # The dimensions first: overall usually follows from them.
    for dimension in (*DIMENSIONS[1:], DIMENSIONS[0]):
        chosen = getattr(report, f"{dimension}_rag")
        if chosen != suggested[dimension] and not (reasons.get(dimension) or "").strip():
            errors[f"{dimension}_reason"] = (
                f"{dimension.capitalize()} is {RAG(chosen).label} but the rules suggest "
                f"{RAG(suggested[dimension]).label}: say why."
            )
    if errors:
        raise MissingOverrideReasons(errors)


def status_report_update(
    *, report: StatusReport, expected_version: int, by, **changes
) -> StatusReport:
    """Change a draft. Submitted reports are immutable (the database refuses too)."""
    if report.state != ReportState.DRAFT:
        raise DomainError("This report has been submitted and can no longer be changed.")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Not editable: {', '.join(sorted(unknown))}.")
    percent = changes.get("percent_complete", report.percent_complete)
    if not Decimal("0") <= Decimal(percent) <= Decimal("100"):
        raise DomainError("Percent complete must be between 0 and 100.", field="percent_complete")
    for name, value in changes.items():
        setattr(report, name, value)
    if "override_reasons" in changes:
        report.override_reasons = {
            k: v.strip() for k, v in changes["override_reasons"].items() if v and v.strip()
        }
    with transaction.atomic(), acting_as(by):
        save_versioned(report, expected_version=expected_version, fields=changes)
        mark_rollup_stale(report.project_id)
    return report


def status_report_submit(*, report: StatusReport, expected_version: int, by) -> StatusReport:
    """Submit a draft: the rule suggestions are frozen beside the manager's choices."""
    if report.state != ReportState.DRAFT:
        raise DomainError("This report has already been submitted.")
    suggested = project_health_suggestion(project=report.project, as_of=report.period_end)
    _check_overrides(report, suggested.as_dict())
    report.state = ReportState.SUBMITTED
    report.submitted_at = timezone.now()
    report.suggested_rags = suggested.as_dict()
    report.override_reasons = {
        d: r
        for d, r in (report.override_reasons or {}).items()
        if getattr(report, f"{d}_rag") != suggested.as_dict()[d]
    }
    with transaction.atomic(), acting_as(by):
        save_versioned(
            report,
            expected_version=expected_version,
            fields=("state", "submitted_at", "suggested_rags", "override_reasons"),
        )
        mark_rollup_stale(report.project_id)
    return report
