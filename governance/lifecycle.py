"""Which lifecycle moves a portfolio rebalance may make, and where each one leads.

The project lifecycle (DESIGN.md §3) is proposed → approved → active ↔ on hold → closed |
cancelled. A rebalance defers, cancels or resumes projects:

- defer puts an approved or active project on hold. A proposal is not started, so there is
  nothing to hold: it is cancelled, or simply left below the cut line;
- cancel ends any project that is not finished yet;
- resume brings a project on hold back to active.

Closed and cancelled projects are history: nothing moves them.
"""

from __future__ import annotations

from django.db import models

from projects.choices import LifecycleState as S
from projects.services.lifecycle import MOVES
from projects.services.lifecycle import refusal as lifecycle_refusal


class RebalanceAction(models.TextChoices):
    KEEP = "keep", "Keep"
    DEFER = "defer", "Defer"
    CANCEL = "cancel", "Cancel"
    RESUME = "resume", "Resume"


# Projects a portfolio is still deciding about: they are ranked and may draw on the budget.
LIVE_STATES: tuple[str, ...] = (S.PROPOSED, S.APPROVED, S.ACTIVE, S.ON_HOLD)
# Live projects whose plan for the rest of the year draws on the envelope and on capacity.
# A project on hold keeps what it has spent so far, but its remaining plan is released.
DRAWING_STATES: frozenset[str] = frozenset({S.PROPOSED, S.APPROVED, S.ACTIVE})

TARGET_STATE: dict[str, str] = {
    RebalanceAction.DEFER: S.ON_HOLD,
    RebalanceAction.CANCEL: S.CANCELLED,
    RebalanceAction.RESUME: S.ACTIVE,
}


def _from(to: str) -> frozenset[str]:
    # The lifecycle service (projects.services.lifecycle) owns which moves exist.
    return frozenset(frm for frm, target in MOVES if target == to)


_ALLOWED_FROM: dict[str, frozenset[str]] = {
    RebalanceAction.DEFER: _from(S.ON_HOLD),
    RebalanceAction.CANCEL: _from(S.CANCELLED),
    # Resuming is from on hold only: approved → active is starting, not a rebalance.
    RebalanceAction.RESUME: _from(S.ACTIVE) & {S.ON_HOLD},
}

# Past tense, for messages and the audit reason.
DONE: dict[str, str] = {
    RebalanceAction.DEFER: "deferred (on hold)",
    RebalanceAction.CANCEL: "cancelled",
    RebalanceAction.RESUME: "resumed (active)",
}


def actions_for(state: str) -> list[str]:
    """The actions offered for a project in `state`, "keep" first."""
    return [RebalanceAction.KEEP] + [
        action for action, states in _ALLOWED_FROM.items() if state in states
    ]


def refusal(state: str, action: str) -> str | None:
    """Why `action` cannot be applied to a project in `state`; None when it can. The
    lifecycle service says why a move is refused; a rebalance adds what is its own: resuming
    is from on hold only."""
    if action not in _ALLOWED_FROM:
        return f"“{action}” is not a rebalance action."
    if state in _ALLOWED_FROM[action]:
        return None
    if action == RebalanceAction.RESUME and state not in (S.CLOSED, S.CANCELLED):
        label = S(state).label.lower() if state in S.values else state
        return f"Only a project on hold can be resumed; this one is {label}."
    return lifecycle_refusal(state, TARGET_STATE[action])
