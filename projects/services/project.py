"""Project-level edits: the one path through which a project's plan and budget change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ppm.audit import acting_as
from projects.models import Project
from projects.services.baseline import record_budget_change
from projects.services.common import DomainError, mark_rollup_stale, save_versioned
from projects.services.dates import check_calendar

PLAN_FIELDS = ("forecast_finish", "budget_at_completion")


def project_replan(
    *,
    project: Project,
    expected_version: int,
    by,
    reason: str,
    forecast_finish: date | None = None,
    budget_at_completion: Decimal | None = None,
    baseline_finish: date | None = None,
) -> Project:
    """Change a project's forecast finish, budget at completion and/or (an approved change
    re-baselined) baseline finish, with a reason."""
    changes: dict[str, object] = {}
    if baseline_finish is not None:
        check_calendar(baseline_finish, field="baseline_finish")
        if baseline_finish < project.baseline_start:
            raise DomainError(
                "The finish cannot be before the project starts.", field="baseline_finish"
            )
        changes["baseline_finish"] = baseline_finish
    if forecast_finish is not None:
        check_calendar(forecast_finish, field="forecast_finish")
        if forecast_finish < project.baseline_start:
            raise DomainError(
                "The finish cannot be before the project starts.", field="forecast_finish"
            )
        changes["forecast_finish"] = forecast_finish
    if budget_at_completion is not None:
        if budget_at_completion < 0:
            raise DomainError("The budget cannot be negative.", field="budget_at_completion")
        changes["budget_at_completion"] = budget_at_completion
    if not changes:
        return project
    old_bac = project.budget_at_completion
    for name, value in changes.items():
        setattr(project, name, value)
    with transaction.atomic(), acting_as(by, reason=reason):
        save_versioned(project, expected_version=expected_version, fields=changes)
        if budget_at_completion is not None and budget_at_completion != old_bac:
            # A new budget is a re-baseline: progress made so far keeps its value.
            record_budget_change(
                project=project,
                old_bac=old_bac,
                new_bac=budget_at_completion,
                today=timezone.localdate(),
                by=by,
                reason=reason,
            )
        mark_rollup_stale(project.pk)
    return project
