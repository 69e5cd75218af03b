"""What every project write shares: optimistic locking, the audit context, the stale mark."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection, models, transaction
from django.db.models import F

from projects.tasks import request_recompute

M = TypeVar("M", bound=models.Model)


class DomainError(Exception):
    """A business rule refused the change; `field` names the input it concerns, if any."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class ConflictError(Exception):
    """Someone saved the object after the caller read it: the caller's version is stale.

    `current` is the object as it is now, so the user can see the other person's change
    and re-apply their own input.
    """

    current: models.Model
    expected_version: int

    def __str__(self) -> str:
        return (
            f"{self.current._meta.verbose_name} was changed by someone else "
            f"(you edited version {self.expected_version}, it is now "
            f"version {self.current.version})."
        )


def save_versioned[M: models.Model](obj: M, *, expected_version: int, fields: Iterable[str]) -> M:
    """Write `fields` of `obj` only if its row still has `expected_version`; bump the version.

    One conditional UPDATE: there is no window between the check and the write.
    Raises ConflictError (with the current row) when another save got there first.
    """
    model = type(obj)
    values = {name: getattr(obj, name) for name in fields}
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        values["updated_at"] = model._meta.get_field("updated_at").pre_save(obj, add=False)
    updated = model._default_manager.filter(pk=obj.pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise ConflictError(
            current=model._default_manager.get(pk=obj.pk), expected_version=expected_version
        )
    obj.version = expected_version + 1
    return obj


def mark_rollup_stale(*project_ids: int) -> None:
    """Flag projects' rollups as stale inside the caller's transaction (DESIGN.md §5), and
    request a recompute once the transaction commits (a write never waits for a rollup).

    One statement whatever the number of projects; concurrent writers just bump the counter.
    """
    ids = sorted(set(project_ids))
    if ids:
        mark_rollups_stale_selected("SELECT id FROM unnest(%s::bigint[]) AS id", [ids])


def mark_rollups_stale_selected(select_ids: str, params: list) -> int:
    """Flag stale the rollups of the projects a `SELECT <project id> …` statement names (a
    constant of the caller's, with `params`), in one statement inside the caller's
    transaction, and request a recompute once it commits. Returns how many were marked."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO projects_rollupstate (project_id, requested, computed, stale_since)
            SELECT project_id, 1, 0, now() FROM ({select_ids}) AS chosen (project_id)
            ON CONFLICT (project_id) DO UPDATE
               SET requested = projects_rollupstate.requested + 1,
                   stale_since = COALESCE(projects_rollupstate.stale_since, now())
            """,  # noqa: S608 - select_ids is a caller's constant, values go in params
            params,
        )
        marked = cursor.rowcount
    if marked:
        transaction.on_commit(request_recompute)
    return marked
