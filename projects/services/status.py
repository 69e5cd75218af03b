"""Status reports: draft → edit → submit, one per project and reporting period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from ppm.audit import acting_as
from ppm.roles import Role, has_role
from projects.choices import RAG, ReportState
from projects.health import project_health_suggestion
from projects.models import Project, StatusReport
from projects.services.common import (
    ConflictError,
    DomainError,
    mark_rollup_stale,
    save_versioned,
)
from projects.services.dates import check_period_end

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


def current_reports():
    """Status reports no correction supersedes: the ones every list, figure and rollup reads
    (a superseded version is kept for history only)."""
    return StatusReport.objects.filter(superseded_by__isnull=True)


def status_report_start(
    *,
    project: Project,
    period_end: date,
    by,
    copy_from_last: bool = False,
    today: date | None = None,
) -> StatusReport:
    """Open a draft for a period; optionally start from the last submitted report's content.

    Periods are months: a date inside one stands for its month end. Only the reporting
    calendar is accepted (services.dates.check_period_end)."""
    period_end = check_period_end(project, period_end, today=today or timezone.localdate())
    report = StatusReport(project=project, period_end=period_end, author=by)
    if copy_from_last:
        previous = (
            current_reports()
            .filter(project=project, state=ReportState.SUBMITTED, period_end__lt=period_end)
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


def _check_changes(report: StatusReport, changes: dict) -> None:
    """What a draft edit and a correction both refuse: a field that is not editable, and a
    percent complete outside 0–100."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Not editable: {', '.join(sorted(unknown))}.")
    percent = changes.get("percent_complete", report.percent_complete)
    if not Decimal("0") <= Decimal(percent) <= Decimal("100"):
        raise DomainError("Percent complete must be between 0 and 100.", field="percent_complete")


def status_report_update(
    *, report: StatusReport, expected_version: int, by, **changes
) -> StatusReport:
    """Change a draft. Submitted reports are immutable (the database refuses too)."""
    if report.state != ReportState.DRAFT:
        raise DomainError("This report has been submitted and can no longer be changed.")
    _check_changes(report, changes)
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


def status_report_submit_check(*, report: StatusReport) -> dict[str, str]:
    """What submitting the draft now would check, without submitting: raises as
    status_report_submit would (MissingOverrideReasons names every missing reason), else
    returns the rules' suggestion it would freeze. The editor asks for the final
    confirmation only once this passes."""
    if report.state != ReportState.DRAFT:
        raise DomainError("This report has already been submitted.")
    suggested = project_health_suggestion(project=report.project, as_of=report.period_end)
    _check_overrides(report, suggested.as_dict())
    return suggested.as_dict()


def status_report_submit(*, report: StatusReport, expected_version: int, by) -> StatusReport:
    """Submit a draft: the rule suggestions are frozen beside the manager's choices."""
    suggested = status_report_submit_check(report=report)
    report.state = ReportState.SUBMITTED
    report.submitted_at = timezone.now()
    report.suggested_rags = suggested
    report.override_reasons = {
        d: r
        for d, r in (report.override_reasons or {}).items()
        if getattr(report, f"{d}_rag") != suggested[d]
    }
    with transaction.atomic(), acting_as(by):
        save_versioned(
            report,
            expected_version=expected_version,
            fields=("state", "submitted_at", "suggested_rags", "override_reasons"),
        )
        mark_rollup_stale(report.project_id)
    return report


def status_report_discard(*, report: StatusReport, expected_version: int, by) -> None:
    """Throw a draft away (a period started by mistake, or to start again). The audit trail
    keeps what it held; a submitted report cannot be discarded (the database refuses too)."""
    if report.state != ReportState.DRAFT:
        raise DomainError("Only a draft can be discarded; this report has been submitted.")
    with transaction.atomic(), acting_as(by, reason="Draft discarded"):
        deleted, _ = StatusReport.objects.filter(
            pk=report.pk, version=expected_version, state=ReportState.DRAFT
        ).delete()
        if not deleted:
            current = StatusReport.objects.filter(pk=report.pk).first()
            if current is None:
                raise DomainError("This draft has already been discarded.")
            if current.state != ReportState.DRAFT:
                raise DomainError("This report has been submitted meanwhile; it is kept.")
            raise ConflictError(current=current, expected_version=expected_version)
        mark_rollup_stale(report.project_id)


def may_correct_status_report(user) -> bool:
    """Only the PMO (and superusers) correct a submitted report: it is the record directors
    read, so a correction is a governance act, not an edit."""
    return user.is_authenticated and (user.is_superuser or has_role(user, Role.PMO))


def status_report_correct(*, report: StatusReport, by, reason: str, **changes) -> StatusReport:
    """Correct a submitted report by submitting a new version that supersedes it.

    The old version stays untouched (the database refuses to rewrite it) and readable in the
    history; lists, figures and rollups read only the new one. The rules' suggestion frozen at
    the original submission stays the yardstick, so a RAG that differs from it needs a reason
    as on submit. `changes` are the editable fields (EDITABLE_FIELDS)."""
    if not may_correct_status_report(by):
        raise DomainError("Only the PMO corrects a submitted report.")
    if report.state != ReportState.SUBMITTED:
        raise DomainError("Only a submitted report is corrected; a draft is simply edited.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the report is corrected.", field="reason")
    _check_changes(report, changes)
    correction = StatusReport(
        project_id=report.project_id,
        period_end=report.period_end,
        state=ReportState.SUBMITTED,
        author_id=report.author_id,
        suggested_rags=dict(report.suggested_rags or {}),
        supersedes=report,
        correction_reason=reason,
        corrected_by=by,
        submitted_at=timezone.now(),
        **{name: getattr(report, name) for name in EDITABLE_FIELDS},
    )
    for name, value in changes.items():
        setattr(correction, name, value)
    correction.override_reasons = {
        k: v.strip() for k, v in (correction.override_reasons or {}).items() if v and v.strip()
    }
    suggested = correction.suggested_rags
    if all(d in suggested for d in DIMENSIONS):
        _check_overrides(correction, suggested)
        correction.override_reasons = {
            d: r
            for d, r in correction.override_reasons.items()
            if getattr(correction, f"{d}_rag") != suggested[d]
        }
    try:
        with transaction.atomic(), acting_as(by, reason=f"Status report corrected: {reason}"):
            correction.save()
            mark_rollup_stale(report.project_id)
    except IntegrityError:
        # The one-to-one on `supersedes`: someone corrected this version first.
        raise DomainError(
            "This version has just been corrected by someone else; correct the current one."
        ) from None
    return correction
