"""Reads behind the portfolio pages: one summary row per portfolio, in a fixed number of queries.

These figures are aggregated from the project tables at request time (they moved here from
`portfolio`, which holds core data and imports no project code).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Count,
    DecimalField,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from portfolio.models import Portfolio, PortfolioBudget
from portfolio.selectors import current_fiscal_year, fiscal_year_start_month
from ppm.access import scope
from projects.choices import RAG, LifecycleState, RaidStatus
from projects.metrics import envelope_share
from projects.models import Project, Risk
from projects.selectors import (
    IN_FLIGHT_STATES,
    SubqueryCount,
    latest_submitted_rag,
    policy_value,
)
from reporting.models import ProjectRollup


def high_risk_score() -> Coalesce:
    """The score (probability × impact) at or above which an open risk counts as high: the
    PMO's `risk_red_score`, the one the rollup engine turns the risk dimension red at.

    A SQL expression rather than a value, so the query that counts high risks (or shows the
    label) reads the policy itself and no page pays an extra query for it.
    """
    return policy_value("risk_red_score")


ZERO = Decimal("0")


def open_high_risks(project_filter: dict) -> QuerySet[Risk]:
    """Primary keys of open risks at or above high_risk_score(), filtered by `project_filter`."""
    return (
        Risk.objects.filter(**project_filter)
        .exclude(status=RaidStatus.CLOSED)
        .alias(score=F("probability") * F("impact"))
        .filter(score__gte=high_risk_score())
        .order_by()
        .values("pk")
    )


@dataclass(frozen=True)
class StateCount:
    value: str
    label: str
    count: int


@dataclass
class PortfolioSummary:
    """The figures a director reads about one portfolio, all in the portfolio's currency."""

    portfolio: Portfolio
    fiscal_year: int
    fy_start: int  # the PMO's fiscal-year start month `fiscal_year` was cut with
    project_count: int
    state_counts: list[StateCount]
    total_bac: Decimal
    envelope: Decimal | None
    # This fiscal year's plan of the projects in flight, from the portfolio's rollup.
    fy_plan: Decimal
    high_risk_count: int
    high_risk_score: int  # the PMO's threshold high_risk_count was counted at
    rag_counts: dict[str, int] = field(default_factory=dict)
    # When the rollup engine last computed this portfolio's figures (the project table's
    # EVM, slip and health); None before its first recompute.
    computed_at: datetime | None = None

    @property
    def envelope_share(self) -> Decimal | None:
        """The catalogue's envelope share (projects.metrics.envelope_share), as the
        dashboard and the ranking show it."""
        return envelope_share(self.fy_plan, self.envelope)

    @property
    def over_envelope(self) -> bool:
        return self.envelope_share is not None and self.envelope_share > 100

    @property
    def in_flight_count(self) -> int:
        return sum(self.rag_counts.values())

    @property
    def rag_segments(self) -> list[tuple[str, str, int, Decimal]]:
        """(value, label, count, percent of in-flight projects) for the distribution bar."""
        total = self.in_flight_count
        labels = [(RAG.GREEN, "Green"), (RAG.AMBER, "Amber"), (RAG.RED, "Red"), ("none", "None")]
        segments = []
        for value, label in labels:
            n = self.rag_counts.get(value, 0)
            share = (Decimal(n) * 100 / total).quantize(Decimal("0.1")) if total else ZERO
            segments.append((str(value), label, n, share))
        return segments


def _annotated_portfolios(user: AbstractBaseUser, fiscal_year: int) -> QuerySet[Portfolio]:
    live = ~Q(projects__state=LifecycleState.CANCELLED)
    per_state = {
        f"n_{state}": Count("projects", filter=Q(projects__state=state))
        for state in LifecycleState.values
    }
    return (
        scope(Portfolio.objects.all(), user)
        .select_related("director")
        .annotate(
            project_count=Count("projects"),
            total_bac=Coalesce(
                Sum("projects__budget_at_completion", filter=live),
                Value(ZERO),
                output_field=DecimalField(max_digits=18, decimal_places=2),
            ),
            envelope=Subquery(
                PortfolioBudget.objects.filter(
                    portfolio=OuterRef("pk"), fiscal_year=fiscal_year
                ).values("amount")[:1]
            ),
            # Counted over the projects in flight, as the dashboard's tile and its list are.
            high_risk_count=SubqueryCount(
                open_high_risks(
                    {"project__portfolio": OuterRef("pk"), "project__state__in": IN_FLIGHT_STATES}
                )
            ),
            high_risk_score=high_risk_score(),
            figures_computed_at=F("rollup__computed_at"),
            fy_plan=Coalesce(
                F("rollup__fy_plan"),
                Value(ZERO),
                output_field=DecimalField(max_digits=18, decimal_places=2),
            ),
            **per_state,
        )
        .order_by("name", "pk")
    )


def _rag_distribution(portfolio_ids: list[int]) -> dict[int, dict[str, int]]:
    """{portfolio id: {rag or 'none': number of in-flight projects}} in one grouped query."""
    rows = (
        Project.objects.filter(portfolio_id__in=portfolio_ids, state__in=IN_FLIGHT_STATES)
        .annotate(rag=Coalesce(latest_submitted_rag(), Value("none")))
        .values("portfolio_id", "rag")
        .annotate(n=Count("pk"))
        .order_by()
    )
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        result[row["portfolio_id"]][row["rag"]] = row["n"]
    return result


def portfolio_summaries(
    *, user: AbstractBaseUser, fiscal_year: int | None = None, pk: int | None = None
) -> list[PortfolioSummary]:
    """Summary figures of every portfolio `user` may see (or of portfolio `pk` only).

    Always three queries, whatever the number of portfolios, projects, risks and reports:
    the PMO's fiscal-year start month, the portfolios with their aggregates, then the RAG
    distribution grouped by portfolio.
    """
    start = fiscal_year_start_month()
    year = fiscal_year or current_fiscal_year(start_month=start)
    portfolios = _annotated_portfolios(user, year)
    if pk is not None:
        portfolios = portfolios.filter(pk=pk)
    portfolios = list(portfolios)
    rags = _rag_distribution([p.pk for p in portfolios])
    summaries = []
    for p in portfolios:
        states = [
            StateCount(value, label, getattr(p, f"n_{value}"))
            for value, label in LifecycleState.choices
            if getattr(p, f"n_{value}")
        ]
        summaries.append(
            PortfolioSummary(
                portfolio=p,
                fiscal_year=year,
                fy_start=start,
                project_count=p.project_count,
                state_counts=states,
                total_bac=p.total_bac,
                envelope=p.envelope,
                fy_plan=p.fy_plan,
                high_risk_count=p.high_risk_count,
                high_risk_score=p.high_risk_score,
                rag_counts=rags.get(p.pk, {}),
                computed_at=p.figures_computed_at,
            )
        )
    return summaries


def computed_range(projects: QuerySet[Project]) -> tuple[datetime | None, datetime | None]:
    """When the rollups of these projects were computed: the oldest and the newest (one
    aggregate query; None before the first recompute)."""
    times = ProjectRollup.objects.filter(project__in=projects).aggregate(
        oldest=Min("computed_at"), newest=Max("computed_at")
    )
    return times["oldest"], times["newest"]
