"""Milestones: plan, reforecast (with a reason, history kept), achieve, re-baseline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ppm.audit import acting_as
from projects.models import Milestone, MilestoneForecast, Project
from projects.services.common import DomainError, mark_rollup_stale, save_versioned
from projects.services.dates import check_within_project


def _check_within_project(project: Project, value: date, field: str) -> None:
    if value < project.baseline_start:
        raise DomainError(
            f"The date is before the project starts ({project.baseline_start:%d %b %Y}).",
            field=field,
        )
    check_within_project(project, value, field=field)


def _record_forecast(milestone: Milestone, *, by, reason: str) -> None:
    MilestoneForecast.objects.create(
        milestone=milestone,
        as_of=timezone.localdate(),
        forecast_date=milestone.forecast_date,
        reason=reason,
        recorded_by=by,
    )


def milestone_create(
    *,
    project: Project,
    name: str,
    baseline_date: date,
    by,
    forecast_date: date | None = None,
    is_key: bool = True,
    weight: Decimal = Decimal("1"),
    description: str = "",
) -> Milestone:
    """Plan a new milestone; its first forecast is its baseline unless stated otherwise."""
    _check_within_project(project, baseline_date, "baseline_date")
    if forecast_date is not None:
        _check_within_project(project, forecast_date, "forecast_date")
    milestone = Milestone(
        project=project,
        name=name.strip(),
        description=description,
        is_key=is_key,
        weight=weight,
        baseline_date=baseline_date,
        forecast_date=forecast_date or baseline_date,
    )
    if not milestone.name:
        raise DomainError("A milestone needs a name.", field="name")
    with transaction.atomic(), acting_as(by):
        milestone.save()
        _record_forecast(milestone, by=by, reason="Planned")
        mark_rollup_stale(project.pk)
    return milestone


def milestone_update(
    *,
    milestone: Milestone,
    expected_version: int,
    by,
    name: str,
    description: str,
    is_key: bool,
    weight: Decimal,
) -> Milestone:
    """Change a milestone's descriptive fields (dates have their own, audited actions)."""
    if not name.strip():
        raise DomainError("A milestone needs a name.", field="name")
    milestone.name, milestone.description = name.strip(), description
    milestone.is_key, milestone.weight = is_key, weight
    with transaction.atomic(), acting_as(by):
        save_versioned(
            milestone,
            expected_version=expected_version,
            fields=("name", "description", "is_key", "weight"),
        )
        mark_rollup_stale(milestone.project_id)
    return milestone


def milestone_reforecast(
    *, milestone: Milestone, expected_version: int, forecast_date: date, by, reason: str
) -> Milestone:
    """Move a milestone's forecast. A reason is required; every forecast is kept for the
    slip-trend chart."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the forecast moves.", field="reason")
    if milestone.actual_date is not None:
        raise DomainError("This milestone is already achieved.", field="forecast_date")
    _check_within_project(milestone.project, forecast_date, "forecast_date")
    if forecast_date == milestone.forecast_date:
        raise DomainError("That is already the forecast date.", field="forecast_date")
    milestone.forecast_date = forecast_date
    with transaction.atomic(), acting_as(by, reason=reason):
        save_versioned(milestone, expected_version=expected_version, fields=("forecast_date",))
        _record_forecast(milestone, by=by, reason=reason)
        mark_rollup_stale(milestone.project_id)
    return milestone


def milestone_achieve(
    *, milestone: Milestone, expected_version: int, actual_date: date, by
) -> Milestone:
    """Mark a milestone achieved on a date (not in the future)."""
    if actual_date > timezone.localdate():
        raise DomainError("A milestone cannot be achieved in the future.", field="actual_date")
    _check_within_project(milestone.project, actual_date, "actual_date")
    milestone.actual_date = actual_date
    with transaction.atomic(), acting_as(by, reason="Achieved"):
        save_versioned(milestone, expected_version=expected_version, fields=("actual_date",))
        mark_rollup_stale(milestone.project_id)
    return milestone


def milestone_rebaseline(
    *, milestone: Milestone, expected_version: int, baseline_date: date, by, reason: str
) -> Milestone:
    """Move the baseline itself: a separate, deliberate and audited act (it resets slip)."""
    reason = reason.strip()
    if not reason:
        raise DomainError(
            "Re-baselining needs a reason (e.g. the approved change).", field="reason"
        )
    _check_within_project(milestone.project, baseline_date, "baseline_date")
    milestone.baseline_date = baseline_date
    with transaction.atomic(), acting_as(by, reason=f"Re-baselined: {reason}"):
        save_versioned(milestone, expected_version=expected_version, fields=("baseline_date",))
        mark_rollup_stale(milestone.project_id)
    return milestone
