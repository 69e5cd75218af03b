"""The numbers: one definition of each figure Conductor shows (DESIGN.md §4).

Rounding is half away from zero (ROUND_HALF_UP), as PostgreSQL's round(numeric) does, so the
rollup SQL and these functions agree to the last digit.

Pure functions over Decimals and dates. A ratio whose denominator is zero is "not defined",
returned as None — never 0 and never an exception — and shown as "n/a". The rollup SQL
(issue 4) must give the same results; its property test compares against these functions.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")
RATIO_PLACES = Decimal("0.0001")
MONEY_PLACES = Decimal("0.01")


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> Decimal:
    return value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


# --- Earned value management -------------------------------------------------------------


def status_date(*, last_report_period_end: date | None, as_of: date) -> date:
    """The date EVM is measured at: the period end of the latest submitted status report
    (percent complete, hence EV, is known as of then); `as_of` when there is no report yet."""
    return last_report_period_end or as_of


def hold_date(*, state: str, on_hold_since: date | None, as_of: date) -> date | None:
    """The day a project on hold stopped: its recorded hold date, or (not recorded) the first
    of `as_of`'s month. None unless on hold. Planned value stops there (PV is measured at the
    earlier of the status date and this day) and its plan from this month on is released."""
    if state != "on_hold":
        return None
    return on_hold_since or as_of.replace(day=1)


def prorated_plan(month: date, amount: Decimal, *, at: date) -> Decimal:
    """The part of one month's planned cost that falls on or before `at`.

    Months before `at`'s month count in full, later months not at all, and `at`'s own month
    by the share of its days elapsed (a month-end status date takes it whole).
    """
    cutoff = at.replace(day=1)
    if month < cutoff:
        return amount
    if month > cutoff:
        return ZERO
    days_in_month = calendar.monthrange(at.year, at.month)[1]
    return _money(amount * at.day / days_in_month)


def planned_value(planned_by_month: Iterable[tuple[date, Decimal]], *, at: date) -> Decimal:
    """PV: the planned cost scheduled up to the status date `at` (see prorated_plan)."""
    return sum((prorated_plan(month, amount, at=at) for month, amount in planned_by_month), ZERO)


def actual_cost(actual_by_month: Iterable[tuple[date, Decimal]], *, at: date) -> Decimal:
    """AC: the actual cost booked in every month up to and including the status date's month
    (actuals are booked per month, so the month is taken whole)."""
    cutoff = at.replace(day=1)
    return sum((amount for month, amount in actual_by_month if month <= cutoff), ZERO)


def earned_value(bac: Decimal, percent_complete: Decimal | None) -> Decimal | None:
    """EV = BAC × percent complete / 100; None (not yet reported) without a report."""
    if percent_complete is None:
        return None
    return _money(bac * percent_complete / HUNDRED)


PERCENT, MILESTONES, FIXED_0_100, FIXED_50_50 = "percent", "milestones", "0_100", "50_50"


def earned_value_by_method(
    method: str,
    *,
    bac: Decimal,
    percent_complete: Decimal | None,
    milestones: Iterable[tuple[Decimal, date | None]] = (),
    at: date,
    actual_cost: Decimal = ZERO,
    actual_finish: date | None = None,
) -> Decimal | None:
    """EV at status date `at` by the project's method (portfolio.choices.EvMethod):

    - percent: BAC × the reported percent complete; None (not yet reported) without a report;
    - milestones: BAC × the weight of the milestones achieved by `at` ÷ the weight of all
      milestones (`milestones` are (weight, actual date) pairs); None without weight;
    - 0/100: BAC once finished (actual finish by `at`, or 100 % reported), else 0;
    - 50/50: half of BAC once started (actual cost booked, or progress reported), all of it
      once finished, else 0.
    """
    finished = (actual_finish is not None and actual_finish <= at) or percent_complete == HUNDRED
    if method == MILESTONES:
        stones = list(milestones)
        total = sum((weight for weight, _done in stones), ZERO)
        if not total:
            return None
        done = sum((w for w, actual in stones if actual is not None and actual <= at), ZERO)
        return _money(bac * done / total)
    if method == FIXED_0_100:
        return bac if finished else ZERO
    if method == FIXED_50_50:
        if finished:
            return bac
        started = actual_cost > 0 or (percent_complete or ZERO) > 0
        return _money(bac / 2) if started else ZERO
    return earned_value(bac, percent_complete)


@dataclass(frozen=True)
class BaselineFacts:
    """One budget baseline (projects.models.BudgetBaseline) as the definitions read it."""

    effective_month: date
    bac: Decimal
    ev_carried: Decimal = ZERO
    ev_offset: Decimal = ZERO


def baseline_in_force(baselines: Iterable[BaselineFacts], at: date) -> BaselineFacts | None:
    """The baseline in force on `at`: the latest whose month has begun by then (None when the
    project was never re-baselined, or `at` is before its first month)."""
    begun = [b for b in baselines if b.effective_month <= at]
    return max(begun, key=lambda b: b.effective_month, default=None)


def earned_value_in_force(
    method_ev: Callable[[Decimal], Decimal | None],
    *,
    bac: Decimal,
    baselines: Iterable[BaselineFacts] = (),
    at: date,
) -> Decimal | None:
    """EV at status date `at` against the budget baseline in force then: the method's EV at
    that baseline's BAC (`method_ev(bac)`), plus what was earned before the baseline took
    effect, less what the method gives for that time at the new BAC. Progress made before a
    re-baseline thus keeps the value it had; only progress since is rated at the new budget.
    Without baselines: the method's EV at the project's BAC."""
    baseline = baseline_in_force(baselines, at)
    if baseline is None:
        return method_ev(bac)
    ev = method_ev(baseline.bac)
    return None if ev is None else ev + baseline.ev_carried - baseline.ev_offset


def plan_in_force(
    current: Iterable[tuple[date, Decimal]],
    frozen: Iterable[tuple[date, Decimal]],
    *,
    frozen_before: date | None,
) -> list[tuple[date, Decimal]]:
    """The monthly plan planned value is measured against: each month before the newest
    baseline's month (`frozen_before`) as frozen under the baseline then in force (`frozen`),
    the current plan (`current`, the cost lines) from that month on."""
    kept = [(m, a) for m, a in current if frozen_before is None or m >= frozen_before]
    return kept + list(frozen)


class _AtCompletion:
    """ETC and VAC, made from EAC the same way for one project and for a sum of them."""

    bac: Decimal
    ac: Decimal
    eac: Decimal

    @property
    def etc(self) -> Decimal:
        """ETC = EAC − AC."""
        return self.eac - self.ac

    @property
    def vac(self) -> Decimal:
        """VAC = BAC − EAC (negative: expected overrun)."""
        return self.bac - self.eac


@dataclass(frozen=True)
class EVM(_AtCompletion):
    """The earned-value figures of one project at its status date.

    `ev` is None while the project has no submitted status report: its progress is not yet
    reported, which is not zero progress, so CV, SV, CPI, SPI and TCPI are not defined either
    and no rule turns the project red for it.
    """

    bac: Decimal
    pv: Decimal
    ev: Decimal | None
    ac: Decimal

    @property
    def reported(self) -> bool:
        return self.ev is not None

    @property
    def cv(self) -> Decimal | None:
        """CV = EV − AC (negative: over budget)."""
        return None if self.ev is None else self.ev - self.ac

    @property
    def sv(self) -> Decimal | None:
        """SV = EV − PV (negative: behind schedule)."""
        return None if self.ev is None else self.ev - self.pv

    @property
    def cpi(self) -> Decimal | None:
        """CPI = EV / AC; not defined while nothing has been spent or nothing reported."""
        return None if self.ev is None else _ratio(self.ev, self.ac)

    @property
    def spi(self) -> Decimal | None:
        """SPI = EV / PV; not defined while nothing was planned to date or nothing reported."""
        return None if self.ev is None else _ratio(self.ev, self.pv)

    @property
    def eac_method(self) -> str:
        """BAC ÷ CPI once CPI is above zero (value earned and money spent), else budget."""
        if self.ev is not None and self.ev > 0 and self.ac > 0:
            return EAC_BY_CPI
        return EAC_BY_BUDGET

    @property
    def eac(self) -> Decimal:
        """EAC = BAC / CPI (= BAC × AC / EV) once the project has earned value and spent
        money; before that (no report, nothing spent, or nothing earned) the budget, or the
        actual cost where that is already above it: EAC = max(BAC, AC)."""
        if self.eac_method == EAC_BY_CPI:
            return _money(self.bac * self.ac / self.ev)
        return max(self.bac, self.ac)

    @property
    def tcpi(self) -> Decimal | None:
        """TCPI = (BAC − EV) / (BAC − AC): the efficiency needed on the remaining work to finish
        on budget; not defined once the budget is fully spent (BAC = AC) or before a report."""
        return None if self.ev is None else _ratio(self.bac - self.ev, self.bac - self.ac)


EAC_BY_CPI = "cpi"
EAC_BY_BUDGET = "budget"


@dataclass(frozen=True)
class EVMTotals(_AtCompletion):
    """Earned-value figures summed over projects (a portfolio, a selection, a list).

    Money is summed; EAC is the sum of the projects' EACs (one EAC per level); the ratios
    are recomputed from sums over the projects whose progress is reported (`pv_reported`,
    `ac_reported`), so a project without a report neither earns nor dilutes CPI and SPI.
    """

    bac: Decimal
    pv: Decimal
    ev: Decimal
    ac: Decimal
    eac: Decimal
    pv_reported: Decimal
    ac_reported: Decimal

    @property
    def cv(self) -> Decimal:
        return self.ev - self.ac_reported

    @property
    def sv(self) -> Decimal:
        return self.ev - self.pv_reported

    @property
    def cpi(self) -> Decimal | None:
        return _ratio(self.ev, self.ac_reported)

    @property
    def spi(self) -> Decimal | None:
        return _ratio(self.ev, self.pv_reported)

    @classmethod
    def of(cls, projects: Iterable[EVM]) -> EVMTotals:
        rows = list(projects)
        reported = [e for e in rows if e.ev is not None]
        return cls(
            bac=sum((e.bac for e in rows), ZERO),
            pv=sum((e.pv for e in rows), ZERO),
            ev=sum((e.ev for e in reported), ZERO),
            ac=sum((e.ac for e in rows), ZERO),
            eac=sum((e.eac for e in rows), ZERO),
            pv_reported=sum((e.pv for e in reported), ZERO),
            ac_reported=sum((e.ac for e in reported), ZERO),
        )


# The rollup fields an EVMTotals is summed from (ProjectRollup and PortfolioRollup alike).
EVM_TOTALS = ("bac", "pv", "ev", "ac", "eac", "pv_reported", "ac_reported")


def bottom_up_forecast(lines: Iterable[tuple[date, Decimal, Decimal]], *, today: date) -> Decimal:
    """Forecast (bottom-up) at completion from (month, actual, forecast) lines: a month before
    the current one counts at its actual (a past month's forecast is what was spent), the
    current month and later at the PMs' forecast."""
    current = today.replace(day=1)
    return sum((actual if month < current else forecast for month, actual, forecast in lines), ZERO)


def envelope_share(plan: Decimal, envelope: Decimal | None) -> Decimal | None:
    """Envelope share, in percent to one decimal: this fiscal year's plan of the projects in
    flight ÷ the fiscal year's envelope. Not defined without an envelope (or a zero one)."""
    if not envelope:
        return None
    return (plan * 100 / envelope).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- Schedule -----------------------------------------------------------------------------


def report_due_period_end(today: date) -> date:
    """The period end of the status report every in-flight project should have submitted by
    `today`: reports are monthly, so last month's (its last day)."""
    return today.replace(day=1) - timedelta(days=1)


def first_report_period_end(start: date) -> date:
    """The end of a project's first reporting period: the last day of its start month."""
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def status_overdue(*, last_report: date | None, start: date, today: date) -> bool:
    """A status report is overdue once the first reporting period after the project's start
    has ended and the latest submitted report ends before the period now due: a project
    approved but not yet started, or in its first month, is not overdue."""
    due = report_due_period_end(today)
    if first_report_period_end(start) > due:
        return False
    return last_report is None or last_report < due


def milestone_slip_days(*, baseline: date, forecast: date, actual: date | None = None) -> int:
    """Slip = (actual, else forecast) − baseline, in days; negative means ahead."""
    return ((actual or forecast) - baseline).days


@dataclass(frozen=True)
class MilestoneDates:
    baseline: date
    forecast: date
    actual: date | None = None
    is_key: bool = True


def _key_slips(milestones: Iterable[MilestoneDates]) -> list[int]:
    return [
        milestone_slip_days(baseline=m.baseline, forecast=m.forecast, actual=m.actual)
        for m in milestones
        if m.is_key
    ]


def project_slip_days(milestones: Iterable[MilestoneDates]) -> int | None:
    """Worst slip: the largest slip among the key milestones, open (forecast − baseline) or
    achieved (actual − baseline), so a key milestone met late keeps counting; None when the
    project has no key milestone. Early milestones count as their negative slip."""
    return max(_key_slips(milestones), default=None)


def slipped_milestones(milestones: Iterable[MilestoneDates]) -> int:
    """Slipped key milestones: the same milestones as the worst slip, counted where the slip
    is above zero (forecast after baseline, or achieved after it)."""
    return sum(1 for slip in _key_slips(milestones) if slip > 0)


def on_time_rate(milestones: Iterable[MilestoneDates]) -> Decimal | None:
    """Share of achieved milestones met on or before their baseline date (0–1)."""
    achieved = [m for m in milestones if m.actual is not None]
    met = sum(1 for m in achieved if m.actual <= m.baseline)
    return _ratio(Decimal(met), Decimal(len(achieved)))


# --- Risk ---------------------------------------------------------------------------------

PROBABILITY_SHARE = {
    1: Decimal("0.1"),
    2: Decimal("0.3"),
    3: Decimal("0.5"),
    4: Decimal("0.7"),
    5: Decimal("0.9"),
}


def risk_score(probability: int, impact: int) -> int:
    """Exposure score = probability × impact, 1–25."""
    if not (1 <= probability <= 5 and 1 <= impact <= 5):
        raise ValueError("probability and impact are 1–5")
    return probability * impact


def expected_monetary_value(probability: int, cost_impact: Decimal | None) -> Decimal:
    """EMV = probability (as a share: 1→10 %, 2→30 %, 3→50 %, 4→70 %, 5→90 %) × cost impact."""
    if cost_impact is None:
        return ZERO
    return _money(PROBABILITY_SHARE[probability] * cost_impact)


# --- Health -------------------------------------------------------------------------------

GREEN, AMBER, RED = "green", "amber", "red"
_RANK = {GREEN: 0, AMBER: 1, RED: 2}


@dataclass(frozen=True)
class HealthThresholds:
    """The PMO's thresholds behind rule-based health. A figure at or past `red` is red, at or
    past `amber` is amber, else green. Index thresholds are lower bounds (below is worse);
    slip and exposure thresholds are upper bounds (above is worse)."""

    cpi_amber: Decimal = Decimal("0.95")
    cpi_red: Decimal = Decimal("0.85")
    spi_amber: Decimal = Decimal("0.95")
    spi_red: Decimal = Decimal("0.85")
    slip_amber_days: int = 1
    slip_red_days: int = 30
    risk_amber_score: int = 10
    risk_red_score: int = 15

    @classmethod
    def from_policy(cls, policy) -> HealthThresholds:
        """The thresholds of the PMO's HealthPolicy row (portfolio.models.HealthPolicy)."""
        return cls(**{f.name: getattr(policy, f.name) for f in fields(cls)})


DEFAULT_THRESHOLDS = HealthThresholds()


def _index_rag(value: Decimal | None, amber: Decimal, red: Decimal) -> str:
    if value is None:
        return GREEN  # nothing spent or planned yet: no evidence of trouble
    if value < red:
        return RED
    return AMBER if value < amber else GREEN


def _upper_rag(value: int | None, amber: int, red: int) -> str:
    if value is None:
        return GREEN
    if value >= red:
        return RED
    return AMBER if value >= amber else GREEN


def worst(*rags: str) -> str:
    """The worst of several RAG values (red beats amber beats green)."""
    return max(rags, key=_RANK.__getitem__, default=GREEN)


@dataclass(frozen=True)
class HealthSuggestion:
    """Rule-derived RAG per dimension, with the evidence each rule used."""

    schedule: str
    cost: str
    scope: str
    risk: str
    evidence: dict[str, str]

    @property
    def overall(self) -> str:
        return worst(self.schedule, self.cost, self.scope, self.risk)

    def as_dict(self) -> dict[str, str]:
        return {
            "overall": self.overall,
            "schedule": self.schedule,
            "cost": self.cost,
            "scope": self.scope,
            "risk": self.risk,
        }


def suggest_health(
    *,
    cpi: Decimal | None,
    spi: Decimal | None,
    slip_days: int | None,
    max_open_risk_score: int | None,
    pending_scope_changes: int,
    thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
) -> HealthSuggestion:
    """Health by rule: schedule from the worse of SPI and slip, cost from CPI, risk from the
    highest open risk score, scope amber while scope-changing requests await a decision."""
    t = thresholds
    schedule = worst(
        _index_rag(spi, t.spi_amber, t.spi_red),
        _upper_rag(slip_days, t.slip_amber_days, t.slip_red_days),
    )
    cost = _index_rag(cpi, t.cpi_amber, t.cpi_red)
    risk = _upper_rag(max_open_risk_score, t.risk_amber_score, t.risk_red_score)
    scope = AMBER if pending_scope_changes else GREEN
    evidence = {
        "schedule": f"SPI {_fmt(spi)}, slip {slip_days if slip_days is not None else 'n/a'} days",
        "cost": f"CPI {_fmt(cpi)}",
        "risk": f"highest open risk score {max_open_risk_score or 'none'}",
        "scope": f"{pending_scope_changes} change request(s) awaiting a decision",
    }
    return HealthSuggestion(schedule, cost, scope, risk, evidence)


def _fmt(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


# --- Prioritisation -------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionScore:
    score: int
    weight: Decimal
    scale_min: int
    scale_max: int
    higher_is_better: bool = True


def priority_score(scores: Iterable[CriterionScore]) -> Decimal | None:
    """Weighted score, 0–100: Σ weight × normalised score / Σ weight, where a score is
    normalised to 0–1 on its criterion's scale (reversed when lower is better).
    Not defined when nothing is scored or every weight is zero."""
    total_weight = ZERO
    weighted = ZERO
    for s in scores:
        span = Decimal(s.scale_max - s.scale_min)
        position = Decimal(s.score - s.scale_min) / span
        if not s.higher_is_better:
            position = 1 - position
        weighted += s.weight * position
        total_weight += s.weight
    if total_weight == 0:
        return None
    return _money(weighted * HUNDRED / total_weight)
