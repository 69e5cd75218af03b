"""What waits for a user's decision: submitted change requests they may decide (the PMO: all;
a director: those of their portfolios), oldest first, with how long each has waited against
the decision deadline. Gate reviews join them once the gate engine exists (issue 10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from ppm.roles import Role, has_role
from projects.choices import ChangeRequestState
from projects.models import ChangeRequest


@dataclass(frozen=True)
class Waiting:
    change: ChangeRequest
    waited_days: int
    overdue: bool


def decisions_waiting(user, *, now: datetime | None = None) -> list[Waiting]:
    """One query, whatever the number waiting."""
    changes = ChangeRequest.objects.filter(state=ChangeRequestState.SUBMITTED)
    if not (user.is_superuser or has_role(user, Role.PMO)):
        if not has_role(user, Role.DIRECTOR):
            return []
        changes = changes.filter(project__portfolio__director=user)
    now = now or timezone.now()
    sla = settings.CHANGE_REQUEST_DECISION_DAYS
    rows = []
    for change in changes.select_related("project__portfolio", "raised_by").order_by(
        "submitted_at", "pk"
    ):
        waited = (now - (change.submitted_at or change.created_at)).days
        rows.append(Waiting(change, waited, waited > sla))
    return rows
