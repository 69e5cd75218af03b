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

from portfolio.dashboard import Dashboard
from ppm.charts import Axis, LineChart, Point, ReferenceLine, Series
from ppm.templatetags.conductor import format_money

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

    pv = ac = forecast = ZERO
    planned, actual, earned, path = [], [], [], []
    for row in dashboard.months:
        month = row["month"]
        pv += row["planned"]
        planned.append(point(month, pv, "PV"))
        if month <= this_month:
            ac += row["actual"]
            forecast = ac
            actual.append(point(month, ac, "AC"))
            earned.append(point(month, row["ev"], "EV"))
            if month == this_month:
                path.append(Point(month, forecast, marker=False))
        else:
            forecast += row["forecast"]
            path.append(point(month, forecast, "forecast"))
    money = dashboard.money[0] if dashboard.money else None
    bac = money.evm.bac if money else ZERO
    references = []
    if dashboard.months and bac:
        first, last = dashboard.months[0]["month"], dashboard.months[-1]["month"]
        label = f"BAC {short_money(bac, currency)}"
        references.append(ReferenceLine(start=(first, bac), end=(last, bac), label=label))
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
            f"planned {short_money(_last(planned), currency)}, "
            f"earned {short_money(_last(earned), currency)}, "
            f"actual {short_money(_last(actual), currency)}; forecast at completion "
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
