"""Gate metrics: how long gate decisions take, how often a gate is passed at the first
attempt, and how many reviews are past their SLA — per portfolio, per gate and month by month.

These are entries of the KPI catalogue (`GATE_KPIS`, written into docs/metrics.md with the
project figures). Each figure is made by one function here from the list of reviews it
counts, and the page that shows a figure links to exactly that list, whose footer is the same
function over the same rows: the cell, the list and its total cannot disagree.

The reviews counted are gate reviews and intake reviews (an intake request passes the first
gate of its workflow); change-request reviews have no gate and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from governance.choices import ReviewKind, ReviewState
from governance.models import Review
from projects.services.dates import add_months
from reporting.kpis import GATE_KPIS

BY_KEY = {k.key: k for k in GATE_KPIS}


@dataclass(frozen=True)
class Row:
    """One review, as the metrics read it."""

    pk: int
    portfolio_id: int
    portfolio: str
    gate: str
    gate_order: int
    title: str
    kind: str
    state: str
    attempt: int
    requested_at: datetime
    due_at: datetime
    decided_at: datetime | None

    @property
    def decided(self) -> bool:
        return self.state in (ReviewState.APPROVED, ReviewState.REJECTED)

    @property
    def cycle_days(self) -> Decimal | None:
        if not self.decided or self.decided_at is None:
            return None
        seconds = Decimal((self.decided_at - self.requested_at).total_seconds())
        return (seconds / 86400).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def open_at(self, at: datetime) -> bool:
        return self.requested_at <= at and (self.decided_at is None or self.decided_at > at)


def rows(*, portfolio_ids: Sequence[int], since: datetime | None = None) -> list[Row]:
    """The gate and intake reviews of the portfolios, requested or still open since `since`:
    one query."""
    qs = Review.objects.filter(
        portfolio_id__in=list(portfolio_ids), kind__in=(ReviewKind.GATE, ReviewKind.INTAKE)
    ).exclude(state=ReviewState.WITHDRAWN)
    if since is not None:
        qs = qs.filter(Q(decided_at__isnull=True) | Q(decided_at__gte=since))
    return [
        Row(*values)
        for values in qs.order_by("requested_at", "pk").values_list(
            "pk",
            "portfolio_id",
            "portfolio__name",
            "gate__name",
            "gate__order",
            "title",
            "kind",
            "state",
            "attempt",
            "requested_at",
            "due_at",
            "decided_at",
        )
    ]


# --- The one definition of each figure, over a list of rows ---------------------------------


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive
    label: str

    @property
    def measured_at(self) -> datetime:
        """When "open" and "overdue" are judged: the period's end, or now if sooner."""
        return min(self.end, timezone.now())


def months(count: int = 12, *, today: date | None = None) -> list[Period]:
    """The last `count` months up to this one, in the organisation's zone, oldest first."""
    zone = timezone.get_default_timezone()
    first_of_this = (today or timezone.localdate()).replace(day=1)
    out = []
    for back in range(count - 1, -1, -1):
        start = add_months(first_of_this, -back)
        end = add_months(start, 1)
        out.append(
            Period(
                datetime.combine(start, time.min, tzinfo=zone),
                datetime.combine(end, time.min, tzinfo=zone),
                f"{start:%b %Y}",
            )
        )
    return out


def whole(periods: Sequence[Period]) -> Period:
    return Period(periods[0].start, periods[-1].end, f"{periods[0].label} – {periods[-1].label}")


def counted(key: str, items: Iterable[Row], period: Period) -> list[Row]:
    """The rows figure `key` counts in `period`: the list a cell opens."""
    if key == "reviews_overdue":
        at = period.measured_at
        return [r for r in items if r.open_at(at) and r.due_at < at]
    decided = [
        r
        for r in items
        if r.decided and r.decided_at is not None and period.start <= r.decided_at < period.end
    ]
    if key == "gate_first_pass":
        return [r for r in decided if r.attempt == 1]
    if key == "gate_cycle_days":
        return decided
    raise KeyError(key)


def value(key: str, items: Sequence[Row]) -> Decimal | int | None:
    """The figure made from the rows `counted` returned."""
    if key == "reviews_overdue":
        return len(items)
    if not items:
        return None
    if key == "gate_cycle_days":
        total = sum((r.cycle_days for r in items), Decimal(0))
        return (total / len(items)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    if key == "gate_first_pass":
        passed = sum(1 for r in items if r.state == ReviewState.APPROVED)
        return (Decimal(100) * passed / len(items)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    raise KeyError(key)


def figure(key: str, items: Iterable[Row], period: Period) -> Decimal | int | None:
    return value(key, counted(key, items, period))


@dataclass(frozen=True)
class GateLine:
    gate: str
    order: int
    figures: dict[str, Decimal | int | None]


def by_gate(items: Sequence[Row], period: Period) -> list[GateLine]:
    """Each gate name's three figures over `period`, in gate order."""
    gates: dict[str, int] = {}
    for r in items:
        gates.setdefault(r.gate, r.gate_order)
    return [
        GateLine(
            name,
            order,
            {k.key: figure(k.key, [r for r in items if r.gate == name], period) for k in GATE_KPIS},
        )
        for name, order in sorted(gates.items(), key=lambda g: (g[1], g[0]))
    ]


def series(items: Sequence[Row], periods: Sequence[Period]) -> list[tuple[Period, dict]]:
    """Month by month, the three figures over all the gates."""
    return [(p, {k.key: figure(k.key, items, p) for k in GATE_KPIS}) for p in periods]
