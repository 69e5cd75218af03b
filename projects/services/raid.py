"""The RAID log: risks, issues, assumptions and dependencies, closed only with a resolution."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from ppm.access import can_view
from ppm.audit import acting_as
from projects.choices import RaidStatus
from projects.models import Dependency, Milestone, Project, Risk
from projects.services.common import DomainError, mark_rollup_stale, save_versioned
from projects.services.dates import check_within_project

RISK_FIELDS = (
    "title",
    "description",
    "probability",
    "impact",
    "cost_impact",
    "response",
    "response_plan",
    "owner",
    "due_date",
    "status",
)
ITEM_FIELDS = ("title", "description", "owner", "due_date", "status")


def _check_common(of: Project | Model, values: dict) -> None:
    """`of`: the project, or the item whose project is read only when a due date is given."""
    if "title" in values and not (values["title"] or "").strip():
        raise DomainError("A title is required.", field="title")
    if values.get("status") == RaidStatus.CLOSED:
        raise DomainError("Use 'close' to close an item: it needs a resolution.", field="status")
    if values.get("due_date") is not None:
        project = of if isinstance(of, Project) else of.project
        check_within_project(project, values["due_date"], field="due_date", what="Due dates")


def _check_risk(values: dict) -> None:
    for name in ("probability", "impact"):
        if name in values and not 1 <= int(values[name]) <= 5:
            raise DomainError(f"{name.capitalize()} is scored 1 to 5.", field=name)
    cost = values.get("cost_impact")
    if cost is not None and Decimal(cost) < 0:
        raise DomainError("A cost impact cannot be negative.", field="cost_impact")


def raid_create(*, model: type[Model], project: Project, by, **values) -> Model:
    """Log a new risk, issue, assumption or dependency against a project."""
    _check_common(project, {"title": values.get("title", ""), **values})
    if model is Risk:
        _check_risk(values)
    if model is Dependency:
        _check_dependency(project, values, by=by)
    item = model(project=project, **values)
    with transaction.atomic(), acting_as(by):
        item.save()
        mark_rollup_stale(project.pk)
    return item


def _check_dependency(
    project: Project, values: dict, *, by, previous: Project | None = None
) -> None:
    depends_on = values.get("depends_on")
    if depends_on is None:
        raise DomainError("Choose the project this one depends on.", field="depends_on")
    if depends_on.pk == project.pk:
        raise DomainError("A project cannot depend on itself.", field="depends_on")
    # Naming a project reveals that it exists: only one the user may see can be chosen. An
    # unchanged link is left alone, so an edit never fails because someone else's project
    # moved out of the editor's sight.
    unchanged = previous is not None and previous.pk == depends_on.pk
    if not unchanged and by is not None and not can_view(by, depends_on):
        raise DomainError("Choose a project you can see.", field="depends_on")
    milestone: Milestone | None = values.get("milestone")
    if milestone is not None and milestone.project_id != project.pk:
        raise DomainError("That milestone belongs to another project.", field="milestone")
    other: Milestone | None = values.get("depends_on_milestone")
    if other is not None and other.project_id != depends_on.pk:
        raise DomainError(
            "That milestone is not in the project depended on.", field="depends_on_milestone"
        )


def raid_update(*, item: Model, expected_version: int, by, **values) -> Model:
    """Edit an open RAID item (closing has its own action)."""
    if item.status == RaidStatus.CLOSED:
        raise DomainError("This item is closed; reopen it to change it.")
    _check_common(item, values)
    if isinstance(item, Risk):
        _check_risk(values)
    if isinstance(item, Dependency):
        _check_dependency(
            item.project,
            {"depends_on": item.depends_on, **values},
            by=by,
            previous=item.depends_on,
        )
    for name, value in values.items():
        setattr(item, name, value)
    with transaction.atomic(), acting_as(by):
        save_versioned(item, expected_version=expected_version, fields=values)
        mark_rollup_stale(item.project_id)
    return item


def raid_close(
    *,
    item: Model,
    expected_version: int,
    by,
    resolution: str,
    changes: Mapping[str, Any] | None = None,
) -> Model:
    """Close an item; the resolution says how it ended (the database insists too).

    `changes` are edits made in the same breath (the other fields of the edit form): they are
    checked as raid_update checks them and saved in the same transaction and version step, so
    closing never drops what the user typed elsewhere on the form.
    """
    resolution = resolution.strip()
    if not resolution:
        raise DomainError("Closing needs a resolution: what happened?", field="resolution")
    if item.status == RaidStatus.CLOSED and item.version == expected_version:
        raise DomainError("This item is already closed.")
    changes = {name: value for name, value in (changes or {}).items() if name != "status"}
    _check_common(item, changes)
    if isinstance(item, Risk):
        _check_risk(changes)
    if isinstance(item, Dependency):
        _check_dependency(
            item.project,
            {"depends_on": item.depends_on, **changes},
            by=by,
            previous=item.depends_on,
        )
    for name, value in changes.items():
        setattr(item, name, value)
    item.status, item.resolution, item.closed_at = RaidStatus.CLOSED, resolution, timezone.now()
    with transaction.atomic(), acting_as(by, reason=resolution):
        save_versioned(
            item,
            expected_version=expected_version,
            fields=(*changes, "status", "resolution", "closed_at"),
        )
        mark_rollup_stale(item.project_id)
    return item


def raid_reopen(*, item: Model, expected_version: int, by, reason: str) -> Model:
    """Reopen a closed item; the reason is kept in the audit trail (the resolution stays)."""
    if item.status != RaidStatus.CLOSED and item.version == expected_version:
        raise DomainError("This item is not closed.")
    if not reason.strip():
        raise DomainError("Say why the item is reopened.", field="reason")
    item.status, item.closed_at = RaidStatus.OPEN, None
    with transaction.atomic(), acting_as(by, reason=reason.strip()):
        save_versioned(item, expected_version=expected_version, fields=("status", "closed_at"))
        mark_rollup_stale(item.project_id)
    return item


def is_overdue(item: Model, *, today: date | None = None) -> bool:
    """Open (not closed) and due before today."""
    today = today or timezone.localdate()
    return item.status != RaidStatus.CLOSED and item.due_date is not None and item.due_date < today
