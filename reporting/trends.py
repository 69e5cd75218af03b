"""Trends: every KPI-catalogue figure week by week, read from the dated rollup snapshots
(ProjectRollupSnapshot, written by reporting.engine.snapshot).

Each point is made from one day's snapshot rows exactly as the dashboard tile is made from
the live rollups (reporting.dashboard, reporting.figures.tile_figures): money summed per
currency over the projects in the KPI's scope, CPI and SPI recomputed from sums over the
projects with a report (projects.metrics.EVMTotals, the same class the tile reads), the
on-time rate as Σ on time × 100 ÷ Σ achieved, the worst slip as a maximum, status overdue as
a count. So the last point of a series equals the tile when the snapshot was taken from the
current rollups (reporting/tests/test_trends.py holds the two equal).

A portfolio's series are read in one query (GROUP BY day and currency), a project's in one.
Charts: `trend_chart` is the one definition the trends page and the board-pack PDF draw.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ppm.charts import Axis, LineChart, Point
from ppm.charts import Series as ChartSeries
from ppm.templatetags.conductor import format_money
from projects.metrics import EVM_TOTALS, EVMTotals
from reporting.dashboard_charts import short_money
from reporting.kpis import BY_KEY, CATALOGUE, Aggregate, Direction, Kpi, Unit
from reporting.models import ProjectRollupSnapshot

ZERO = Decimal("0")
Value = Decimal | int | None

# The KPIs whose money figures are an EVMTotals attribute (as reporting.figures reads them).
_EVM_KEYS = {"bac", "pv", "ev", "ac", "eac", "cpi", "spi"}


@dataclass
class Series:
    """One figure over time: (day, value) pairs, oldest first; None where the figure is not
    defined that day (a ratio with nothing to divide by)."""

    kpi: Kpi
    currency: str | None
    points: list[tuple[date, Value]]

    @property
    def last(self) -> Value:
        return self.points[-1][1] if self.points else None

    @property
    def first(self) -> Value:
        return self.points[0][1] if self.points else None


# --- A portfolio selection ------------------------------------------------------------------


def _sums() -> dict:
    """Every sum a catalogue figure is made from, per scope, as one GROUP BY's aggregates.

    Named <scope>__<field>; the EVM ones follow EVM_TOTALS (pv_reported and ac_reported over
    the projects whose EV is measured, as the engine sums PortfolioRollup)."""
    aggregates: dict = {}
    for scope in {kpi.scope for kpi in CATALOGUE}:
        live = Q(state__in=scope.states)
        reported = live & Q(ev__isnull=False)
        for name in EVM_TOTALS:
            field = name.removesuffix("_reported")
            condition = reported if (name.endswith("_reported") or name == "ev") else live
            aggregates[f"{scope.key}__{name}"] = Coalesce(
                Sum(field, filter=condition), ZERO, output_field=DecimalField()
            )
        aggregates[f"{scope.key}__fy_plan"] = Coalesce(
            Sum("fy_plan", filter=live), ZERO, output_field=DecimalField()
        )
        for field in (
            "milestones_slipping",
            "milestones_achieved",
            "milestones_on_time",
            "exposure",
            "high_risks",
        ):
            aggregates[f"{scope.key}__{field}"] = Coalesce(Sum(field, filter=live), 0)
        aggregates[f"{scope.key}__max_slip_days"] = Max("slip_days", filter=live)
        aggregates[f"{scope.key}__status_overdue"] = Count(
            "pk", filter=live & Q(status_overdue=True)
        )
    return aggregates


def _money_value(kpi: Kpi, row: dict) -> Value:
    key = kpi.scope.key
    if kpi.key == "fy_plan":
        return row[f"{key}__fy_plan"]
    if kpi.key in _EVM_KEYS:
        evm = EVMTotals(**{name: row[f"{key}__{name}"] for name in EVM_TOTALS})
        return getattr(evm, kpi.key)
    # A money figure added to the catalogue later: its one measure, summed.
    return row[f"{key}__{kpi.measure[0]}"]


def _plain_value(kpi: Kpi, rows: list[dict]) -> Value:
    """A figure with no currency, from a day's rows of every currency."""
    key = kpi.scope.key
    if kpi.aggregate == Aggregate.COUNT:
        return sum(row[f"{key}__{kpi.key}"] for row in rows)
    if kpi.aggregate == Aggregate.MAX:
        found = [r[f"{key}__max_{kpi.measure[0]}"] for r in rows]
        return max((v for v in found if v is not None), default=None)
    totals = [sum(row[f"{key}__{field}"] for row in rows) for field in kpi.measure]
    if kpi.aggregate == Aggregate.RATE:
        # As Dashboard.on_time_rate computes the tile.
        return None if not totals[1] else Decimal(totals[0] * 100) / totals[1]
    return totals[0]


def portfolio_series(
    *, portfolio_ids: list[int], weeks: int = 26, today: date | None = None
) -> list[Series]:
    """One series per catalogue figure over the portfolios' snapshots of the last `weeks`
    weeks (money figures one per currency, in currency order): one query."""
    today = today or timezone.localdate()
    first = today - timedelta(weeks=weeks)
    rows = list(
        ProjectRollupSnapshot.objects.filter(
            portfolio_id__in=portfolio_ids, taken_on__gte=first, taken_on__lte=today
        )
        .values("taken_on", "portfolio__currency")
        .annotate(**_sums())
        .order_by("taken_on", "portfolio__currency")
    )
    by_day: dict[date, list[dict]] = defaultdict(list)
    for row in rows:
        by_day[row["taken_on"]].append(row)
    currencies = sorted({row["portfolio__currency"] for row in rows})
    days = sorted(by_day)
    series = []
    for kpi in CATALOGUE:
        if kpi.unit == Unit.MONEY or (kpi.unit == Unit.RATIO and kpi.key in _EVM_KEYS):
            for currency in currencies:
                points = []
                for day in days:
                    row = next(
                        (r for r in by_day[day] if r["portfolio__currency"] == currency), None
                    )
                    if row is not None:
                        points.append((day, _money_value(kpi, row)))
                series.append(Series(kpi, currency, points))
        else:
            points = [(day, _plain_value(kpi, by_day[day])) for day in days]
            series.append(Series(kpi, None, points))
    return series


# --- One project ----------------------------------------------------------------------------

# A project's rule health drawn as a level: red 1, amber 2, green 3 (higher is better).
HEALTH_LEVELS = {"red": 1, "amber": 2, "green": 3}
HEALTH_NAMES = {level: rag.title() for rag, level in HEALTH_LEVELS.items()}
HEALTH = Kpi(
    key="health",
    label="Rule health",
    unit=Unit.SCORE,
    formula="The project's overall health by the PMO's rules (red, amber or green).",
    aggregate=Aggregate.MAX,
    direction=Direction.HIGHER_IS_BETTER,
    measure=("health_rag",),
    tile=False,
)
# The figures a project's trend shows: (the catalogue entry, the snapshot field it reads).
PROJECT_FIGURES: tuple[tuple[Kpi, str], ...] = (
    (HEALTH, "health_rag"),
    (BY_KEY["bac"], "bac"),
    (BY_KEY["eac"], "eac"),
    (BY_KEY["ac"], "ac"),
    (BY_KEY["ev"], "ev"),
    (BY_KEY["cpi"], "cpi"),
    (BY_KEY["spi"], "spi"),
    (BY_KEY["worst_slip"], "slip_days"),
    (BY_KEY["exposure"], "exposure"),
    (BY_KEY["high_risks"], "high_risks"),
)


def project_series(*, project_id: int, weeks: int = 52, today: date | None = None) -> list[Series]:
    """The project's own figures from its snapshots of the last `weeks` weeks: one query."""
    today = today or timezone.localdate()
    fields = [field for _kpi, field in PROJECT_FIGURES]
    rows = list(
        ProjectRollupSnapshot.objects.filter(
            project_id=project_id, taken_on__gte=today - timedelta(weeks=weeks), taken_on__lte=today
        )
        .order_by("taken_on")
        .values("taken_on", "portfolio__currency", *fields)
    )
    currency = rows[-1]["portfolio__currency"] if rows else None
    series = []
    for kpi, field in PROJECT_FIGURES:
        if field == "health_rag":
            points = [(r["taken_on"], HEALTH_LEVELS.get(r[field])) for r in rows]
        else:
            points = [(r["taken_on"], r[field]) for r in rows]
        money = kpi.unit in (Unit.MONEY, Unit.RATIO)
        series.append(Series(kpi, currency if money else None, points))
    return series


# --- The chart ------------------------------------------------------------------------------


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def format_value(kpi: Kpi, value: Value, currency: str | None = None) -> str:
    """A figure as its tile writes it: money whole, ratios to two places, a rate in percent."""
    if value is None:
        return "not defined"
    if kpi is HEALTH:
        return HEALTH_NAMES.get(int(value), "—")
    if kpi.unit == Unit.MONEY:
        return format_money(value, currency or "")
    if kpi.unit == Unit.RATIO:
        return f"{Decimal(value):.2f}"
    if kpi.unit == Unit.PERCENT:
        return f"{Decimal(value):.0f} %"
    if kpi.unit == Unit.DAYS:
        return f"{value} d"
    return f"{value:,}"


def _tick(kpi: Kpi, currency: str | None):
    if kpi is HEALTH:
        return lambda v: HEALTH_NAMES.get(int(v), "") if v == int(v) else ""
    if kpi.unit == Unit.MONEY:
        return lambda v: short_money(v, currency or "")
    if kpi.unit == Unit.PERCENT:
        return lambda v: f"{Decimal(v):.0f}%"
    if kpi.unit in (Unit.COUNT, Unit.DAYS, Unit.SCORE):
        # Whole numbers only: a tick between two counts is left unlabelled.
        return lambda v: f"{int(v):,}" if v == int(v) else ""
    # Ratios: the axis's own labels (as many decimals as the step needs).
    return None


_Y_LABELS = {
    Unit.RATIO: "Ratio",
    Unit.PERCENT: "Percent",
    Unit.COUNT: "Count",
    Unit.DAYS: "Days",
    Unit.SCORE: "Score",
}


def series_title(series: Series) -> str:
    label = series.kpi.label
    return f"{label} ({series.currency})" if series.currency else label


def trend_chart(
    series: Series, *, chart_id: str, window: tuple[date, date] | None = None
) -> LineChart:
    """One figure's trend as a small line chart: the page's small multiples and the PDF draw
    this same definition. A day the figure is not defined has no marker (the line joins its
    neighbours) and is counted in the description. `window` (first day, last day) fixes the
    time axis, so small multiples side by side share it."""
    kpi, currency = series.kpi, series.currency
    drawn = [(day, value) for day, value in series.points if value is not None]
    points = [
        Point(day, value, note=f"{_day(day)}: {format_value(kpi, value, currency)}")
        for day, value in drawn
    ]
    if drawn:
        (first_day, first), (last_day, last) = drawn[0], drawn[-1]
        description = (
            f"{series_title(series)}: {format_value(kpi, last, currency)} on "
            f"{_day(last_day)}"
            + (
                f", from {format_value(kpi, first, currency)} on {_day(first_day)}"
                if first_day != last_day
                else ""
            )
            + f" ({len(drawn)} snapshot{'s' if len(drawn) != 1 else ''}"
            + (
                f"; not defined on {len(series.points) - len(drawn)}"
                if len(drawn) < len(series.points)
                else ""
            )
            + ")."
        )
    elif series.points:
        count = len(series.points)
        description = (
            f"{series_title(series)}: not defined on {count} snapshot{'s' if count != 1 else ''}"
            " (nothing to divide by)."
        )
    else:
        description = f"{series_title(series)}: no snapshot yet."
    y_label = (currency or "Money") if kpi.unit == Unit.MONEY else _Y_LABELS.get(kpi.unit, "")
    y_axis = Axis(y_label, tick_format=_tick(kpi, currency))
    if kpi is HEALTH:
        y_axis = Axis("Health", minimum=1, maximum=3, tick_format=_tick(kpi, currency))
    elif kpi.unit != Unit.RATIO and all(v >= 0 for _d, v in drawn):
        # Counts and money start at zero, so a small change does not look like a cliff.
        y_axis = Axis(y_label, minimum=0, tick_format=_tick(kpi, currency))
    return LineChart(
        id=chart_id,
        title=series_title(series),
        description=description,
        x_axis=Axis(
            "Snapshot",
            kind="date",
            minimum=window[0] if window else None,
            maximum=window[1] if window else None,
        ),
        y_axis=y_axis,
        series=[ChartSeries(kpi.label, points, step=kpi is HEALTH)],
        empty_message="Not defined yet." if series.points else "No snapshot yet.",
        legend=False,
        width=380,
        height=230,
    )
