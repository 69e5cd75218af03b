"""Project-level writes: creating a project, editing its details, and the one path through which
its plan and budget change (project_replan)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from ppm.access import can_change
from ppm.audit import acting_as
from ppm.roles import Role, has_role
from projects.models import Project
from projects.services.baseline import record_budget_change
from projects.services.common import DomainError, mark_rollup_stale, save_versioned
from projects.services.dates import check_calendar

PLAN_FIELDS = ("forecast_finish", "budget_at_completion")
MAX_BUDGET = Decimal("99999999999999.99")  # the column's 16 digits
CODE_PATTERN = r"^[A-Z0-9][A-Z0-9-]{1,19}$"
DETAIL_FIELDS = ("name", "description", "category", "delivery_method", "manager", "sponsor")


def _check_budget(value: Decimal) -> None:
    if not Decimal("0") <= value <= MAX_BUDGET:
        raise DomainError(
            "The budget is an amount from 0 to 99,999,999,999,999.99.",
            field="budget_at_completion",
        )


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
        _check_budget(budget_at_completion)
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


def _check_people(manager, sponsor) -> None:
    if manager is None or not has_role(manager, Role.PROJECT_MANAGER) or not manager.is_active:
        raise DomainError("The manager must be an active project manager.", field="manager")
    if sponsor is not None and not sponsor.is_active:
        raise DomainError("The sponsor must be an active user.", field="sponsor")


def project_create(
    *,
    by,
    portfolio,
    code: str,
    name: str,
    manager,
    category: str,
    baseline_start: date,
    baseline_finish: date,
    budget_at_completion: Decimal,
    description: str = "",
    delivery_method: str = "waterfall",
    sponsor=None,
    ev_method: str = "",
    approved_by_review: bool = False,
) -> Project:
    """A new project, proposed, in `portfolio`: the PMO's or its director's, or an intake
    request's whose review approved it (`approved_by_review`: the review's panel is the
    authority, whoever cast the deciding vote). Everything is checked first; a code already
    taken is refused next to its field."""
    # The PMO and the portfolio's director (ppm.access: they change the portfolio).
    if not approved_by_review and not can_change(by, portfolio):
        raise DomainError("Only the PMO or the portfolio's director creates its projects.")
    code = code.strip().upper()
    if not re.match(CODE_PATTERN, code):
        raise DomainError(
            "A code is 2 to 20 capital letters, digits and hyphens, e.g. ENT-110.", field="code"
        )
    if not name.strip():
        raise DomainError("Give the project a name.", field="name")
    for value, field in ((baseline_start, "baseline_start"), (baseline_finish, "baseline_finish")):
        check_calendar(value, field=field)
    if baseline_finish < baseline_start:
        raise DomainError("The finish cannot be before the start.", field="baseline_finish")
    _check_budget(budget_at_completion)
    _check_people(manager, sponsor)
    with transaction.atomic(), acting_as(by, reason="Project created"):
        try:
            with transaction.atomic():
                project = Project.objects.create(
                    code=code,
                    name=name.strip(),
                    description=description.strip(),
                    portfolio=portfolio,
                    manager=manager,
                    sponsor=sponsor,
                    category=category,
                    delivery_method=delivery_method,
                    baseline_start=baseline_start,
                    baseline_finish=baseline_finish,
                    budget_at_completion=budget_at_completion,
                    ev_method=ev_method,
                )
        except IntegrityError:
            # The code's unique constraint, whether taken before or at the same instant.
            if not Project.objects.filter(code=code).exists():
                raise
            raise DomainError(f"{code} is taken: choose another code.", field="code") from None
        mark_rollup_stale(project.pk)
    return project


def project_edit(
    *,
    project: Project,
    by,
    expected_version: int,
    reason: str = "",
    budget_at_completion: Decimal | None = None,
    forecast_finish: date | None = None,
    **details,
) -> Project:
    """Change a project's details (name, description, category, delivery method, manager,
    sponsor) and, with a reason, its plan (budget at completion, a re-baseline from this
    month; forecast finish) — one transaction, against the version the editor saw."""
    if not can_change(by, project.portfolio):
        raise DomainError("Only the PMO or the portfolio's director edits this project.")
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    if "name" in details and not str(details["name"]).strip():
        raise DomainError("Give the project a name.", field="name")
    _check_people(details.get("manager", project.manager), details.get("sponsor", project.sponsor))
    changes = {k: v for k, v in details.items() if getattr(project, k) != v}
    plan_changes = (
        budget_at_completion is not None and budget_at_completion != project.budget_at_completion
    ) or (forecast_finish is not None and forecast_finish != project.forecast_finish)
    if plan_changes and not reason.strip():
        raise DomainError(
            "Say why the budget or the finish changes: it is kept in the history.",
            field="reason",
        )
    if not changes and not plan_changes:
        return project
    with transaction.atomic(), acting_as(by, reason=reason.strip() or "Project details edited"):
        version = expected_version
        if changes:
            for name, value in changes.items():
                setattr(project, name, value)
            save_versioned(project, expected_version=version, fields=changes)
            version = project.version
            mark_rollup_stale(project.pk)
        if plan_changes:
            project_replan(
                project=project,
                expected_version=version,
                by=by,
                reason=reason.strip(),
                budget_at_completion=budget_at_completion,
                forecast_finish=forecast_finish,
            )
    return project
