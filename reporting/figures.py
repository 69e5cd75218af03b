"""One catalogue figure three ways, computed so they can be compared: as the dashboard tile
shows it, as the sum (or count) over the list the tile opens, and as that list's export
carries it; and what its "How is this computed?" page says about it.

The tile reads the rollup tables (reporting/dashboard.py); the list figure aggregates the
same ProjectRollup rows the list shows, in one query grouped by currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import QueryDict

from portfolio.models import HealthPolicy
from projects.metrics import EVM_TOTALS, EVMTotals
from projects.models import Project
from reporting.dashboard import Dashboard, portfolio_rollup
from reporting.kpis import Aggregate, Kpi, Unit

ZERO = Decimal("0")
# Labels of the ProjectRollup fields the catalogue names as measures or inputs.
FIELD_LABELS = {
    "bac": "BAC",
    "pv": "PV",
    "ev": "EV",
    "ac": "AC",
    "eac": "EAC",
    "fy_plan": "Plan this fiscal year",
    "pv_reported": "PV of the projects with a report",
    "ac_reported": "AC of the projects with a report",
    "milestones_slipping": "Slipped key milestones",
    "milestones_on_time": "Achieved on time",
    "milestones_achieved": "Achieved",
    "slip_days": "Worst key slip (days)",
    "exposure": "Risk exposure",
    "open_risks": "Open risks",
    "high_risks": "Open high risks",
    "emv": "Expected monetary value",
}
MONEY_FIELDS = {"bac", "pv", "ev", "ac", "eac", "pv_reported", "ac_reported", "emv", "fy_plan"}
# How a list sums each EVMTotals field: the reported ones over the rows with EV measured.
_REPORTED = Q(rollup__ev__isnull=False)
# The catalogue figures an EVMTotals answers (money and ratios alike).
_EVM_KEYS = {"bac", "pv", "ev", "ac", "eac", "cpi", "spi"}
_EVM_SUMS = {
    f"s_{name}": (
        Sum(f"rollup__{name.removesuffix('_reported')}", filter=_REPORTED)
        if name.endswith("_reported")
        else Sum(f"rollup__{name}")
    )
    for name in EVM_TOTALS
}
POLICY_LABELS = {
    "cpi_amber": "CPI amber below",
    "cpi_red": "CPI red below",
    "spi_amber": "SPI amber below",
    "spi_red": "SPI red below",
    "slip_amber_days": "Slip amber from (days)",
    "slip_red_days": "Slip red from (days)",
    "risk_amber_score": "Risk amber from score",
    "risk_red_score": "Risk red (high) from score",
}


@dataclass(frozen=True)
class Figure:
    """One value of a figure: in one currency for money and money ratios, else None."""

    currency: str | None
    value: Decimal | int | None


def _rate(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return None if not whole else Decimal(part) * 100 / Decimal(whole)


def tile_figures(d: Dashboard, kpi: Kpi) -> list[Figure]:
    """What the dashboard tile of `kpi` shows for its selection."""
    if kpi.key == "fy_plan":
        return [Figure(m.currency, m.year_plan) for m in d.money]
    if kpi.unit == Unit.MONEY or kpi.unit == Unit.RATIO:
        return [Figure(m.currency, getattr(m.evm, kpi.key)) for m in d.money]
    values = {
        "slipping": d.milestones_slipping,
        "on_time": d.on_time_rate,
        "worst_slip": d.worst_slip_days,
        "exposure": d.exposure,
        "high_risks": d.high_risks,
        "status_overdue": d.no_current_report,
    }
    return [Figure(None, values[kpi.key])]


def drill_query(kpi: Kpi) -> QueryDict:
    """The query string of the list the tile opens (its catalogue drill, and kpi=<key>)."""
    query = QueryDict(kpi.drill, mutable=True)
    query["kpi"] = kpi.key
    return query


def list_figures(projects: QuerySet[Project], kpi: Kpi) -> list[Figure]:
    """The figure over exactly the projects of a list (its filters applied, any order): one
    query, grouped by the portfolios' currency."""
    fields = kpi.measure
    combine = Max if kpi.aggregate == Aggregate.MAX else Sum
    evm = kpi.unit in (Unit.MONEY, Unit.RATIO) and kpi.key in _EVM_KEYS
    sums = _EVM_SUMS if evm else {f"s_{f}": combine(f"rollup__{f}") for f in fields}
    rows = (
        projects.order_by()
        .values("portfolio__currency")
        .annotate(n=Count("pk"), **sums)
        .order_by("portfolio__currency")
    )
    by_currency = {row["portfolio__currency"]: row for row in rows}
    if kpi.unit == Unit.MONEY and not evm:
        return [Figure(c, row[f"s_{fields[0]}"] or ZERO) for c, row in by_currency.items()]
    if evm:
        figures = []
        for currency, row in by_currency.items():
            evm = EVMTotals(**{f: row[f"s_{f}"] or ZERO for f in EVM_TOTALS})
            figures.append(Figure(currency, getattr(evm, kpi.key)))
        return figures
    rows = list(by_currency.values())
    if kpi.aggregate == Aggregate.COUNT:
        return [Figure(None, sum(row["n"] for row in rows))]
    if kpi.aggregate == Aggregate.MAX:
        found = [row[f"s_{fields[0]}"] for row in rows if row[f"s_{fields[0]}"] is not None]
        return [Figure(None, max(found, default=None))]
    totals = [sum((row[f"s_{field}"] or 0 for row in rows), 0) for field in fields]
    if kpi.aggregate == Aggregate.RATE:
        return [Figure(None, _rate(totals[0], totals[1]))]
    return [Figure(None, totals[0])]


@dataclass(frozen=True)
class Input:
    label: str
    currency: str | None
    value: Decimal | int


@dataclass(frozen=True)
class Explanation:
    """What "How is this computed?" says about one figure for one selection."""

    kpi: Kpi
    figures: list[Figure]
    inputs: list[Input]
    thresholds: list[tuple[str, Decimal | int]]
    projects_counted: int
    portfolios: list[str]
    computed_oldest: datetime | None
    computed_newest: datetime | None
    status_basis: date | None  # the reporting date the rollups were computed as of
    report_due: date


def _input_values(d: Dashboard, field: str) -> list[Input]:
    """One input of a figure, summed over the selection as the tile sums it: money per
    currency (the dashboard's own sums), counts over the portfolio rollups."""
    label = FIELD_LABELS[field]
    if field == "emv":
        return [Input(label, currency, value) for currency, value in d.emv_by_currency.items()]
    if field == "fy_plan":
        return [Input(label, m.currency, m.year_plan) for m in d.money]
    if field in MONEY_FIELDS:
        return [Input(label, m.currency, getattr(m.evm, field)) for m in d.money]
    rollups = [r for p in d.selection.portfolios if (r := portfolio_rollup(p)) is not None]
    return [Input(label, None, sum(getattr(r, field) for r in rollups))]


def explain(d: Dashboard, kpi: Kpi) -> Explanation:
    """The figure, its inputs with their dates and its scope, from the dashboard's data."""
    rollups = [r for p in d.selection.portfolios if (r := portfolio_rollup(p)) is not None]
    policy = HealthPolicy.current()
    return Explanation(
        kpi=kpi,
        figures=tile_figures(d, kpi),
        inputs=[i for field in kpi.inputs for i in _input_values(d, field)],
        thresholds=[(POLICY_LABELS[name], getattr(policy, name)) for name in kpi.thresholds],
        projects_counted=d.in_flight,
        portfolios=[p.name for p in d.selection.portfolios],
        computed_oldest=d.freshness.computed_at,
        computed_newest=d.freshness.computed_newest,
        status_basis=min((r.as_of for r in rollups), default=None),
        report_due=d.report_due,
    )
