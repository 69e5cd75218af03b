"""The project lifecycle: the one place a project's state changes (DESIGN.md §3).

    proposed → approved → active ⇄ on hold → closed
        ↘ cancelled (from any state that is not closed or cancelled)

Every move goes through `project_transition`: it checks the move is allowed and has the reason
it needs, writes the state with the version the caller saw (a concurrent change is a
ConflictError, never overwritten), keeps the dates that follow from it (the hold date that
freezes planned value; the actual finish of a closed project), audits it with the reason,
and marks the rollup stale. Rebalancing (governance.services.rebalance) calls it for each
project it moves, and so will gate decisions; nothing else writes `Project.state`
(projects/tests/test_lifecycle.py holds that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from ppm.audit import acting_as
from projects.choices import LifecycleState as S
from projects.models import Project
from projects.services.common import DomainError, mark_rollup_stale, save_versioned


@dataclass(frozen=True)
class Move:
    label: str  # the choice: "Approve", "Put on hold"
    done: str  # past tense, for messages and the audit: "approved", "put on hold"
    needs_reason: bool
    effect: str  # what follows, said where the move is chosen


_CANCEL = Move("Cancel", "cancelled", True, "it ends here and stays in the history and figures")

# (from, to) → the move. Closed and cancelled are history: nothing leaves them.
MOVES: dict[tuple[str, str], Move] = {
    (S.PROPOSED, S.APPROVED): Move(
        "Approve", "approved", False, "the proposal becomes a project, ready to start"
    ),
    (S.APPROVED, S.ACTIVE): Move("Start", "started (active)", False, "work begins: active"),
    (S.APPROVED, S.ON_HOLD): Move(
        "Put on hold", "put on hold", True, "its plan from this month on is released"
    ),
    (S.ACTIVE, S.ON_HOLD): Move(
        "Put on hold",
        "put on hold",
        True,
        "planned value stops today and its plan from this month on is released",
    ),
    (S.ON_HOLD, S.ACTIVE): Move("Resume", "resumed (active)", False, "back to active"),
    (S.ACTIVE, S.CLOSED): Move(
        "Close", "closed", True, "finished: the actual finish is today unless already set"
    ),
    **{(state, S.CANCELLED): _CANCEL for state in (S.PROPOSED, S.APPROVED, S.ACTIVE, S.ON_HOLD)},
}
MAX_REASON = 1000


def moves_from(state: str) -> list[tuple[str, Move]]:
    """The states a project in `state` may move to, with their moves, in lifecycle order."""
    order = list(S.values)
    return sorted(
        ((to, move) for (frm, to), move in MOVES.items() if frm == state),
        key=lambda item: order.index(item[0]),
    )


def refusal(state: str, to: str) -> str | None:
    """Why a project in `state` cannot move to `to`; None when it can."""
    if to not in S.values:
        return f"“{to}” is not a project state."
    if (state, to) in MOVES:
        return None
    label, target = S(state).label.lower(), S(to).label.lower()
    if state in (S.CLOSED, S.CANCELLED):
        return f"The project is {label}: nothing can change its state any more."
    if state == to:
        return f"The project is already {label}."
    if state == S.PROPOSED and to == S.ON_HOLD:
        return "A proposal has not started, so it cannot be put on hold: cancel it instead."
    allowed = ", ".join(S(t).label.lower() for t, _ in moves_from(state))
    return f"A project that is {label} cannot become {target} (it can become: {allowed})."


def project_transition(
    *,
    project: Project,
    to: str,
    by,
    reason: str = "",
    expected_version: int,
    today: date | None = None,
    audit_reason: str | None = None,
    extra_fields: tuple[str, ...] | list[str] = (),
) -> Project:
    """Move `project` to state `to`. Raises DomainError (a move the lifecycle forbids, or a
    missing reason, with `field`) or ConflictError (the project changed since
    `expected_version`). `audit_reason` replaces the audit text (a rebalance records its
    whole decision); the reason itself is what the user typed."""
    why = refusal(project.state, to)
    if why:
        raise DomainError(why, field="state")
    move = MOVES[(project.state, to)]
    reason = reason.strip()
    if move.needs_reason and not reason:
        raise DomainError(f"Say why the project is {move.done}.", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"Keep the reason under {MAX_REASON} characters.", field="reason")
    today = today or timezone.localdate()
    fields = ["state", "on_hold_since", *extra_fields]
    project.state = to
    # The hold date freezes planned value and releases the rest of the plan (reporting).
    project.on_hold_since = today if to == S.ON_HOLD else None
    if to == S.CLOSED and project.actual_finish is None:
        project.actual_finish = max(today, project.baseline_start)
        fields.append("actual_finish")
    text = audit_reason or f"Project {move.done}" + (f": {reason}" if reason else "")
    with transaction.atomic(), acting_as(by, reason=text):
        save_versioned(project, expected_version=expected_version, fields=fields)
        mark_rollup_stale(project.pk)
    return project


# How far along the lifecycle a state is, for gates: a gate moves a project forward only.
_RANK = {S.PROPOSED: 0, S.APPROVED: 1, S.ACTIVE: 2, S.ON_HOLD: 2, S.CLOSED: 3, S.CANCELLED: 3}


def project_pass_gate(
    *,
    project: Project,
    gate: str,
    phase: str,
    to: str | None,
    by,
    expected_version: int,
    reason: str,
    today: date | None = None,
) -> Project:
    """Record that `project` passed the stage gate named `gate`: it enters `phase` and, when
    the gate says so, moves to state `to` by the same rules as any other move (governance's
    gate decisions call this; the project's phase and gate are written nowhere else).

    The reason is the decision's own (who approved which gate under which workflow version);
    it is audited with the change. Raises DomainError or ConflictError as
    `project_transition` does, before anything is written."""
    if to is not None and _RANK.get(project.state, 0) >= _RANK.get(to, 0):
        # The project is there already or past it (a project enrolled mid-way, already active,
        # passes a gate that approves): passing the gate does not move it back.
        to = None
    if to is not None and to != project.state:
        why = refusal(project.state, to)
        if why:
            raise DomainError(f"Passing {gate} would move the project: {why}", field="state")
    fields = ["current_gate", "phase"]
    project.current_gate, project.phase = gate[:100], phase[:100]
    with transaction.atomic(), acting_as(by, reason=reason):
        if to is not None and to != project.state:
            # The state move writes the gate and phase with it, in one versioned save.
            return project_transition(
                project=project,
                to=to,
                by=by,
                reason=reason,
                expected_version=expected_version,
                today=today,
                audit_reason=reason,
                extra_fields=fields,
            )
        save_versioned(project, expected_version=expected_version, fields=fields)
        mark_rollup_stale(project.pk)
    return project
