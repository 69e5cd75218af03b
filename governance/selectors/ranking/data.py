"""What the ranking reads: the live projects with their budget, score and bookings, the
capacity of each resource group and the envelope, in six queries whatever the size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth

from governance.lifecycle import DRAWING_STATES, LIVE_STATES
from governance.scoring import CriterionFacts, ScoreFacts, priority
from portfolio.capacity import yearly_capacity
from portfolio.models import Portfolio, PortfolioBudget, Resource, ScoringCriterion
from portfolio.selectors import fiscal_year_months, fiscal_year_start_month
from projects.choices import LifecycleState
from projects.models import Allocation, CostLine, Project, ProjectScore

ZERO = Decimal("0")
HOURS = Decimal("0.1")
_MONEY_FIELD = DecimalField(max_digits=18, decimal_places=2)


def month_start(day: date) -> date:
    return day.replace(day=1)


@dataclass
class ProjectFacts:
    """One live project as the ranking needs it."""

    pk: int
    code: str
    name: str
    state: str
    version: int
    budget: Decimal  # planned in the fiscal year
    to_date: Decimal  # of which in months before the current one
    score: Decimal | None = None
    scored: int = 0
    hours: dict[str, Decimal] = field(default_factory=dict)
    hours_to_date: dict[str, Decimal] = field(default_factory=dict)

    @property
    def state_label(self) -> str:
        return LifecycleState(self.state).label


@dataclass
class RankingData:
    portfolio: Portfolio
    fiscal_year: int
    today: date
    envelope: Decimal | None
    budget_years: list[int]
    criteria: list[ScoringCriterion]
    projects: list[ProjectFacts]  # ranked
    capacity: dict[str, Decimal]  # hours in the fiscal year, by group
    others_draw: dict[str, Decimal]  # other portfolios' drawn hours, by group
    fy_start: int = 1  # the PMO's fiscal-year start month the year above was cut with


def _release_month(boundary: date, project: str = "") -> Coalesce:
    """The month a project's plan is released from: its hold date's month when it is on hold
    (the engine's rule), else `boundary` (the current month: where a deferral would cut)."""
    return Coalesce(
        TruncMonth(f"{project}on_hold_since", output_field=DateField()),
        Value(boundary),
        output_field=DateField(),
    )


def _planned(year: int, start_month: int, before: date | None = None) -> Subquery:
    first, last = fiscal_year_months(year, start_month=start_month)
    lines = CostLine.objects.filter(project=OuterRef("pk"), month__range=(first, last))
    if before is not None:
        lines = lines.filter(month__lt=_release_month(before, "project__"))
    return Subquery(
        lines.order_by().values("project").annotate(total=Sum("planned")).values("total"),
        output_field=_MONEY_FIELD,
    )


def rank_key(p: ProjectFacts) -> tuple:
    """Highest score first, unscored last, ties by code."""
    return (p.score is None, -(p.score or ZERO), p.code)


def ranking_data(*, portfolio: Portfolio, fiscal_year: int, today: date) -> RankingData:
    """Everything the ranking needs, in seven queries whatever the portfolio's size."""
    boundary = month_start(today)
    # 0. The PMO's fiscal-year start month, read once for every date range below.
    start_month = fiscal_year_start_month()
    first, last = fiscal_year_months(fiscal_year, start_month=start_month)
    # 1. The live projects with their budget for the year and its to-date part.
    projects = {
        p.pk: ProjectFacts(
            pk=p.pk,
            code=p.code,
            name=p.name,
            state=p.state,
            version=p.version,
            budget=p.fy_budget,
            to_date=p.fy_to_date,
        )
        for p in Project.objects.filter(portfolio=portfolio, state__in=LIVE_STATES)
        .annotate(
            fy_budget=Coalesce(
                _planned(fiscal_year, start_month), Value(ZERO), output_field=_MONEY_FIELD
            ),
            fy_to_date=Coalesce(
                _planned(fiscal_year, start_month, boundary), Value(ZERO), output_field=_MONEY_FIELD
            ),
        )
        .only("pk", "code", "name", "state", "version")
        .order_by()
    }
    # 2. The PMO's active criteria; 3. the projects' scores on them.
    criteria = list(ScoringCriterion.objects.filter(active=True).order_by("name", "pk"))
    facts = {
        c.pk: CriterionFacts(c.pk, c.weight, c.scale_min, c.scale_max, c.higher_is_better)
        for c in criteria
    }
    scores: dict[int, list[ScoreFacts]] = defaultdict(list)
    for project_id, criterion_id, score in ProjectScore.objects.filter(
        project__portfolio=portfolio, project__state__in=LIVE_STATES, criterion__active=True
    ).values_list("project_id", "criterion_id", "score"):
        scores[project_id].append(ScoreFacts(criterion_id, score, "", None))
    for pk, p in projects.items():
        p.score, p.scored = priority(scores.get(pk, []), facts)
    # 4. Hours booked in the year on live projects: this portfolio's per project, the rest
    # summed by group; each split at the current month.
    others: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in (
        Allocation.objects.filter(month__range=(first, last), project__state__in=LIVE_STATES)
        .values(
            own=Case(
                When(project__portfolio_id=portfolio.pk, then=F("project_id")),
                default=None,
                output_field=IntegerField(),
            ),
            group=F("resource__group"),
            past=Case(
                When(month__lt=_release_month(boundary, "project__"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            state=F("project__state"),
        )
        .annotate(total=Sum("hours"))
        .order_by()
    ):
        hours, group = row["total"], row["group"]
        if row["own"] is not None:
            p = projects[row["own"]]
            p.hours[group] = p.hours.get(group, ZERO) + hours
            if row["past"]:
                p.hours_to_date[group] = p.hours_to_date.get(group, ZERO) + hours
        elif row["state"] in DRAWING_STATES or row["past"]:
            others[group] += hours
    # 5. Capacity of active resources by group.
    capacity = {
        row["group"]: yearly_capacity(
            row["per_week"], fiscal_year, start_month=start_month
        ).quantize(HOURS)
        for row in Resource.objects.filter(active=True)
        .values("group")
        .annotate(per_week=Sum("capacity_hours_per_week"))
        .order_by()
    }
    # 6. The portfolio's envelopes (one row a year).
    budgets = dict(
        PortfolioBudget.objects.filter(portfolio=portfolio).values_list("fiscal_year", "amount")
    )
    return RankingData(
        portfolio=portfolio,
        fiscal_year=fiscal_year,
        today=today,
        envelope=budgets.get(fiscal_year),
        budget_years=sorted(budgets),
        criteria=criteria,
        projects=sorted(projects.values(), key=rank_key),
        capacity=capacity,
        others_draw=dict(others),
        fy_start=start_month,
    )
