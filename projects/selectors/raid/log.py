"""The RAID log as the page shows it: open and overdue counts per register, the risk heat
map with exposure and EMV, one page of a register, and the items waiting on this project.

Every function runs a fixed number of queries whatever the number of items.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    Model,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Round

from portfolio.models import HealthPolicy
from ppm.access import scope
from projects.choices import RaidStatus
from projects.metrics import PROBABILITY_SHARE, expected_monetary_value, milestone_slip_days
from projects.models import Dependency, Milestone, Project, Risk
from projects.selectors import SubqueryCount
from projects.selectors.raid.params import (
    IMPACT_LABELS,
    KINDS,
    PROBABILITY_LABELS,
    RaidKind,
    RaidParams,
    score_band,
)
from projects.services.raid import is_overdue

PAGE_SIZE = 50
DEPENDENTS_SHOWN = 50


# --- Counts per register ---------------------------------------------------------------------


@dataclass(frozen=True)
class KindCount:
    kind: RaidKind
    open: int
    overdue: int


def raid_counts(*, project: Project, today: date) -> list[KindCount]:
    """Open and overdue items per register, in one query."""
    annotations = {}
    for slug, spec in KINDS.items():
        open_items = spec.model.objects.filter(project=project).exclude(status=RaidStatus.CLOSED)
        overdue = open_items.filter(due_date__lt=today)
        annotations[f"{slug}_open"] = SubqueryCount(open_items.order_by().values("pk"))
        annotations[f"{slug}_overdue"] = SubqueryCount(overdue.order_by().values("pk"))
    row = Project.objects.filter(pk=project.pk).values(**annotations).get()
    return [
        KindCount(kind=spec, open=row[f"{slug}_open"], overdue=row[f"{slug}_overdue"])
        for slug, spec in KINDS.items()
    ]


# --- The risk heat map -----------------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    probability: int
    impact: int
    score: int
    band: str
    count: int
    selected: bool

    @property
    def url(self) -> str:
        """The risk register drilled down to this cell (open risks)."""
        return f"?kind=risks&p={self.probability}&i={self.impact}"

    @property
    def position(self) -> str:
        return (
            f"probability {self.probability} ({PROBABILITY_LABELS[self.probability]}) × "
            f"impact {self.impact} ({IMPACT_LABELS[self.impact]})"
        )

    @property
    def label(self) -> str:
        return (
            f"{self.position[0].upper()}{self.position[1:]}, score {self.score}: "
            f"{self.count} open risk{'s' if self.count != 1 else ''}"
        )


@dataclass(frozen=True)
class HeatMap:
    """Open risks on a 5×5 grid: rows run from probability 5 (top) down to 1, columns from
    impact 1 to 5. Exposure is Σ probability × impact over open risks; EMV Σ of each risk's
    expected monetary value."""

    rows: list[tuple[int, str, list[HeatCell]]]  # (probability, its label, cells by impact)
    open_risks: int
    exposure: int
    emv: Decimal
    red: int
    amber: int


def _emv_expression() -> Round:
    share = Case(
        *(When(probability=p, then=Value(s)) for p, s in PROBABILITY_SHARE.items()),
        output_field=DecimalField(max_digits=3, decimal_places=1),
    )
    # Rounded per risk, as metrics.expected_monetary_value rounds, so the total is the sum of
    # the figures shown on the rows to the cent.
    return Round(share * F("cost_impact"), 2, output_field=DecimalField())


def risk_heat_map(*, project: Project, policy: HealthPolicy, params: RaidParams) -> HeatMap:
    """One query: open risks grouped by probability and impact, with their EMV."""
    grouped = (
        Risk.objects.filter(project=project)
        .exclude(status=RaidStatus.CLOSED)
        .values("probability", "impact")
        .annotate(n=Count("pk"), emv=Sum(_emv_expression()))
        .order_by()
    )
    cells = {(g["probability"], g["impact"]): g for g in grouped}
    rows = []
    for p in range(5, 0, -1):
        row = []
        for i in range(1, 6):
            found = cells.get((p, i))
            score = p * i
            row.append(
                HeatCell(
                    probability=p,
                    impact=i,
                    score=score,
                    band=score_band(score, policy),
                    count=found["n"] if found else 0,
                    selected=params.probability == p and params.impact == i,
                )
            )
        rows.append((p, PROBABILITY_LABELS[p], row))
    flat = [cell for _, _, row in rows for cell in row]
    return HeatMap(
        rows=rows,
        open_risks=sum(c.count for c in flat),
        exposure=sum(c.count * c.score for c in flat),
        emv=sum((g["emv"] or Decimal("0") for g in cells.values()), Decimal("0")),
        red=sum(c.count for c in flat if c.band == "red"),
        amber=sum(c.count for c in flat if c.band == "amber"),
    )


# --- The registers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RaidRow:
    """One item with the figures the register shows beside it."""

    item: Model
    overdue: bool
    score: int | None = None
    band: str | None = None
    emv: Decimal | None = None
    milestone_slip: int | None = None  # slip of the waiting side's milestone
    depends_on_slip: int | None = None  # slip of the delivering side's milestone

    @property
    def closed(self) -> bool:
        return self.item.status == RaidStatus.CLOSED


def _slip(milestone: Milestone | None) -> int | None:
    if milestone is None:
        return None
    return milestone_slip_days(
        baseline=milestone.baseline_date,
        forecast=milestone.forecast_date,
        actual=milestone.actual_date,
    )


def _filter_status(qs: QuerySet, status: str, today: date) -> QuerySet:
    if status == "open":
        return qs.exclude(status=RaidStatus.CLOSED)
    if status == "overdue":
        return qs.exclude(status=RaidStatus.CLOSED).filter(due_date__lt=today)
    if status == "closed":
        return qs.filter(status=RaidStatus.CLOSED)
    return qs


def _ordering(params: RaidParams) -> list:
    if params.status == "closed":
        return [F("closed_at").desc(nulls_last=True), "-pk"]
    # Open items first in "all"; then the most pressing: highest score, earliest due date.
    first = [Case(When(status=RaidStatus.CLOSED, then=1), default=0, output_field=IntegerField())]
    due = [F("due_date").asc(nulls_last=True), "-pk"]
    if params.kind == "risks":
        return [*first, F("score").desc(), *due]
    return [*first, *due]


_RELATED = {
    "risks": ("owner",),
    "issues": ("owner",),
    "assumptions": ("owner",),
    "dependencies": ("owner", "depends_on", "milestone", "depends_on_milestone"),
}


def _row(item: Model, *, kind: str, today: date, policy: HealthPolicy | None) -> RaidRow:
    if kind == "risks":
        score = item.probability * item.impact
        return RaidRow(
            item=item,
            overdue=is_overdue(item, today=today),
            score=score,
            band=score_band(score, policy),
            emv=(
                expected_monetary_value(item.probability, item.cost_impact)
                if item.cost_impact is not None
                else None
            ),
        )
    if kind == "dependencies":
        return RaidRow(
            item=item,
            overdue=is_overdue(item, today=today),
            milestone_slip=_slip(item.milestone),
            depends_on_slip=_slip(item.depends_on_milestone),
        )
    return RaidRow(item=item, overdue=is_overdue(item, today=today))


@dataclass
class Register:
    """One page of a register, with its rows already wrapped."""

    page: Page
    rows: list[RaidRow]
    total: int

    @property
    def page_numbers(self) -> list[int | str]:
        return list(self.page.paginator.get_elided_page_range(self.page.number, on_ends=1))


def raid_register(
    *,
    project: Project,
    params: RaidParams,
    today: date,
    policy: HealthPolicy,
    page_size: int = PAGE_SIZE,
) -> Register:
    """One page of the chosen register (two queries: the count and the rows)."""
    spec = params.spec
    qs = spec.model.objects.filter(project=project).select_related(*_RELATED[params.kind])
    qs = _filter_status(qs, params.status, today)
    if params.kind == "risks":
        qs = qs.annotate(score=F("probability") * F("impact"))
        if params.probability is not None:
            qs = qs.filter(probability=params.probability)
        if params.impact is not None:
            qs = qs.filter(impact=params.impact)
    qs = qs.order_by(*_ordering(params))
    paginator = Paginator(qs, page_size)
    page = paginator.get_page(params.page)
    rows = [_row(item, kind=params.kind, today=today, policy=policy) for item in page]
    return Register(page=page, rows=rows, total=paginator.count)


@dataclass(frozen=True)
class Dependents:
    """Items of other projects that wait on this one ("waiting on us"), as far as the user
    may see them; `hidden` counts those in projects outside the user's sight."""

    rows: list[RaidRow]
    total: int
    hidden: int

    @property
    def more(self) -> int:
        return self.total - self.hidden - len(self.rows)


def dependents_of(
    *, project: Project, user: AbstractBaseUser, params: RaidParams, today: date
) -> Dependents:
    """Three queries: the visible rows (the first DEPENDENTS_SHOWN by due date), how many there
    are in all, and how many of them the user may see."""
    base = _filter_status(Dependency.objects.filter(depends_on=project), params.status, today)
    visible = scope(base, user)
    items = list(
        visible.select_related("owner", "project", "milestone", "depends_on_milestone").order_by(
            *_ordering(replace(params, kind="dependencies"))
        )[:DEPENDENTS_SHOWN]
    )
    total = base.count()
    return Dependents(
        rows=[_row(item, kind="dependencies", today=today, policy=None) for item in items],
        total=total,
        hidden=total - visible.count(),
    )
