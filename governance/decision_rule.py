"""The decision rule of a gate review or a change request (issue 10): given who may decide,
how many approvals are needed, who holds a veto, who stands in for whom, and the decisions
made so far, is the matter approved, rejected, or still open?

Pure: no database, no clock. The gate engine stores panels, decisions and delegations and
asks this module after every decision, so one definition serves the review page, "My
approvals" and the audit; property tests (governance/tests/test_decision_rule.py) hold it.

Definitions:

- A panel has *seats*: a named approver, or a group (any one of its members fills it). A
  rule needs `needed` approvals: any = 1, all = every seat, M of N = M.
- A decision is made by a person, as themselves or (while a dated delegation from a seat
  holder to them is in force at the moment they decide) as that holder, and fills one seat
  that identity holds. A decision by anyone else counts for nothing. Each seat counts once:
  its first approve or reject; a later decision for the same seat changes nothing (two
  people deciding for one seat at the same instant count once). Each identity fills one
  seat: a director who is also in the PMO group is one judgment, not two. A deferral leaves
  the seat undecided.
- Veto holders (their own or delegated) reject the matter outright by rejecting.
- Rejected: a veto, or so many rejections that the approvals needed can no longer be reached.
  Approved: the approvals needed, and no veto. Otherwise open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

APPROVE, REJECT, DEFER = "approve", "reject", "defer"
ANY, ALL, M_OF_N = "any", "all", "m_of_n"
OPEN, APPROVED, REJECTED = "open", "approved", "rejected"


@dataclass(frozen=True)
class Rule:
    kind: str  # ANY, ALL or M_OF_N
    m: int = 1  # for M_OF_N

    def needed(self, seats: int) -> int:
        if seats < 1:
            raise ValueError("A decision needs at least one approver.")
        if self.kind == ANY:
            return 1
        if self.kind == ALL:
            return seats
        if self.kind == M_OF_N:
            if not 1 <= self.m <= seats:
                raise ValueError(f"M of N needs 1 ≤ M ≤ N; M is {self.m}, N is {seats}.")
            return self.m
        raise ValueError(f"Unknown rule {self.kind!r}.")


@dataclass(frozen=True)
class Delegation:
    holder: int  # who is away
    delegate: int  # who decides for them
    starts: datetime
    ends: datetime  # exclusive

    def covers(self, holder: int, person: int, at: datetime) -> bool:
        return self.holder == holder and self.delegate == person and self.starts <= at < self.ends


@dataclass(frozen=True)
class Decision:
    person: int
    verdict: str  # APPROVE, REJECT or DEFER
    at: datetime


@dataclass(frozen=True)
class Outcome:
    state: str  # OPEN, APPROVED or REJECTED
    approvals: int
    rejections: int
    needed: int
    vetoed_by: int | None  # the seat whose veto rejected it
    counted: tuple[tuple[int, int, str], ...]  # (seat, person, verdict), in decision order


def _identities(
    person: int, at: datetime, delegations: Iterable[Delegation], holders: Iterable[int]
) -> list[int]:
    """Whom `person` may decide as at `at`: themselves, then each holder who delegated to them."""
    return [person] + [
        h for h in holders if h != person and any(d.covers(h, person, at) for d in delegations)
    ]


def evaluate(
    *,
    rule: Rule,
    approvers: Iterable[int],
    decisions: Iterable[Decision],
    veto: Iterable[int] = (),
    delegations: Iterable[Delegation] = (),
    members: Mapping[int, Iterable[int]] | None = None,
) -> Outcome:
    """`members` maps a seat to the people who hold it (a group's members); a seat missing
    from it is held by the person of the same id. Each person's judgment fills one seat: a
    decision is made as the decider or as a holder who delegated to them, and each of those
    fills at most one seat, whatever number of seats they hold."""
    seats = sorted(set(approvers))
    veto_seats = sorted(set(veto))
    delegations = list(delegations)
    members = members or {}
    held = {s: frozenset(members.get(s, (s,))) for s in (*seats, *veto_seats)}
    holders = sorted(set().union(*held.values())) if held else []
    needed = rule.needed(len(seats))
    verdicts: dict[int, str] = {}  # approver seat → first approve/reject
    used: set[int] = set()  # identities whose judgment already fills a seat
    counted: list[tuple[int, int, str]] = []
    vetoed_by = None
    for decision in sorted(decisions, key=lambda d: (d.at, d.person, d.verdict)):
        if decision.verdict == DEFER:
            continue
        identities = _identities(decision.person, decision.at, delegations, holders)
        if decision.verdict == REJECT and vetoed_by is None:
            vetoer = next((s for s in veto_seats if any(i in held[s] for i in identities)), None)
            if vetoer is not None:
                vetoed_by = vetoer
                counted.append((vetoer, decision.person, "veto"))
        filled = False
        for identity in identities:
            if identity in used:
                continue
            for seat in seats:
                if seat not in verdicts and identity in held[seat]:
                    verdicts[seat] = decision.verdict
                    used.add(identity)
                    counted.append((seat, decision.person, decision.verdict))
                    filled = True
                    break  # one decision fills one seat
            if filled:
                break
    approvals = sum(1 for v in verdicts.values() if v == APPROVE)
    rejections = sum(1 for v in verdicts.values() if v == REJECT)
    undecided = len(seats) - len(verdicts)
    if vetoed_by is not None or approvals + undecided < needed:
        state = REJECTED
    elif approvals >= needed:
        state = APPROVED
    else:
        state = OPEN
    return Outcome(state, approvals, rejections, needed, vetoed_by, tuple(counted))
