"""The PMO's scoring criteria: create and change them without surprising anyone.

A change to what a score means (weight, scale, direction, active) changes the priority score
of every project scored on that criterion, so those projects' rollups are marked stale in the
same transaction, with one set-based statement, and recomputed after commit.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q

from governance.access import may_manage_criteria
from portfolio.models import ScoringCriterion
from ppm.audit import acting_as
from projects.models import ProjectScore
from projects.services.common import DomainError, mark_rollups_stale_selected, save_versioned

SCALE_FLOOR = 0
SCALE_CEILING = 10  # projects.ProjectScore stores 0..10
MAX_WEIGHT = Decimal("999.99")
# Fields whose change alters the priority score of projects scored on the criterion.
SCORING_FIELDS = ("weight", "scale_min", "scale_max", "higher_is_better", "active")
EDITABLE_FIELDS = ("name", "description", *SCORING_FIELDS)


def _validate(
    *,
    name: str,
    weight: Decimal,
    scale_min: int,
    scale_max: int,
) -> None:
    if not name.strip():
        raise DomainError("A criterion needs a name.", field="name")
    if weight < 0:
        raise DomainError("A weight cannot be negative.", field="weight")
    if weight > MAX_WEIGHT:
        raise DomainError(f"A weight is at most {MAX_WEIGHT}.", field="weight")
    if weight != weight.quantize(Decimal("0.01")):
        raise DomainError("A weight has at most two decimals.", field="weight")
    if not SCALE_FLOOR <= scale_min <= SCALE_CEILING:
        raise DomainError(
            f"The scale starts between {SCALE_FLOOR} and {SCALE_CEILING}.", field="scale_min"
        )
    if not SCALE_FLOOR <= scale_max <= SCALE_CEILING:
        raise DomainError(
            f"The scale ends between {SCALE_FLOOR} and {SCALE_CEILING}.", field="scale_max"
        )
    if scale_max <= scale_min:
        raise DomainError("The top of the scale must be above its bottom.", field="scale_max")


def _require_pmo(by) -> None:
    if not may_manage_criteria(by):
        raise DomainError("Only the PMO defines scoring criteria.")


def _lock_criteria() -> list[ScoringCriterion]:
    """Lock every criterion row (a small table): the checks across criteria below (a unique
    name, at least one weighted active criterion) then hold until commit."""
    return list(ScoringCriterion.objects.select_for_update().order_by("pk"))


def _keeps_a_weighted_criterion(
    criteria: list[ScoringCriterion], changed: ScoringCriterion
) -> bool:
    others = (c for c in criteria if c.pk != changed.pk)
    return (changed.active and changed.weight > 0) or any(c.active and c.weight > 0 for c in others)


def _name_taken(criteria: list[ScoringCriterion], name: str, pk: int | None) -> bool:
    return any(c.name.casefold() == name.casefold() and c.pk != pk for c in criteria)


def mark_scored_projects_stale(criterion_id: int) -> int:
    """Mark the rollup of every project scored on the criterion stale, in one statement, and
    request a recompute after commit. Returns the number of projects marked."""
    return mark_rollups_stale_selected(
        "SELECT DISTINCT project_id FROM projects_projectscore WHERE criterion_id = %s",
        [criterion_id],
    )


def criterion_create(
    *,
    by,
    name: str,
    weight: Decimal,
    scale_min: int = 1,
    scale_max: int = 5,
    higher_is_better: bool = True,
    description: str = "",
    active: bool = True,
) -> ScoringCriterion:
    """Add a scoring criterion. No project is scored on it yet, so no score changes."""
    _require_pmo(by)
    name = name.strip()
    _validate(name=name, weight=weight, scale_min=scale_min, scale_max=scale_max)
    criterion = ScoringCriterion(
        name=name,
        description=description.strip(),
        weight=weight,
        scale_min=scale_min,
        scale_max=scale_max,
        higher_is_better=higher_is_better,
        active=active,
    )
    try:
        with transaction.atomic(), acting_as(by, reason=f"Scoring criterion added: {name}"):
            criteria = _lock_criteria()
            if _name_taken(criteria, name, None):
                raise DomainError("A criterion with this name exists already.", field="name")
            if not _keeps_a_weighted_criterion(criteria, criterion):
                raise DomainError(
                    "At least one active criterion needs a weight above zero, or no project "
                    "can have a priority score.",
                    field="weight",
                )
            criterion.save()
    except IntegrityError as error:  # the unique name, lost to a concurrent insert
        raise DomainError("A criterion with this name exists already.", field="name") from error
    return criterion


def _describe(criterion: ScoringCriterion, changes: dict[str, object]) -> str:
    """The audit reason: what changed in words (weights with two decimals)."""

    def shown(field: str, value: object) -> str:
        if field == "higher_is_better":
            return "higher is better" if value else "lower is better"
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return str(value)

    parts = []
    for field, value in changes.items():
        if field == "description":
            parts.append("description")
        elif field == "active":
            parts.append("reactivated" if value else "deactivated")
        elif field == "higher_is_better":
            parts.append(f"direction {shown(field, not value)} → {shown(field, value)}")
        else:
            before = getattr(criterion, field)
            parts.append(
                f"{field.replace('_', ' ')} {shown(field, before)} → {shown(field, value)}"
            )
    return f"Scoring criterion “{criterion.name}” changed: " + ", ".join(parts)


def criterion_update(
    *, criterion: ScoringCriterion, expected_version: int, by, **fields: object
) -> tuple[ScoringCriterion, int]:
    """Change a criterion's name, description, weight, scale, direction or active flag.

    Refuses a scale that would leave existing scores outside it, and a change that would
    leave no active criterion with a weight (every priority score would be undefined).
    Returns the criterion and the number of projects whose priority score will recompute.
    """
    _require_pmo(by)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
    if "description" in fields:
        fields["description"] = str(fields["description"]).strip()
    after = {name: fields.get(name, getattr(criterion, name)) for name in EDITABLE_FIELDS}
    _validate(
        name=after["name"],
        weight=after["weight"],
        scale_min=after["scale_min"],
        scale_max=after["scale_max"],
    )
    changes = {k: v for k, v in fields.items() if getattr(criterion, k) != v}
    if not changes:
        return criterion, 0
    reason = _describe(criterion, changes)
    marked = 0
    try:
        with transaction.atomic(), acting_as(by, reason=reason):
            criteria = _lock_criteria()
            if _name_taken(criteria, after["name"], criterion.pk):
                raise DomainError("A criterion with this name exists already.", field="name")
            outside = ProjectScore.objects.filter(criterion_id=criterion.pk).filter(
                Q(score__lt=after["scale_min"]) | Q(score__gt=after["scale_max"])
            )
            if {"scale_min", "scale_max"} & changes.keys() and (n := outside.count()):
                raise DomainError(
                    f"{n} project score{'s' if n != 1 else ''} would fall outside "
                    f"{after['scale_min']}–{after['scale_max']}: widen the scale, or rescore "
                    "those projects first.",
                    field="scale_min" if "scale_min" in changes else "scale_max",
                )
            candidate = ScoringCriterion(pk=criterion.pk, **after)
            if not _keeps_a_weighted_criterion(criteria, candidate):
                raise DomainError(
                    "At least one active criterion needs a weight above zero, or no project "
                    "can have a priority score.",
                    field="active" if "active" in changes else "weight",
                )
            # Work on a copy: the caller's object stays as it was if anything below refuses.
            updated = copy.copy(criterion)
            for name, value in changes.items():
                setattr(updated, name, value)
            save_versioned(updated, expected_version=expected_version, fields=changes)
            if set(SCORING_FIELDS) & changes.keys():
                marked = mark_scored_projects_stale(criterion.pk)
    except IntegrityError as error:
        raise DomainError("A criterion with this name exists already.", field="name") from error
    return updated, marked
