"""The current plan and the what-if side by side: cumulative budgets, the cut line, capacity
and the deltas between them. Pure functions of RankingData: no query, no write."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from governance.lifecycle import (
    DRAWING_STATES,
    TARGET_STATE,
    RebalanceAction,
    actions_for,
    refusal,
)
from governance.selectors.ranking.data import ZERO, ProjectFacts, RankingData
from governance.selectors.ranking.whatif import WhatIf
from projects.choices import LifecycleState
from projects.metrics import envelope_share
from projects.selectors import IN_FLIGHT_STATES

PERCENT = Decimal("0.1")


@dataclass
class Position:
    """Where a project stands in one plan (the current one, or the what-if)."""

    state: str
    draws: bool
    counted: Decimal  # what it takes from the envelope
    cumulative: Decimal | None = None  # drawing projects only
    fits: bool | None = None  # None: held, or no envelope to fit in


@dataclass
class RankedRow:
    facts: ProjectFacts
    rank: int
    now: Position
    whatif: Position
    action: str = RebalanceAction.KEEP
    actions: list[tuple[str, str]] = field(default_factory=list)  # (value, label) offered
    refused: str = ""  # a toggle in the query that this project cannot take
    version_seen: int | None = None
    line_after_now: bool = False
    line_after_whatif: bool = False

    @property
    def changed(self) -> bool:
        return self.action != RebalanceAction.KEEP

    @property
    def stale(self) -> bool:
        """The project changed since the what-if toggled it (its version moved)."""
        return self.changed and self.version_seen not in (None, self.facts.version)

    @property
    def released(self) -> Decimal:
        return self.now.counted - self.whatif.counted

    @property
    def hours_released(self) -> Decimal:
        def booked(pos: Position) -> Decimal:
            hours = self.facts.hours if pos.draws else self.facts.hours_to_date
            return sum(hours.values(), ZERO)

        return booked(self.now) - booked(self.whatif)

    @property
    def fit_change(self) -> str:
        """'in' when the what-if lifts it above the line, 'out' when it drops below."""
        if self.now.fits is None or self.whatif.fits is None or self.now.fits == self.whatif.fits:
            return ""
        return "in" if self.whatif.fits else "out"

    @property
    def target_state_label(self) -> str:
        return LifecycleState(self.whatif.state).label


@dataclass
class PlanTotals:
    """A plan's money against the envelope."""

    envelope: Decimal | None
    held: Decimal  # to-date spend of projects on hold (taken off the top)
    drawn: Decimal  # everything counted
    fitting: int  # drawing projects above the line
    not_fitting: int
    cut_index: int | None  # the line sits after this row; -1 above the first; None: no envelope

    @property
    def headroom(self) -> Decimal | None:
        return None if self.envelope is None else self.envelope - self.drawn

    line_total: Decimal = ZERO  # cumulative at the cut line

    @property
    def headroom_at_line(self) -> Decimal | None:
        """What is left of the envelope after the projects above the line."""
        return None if self.envelope is None else self.envelope - self.line_total

    in_flight: Decimal = ZERO  # counted by the projects in flight (not the proposed ones)

    @property
    def share(self) -> Decimal | None:
        """Everything counted, proposed projects included, against the envelope."""
        return envelope_share(self.drawn, self.envelope)

    @property
    def in_flight_share(self) -> Decimal | None:
        """The catalogue's envelope share: this fiscal year's plan of the projects in flight
        (on hold: to date) ÷ the envelope, as the dashboard and portfolio pages show it."""
        return envelope_share(self.in_flight, self.envelope)


@dataclass
class CapacityRow:
    group: str
    capacity: Decimal
    others: Decimal
    mine_now: Decimal
    mine_whatif: Decimal

    @property
    def delta(self) -> Decimal:
        return self.mine_whatif - self.mine_now

    def _utilisation(self, mine: Decimal) -> Decimal | None:
        if not self.capacity:
            return None
        return ((mine + self.others) * 100 / self.capacity).quantize(PERCENT, ROUND_HALF_UP)

    @property
    def utilisation_now(self) -> Decimal | None:
        return self._utilisation(self.mine_now)

    @property
    def utilisation_whatif(self) -> Decimal | None:
        return self._utilisation(self.mine_whatif)

    def _over(self, mine: Decimal) -> bool:
        """More hours booked than the group can give (any booking on no capacity is over)."""
        return mine + self.others > self.capacity

    @property
    def over_now(self) -> bool:
        return self._over(self.mine_now)

    @property
    def over_whatif(self) -> bool:
        return self._over(self.mine_whatif)


@dataclass
class Ranking:
    data: RankingData
    rows: list[RankedRow]
    now: PlanTotals
    whatif: PlanTotals
    capacity: list[CapacityRow]
    whatif_input: WhatIf

    @property
    def changes(self) -> list[RankedRow]:
        return [r for r in self.rows if r.changed]

    @property
    def stale_changes(self) -> list[RankedRow]:
        return [r for r in self.rows if r.stale]

    @property
    def unscored(self) -> int:
        return sum(1 for r in self.rows if r.facts.score is None)

    @property
    def released(self) -> Decimal:
        return self.now.drawn - self.whatif.drawn

    @property
    def hours_released(self) -> Decimal:
        return sum((c.mine_now - c.mine_whatif for c in self.capacity), ZERO)

    @property
    def not_fitting_delta(self) -> int:
        return self.whatif.not_fitting - self.now.not_fitting

    @property
    def lifted(self) -> list[RankedRow]:
        """Projects the what-if lifts above the cut line."""
        return [r for r in self.rows if r.fit_change == "in"]

    @property
    def dropped(self) -> list[RankedRow]:
        """Projects the what-if pushes below the cut line."""
        return [r for r in self.rows if r.fit_change == "out"]

    @property
    def line_moved(self) -> bool:
        return self.now.cut_index != self.whatif.cut_index

    @property
    def cut_top_now(self) -> bool:
        return self.now.cut_index == -1

    @property
    def cut_top_whatif(self) -> bool:
        return self.whatif.cut_index == -1

    def apply_query(self) -> str:
        """The query string of the apply step: the changes and the versions they were built on."""
        changes = WhatIf(
            actions={r.facts.pk: r.action for r in self.changes},
            versions={
                r.facts.pk: r.version_seen if r.version_seen is not None else r.facts.version
                for r in self.changes
            },
        )
        return changes.query(fy=self.data.fiscal_year)


def _position(p: ProjectFacts, state: str) -> Position:
    draws = state in DRAWING_STATES
    return Position(state=state, draws=draws, counted=p.budget if draws else p.to_date)


def _place(positions: list[Position], envelope: Decimal | None) -> PlanTotals:
    """Cumulate budgets down the ranking and find the cut line (strict rank order)."""
    held = sum((pos.counted for pos in positions if not pos.draws), ZERO)
    running = held
    fitting = not_fitting = 0
    cut_index: int | None = None if envelope is None else -1
    still_fits = envelope is not None and held <= envelope
    line_total = held
    for index, pos in enumerate(positions):
        if not pos.draws:
            continue
        running += pos.counted
        pos.cumulative = running
        if envelope is None:
            continue
        if still_fits and running <= envelope:
            pos.fits = True
            fitting += 1
            cut_index = index
            line_total = running
        else:
            still_fits = False
            pos.fits = False
            not_fitting += 1
    return PlanTotals(
        in_flight=sum((pos.counted for pos in positions if pos.state in IN_FLIGHT_STATES), ZERO),
        envelope=envelope,
        held=held,
        drawn=running,
        fitting=fitting,
        not_fitting=not_fitting,
        cut_index=cut_index,
        line_total=line_total,
    )


def _capacity(data: RankingData, rows: list[RankedRow]) -> list[CapacityRow]:
    mine_now: dict[str, Decimal] = defaultdict(lambda: ZERO)
    mine_whatif: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        p = row.facts
        for plan, pos in ((mine_now, row.now), (mine_whatif, row.whatif)):
            for group, hours in (p.hours if pos.draws else p.hours_to_date).items():
                plan[group] += hours
    groups = sorted(set(data.capacity) | set(mine_now) | set(data.others_draw))
    return [
        CapacityRow(
            group=g,
            capacity=data.capacity.get(g, ZERO),
            others=data.others_draw.get(g, ZERO),
            mine_now=mine_now[g],
            mine_whatif=mine_whatif[g],
        )
        for g in groups
        if mine_now[g] or data.others_draw.get(g) or g in data.capacity
    ]


def build_ranking(data: RankingData, whatif: WhatIf | None = None) -> Ranking:
    """The current plan and the what-if side by side: no query, no write."""
    whatif = whatif or WhatIf()
    rows = []
    for rank, p in enumerate(data.projects, start=1):
        action = whatif.actions.get(p.pk, RebalanceAction.KEEP)
        refused = ""
        if action != RebalanceAction.KEEP and (why := refusal(p.state, action)):
            refused, action = why, RebalanceAction.KEEP
        target = TARGET_STATE.get(action, p.state)
        rows.append(
            RankedRow(
                facts=p,
                rank=rank,
                now=_position(p, p.state),
                whatif=_position(p, target),
                action=action,
                actions=[(a, RebalanceAction(a).label) for a in actions_for(p.state)],
                refused=refused,
                version_seen=whatif.versions.get(p.pk, p.version) if action != "keep" else None,
            )
        )
    now = _place([r.now for r in rows], data.envelope)
    after = _place([r.whatif for r in rows], data.envelope)
    for index, row in enumerate(rows):
        row.line_after_now = now.cut_index == index
        row.line_after_whatif = after.cut_index == index
    return Ranking(
        data=data,
        rows=rows,
        now=now,
        whatif=after,
        capacity=_capacity(data, rows),
        whatif_input=whatif,
    )
