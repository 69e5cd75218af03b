"""The directors' dashboard: every figure read from the rollup tables, in a fixed number of
queries whatever the number of portfolios, projects, milestones and cost lines.

Sources (written by reporting/engine.py): PortfolioRollup for the money, schedule and risk
totals; ProjectRollup for the health matrix, freshness, the bubble chart and the drill-down
counts; PortfolioMonth for the S-curve; PortfolioDemand against Resource capacity for the
heat map; Milestone (through a partial expression index) for the top slips.

Every count shown next to a drill-down link is computed with the same predicate the project
list filters on (projects.selectors.filtered_projects), so the list a director lands on has
exactly the number of rows the tile promised.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.utils import timezone

from portfolio.capacity import add_months, monthly_capacity
from portfolio.models import Portfolio, PortfolioBudget, Resource
from portfolio.selectors import current_fiscal_year, current_fiscal_year_expression
from ppm.access import scope
from projects.metrics import EVM_TOTALS, EVMTotals, envelope_share, report_due_period_end
from projects.models import Milestone, RollupState
from projects.models.schedule import OPEN_AND_SLIPPING, slip_days
from projects.selectors import IN_FLIGHT_STATES, RAGS, policy_value
from reporting.models import PortfolioDemand, PortfolioMonth, ProjectRollup
from reporting.selectors import high_risk_score

ZERO = Decimal("0")
TOP_SLIPS = 10
ATTENTION_ROWS = 10
BUBBLE_LIMIT = 120
# The heat map's window: last month, this month and the ten after it.
CAPACITY_MONTHS_BEFORE = 1
CAPACITY_MONTHS = 12
DIMENSIONS = (
    ("schedule_rag", "Schedule"),
    ("cost_rag", "Cost"),
    ("scope_rag", "Scope"),
    ("risk_rag", "Risk"),
    ("health_rag", "Overall (rules)"),
)


# --- Which portfolios ----------------------------------------------------------------------


@dataclass
class Selection:
    """The portfolios the dashboard shows: one, or every portfolio the user may see."""

    choices: list[Portfolio]
    portfolio: Portfolio | None  # None: all of `choices`

    @property
    def portfolios(self) -> list[Portfolio]:
        return [self.portfolio] if self.portfolio else self.choices

    @property
    def ids(self) -> list[int]:
        return [p.pk for p in self.portfolios]

    @property
    def fy_start(self) -> int:
        """The PMO's fiscal-year start month, read with the portfolios (January if none)."""
        return self.choices[0].fy_start if self.choices else 1

    @property
    def title(self) -> str:
        return self.portfolio.name if self.portfolio else "All my portfolios"


def _with_figures(portfolios) -> list[Portfolio]:
    """`portfolios` with their rollup, series state and this year's envelope, in one query."""
    # This fiscal year by the PMO's start month, worked out in the same query.
    fy_start = policy_value("fiscal_year_start_month")
    year = current_fiscal_year_expression(fy_start)
    return list(
        portfolios.select_related("rollup", "series_state", "director")
        .annotate(
            fy_start=fy_start,
            envelope=Subquery(
                PortfolioBudget.objects.filter(portfolio=OuterRef("pk"), fiscal_year=year).values(
                    "amount"
                )[:1]
            ),
            # The high-risk tile's label, read in this query so it costs none of its own.
            high_risk_score=high_risk_score(),
        )
        .order_by("name", "pk")
    )


def select_portfolios(*, user: AbstractBaseUser, portfolio_id: int | None) -> Selection:
    """The portfolios `user` may see (with their rollup, series state and this year's
    envelope, in one query), and the one asked for. A portfolio outside the user's scope is
    refused with 403 whether or not it exists, so the answer leaks nothing."""
    choices = _with_figures(scope(Portfolio.objects.all(), user))
    if portfolio_id is None:
        chosen = choices[0] if len(choices) == 1 else None
        return Selection(choices, chosen)
    for portfolio in choices:
        if portfolio.pk == portfolio_id:
            return Selection(choices, portfolio)
    raise PermissionDenied("This portfolio is not one you may see.")


def selection_of(portfolio_ids: list[int]) -> Selection:
    """The selection of exactly these portfolios, as the dashboard of a reader who may see
    them all and chose them shows it (a report's scope, already checked against its readers:
    reporting.services.reports)."""
    choices = _with_figures(Portfolio.objects.filter(pk__in=portfolio_ids))
    return Selection(choices, choices[0] if len(choices) == 1 else None)


# --- The figures ---------------------------------------------------------------------------


@dataclass
class Money:
    """Budget figures of the selected portfolios in one currency (summed, then the ratios
    recomputed from the sums: a portfolio's CPI is ΣEV / ΣAC, never an average of CPIs)."""

    currency: str
    evm: EVMTotals
    envelope: Decimal | None
    fiscal_year: int
    year_plan: Decimal  # this fiscal year's plan of the projects in flight (rollup fy_plan)

    @property
    def envelope_share(self) -> Decimal | None:
        """This fiscal year's plan of the projects in flight as a percentage of its envelope
        (the catalogue's fy_plan ÷ envelope; the same on the portfolio pages and ranking)."""
        return envelope_share(self.year_plan, self.envelope)


@dataclass
class Freshness:
    """How current the figures are: when they were computed, and what is still waiting."""

    computed_at: datetime | None  # the oldest portfolio rollup among the selection
    computed_newest: datetime | None  # the newest (differs only across several portfolios)
    series_computed_at: datetime | None
    stale_projects: int
    stale_since: datetime | None
    series_stale: bool

    @property
    def recomputing(self) -> bool:
        return bool(self.stale_projects or self.series_stale)


@dataclass
class MatrixCell:
    rag: str
    count: int


@dataclass
class MatrixRow:
    field: str  # the ProjectRollup field; its drill-down parameter has the same name
    label: str
    cells: list[MatrixCell]


@dataclass
class Dashboard:
    selection: Selection
    today: date
    money: list[Money]
    freshness: Freshness
    in_flight: int
    projects: int
    # Schedule
    milestones_slipping: int
    projects_slipping: int
    milestones_achieved: int
    milestones_on_time: int
    worst_slip_days: int | None
    top_slips: list[Milestone]
    # Risk
    exposure: int
    emv_by_currency: dict[str, Decimal]
    open_risks: int
    high_risks: int
    projects_with_high_risks: int
    high_risk_score: int | None  # the PMO's threshold; None when no portfolio is selected
    # Health
    matrix: list[MatrixRow]
    reported: list[MatrixCell]
    reported_none: int
    cpi_below_one: int
    spi_below_one: int
    overrunning: int
    # Freshness of status reports
    report_due: date
    no_current_report: int
    attention: list[ProjectRollup]
    # Charts' data
    months: list[dict]
    bubbles: list[BubbleRow]
    unscored: int
    capacity: CapacityGrid

    @property
    def on_time_rate(self) -> Decimal | None:
        if not self.milestones_achieved:
            return None
        return Decimal(self.milestones_on_time * 100) / self.milestones_achieved

    @property
    def currency(self) -> str | None:
        """The one currency of the selection, or None when it mixes currencies."""
        return self.money[0].currency if len(self.money) == 1 else None


@dataclass
class CapacityCell:
    demand: Decimal
    selected_demand: Decimal
    capacity: Decimal

    @property
    def utilisation(self) -> Decimal | None:
        """Demand as a share of capacity (1 = fully booked); None without capacity."""
        if not self.capacity:
            return None
        return (self.demand / self.capacity).quantize(Decimal("0.001"))


@dataclass
class CapacityGrid:
    months: list[date]
    groups: list[str]
    cells: dict[tuple[str, date], CapacityCell]


def _money(selection: Selection, year: int) -> list[Money]:
    by_currency: dict[str, list[Portfolio]] = defaultdict(list)
    for portfolio in selection.portfolios:
        by_currency[portfolio.currency].append(portfolio)
    figures = []
    for currency, portfolios in sorted(by_currency.items()):
        rollups = [p.rollup for p in portfolios if portfolio_rollup(p) is not None]
        envelopes = [p.envelope for p in portfolios]
        figures.append(
            Money(
                currency=currency,
                evm=EVMTotals(
                    **{
                        name: sum((getattr(r, name) or ZERO for r in rollups), ZERO)
                        for name in EVM_TOTALS
                    }
                ),
                envelope=None if None in envelopes else sum(envelopes, ZERO),
                fiscal_year=year,
                year_plan=sum((r.fy_plan for r in rollups), ZERO),
            )
        )
    return figures


def portfolio_rollup(portfolio: Portfolio):
    try:
        return portfolio.rollup
    except Portfolio.rollup.RelatedObjectDoesNotExist:
        return None


def _series_state(portfolio: Portfolio):
    try:
        return portfolio.series_state
    except Portfolio.series_state.RelatedObjectDoesNotExist:
        return None


def freshness(selection: Selection) -> Freshness:
    """When the selection's figures were computed, and whether any is being recomputed."""
    rollups = [r for p in selection.portfolios if (r := portfolio_rollup(p)) is not None]
    states = [s for p in selection.portfolios if (s := _series_state(p)) is not None]
    stale = RollupState.objects.filter(
        stale_since__isnull=False, project__portfolio_id__in=selection.ids
    ).aggregate(n=Count("pk"), since=Min("stale_since"))
    computed = [s.computed_at for s in states if s.computed_at]
    return Freshness(
        computed_at=min((r.computed_at for r in rollups), default=None),
        computed_newest=max((r.computed_at for r in rollups), default=None),
        series_computed_at=min(computed, default=None),
        stale_projects=stale["n"],
        stale_since=stale["since"],
        series_stale=any(s.stale_since is not None for s in states),
    )


def _counts(rollups: list) -> dict:
    """The drill-down counts of the selection: each portfolio rollup's `counts` (computed by
    the engine with the predicates the project list filters on), summed; the worst slip is
    the largest."""
    total: dict = {f"{dim}_{rag}": 0 for dim, _label in DIMENSIONS for rag in RAGS}
    total["worst_slip"] = None
    for rollup in rollups:
        for key, value in rollup.counts.items():
            if isinstance(value, dict):
                for rag, n in value.items():
                    total[f"{key}_{rag}"] = total.get(f"{key}_{rag}", 0) + n
            elif key == "worst_slip":
                if value is not None and (total["worst_slip"] is None or value > total[key]):
                    total[key] = value
            else:
                total[key] = total.get(key, 0) + value
    return total


def top_slips(ids: list[int], limit: int = TOP_SLIPS) -> list[Milestone]:
    """The open milestones furthest behind their baseline, worst first (served by the
    partial expression index milestone_open_slip_idx); the health pack lists more."""
    return list(
        Milestone.objects.filter(
            OPEN_AND_SLIPPING,
            project__portfolio_id__in=ids,
            project__state__in=IN_FLIGHT_STATES,
        )
        .annotate(slip=slip_days())
        .select_related("project")
        .order_by(slip_days().desc(), "pk")[:limit]
    )


def _attention(ids: list[int]) -> list[ProjectRollup]:
    """In-flight projects the rules rate red, worst first: most red dimensions, then the
    longest slip, then the lowest CPI."""
    order = (F("slip_days").desc(nulls_last=True), F("cpi").asc(nulls_last=True), "pk")
    # The rows are chosen on the rollup table alone (its partial index rollup_red_by_slip_idx
    # gives them in order) and only those few are joined: joining first joined thousands.
    first = ProjectRollup.objects.filter(
        portfolio_id__in=ids, state__in=IN_FLIGHT_STATES, health_rag="red"
    ).order_by(*order)[:ATTENTION_ROWS]
    return list(
        ProjectRollup.objects.filter(pk__in=first.values("pk"))
        .select_related("project", "project__manager")
        .order_by(*order)
    )


def _months(ids: list[int]) -> list[dict]:
    """The S-curve's months: the selection's monthly amounts summed across portfolios.

    Planned, actual and forecast are amounts of the month (a missing month is zero); `ev` is
    cumulative, so a portfolio with no row for a month (no cost and no report in it) still
    counts with its last earned value — summing only the rows present would dip there.
    """
    rows = PortfolioMonth.objects.filter(portfolio_id__in=ids).order_by("month", "portfolio_id")
    totals: dict[date, dict] = {}
    earned: dict[int, Decimal] = {}  # each portfolio's latest cumulative EV
    earned_total = ZERO
    for row in rows.values_list("portfolio_id", "month", "planned", "actual", "forecast", "ev"):
        portfolio_id, month, planned, actual, forecast, ev = row
        total = totals.setdefault(
            month, {"month": month, "planned": ZERO, "actual": ZERO, "forecast": ZERO}
        )
        total["planned"] += planned
        total["actual"] += actual
        total["forecast"] += forecast
        earned_total += ev - earned.get(portfolio_id, ZERO)
        earned[portfolio_id] = ev
        total["ev"] = earned_total
    return list(totals.values())


@dataclass(frozen=True)
class BubbleRow:
    project_id: int
    code: str
    name: str
    exposure: int
    priority_score: Decimal
    bac: Decimal
    health_rag: str


def _bubbles(ids: list[int]) -> list[BubbleRow]:
    """The largest in-flight, scored projects by budget (BUBBLE_LIMIT at most), read in the
    order of the partial index rollup_scored_by_bac_idx."""
    first = ProjectRollup.objects.filter(
        portfolio_id__in=ids, state__in=IN_FLIGHT_STATES, priority_score__isnull=False
    ).order_by("-bac", "pk")[:BUBBLE_LIMIT]
    rows = (
        ProjectRollup.objects.filter(pk__in=first.values("pk"))
        .order_by("-bac", "pk")
        .values_list(
            "project_id",
            "project__code",
            "project__name",
            "exposure",
            "priority_score",
            "bac",
            "health_rag",
        )
    )
    return [BubbleRow(*row) for row in rows]


def _capacity(ids: list[int], today: date) -> CapacityGrid:
    """Demand booked on each resource group per month (every portfolio: capacity is shared),
    the selection's part of it, and the group's capacity (active resources)."""
    first = add_months(today.replace(day=1), -CAPACITY_MONTHS_BEFORE)
    months = [add_months(first, n) for n in range(CAPACITY_MONTHS)]
    demand_rows = (
        PortfolioDemand.objects.filter(month__gte=months[0], month__lte=months[-1])
        .values("month", "resource_group")
        .annotate(booked=Sum("hours"), selected=Sum("hours", filter=Q(portfolio_id__in=ids or [0])))
        .order_by()
    )
    weekly = dict(
        Resource.objects.filter(active=True)
        .values("group")
        .annotate(weekly=Sum("capacity_hours_per_week"))
        .values_list("group", "weekly")
        .order_by()
    )
    demand = {(r["resource_group"], r["month"]): r for r in demand_rows}
    groups = sorted(set(weekly) | {group for group, _month in demand})
    cells = {}
    for group in groups:
        for month in months:
            row = demand.get((group, month), {})
            cells[(group, month)] = CapacityCell(
                demand=row.get("booked") or ZERO,
                selected_demand=row.get("selected") or ZERO,
                capacity=monthly_capacity(weekly.get(group, ZERO), month),
            )
    return CapacityGrid(months=months, groups=groups, cells=cells)


def portfolio_dashboard(
    *, selection: Selection, today: date | None = None, fresh: Freshness | None = None
) -> Dashboard:
    """Everything the dashboard shows for `selection`: nine queries, whatever its size (eight
    when the caller has read its `fresh`ness already)."""
    today = today or timezone.localdate()
    ids = selection.ids
    year = current_fiscal_year(today, start_month=selection.fy_start)
    months = _months(ids)
    rollups = [r for p in selection.portfolios if (r := portfolio_rollup(p)) is not None]
    counts = _counts(rollups)
    emv: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for portfolio in selection.portfolios:
        if (rollup := portfolio_rollup(portfolio)) is not None:
            emv[portfolio.currency] += rollup.emv
    return Dashboard(
        selection=selection,
        today=today,
        money=_money(selection, year),
        freshness=fresh or freshness(selection),
        in_flight=sum(r.in_flight for r in rollups),
        projects=sum(r.projects for r in rollups),
        milestones_slipping=sum(r.milestones_slipping for r in rollups),
        projects_slipping=counts.get("projects_slipping", 0),
        milestones_achieved=sum(r.milestones_achieved for r in rollups),
        milestones_on_time=sum(r.milestones_on_time for r in rollups),
        worst_slip_days=counts["worst_slip"],
        top_slips=top_slips(ids),
        exposure=sum(r.exposure for r in rollups),
        emv_by_currency=dict(emv),
        open_risks=sum(r.open_risks for r in rollups),
        high_risks=sum(r.high_risks for r in rollups),
        projects_with_high_risks=counts.get("projects_with_high_risks", 0),
        # The same policy row the engine counted high_risks with (reporting.engine.recompute).
        high_risk_score=selection.choices[0].high_risk_score if selection.choices else None,
        matrix=[
            MatrixRow(dim, label, [MatrixCell(rag, counts[f"{dim}_{rag}"]) for rag in RAGS])
            for dim, label in DIMENSIONS
        ],
        reported=[
            MatrixCell(rag, sum(getattr(r, f"reported_{rag}") for r in rollups)) for rag in RAGS
        ],
        reported_none=sum(r.reported_none for r in rollups),
        cpi_below_one=counts.get("cpi_below_one", 0),
        spi_below_one=counts.get("spi_below_one", 0),
        overrunning=counts.get("overrunning", 0),
        # The month the engine counted overdue reports against (its as_of), not today's.
        report_due=report_due_period_end(min((r.as_of for r in rollups), default=today)),
        no_current_report=counts.get("no_current_report", 0),
        attention=_attention(ids),
        months=months,
        bubbles=_bubbles(ids),
        unscored=counts.get("unscored", 0),
        capacity=_capacity(ids, today),
    )
