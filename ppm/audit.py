"""The audit trail: who changed what, when, from what to what.

Rows are written by PostgreSQL triggers (django-pghistory), so bulk updates and raw SQL are
recorded as faithfully as a form save. The acting user and the reason travel as context:
the middleware attaches the signed-in user to every web request, and services wrap their
writes in `acting_as(...)` so background jobs and commands are attributed too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import pghistory
from django.contrib.auth import get_user_model
from django.db import models
from pghistory.models import Events

from ppm.audit_trackers import BASELINE_LABEL

# Bookkeeping columns whose changes say nothing to a reader of the history.
_HIDDEN_FIELDS = {"version", "updated_at", "created_at"}


class DecimalJSONDecoder(json.JSONDecoder):
    """Decode JSON numbers with a fraction as Decimal, so audited money keeps its exact digits."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        super().__init__(*args, **kwargs)


def install_decimal_decoding() -> None:
    """Make the audit events' JSON fields decode money as Decimal, not float.

    pghistory's aggregate Events model declares its JSON fields without a decoder; setting one
    at start-up (ppm.apps) is the narrowest way to keep 125000.00 from becoming 125000.0.
    """
    for name in ("pgh_data", "pgh_diff"):
        Events._meta.get_field(name).decoder = DecimalJSONDecoder


@contextmanager
def acting_as(user, *, reason: str = "") -> Iterator[None]:
    """Attribute every audited write inside the block to `user`, with an optional reason."""
    context = {"user": user.pk if user is not None else None}
    if reason:
        context["reason"] = reason
    with pghistory.context(**context):
        yield


@dataclass(frozen=True)
class AuditEntry:
    when: datetime
    action: str  # "insert", "update" or "delete"
    model: str
    object_id: str
    user_id: int | None
    user_name: str
    reason: str
    changes: dict[str, tuple[object, object]]
    # False for the first recorded change of a row whose earlier state the trail never saw
    # (recorded before baseline snapshots existed): what changed is then unknown.
    before_known: bool = True
    data: dict[str, object] = field(default_factory=dict)  # the row as this event left it


def history_for(*objs: models.Model, limit: int = 100) -> list[AuditEntry]:
    """Audit entries of the given objects, newest first, in two queries."""
    events = list(
        Events.objects.tracks(*objs)
        .exclude(pgh_label=BASELINE_LABEL)
        .order_by("-pgh_created_at", "-pgh_id")[:limit]
    )
    return entries_from_events(events)


def entries_from_events(events: list[Events]) -> list[AuditEntry]:
    """Turn pghistory events into audit entries, resolving every acting user in one query.

    Baseline snapshots (ppm.audit_trackers) are not changes: they only give the next update
    something to compare with, and are left out.
    """
    events = [event for event in events if event.pgh_label != BASELINE_LABEL]
    user_ids = {(event.pgh_context or {}).get("user") for event in events} - {None}
    users = {
        user.pk: (user.get_full_name() or user.get_username())
        for user in get_user_model().objects.filter(pk__in=user_ids)
    }
    entries = []
    for event in events:
        context = event.pgh_context or {}
        diff = event.pgh_diff or {}
        changes = {
            name: (pair[0], pair[1]) for name, pair in diff.items() if name not in _HIDDEN_FIELDS
        }
        user_id = context.get("user")
        entries.append(
            AuditEntry(
                when=event.pgh_created_at,
                action=event.pgh_label,
                model=event.pgh_obj_model,
                object_id=str(event.pgh_obj_id),
                user_id=user_id,
                user_name=users.get(user_id, "system"),
                reason=context.get("reason", ""),
                changes=changes,
                # An update always changes a tracked column, so no diff means no earlier
                # snapshot to compare with.
                before_known=not (event.pgh_label == "update" and event.pgh_diff is None),
                data=event.pgh_data or {},
            )
        )
    return entries
