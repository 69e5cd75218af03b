"""Rebalancing a portfolio: defer, cancel or resume several projects as one decision.

Everything is checked before anything is written, inside one transaction that holds the
projects' rows: a single refused project (wrong portfolio, illegal move, changed since the
what-if was built) leaves every project as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from governance.lifecycle import DONE, TARGET_STATE, RebalanceAction, refusal
from portfolio.models import Portfolio
from ppm.access import can_change
from projects.models import Project
from projects.services.common import ConflictError, DomainError
from projects.services.lifecycle import project_transition


@dataclass(frozen=True)
class RebalanceChange:
    """One project to move, with the version the user's what-if was built on."""

    project_id: int
    action: str  # a RebalanceAction other than keep
    expected_version: int


class RebalanceRefused(DomainError):
    """Some changes cannot be made; `problems` maps a project id to the reason."""

    def __init__(self, problems: dict[int, str], codes: dict[int, str]) -> None:
        self.problems = problems
        self.codes = codes
        listed = "; ".join(f"{codes.get(pk, f'#{pk}')}: {why}" for pk, why in problems.items())
        super().__init__(f"Nothing was changed. {listed}")


@dataclass
class RebalanceConflict(ConflictError):
    """Projects changed since the what-if was built; `conflicts` holds each one as it is now."""

    conflicts: list[tuple[Project, int]] = field(default_factory=list)

    def __str__(self) -> str:
        codes = ", ".join(
            f"{p.code} (now {p.get_state_display().lower()})" for p, _ in self.conflicts
        )
        return (
            f"Nothing was changed: {codes} changed since you built the what-if. "
            "Review the ranking with the current data and apply again."
        )


def rebalance_reason(projects: Sequence[tuple[Project, str]], reason: str) -> str:
    """The audit reason: what moved, and the user's rationale."""
    moves = "; ".join(f"{p.code} {DONE[action]}" for p, action in projects)
    text = f"Portfolio rebalance: {moves}"
    return f"{text}. {reason.strip()}" if reason.strip() else text


def portfolio_rebalance(
    *, portfolio: Portfolio, changes: Sequence[RebalanceChange], by, reason: str = ""
) -> list[Project]:
    """Apply a what-if: move each project to the state its action leads to, all or nothing.

    Raises DomainError (no change, not allowed), RebalanceRefused (projects outside the
    portfolio or moves the lifecycle forbids) or RebalanceConflict (a project changed since
    its version was read). Marks the moved projects' rollups stale.
    """
    if not can_change(by, portfolio):
        raise DomainError("Only the portfolio's director or the PMO rebalances it.")
    moves = [c for c in changes if c.action != RebalanceAction.KEEP]
    if not moves:
        raise DomainError("Choose at least one project to defer, cancel or resume.")
    ids = [c.project_id for c in moves]
    if len(set(ids)) != len(ids):
        raise DomainError("Each project can be changed once per rebalance.")
    with transaction.atomic():
        # Lock in primary-key order, the same order every rebalance uses: no deadlock.
        locked = {
            p.pk: p for p in Project.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        problems: dict[int, str] = {}
        codes: dict[int, str] = {}
        conflicts: list[tuple[Project, int]] = []
        for change in moves:
            project = locked.get(change.project_id)
            if project is None or project.portfolio_id != portfolio.pk:
                problems[change.project_id] = "not a project of this portfolio."
                continue
            codes[project.pk] = project.code
            if project.version != change.expected_version:
                conflicts.append((project, change.expected_version))
                continue
            why = refusal(project.state, change.action)
            if why:
                problems[project.pk] = why
        if conflicts:
            first, expected = conflicts[0]
            raise RebalanceConflict(current=first, expected_version=expected, conflicts=conflicts)
        if problems:
            raise RebalanceRefused(problems, codes)
        done = [(locked[c.project_id], c.action) for c in moves]
        decision = rebalance_reason(done, reason)
        today = timezone.localdate()
        for change in moves:
            # The lifecycle service makes each move (hold date, audit, stale mark), all
            # inside this transaction: one refusal rolls every move back.
            project_transition(
                project=locked[change.project_id],
                to=TARGET_STATE[change.action],
                by=by,
                reason=decision,
                expected_version=change.expected_version,
                today=today,
                audit_reason=decision,
            )
    return [project for project, _ in done]
