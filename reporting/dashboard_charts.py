"""The dashboard's charts as chart definitions (ppm.charts): the page inlines their SVG, and
the PDF board pack will draw the very same definitions, so the two cannot disagree.

Why server-side SVG rather than Vega-Lite specs drawn by vega-embed: one Python definition
renders identically in the browser, in e-mail and in WeasyPrint with no JavaScript and no
headless browser or V8 (vl-convert) on the server; the page stays light (no 800 kB of
Vega runtime) and every mark keeps its <title> for hover and screen readers. What it gives up
is client-side interaction (zoom, brushing); drill-down works through links on the marks.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.urls import reverse

from ppm.charts import (
    Axis,
    Bubble,
    BubbleCategory,
    BubbleChart,
    ColourBand,
    GuideLine,
    HeatCell,
    HeatMap,
    HeatRow,
    LineChart,
    Point,
    ReferenceLine,
    Series,
)
from ppm.charts.palette import HEALTH_COLOURS, HEALTH_MARKERS, LOAD_COLOURS
from ppm.charts.scales import drawable
from ppm.templatetags.conductor import format_money
from reporting.dashboard import Dashboard

ZERO = Decimal("0")


def short_money(value, currency: str = "") -> str:
    """'€1.2M', '€850k', '€900' — tick labels and notes where whole figures would crowd."""
    amount = Decimal(value)
    for limit, suffix in ((Decimal("1e9"), "bn"), (Decimal("1e6"), "M"), (Decimal("1e3"), "k")):
        if abs(amount) >= limit:
            scaled = (amount / limit).quantize(Decimal("0.1"))
            text = format_money(scaled, currency, places=1)
            return (text[:-2] if text.endswith(".0") else text) + suffix
    return format_money(amount, currency)


def s_curve(dashboard: Dashboard, *, chart_id: str = "s-curve") -> LineChart:
    """Budget burn: cumulative planned value, earned value and actual cost by month, and the
    forecast path (actuals to date, then the monthly forecasts) against the total budget.

    Months are month starts; each point is the cumulative figure at that month's end. EV and
    AC stop at the current month (later months have no actuals and no reports yet)."""
    currency = dashboard.currency or ""
    this_month = dashboard.today.replace(day=1)

    # Beyond two years a marker a month crowds the lines: mark quarters (and this month).
    sparse = len(dashboard.months) > 24

    def point(month: date, value: Decimal, what: str) -> Point:
        marked = not sparse or month.month in (1, 4, 7, 10) or month == this_month
        note = f"{month:%b %Y}: {what} {short_money(value, currency)}"
        return Point(month, value, note=note, marker=marked)

    pv = ac = forecast = pv_to_date = ZERO
    planned, actual, earned, path = [], [], [], []
    last_past: Point | None = None
    for row in dashboard.months:
        month = row["month"]
        pv += row["planned"]
        planned.append(point(month, pv, "PV"))
        if month <= this_month:
            pv_to_date = pv
            ac += row["actual"]
            actual.append(point(month, ac, "AC"))
            earned.append(point(month, row["ev"], "EV"))
        # Forecast (bottom-up): a past month at its actual, this month and later at the
        # forecast (projects.metrics.bottom_up_forecast); the path leaves the AC line at the
        # last past month.
        if month < this_month:
            forecast += row["actual"]
            last_past = Point(month, forecast, marker=False)
        else:
            if not path and last_past is not None:
                path.append(last_past)
            forecast += row["forecast"]
            path.append(point(month, forecast, "forecast"))
    money = dashboard.money[0] if dashboard.money else None
    bac = money.evm.bac if money else ZERO
    references = []
    # A month no chart can draw (a cost line of year 9999 saved before dates were checked)
    # still counts in the sums above; the budget line spans the months that are drawn.
    shown = [row["month"] for row in dashboard.months if drawable(row["month"])]
    if shown and bac:
        first, last = shown[0], shown[-1]
        label = f"BAC {short_money(bac, currency)}"
        references.append(
            ReferenceLine(start=(first, bac), end=(last, bac), label=label, label_at="start")
        )
    if dashboard.months:
        top = max([bac, pv, forecast, ac])
        references.append(
            ReferenceLine(
                start=(this_month, ZERO), end=(this_month, top), label="Today", extends_range=False
            )
        )
    if dashboard.months:
        summary = (
            f"Cumulative to {this_month:%b %Y}: "
            f"planned {short_money(pv_to_date, currency)}, "
            f"earned {short_money(_last(earned), currency)}, "
            f"actual {short_money(_last(actual), currency)}; forecast (bottom-up) at completion "
            f"{short_money(forecast, currency)} against a budget of {short_money(bac, currency)}."
        )
    else:
        summary = "No cost plan yet."
    return LineChart(
        id=chart_id,
        title="Budget burn: cumulative PV, EV and AC by month",
        description=summary,
        x_axis=Axis("Month", kind="date", tick_format=lambda d: f"{d:%b %y}"),
        y_axis=Axis(
            f"Cumulative ({currency})" if currency else "Cumulative",
            tick_format=lambda v: short_money(v, currency),
        ),
        series=[
            Series("Planned value (PV)", planned, marker="circle"),
            Series("Earned value (EV)", earned, marker="triangle"),
            Series("Actual cost (AC)", actual, marker="square"),
            Series("Forecast", path, marker="diamond", dashed=True),
        ],
        reference_lines=references,
        empty_message="No cost plan yet.",
        width=760,
        height=360,
    )


def _last(points: list[Point]) -> Decimal:
    return points[-1].y if points else ZERO


HEALTH_CATEGORIES = tuple(
    BubbleCategory(rag, rag.title(), colour=HEALTH_COLOURS[rag], marker=HEALTH_MARKERS[rag])
    for rag in ("green", "amber", "red")
)


def bubble_chart(dashboard: Dashboard, *, chart_id: str = "risk-value") -> BubbleChart:
    """Risk against value: x = risk exposure (Σ probability × impact of open risks), y = the
    weighted priority score (0–100), area = budget at completion, colour and centre shape =
    rule health. Top left (valuable, low risk) is where a director wants the big bubbles."""
    currency = dashboard.currency or ""
    # One reverse() and a substitution, not one per bubble.
    project_url = reverse("projects:detail", args=[0]).replace("/0/", "/{}/")
    bubbles = [
        Bubble(
            x=r.exposure,
            y=r.priority_score,
            size=r.bac,
            category=r.health_rag,
            note=(
                f"{r.code} {r.name}: priority {r.priority_score:.0f}, "
                f"exposure {r.exposure}, BAC {short_money(r.bac, currency)}, "
                f"health {r.health_rag}"
            ),
            label=r.code if n < 8 else "",
            href=project_url.format(r.project_id),
        )
        for n, r in enumerate(dashboard.bubbles)
    ]
    exposures = sorted(r.exposure for r in dashboard.bubbles)
    guides = [GuideLine("y", 50, "Priority 50")]
    if exposures:
        median = exposures[len(exposures) // 2]
        guides.append(GuideLine("x", median, f"Median exposure {median}"))
    shown = len(bubbles)
    description = (
        f"{shown} scored project{'s' if shown != 1 else ''} in flight by risk exposure and "
        f"priority score, sized by budget"
        + (f"; {dashboard.unscored} not yet scored are not shown" if dashboard.unscored else "")
        + "."
    )
    return BubbleChart(
        id=chart_id,
        title="Risk and value: exposure against priority score",
        description=description,
        x_axis=Axis("Risk exposure (Σ probability × impact)", minimum=0),
        y_axis=Axis("Priority score", minimum=0, maximum=100),
        bubbles=bubbles,
        categories=HEALTH_CATEGORIES,
        guides=guides,
        size_note="Bubble area: budget at completion",
        size_format=lambda value: short_money(value, currency),
        empty_message="No scored project in flight yet.",
        width=620,
        height=420,
    )


# Bookings as a percentage of capacity; lightness falls band by band (palette.LOAD_COLOURS),
# so the order survives a grey-scale print.
UTILISATION_BANDS = (
    ColourBand("Under 80%", LOAD_COLOURS[0], Decimal(80)),
    ColourBand("80–100%", LOAD_COLOURS[1], Decimal(100)),
    ColourBand("100–120%", LOAD_COLOURS[2], Decimal(120)),
    ColourBand("Over 120%", LOAD_COLOURS[3]),
)


def _hours(value: Decimal) -> str:
    return f"{value:,.0f} h"


def capacity_heatmap(dashboard: Dashboard, *, chart_id: str = "capacity") -> HeatMap:
    """Utilisation by resource group and month: hours booked on the group by every
    portfolio's projects ÷ the group's capacity (portfolio.capacity). Capacity is shared, so
    the cell counts all bookings; the note says how much of it is the selection's."""
    grid = dashboard.capacity
    rows = []
    for group in grid.groups:
        cells = []
        for month in grid.months:
            cell = grid.cells[(group, month)]
            share = cell.utilisation
            percent = None if share is None else (share * 100).quantize(Decimal("1"))
            booked = f"{group}, {month:%b %Y}: {_hours(cell.demand)} booked"
            if percent is None:
                note = f"{booked}, no capacity recorded"
            else:
                note = f"{booked} of {_hours(cell.capacity)} capacity ({percent}%)"
            if dashboard.selection.portfolio is not None or len(dashboard.selection.choices) > 1:
                note += f"; {_hours(cell.selected_demand)} by the projects shown here"
            cells.append(
                HeatCell(
                    value=percent,
                    text="—" if percent is None else f"{percent}%",
                    note=note,
                )
            )
        rows.append(HeatRow(group, cells))
    return HeatMap(
        id=chart_id,
        title="Capacity and demand: hours booked as a share of capacity",
        description=(
            f"{len(grid.groups)} resource groups over {len(grid.months)} months, from "
            f"{grid.months[0]:%b %Y}; cells over 100% are overbooked."
            if grid.months and grid.groups
            else "No resource groups yet."
        ),
        columns=[f"{month:%b %y}" for month in grid.months],
        rows=rows,
        bands=UTILISATION_BANDS,
        missing_label="No capacity",
        empty_message="No resource capacity or bookings yet.",
        width=620,
    )
