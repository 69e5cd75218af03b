"""The small demo set: the hand-written organisation of catalogue.py brought to life.

Rows are built in Python with one seeded random generator per project (so editing one project
does not reshuffle the others) and written with COPY. Every figure follows from the project's
story: milestone slips are recorded step by step at reporting dates, cost lines spend at the
project's cost factor, and each status report's RAG is read from the slip and the spend known
at its period end. RAID logs, change requests, people and allocations are in small_raid.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from portfolio.models import Portfolio, PortfolioBudget, Program
from projects.demo import catalogue as cat
from projects.demo import texts
from projects.demo.dates import add_months, at, month_end, month_start, months_between
from projects.demo.organisation import Organisation
from projects.models import CostLine, Milestone, MilestoneForecast, Project, StatusReport

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DRAFT_LATEST = {"ENT-101"}  # pm's latest report is left in draft, ready to submit in the demo
PORTFOLIO_OBJECTIVES = {
    "ENT": "One ERP and CRM for all legal entities",
    "INF": "Hand back the Frankfurt data centre before the lease ends",
    "SEC": "Recertify ISO 27001 without major findings",
    "DAT": "One version of the truth for finance KPIs",
    "WPL": "Every employee on a supported, modern device",
}


@dataclass
class Facts:
    """What the builder decided about one project, for the rows that hang off it."""

    spec: cat.ProjectSpec
    rng: random.Random
    start: date
    finish: date
    slip: int
    end: date | None  # last day work happened; None when it has not started
    id: int = 0
    periods: list[date] = field(default_factory=list)
    steps: list[tuple[date, int, str]] = field(default_factory=list)  # (as of, days, reason)
    milestones: dict[str, tuple[int, date, date]] = field(default_factory=dict)
    planned: dict[date, Decimal] = field(default_factory=dict)
    actual: dict[date, Decimal] = field(default_factory=dict)

    @property
    def forecast_finish(self) -> date:
        return self.finish + timedelta(days=self.slip)

    @property
    def decision_period(self) -> date | None:
        """The reporting period in which this project's change requests were decided."""
        return self.periods[len(self.periods) // 2] if self.periods else None


class SmallBuilder:
    def __init__(
        self, *, seed: int, today: date, users: dict[str, int], names: dict[str, str]
    ) -> None:
        self.seed, self.today, self.users, self.names = seed, today, users, names
        self.org = Organisation(today=today)
        self.tables = self.org.tables
        self.portfolios: dict[str, int] = {}
        self.directors: dict[str, int] = {}
        self.programs: dict[str, int] = {}
        self.criteria: list[int] = []
        self.portfolio_objectives: dict[str, int] = {}
        self.org_objectives: list[int] = []
        self.projects: dict[str, Facts] = {}

    def build(self) -> None:
        from projects.demo.small_raid import add_raid_and_people

        self._organisation()
        for spec in cat.PROJECTS:
            facts = self._project(spec)
            self._cost_plan(facts)
            self._schedule(facts)
            self._status_reports(facts)
        self._portfolio_budgets()
        add_raid_and_people(self)

    # --- organisation ------------------------------------------------------------------

    def _organisation(self) -> None:
        created = at(add_months(self.today, -36), 9)
        for code, name, description in texts.PORTFOLIOS[: len(cat.PORTFOLIO_OWNERS)]:
            director, programs = cat.PORTFOLIO_OWNERS[code]
            pid = self.tables[Portfolio].add(
                code=code,
                name=name,
                description=description,
                director_id=self.users[director],
                currency="EUR",
                created_at=created,
                updated_at=created,
            )
            self.portfolios[code], self.directors[code] = pid, self.users[director]
            for prog_code, prog_name, manager in programs:
                self.programs[prog_code] = self.tables[Program].add(
                    portfolio_id=pid, code=prog_code, name=prog_name, manager_id=self.users[manager]
                )
            self.portfolio_objectives[code] = self.org.objective(
                name=PORTFOLIO_OBJECTIVES[code], portfolio_id=pid, weight=Decimal("1.50")
            )
        self.org_objectives = [
            self.org.objective(name=name, description=description, weight=Decimal(weight))
            for name, description, weight in texts.ORG_OBJECTIVES
        ]
        self.criteria = self.org.add_scoring_criteria()
        managers = sorted({spec.manager for spec in cat.PROJECTS})
        self.org.add_resources(
            per_group=[6, 5, 3, 4, 4, 4, 3],
            pm_users=[(m, self.names[m], self.users[m]) for m in managers],
        )

    # --- projects ----------------------------------------------------------------------

    def _project(self, spec: cat.ProjectSpec) -> Facts:
        rng = random.Random(f"conductor-demo:{self.seed}:{spec.code}")  # noqa: S311 - not security
        start = add_months(self.today, spec.start) + timedelta(days=rng.randint(0, 9))
        finish = start + timedelta(days=spec.months * 365 // 12)
        slip = spec.slip[-1][0] if spec.slip else 0
        end = self._end_of_work(spec, start, finish + timedelta(days=slip))
        facts = Facts(spec, rng, start, finish, slip, end)
        created = min(start, self.today) - timedelta(days=rng.randint(20, 60))
        facts.id = self.tables[Project].add(
            code=spec.code,
            name=spec.name,
            description=spec.description,
            portfolio_id=self.portfolios[spec.portfolio],
            program_id=self.programs[spec.program] if spec.program else None,
            manager_id=self.users[spec.manager],
            sponsor_id=self.users[spec.sponsor],
            category=spec.category,
            delivery_method=spec.method,
            state=spec.state,
            current_gate=self._gate(facts),
            baseline_start=start,
            baseline_finish=finish,
            forecast_finish=None if spec.state == "cancelled" else facts.forecast_finish,
            actual_finish=facts.forecast_finish if spec.state == "closed" else None,
            created_at=at(created, 10),
            updated_at=at(end or created, 16),
        )
        self.projects[spec.code] = facts
        return facts

    def _end_of_work(self, spec: cat.ProjectSpec, start: date, forecast: date) -> date | None:
        """The last day work happened, after checking that the state agrees with the dates."""
        t = self.today
        fits = {
            "closed": forecast < t,
            "cancelled": start < t,
            "active": start <= t <= forecast,
            "on_hold": start <= t <= forecast,
            "approved": start > t,
            "proposed": start > t,
        }
        if not fits[spec.state]:
            raise ValueError(f"{spec.code}: state {spec.state!r} does not fit its dates")
        if spec.state == "closed":
            return forecast
        if spec.state == "cancelled":  # stopped at gate 2, some 40 % into the plan
            return min(start + (forecast - start) * 2 // 5, t - timedelta(days=1))
        return t if spec.state in ("active", "on_hold") else None

    def _gate(self, facts: Facts) -> str:
        state = facts.spec.state
        if state == "proposed":
            return ""
        if state == "approved":
            return "Gate 1 – Approval to proceed"
        if state == "closed":
            return "Gate 5 – Closure"
        progress = (self.today - facts.start) / (facts.forecast_finish - facts.start)
        if state == "cancelled" or progress < 0.3:
            return "Gate 2 – Design approved"
        return "Gate 3 – Ready to build" if progress < 0.75 else "Gate 4 – Ready for go-live"

    # --- costs -------------------------------------------------------------------------

    def _cost_plan(self, facts: Facts) -> None:
        """Plan on a ramp-up/plateau/ramp-down curve that sums to the budget exactly. Spend
        drifts to the cost factor by half-way; slipped months still cost capex. Past months
        carry actuals, later months a forecast."""
        spec, rng = facts.spec, facts.rng
        first = month_start(facts.start)
        build = months_between(facts.start, facts.finish) + 1
        total = months_between(facts.start, facts.forecast_finish) + 1
        weights = [min(k + 1, build - k, max(1, build // 3)) for k in range(build)]
        factor = Decimal(spec.cost_factor)
        running = spec.state not in ("closed", "cancelled")
        this_month = month_start(self.today)
        last_worked = month_start(facts.end) if facts.end else None
        bac = ZERO
        for expense, category, share in texts.COST_SLOTS[texts.CATEGORY_COST_GROUP[spec.category]]:
            slot = Decimal(spec.budget) * share / 100
            overrun = slot / build / 2 if expense == "capex" else ZERO
            plan = [(slot * w / sum(weights)).quantize(CENT) for w in weights]
            plan[build // 2] += slot - sum(plan)  # rounding lands in the busiest month
            for k in range(total):
                month = add_months(first, k)
                planned = plan[k] if k < build else ZERO
                drift = min(Decimal(1), Decimal(2 * (k + 1)) / build)
                spend = planned * (1 + (factor - 1) * drift) + (overrun if k >= build else ZERO)
                if month < this_month:
                    worked = last_worked is not None and month <= last_worked
                    noise = Decimal(rng.randint(94, 106)) / 100
                    actual = (spend * noise).quantize(CENT) if worked else ZERO
                    forecast = actual
                else:
                    actual = ZERO
                    forecast = spend.quantize(CENT) if running else ZERO
                self.tables[CostLine].add(
                    project_id=facts.id,
                    month=month,
                    expense_type=expense,
                    category=category,
                    planned=planned,
                    actual=actual,
                    forecast=forecast,
                )
                facts.planned[month] = facts.planned.get(month, ZERO) + planned
                facts.actual[month] = facts.actual.get(month, ZERO) + actual
                bac += planned
        # The project row is not written yet: its budget is the sum of the plan, exactly.
        self.tables[Project].rows[facts.id - 1]["budget_at_completion"] = bac

    def _portfolio_budgets(self) -> None:
        """Each fiscal year's envelope: the planned spend of its projects, give or take —
        from 12 % short (the ranking then shows a cut line) to 7 % headroom."""
        years: dict[tuple[str, int], Decimal] = {}
        for facts in self.projects.values():
            for month, amount in facts.planned.items():
                key = (facts.spec.portfolio, month.year)
                years[key] = years.get(key, ZERO) + amount
        for (code, year), amount in sorted(years.items()):
            headroom = Decimal(88 + (year * 7 + self.portfolios[code] * 3) % 20) / 100
            self.tables[PortfolioBudget].add(
                portfolio_id=self.portfolios[code],
                fiscal_year=year,
                amount=(amount * headroom).quantize(Decimal("1E4")),
            )

    # --- schedule ----------------------------------------------------------------------

    def _report_periods(self, facts: Facts) -> list[date]:
        """Month ends the project reported on: the last twelve (at most) of its working life."""
        if facts.end is None:
            return []
        anchor = min(month_end(facts.end), month_start(self.today) - timedelta(days=1))
        periods = [month_end(add_months(anchor, -k)) for k in range(12)]
        return sorted(p for p in periods if p >= facts.start)

    def _schedule(self, facts: Facts) -> None:
        """Milestones on the category's plan; each slip step is recorded, on the reporting
        date it became known, for every later milestone not yet reached by then."""
        spec = facts.spec
        facts.periods = self._report_periods(facts)
        duration = (facts.finish - facts.start).days
        slip_from = facts.start + timedelta(days=duration * 3 // 10)
        candidates = [p for p in facts.periods if p >= slip_from]
        for i, (days, reason) in enumerate(spec.slip):
            if candidates:
                index = min(len(candidates) - 1, (i + 1) * len(candidates) // (len(spec.slip) + 1))
                facts.steps.append((candidates[index], days, reason))
        for name, fraction, key in spec.plan or cat.MILESTONE_PLANS[spec.category]:
            baseline = facts.start + timedelta(days=round(duration * fraction))
            history = [(facts.start, baseline, "Baseline plan")] if facts.end else []
            forecast = baseline
            if baseline >= slip_from:
                for as_of, days, reason in facts.steps:
                    if as_of < forecast:
                        forecast = baseline + timedelta(days=days)
                        history.append((as_of, forecast, reason))
            done = facts.end is not None and forecast <= facts.end and forecast < self.today
            mid = self.tables[Milestone].add(
                project_id=facts.id,
                name=name,
                is_key=key,
                weight=Decimal(3 if key else 1),
                baseline_date=baseline,
                forecast_date=forecast,
                actual_date=forecast if done else None,
                version=max(1, len(history)),
            )
            facts.milestones[name] = (mid, baseline, forecast)
            for as_of, value, reason in history:
                self.tables[MilestoneForecast].add(
                    milestone_id=mid,
                    as_of=as_of,
                    forecast_date=value,
                    reason=reason,
                    recorded_by_id=self.users[spec.manager],
                    recorded_at=at(as_of, 17),
                )

    # --- status ------------------------------------------------------------------------

    def _status_reports(self, facts: Facts) -> None:
        spec, rng = facts.spec, facts.rng
        months = sorted(facts.planned)
        bac = sum(facts.planned.values(), ZERO)
        approved_change = any(c[0] == spec.code and c[5] == "approved" for c in cat.CHANGE_REQUESTS)
        for i, period in enumerate(facts.periods):
            planned = sum((facts.planned[m] for m in months if m <= period), ZERO)
            spent = sum((facts.actual[m] for m in months if m <= period), ZERO)
            ratio = spent / planned if planned else Decimal(1)
            known = [(days, reason) for as_of, days, reason in facts.steps if as_of <= period]
            slip = known[-1][0] if known else 0
            schedule = "green" if slip < 7 else "amber" if slip < 30 else "red"
            cost = _cost_rag(ratio)
            risk = "amber" if slip or rng.random() < 0.2 else "green"
            scope = "amber" if approved_change and period == facts.decision_period else "green"
            overall = _overall(schedule, cost, risk, scope)
            latest = i == len(facts.periods) - 1
            if spec.state == "on_hold" and latest:
                overall = "amber"
            sent = period + timedelta(days=rng.randint(1, 4))
            draft = (
                latest
                and spec.state == "active"
                and (spec.code in DRAFT_LATEST or sent >= self.today)
            )
            submitted = at(min(sent, self.today - timedelta(days=1)), rng.randint(9, 17))
            # Work done: the plan's share to date, stretched by the slip known (EV tracks PV).
            stretch = Decimal((facts.finish - facts.start).days) / (
                (facts.finish - facts.start).days + slip
            )
            progress = min(Decimal(99), 100 * planned / bac * stretch)
            if spec.state == "closed" and latest:
                progress = Decimal(100)
            opened = at(period + timedelta(days=1), 8)
            self.tables[StatusReport].add(
                project_id=facts.id,
                period_end=period,
                state="draft" if draft else "submitted",
                overall_rag=overall,
                schedule_rag=schedule,
                cost_rag=cost,
                scope_rag=scope,
                risk_rag=risk,
                narrative=self._narrative(facts, period, overall, ratio),
                achievements=self._done_in(facts, period),
                next_steps=self._next_up(facts, period),
                percent_complete=progress.quantize(CENT),
                author_id=self.users[spec.manager],
                submitted_at=None if draft else submitted,
                created_at=opened,
                updated_at=opened if draft else submitted,
            )

    def _narrative(self, facts: Facts, period: date, rag: str, ratio: Decimal) -> str:
        parts = [facts.rng.choice(texts.RAG_OPENINGS[rag])]
        if facts.spec.state == "on_hold" and period == facts.periods[-1]:
            parts.append("Paused by the sponsor while the business reviews its priorities.")
        for as_of, days, reason in facts.steps:
            if as_of == period:
                parts.append(f"Forecast moved to {days} days behind the baseline: {reason}.")
        if ratio > Decimal("1.04"):
            parts.append(f"Spend to date is {round((ratio - 1) * 100)} % above plan.")
        return " ".join(parts)

    def _done_in(self, facts: Facts, period: date) -> str:
        month_ago = period - timedelta(days=31)
        done = [n for n, (_i, _b, f) in facts.milestones.items() if month_ago < f <= period]
        return f"Completed: {'; '.join(done)}." if done else "Work continued to plan."

    def _next_up(self, facts: Facts, period: date) -> str:
        upcoming = sorted((f, n) for n, (_i, _b, f) in facts.milestones.items() if f > period)
        if not upcoming:
            return "Close the project and record lessons learned."
        when, name = upcoming[0]
        return f"Next milestone: {name}, forecast {when:%d %b %Y}."


def _cost_rag(spent_over_planned: Decimal) -> str:
    if spent_over_planned > Decimal("1.10"):
        return "red"
    return "amber" if spent_over_planned > Decimal("1.04") else "green"


def _overall(schedule: str, cost: str, risk: str, scope: str) -> str:
    """Red when schedule or cost is red; amber when anything is not green."""
    if "red" in (schedule, cost):
        return "red"
    return "amber" if {schedule, cost, risk, scope} != {"green"} else "green"
