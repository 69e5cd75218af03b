"""The audit trail's baseline tracker: a snapshot of a row as it was before its first audited
change, written only when the row has no audit event yet.

pghistory records each change as a snapshot of the new row and works out "from what" by
comparing with the object's previous snapshot. A row that was written while auditing was off
(the demo seed switches the triggers off for its bulk load; rows that predate auditing; a
restore) has no previous snapshot, so its first change had nothing to be compared with and
the history could not say what changed. This tracker closes that gap where it opens: on an
update of such a row it stores the OLD row, labelled "baseline", just before pghistory stores
the NEW one, so the first change diffs like every later one.

Why lazily in the trigger rather than a backfill of every row: a backfill would double the
audit volume of a large seed (a million cost lines, almost none ever edited), would have to be
repeated after every future bulk load that bypasses the triggers, and would still miss rows
loaded after it ran. The check costs one index probe on the event table's object id per
audited update, and writes a row only the first time.

Kept apart from ppm.audit because settings import it, before the apps are ready.
"""

from __future__ import annotations

import pgtrigger
from pghistory.core import UpdateEvent
from pghistory.trigger import Event

BASELINE_LABEL = "baseline"


class _BaselineTrigger(Event):
    """pghistory's event trigger, guarded so that it inserts only for an object without events."""

    def get_func(self, model):
        if self.level != pgtrigger.Row:  # pragma: no cover - settings pin row level
            raise NotImplementedError("baseline snapshots are written by row-level triggers")
        insert = super().get_func(model).func
        suffix = "RETURN NULL;"
        if not insert.endswith(suffix):  # pragma: no cover - guards a pghistory upgrade
            raise AssertionError(f"unexpected pghistory event function: {insert!r}")
        table = self.event_model._meta.db_table
        pk = self.event_model._meta.get_field("pgh_obj").related_model._meta.pk.column
        # Table and column names come from the models, never from input.
        return pgtrigger.Func(
            f'IF NOT EXISTS (SELECT 1 FROM "{table}" WHERE "pgh_obj_id" = OLD."{pk}") THEN '  # noqa: S608
            f"{insert.removesuffix(suffix).strip()} END IF; {suffix}"
        )


class BaselineEvent(UpdateEvent):
    """On an update of a row the audit trail has never seen, snapshot the row as it was.

    PostgreSQL fires triggers of the same kind in name order: "baseline_update" sorts before
    pghistory's "update_update", so the baseline is stored first and the update diffs with it.
    """

    label = BASELINE_LABEL
    row = "OLD"

    def add_event_trigger(self, event_model):
        pgtrigger.register(
            _BaselineTrigger(
                event_model=event_model,
                label=self.label,
                name=self.trigger_name,
                row=self.row,
                operation=self.operation,
                condition=self.condition,
                level=self.level,
            )
        )(event_model.pgh_tracked_model)
