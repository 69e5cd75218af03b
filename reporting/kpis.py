"""The KPI catalogue: one entry per figure the dashboard shows, and its one definition.

Every tile reads its label, the list it opens, the column that list shows and the words of
its "How is this computed?" page from here; the rollup engine counts each figure over the
projects the entry's scope names; docs/metrics.md is written from this catalogue
(`manage.py kpi_catalogue --write`) and a test keeps the two the same. The board-pack PDFs
and the API are to read the same entries.

A tile equals the sum (or count) of its measure over the list it opens, and that list's
export carries the same column: tests/test_kpi_catalogue.py holds all three equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from projects.choices import LifecycleState
from projects.selectors import IN_FLIGHT_STATES


class Unit(StrEnum):
    MONEY = "money"
    RATIO = "ratio"
    PERCENT = "percent"
    COUNT = "count"
    DAYS = "days"
    SCORE = "score"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher is better"
    LOWER_IS_BETTER = "lower is better"
    NEUTRAL = "neither better nor worse"


class Aggregate(StrEnum):
    """How the tile is made from its list's rows."""

    SUM = "sum of the measure over the list"
    COUNT = "count of the projects in the list"
    RATIO = "ratio of two sums over the list"
    RATE = "share of one sum in another over the list"
    MAX = "largest value of the measure over the list"


@dataclass(frozen=True)
class Scope:
    key: str
    states: tuple[str, ...]
    words: str

    @property
    def state_labels(self) -> list[str]:
        return [LifecycleState(s).label for s in self.states]

    def sql(self, column: str = "state") -> str:
        """The scope as a SQL predicate on a state column (values are our own constants)."""
        quoted = ", ".join(f"'{state}'" for state in self.states)
        return f"{column} IN ({quoted})"


# "In flight" is defined here once (from projects.selectors.IN_FLIGHT_STATES, which the
# project list filters on): approved, active or on hold.
IN_FLIGHT = Scope(
    "in_flight",
    tuple(str(s) for s in IN_FLIGHT_STATES),
    "approved, active or on hold (not proposed, closed or cancelled)",
)


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: Unit
    formula: str  # in words, as a PMO would check it
    aggregate: Aggregate
    direction: Direction
    # The ProjectRollup field the list shows as a column, the export carries and the tile
    # sums (or, for a ratio, the numerator's and denominator's fields).
    measure: tuple[str, ...] = ()
    # The project list's query string that opens exactly the projects the tile counts.
    drill: str = "live=1"
    # HealthPolicy fields whose values colour or select what the tile counts.
    thresholds: tuple[str, ...] = ()
    scope: Scope = IN_FLIGHT
    # The PortfolioRollup fields summed into the tile (its inputs on the explain page).
    inputs: tuple[str, ...] = ()
    note: str = ""
    # False for a figure the dashboard shows inside another tile's note (PV, EV): it has
    # its list and its "How is this computed?" page, but no tile of its own.
    tile: bool = True

    @property
    def column(self) -> str | None:
        """The one list column behind a sum, count or maximum (None for ratios)."""
        return self.measure[0] if len(self.measure) == 1 else None


CATALOGUE: tuple[Kpi, ...] = (
    Kpi(
        key="bac",
        label="Budget at completion",
        unit=Unit.MONEY,
        formula="Σ BAC: each project's approved budget at completion, summed.",
        aggregate=Aggregate.SUM,
        direction=Direction.NEUTRAL,
        measure=("bac",),
        drill="live=1&sort=-bac",
        inputs=("bac",),
    ),
    Kpi(
        key="pv",
        label="Planned value",
        unit=Unit.MONEY,
        formula=(
            "Σ PV: each project's planned cost of the months before its status date, plus "
            "the status date's month prorated by day, each month as planned under the budget "
            "baseline in force in it (a re-baselined project's earlier months keep the plan "
            "frozen at the re-baseline). A project on hold plans nothing after its hold "
            "date: its PV is measured at the earlier of the two."
        ),
        aggregate=Aggregate.SUM,
        direction=Direction.NEUTRAL,
        measure=("pv",),
        drill="live=1&sort=-pv",
        inputs=("pv",),
        tile=False,
    ),
    Kpi(
        key="ev",
        label="Earned value",
        unit=Unit.MONEY,
        formula=(
            "Σ EV, each project's earned by its method (the portfolio's, unless the project "
            "overrides it) at its status date: percent complete = BAC × the percent complete "
            "of its latest submitted report; weighted milestones = BAC × the weight of the "
            "milestones achieved by the status date ÷ all milestone weight; 0/100 = BAC once "
            "finished, else 0; 50/50 = half of BAC once started (money spent or progress "
            "reported), all of it once finished. BAC is the budget of the baseline in force "
            "on the status date; a re-baselined project adds what it had earned before that "
            "baseline and takes off what the method gives for that time at the new budget, "
            "so progress made before a re-baseline keeps its value."
        ),
        note=(
            "A project on percent complete with no submitted report, or on weighted "
            "milestones with no milestone weight, has no EV (not yet reported, not zero): it "
            "adds nothing here and is left out of CPI and SPI."
        ),
        aggregate=Aggregate.SUM,
        direction=Direction.HIGHER_IS_BETTER,
        measure=("ev",),
        drill="live=1&sort=-ev",
        inputs=("ev",),
        tile=False,
    ),
    Kpi(
        key="ac",
        label="Actual cost",
        unit=Unit.MONEY,
        formula="Σ AC: each project's actual cost booked in the months up to its status date.",
        aggregate=Aggregate.SUM,
        direction=Direction.NEUTRAL,
        measure=("ac",),
        drill="live=1&sort=-ac",
        inputs=("ac",),
    ),
    Kpi(
        key="eac",
        label="Estimate at completion",
        unit=Unit.MONEY,
        formula=(
            "Σ project EAC. A project's EAC is BAC ÷ CPI (= BAC × AC ÷ EV) once it has "
            "earned value and spent money; before that its budget, or its actual cost where "
            "that is already above the budget."
        ),
        aggregate=Aggregate.SUM,
        direction=Direction.LOWER_IS_BETTER,
        measure=("eac",),
        drill="live=1&sort=vac",
        inputs=("bac", "eac"),
        note=(
            "The PMs' own cost forecasts (cost grid) are a different figure, shown as "
            '"Forecast (bottom-up)".'
        ),
    ),
    Kpi(
        key="fy_plan",
        label="Plan this fiscal year",
        unit=Unit.MONEY,
        formula=(
            "Σ each project's planned cost in the months of the current fiscal year (a project "
            "on hold: only the months before its hold date's month, as the ranking and the "
            "capacity demand count it). Envelope share = this sum ÷ the fiscal year's "
            "envelope, the same on the dashboard, the portfolio list and page, and the ranking."
        ),
        aggregate=Aggregate.SUM,
        direction=Direction.NEUTRAL,
        measure=("fy_plan",),
        drill="live=1&sort=-bac",
        inputs=("fy_plan",),
        note="The fiscal year starts in the month the PMO's figures policy names.",
        tile=False,
    ),
    Kpi(
        key="cpi",
        label="CPI",
        unit=Unit.RATIO,
        formula=(
            "ΣEV ÷ ΣAC over the projects in the list that have a submitted status report "
            "(never an average of CPIs)."
        ),
        aggregate=Aggregate.RATIO,
        direction=Direction.HIGHER_IS_BETTER,
        measure=("ev", "ac"),
        drill="live=1&sort=cpi",
        thresholds=("cpi_amber", "cpi_red"),
        inputs=("ev", "ac_reported"),
        note="Not defined while those projects have spent nothing (ΣAC = 0).",
    ),
    Kpi(
        key="spi",
        label="SPI",
        unit=Unit.RATIO,
        formula=(
            "ΣEV ÷ ΣPV over the projects in the list that have a submitted status report "
            "(never an average of SPIs)."
        ),
        aggregate=Aggregate.RATIO,
        direction=Direction.HIGHER_IS_BETTER,
        measure=("ev", "pv"),
        drill="live=1&sort=spi",
        thresholds=("spi_amber", "spi_red"),
        inputs=("ev", "pv_reported"),
        note="Not defined while those projects have nothing planned to date (ΣPV = 0).",
    ),
    Kpi(
        key="slipping",
        label="Slipped key milestones",
        unit=Unit.COUNT,
        formula=(
            "Key milestones whose slip is above zero, counted: open ones forecast after their "
            "baseline date and achieved ones met after it (actual − baseline). The same "
            "milestones as the worst slip."
        ),
        aggregate=Aggregate.SUM,
        direction=Direction.LOWER_IS_BETTER,
        measure=("milestones_slipping",),
        drill="live=1&slipping=1&sort=-slip",
        inputs=("milestones_slipping",),
    ),
    Kpi(
        key="on_time",
        label="On-time rate",
        unit=Unit.PERCENT,
        formula=(
            "Milestones achieved on or before their baseline date ÷ milestones achieved, "
            "over the projects in the list."
        ),
        aggregate=Aggregate.RATE,
        direction=Direction.HIGHER_IS_BETTER,
        measure=("milestones_on_time", "milestones_achieved"),
        drill="live=1&sort=-slip",
        inputs=("milestones_on_time", "milestones_achieved"),
        note="Not defined while no milestone has been achieved.",
    ),
    Kpi(
        key="worst_slip",
        label="Worst key-milestone slip",
        unit=Unit.DAYS,
        formula=(
            "The largest slip, in days, among the key milestones of the projects in the list: "
            "forecast − baseline for an open one, actual − baseline for an achieved one."
        ),
        aggregate=Aggregate.MAX,
        direction=Direction.LOWER_IS_BETTER,
        measure=("slip_days",),
        drill="live=1&sort=-slip",
        thresholds=("slip_amber_days", "slip_red_days"),
    ),
    Kpi(
        key="exposure",
        label="Risk exposure",
        unit=Unit.SCORE,
        formula="Σ probability × impact (each 1–5) of the open risks of the projects.",
        aggregate=Aggregate.SUM,
        direction=Direction.LOWER_IS_BETTER,
        measure=("exposure",),
        drill="live=1&sort=-exposure",
        thresholds=("risk_amber_score", "risk_red_score"),
        inputs=("exposure", "open_risks", "emv"),
    ),
    Kpi(
        key="high_risks",
        label="Open high risks",
        unit=Unit.COUNT,
        formula=(
            "Open risks whose score (probability × impact) is at or above the PMO's red "
            "risk score, counted."
        ),
        aggregate=Aggregate.SUM,
        direction=Direction.LOWER_IS_BETTER,
        measure=("high_risks",),
        drill="live=1&high_risk=1&sort=-exposure",
        thresholds=("risk_red_score",),
        inputs=("high_risks",),
    ),
    Kpi(
        key="status_overdue",
        label="Status overdue",
        unit=Unit.COUNT,
        formula=(
            "Projects whose latest submitted status report ends before the last day of last "
            "month (or that have none), counted, once their first reporting period (the "
            "month they start in) has ended: a project not yet started is not overdue."
        ),
        aggregate=Aggregate.COUNT,
        direction=Direction.LOWER_IS_BETTER,
        drill="live=1&no_report=1",
    ),
)

# Gate metrics (governance): made from the gate and intake reviews, not from the project
# rollups; reporting/gate_metrics.py defines each over the list of reviews it counts.


@dataclass(frozen=True)
class GateKpi:
    """A catalogue entry made from reviews (reporting/gate_metrics.py), per gate and month."""

    key: str
    label: str
    unit: Unit
    formula: str
    direction: Direction
    note: str = ""


GATE_KPIS: tuple[GateKpi, ...] = (
    GateKpi(
        key="gate_cycle_days",
        label="Gate cycle time",
        unit=Unit.DAYS,
        formula=(
            "Mean of (decided − requested), in days to one decimal, over the gate and intake "
            "reviews decided (approved or rejected) in the period, each review counted once."
        ),
        direction=Direction.LOWER_IS_BETTER,
        note="Not defined while no review was decided in the period.",
    ),
    GateKpi(
        key="gate_first_pass",
        label="First-time pass rate",
        unit=Unit.PERCENT,
        formula=(
            "First reviews of a gate for a project or request (attempt 1) decided in the "
            "period and approved ÷ first reviews decided in the period."
        ),
        direction=Direction.HIGHER_IS_BETTER,
        note="Not defined while no first review was decided in the period.",
    ),
    GateKpi(
        key="reviews_overdue",
        label="Overdue reviews",
        unit=Unit.COUNT,
        formula=(
            "Reviews open at the end of the period (now, for the month in progress) whose "
            "SLA due time had passed by then, counted."
        ),
        direction=Direction.LOWER_IS_BETTER,
    ),
)

BY_KEY: dict[str, Kpi] = {kpi.key: kpi for kpi in CATALOGUE}


def get(key: str) -> Kpi | None:
    return BY_KEY.get(key)


def catalogue_markdown() -> str:
    """docs/metrics.md: the catalogue as a PMO reads it (`manage.py kpi_catalogue --write`)."""
    lines = [
        "# Metrics: the KPI catalogue",
        "",
        "Written from `reporting/kpis.py` by `python manage.py kpi_catalogue --write`; a test",
        "fails when the two differ. Every dashboard tile, the list it opens, that list's export",
        "and the tile's *How is this computed?* page read these entries.",
        "",
        f"**In flight** (the scope of every figure below): {IN_FLIGHT.words}.",
        "",
        "Money is summed per currency and never converted. Ratios are recomputed from sums",
        "(a portfolio's CPI is ΣEV ÷ ΣAC, never an average of project CPIs). Each project's",
        "PV, EV and AC are measured at its status date: the period end of its latest submitted",
        "status report, or the day of the recompute when it has none. A project without a",
        "submitted report is *not yet reported*: it has no EV, CPI, SPI or TCPI (not zero), no",
        "rule turns it red for that, and the ratios above leave it out.",
        "",
        "| Key | Figure | Unit | Formula | Made from its list as | Direction | PMO thresholds |",
        "|---|---|---|---|---|---|---|",
    ]
    for kpi in CATALOGUE:
        thresholds = ", ".join(f"`{name}`" for name in kpi.thresholds) or "—"
        formula = kpi.formula + (f" {kpi.note}" if kpi.note else "")
        lines.append(
            f"| `{kpi.key}` | {kpi.label} | {kpi.unit} | {formula} | {kpi.aggregate} | "
            f"{kpi.direction} | {thresholds} |"
        )
    lines += [
        "",
        "## Earned value: worked examples",
        "",
        "One project, BAC 120,000, status date 31 May 2026 (its latest submitted report, 40 %",
        "complete), 30,000 actual cost booked by then, and four milestones of weight 1, 2, 3",
        "and 4: the first achieved on 10 March, the second on 20 May, the third on 2 June (after",
        "the status date), the fourth open. `reporting/tests/test_engine.py` holds these.",
        "",
        "| Method | EV | CPI = EV ÷ AC |",
        "|---|---|---|",
        "| Percent complete as reported | 120,000 × 40 % = 48,000 | 1.60 |",
        "| Weighted milestones | 120,000 × (1 + 2) ÷ 10 = 36,000 | 1.20 |",
        "| 0/100, not finished | 0 | 0.00 |",
        "| 0/100, actual finish 20 May | 120,000 | 4.00 |",
        "| 50/50, started (money spent) | 60,000 | 2.00 |",
        "| 50/50, actual finish 20 May | 120,000 | 4.00 |",
        "",
        "The PMO sets the method per portfolio; a project may override it. The S-curve's EV line",
        "accumulates each project's value by its own method, month by month.",
        "",
        "## Budget baselines: a re-plan does not re-rate past progress",
        "",
        "A change of budget at completion after a project has begun (a re-plan, or an approved",
        "change request's cost impact) is a re-baseline in force from the first day of its month.",
        "Worked example (`reporting/tests/test_budget_baselines.py`): BAC 100,000; five months",
        "planned and spent at 10,000 each; the report at the end of last month says 50 %.",
        "",
        "| Moment | PV | EV | AC | CPI |",
        "|---|---|---|---|---|",
        "| Before | 50,000 | 100,000 × 50 % = 50,000 | 50,000 | 1.00 |",
        "| BAC raised to 140,000 this month (re-rated, EV would read 70,000, CPI 1.40) "
        "| 50,000 | 50,000 (baseline 1 in force on the status date) | 50,000 | 1.00 |",
        "| Last month's plan edited to 30,000 afterwards | 50,000 (frozen) | 50,000 | 50,000 "
        "| 1.00 |",
        "| Report at the end of this month: 60 % | 50,000 + 10,000 = 60,000 "
        "| 50,000 + 140,000 × 60 % − 140,000 × 50 % = 64,000 | — | — |",
        "",
        "EV = EV by the method at the budget of the baseline in force + EV earned before that",
        "baseline (rated at the earlier budgets) − the method's EV just before it at its budget.",
        "The project page lists the baselines; two changes within one month amend that month's.",
        "",
        "## The list behind each tile",
        "",
        "| Key | Project list query | Column(s) the list adds and sums |",
        "|---|---|---|",
    ]
    for kpi in CATALOGUE:
        measure = ", ".join(f"`{m}`" for m in kpi.measure) or "— (a count of rows)"
        lines.append(f"| `{kpi.key}` | `?{kpi.drill}&kpi={kpi.key}` | {measure} |")
    lines += [
        "",
        "## Gate metrics",
        "",
        "Made from the gate and intake reviews of the portfolios (change-request reviews have",
        "no gate), per gate and month by month over the last twelve months, in the",
        "organisation's time zone (*Gate metrics*, `/portfolios/gates/`). Each figure opens the",
        "list of reviews it counts, and that list's figure is the same function over the same",
        "rows (`reporting/gate_metrics.py`).",
        "",
        "| Key | Figure | Unit | Formula | Direction |",
        "|---|---|---|---|---|",
    ]
    for gate_kpi in GATE_KPIS:
        formula = gate_kpi.formula + (f" {gate_kpi.note}" if gate_kpi.note else "")
        lines.append(
            f"| `{gate_kpi.key}` | {gate_kpi.label} | {gate_kpi.unit} | {formula} | "
            f"{gate_kpi.direction} |"
        )
    return "\n".join(lines) + "\n"
