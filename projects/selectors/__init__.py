"""Reads behind the project pages: the filterable project table and the project overview.

Every function returns data already shaped for its page, in a fixed number of queries
whatever the number of projects, milestones, risks or reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    DateField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from portfolio.models import HealthPolicy, Portfolio
from ppm.access import scope
from ppm.params import parse_id
from projects.choices import (
    Category,
    CostCategory,
    LifecycleState,
    RaidStatus,
    ReportState,
)
from projects.metrics import milestone_slip_days
from projects.models import (
    BudgetBaseline,
    ChangeRequest,
    CostLine,
    Issue,
    Milestone,
    Project,
    Risk,
    StatusReport,
)

PAGE_SIZE = 50
# The single policy row (HealthPolicy.current() reads and creates pk 1).
HEALTH_POLICY_PK = 1
TOP_RISKS = 10
ZERO = Decimal("0")


class SubqueryCount(Subquery):
    """COUNT(*) of a correlated queryset as a scalar subquery: 0, never NULL, when empty."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _count)"
    output_field = IntegerField()


def policy_value(name: str) -> Coalesce:
    """One threshold of the PMO's HealthPolicy (the row HealthPolicy.current() reads) as a SQL
    expression: a page annotates it onto a query it runs anyway, so the figure and its label
    read the one policy at no query of their own. The model's default until a policy is saved.
    """
    return Coalesce(
        Subquery(HealthPolicy.objects.filter(pk=HEALTH_POLICY_PK).values(name)[:1]),
        Value(HealthPolicy._meta.get_field(name).default),
        output_field=HealthPolicy._meta.get_field(name),
    )


def latest_submitted_rag() -> Subquery:
    """Overall RAG of the project's latest submitted status report (NULL when none)."""
    return Subquery(
        StatusReport.objects.filter(
            project=OuterRef("pk"), state=ReportState.SUBMITTED, superseded_by__isnull=True
        )
        .order_by("-period_end")
        .values("overall_rag")[:1],
        output_field=CharField(),
    )


def last_submitted_period_end() -> Subquery:
    """Period end of the project's latest current submitted report (NULL when none): read
    live rather than from the rollup, so a report just submitted clears its "due" mark."""
    return Subquery(
        StatusReport.objects.filter(
            project=OuterRef("pk"), state=ReportState.SUBMITTED, superseded_by__isnull=True
        )
        .order_by("-period_end")
        .values("period_end")[:1],
        output_field=DateField(),
    )


# --- The project table (portfolio page and "My projects") ----------------------------------

# Lifecycle order, so "sort by state" reads proposed → … → cancelled, not alphabetically.
_STATE_ORDER = Case(
    *(When(state=value, then=Value(i)) for i, value in enumerate(LifecycleState.values)),
    output_field=IntegerField(),
)

# Sort keys offered to users, mapped to the expressions they order by (ascending).
SORTS: dict[str, tuple] = {
    "code": (F("code"),),
    "name": (F("name"), F("code")),
    "manager": (F("manager__last_name"), F("manager__first_name"), F("manager__username")),
    "state": (F("state_order"), F("code")),
    "bac": (F("budget_at_completion"), F("code")),
    "baseline_finish": (F("baseline_finish"), F("code")),
    "forecast_finish": (F("forecast_finish"), F("code")),
    # Rollup figures (portfolio pages): nulls ("not defined") sort last either way.
    "cpi": (F("rollup__cpi"), F("code")),
    "spi": (F("rollup__spi"), F("code")),
    "slip": (F("rollup__slip_days"), F("code")),
    "exposure": (F("rollup__exposure"), F("code")),
    "health": (F("health_order"), F("code")),
    "priority": (F("rollup__priority_score"), F("code")),
    "ac": (F("rollup__ac"), F("code")),
    "pv": (F("rollup__pv"), F("code")),
    "ev": (F("rollup__ev"), F("code")),
    "vac": (F("rollup__vac"), F("code")),
}
_HEALTH_ORDER = Case(
    When(rollup__health_rag="green", then=Value(0)),
    When(rollup__health_rag="amber", then=Value(1)),
    When(rollup__health_rag="red", then=Value(2)),
    output_field=IntegerField(),
)
RAGS = ("green", "amber", "red")
DEFAULT_SORT = "code"
# Two different "health" figures sit side by side in every list, each with its own filter:
# "Rule health" (?rule=) is the rollup's rule-based overall health, computed from the PMO's
# thresholds; "Reported status" (?reported=) is the overall RAG the PM gave in the current
# submitted report ("none": no report yet). The old ?health= meant the reported status and
# is still read as ?reported= so bookmarks keep working.
RULE_HEALTH_FILTERS = {"green": "Green", "amber": "Amber", "red": "Red"}
REPORTED_FILTERS = {"green": "Green", "amber": "Amber", "red": "Red", "none": "No report"}
# Projects whose figures directors watch: approved and under way (the rollup engine's
# "in flight"; proposed ones have no plan yet, closed and cancelled ones are history).
IN_FLIGHT_STATES = (LifecycleState.APPROVED, LifecycleState.ACTIVE, LifecycleState.ON_HOLD)
# Rule-health dimensions a list can be filtered on: query parameter → rollup field, label.
DIMENSION_FILTERS = {
    "schedule": ("schedule_rag", "Schedule"),
    "cost": ("cost_rag", "Cost"),
    "scope": ("scope_rag", "Scope"),
    "risk": ("risk_rag", "Risk"),
}


@dataclass(frozen=True)
class DrillFilter:
    """A filter a dashboard tile applies, shown above the list so the reader knows why these
    rows: its query parameter, value and a sentence saying what it keeps."""

    param: str
    value: str
    label: str


@dataclass(frozen=True)
class ProjectListParams:
    """What the user asked the table for; unknown values are ignored, never an error."""

    search: str = ""
    state: str = ""
    category: str = ""
    portfolio: int | None = None
    rule_health: str = ""  # RULE_HEALTH_FILTERS key
    reported: str = ""  # REPORTED_FILTERS key
    dimensions: tuple[tuple[str, str], ...] = ()  # (DIMENSION_FILTERS key, rag)
    live: bool = False
    slipping: bool = False
    high_risk: bool = False
    overrun: bool = False
    no_report: bool = False
    cpi_below: Decimal | None = None
    spi_below: Decimal | None = None
    sort: str = DEFAULT_SORT
    page: str = "1"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ProjectListParams:
        state = query.get("state", "")
        category = query.get("category", "")
        sort = query.get("sort", DEFAULT_SORT)
        portfolio = query.get("portfolio", "")
        rule_health = query.get("rule", "")
        reported = query.get("reported") or query.get("health", "")
        return cls(
            search=query.get("q", "").strip()[:100],
            state=state if state in LifecycleState.values else "",
            category=category if category in Category.values else "",
            portfolio=parse_id(portfolio),
            rule_health=rule_health if rule_health in RULE_HEALTH_FILTERS else "",
            reported=reported if reported in REPORTED_FILTERS else "",
            dimensions=tuple(
                (key, query.get(key, "")) for key in DIMENSION_FILTERS if query.get(key) in RAGS
            ),
            live=query.get("live") == "1",
            slipping=query.get("slipping") == "1",
            high_risk=query.get("high_risk") == "1",
            overrun=query.get("overrun") == "1",
            no_report=query.get("no_report") == "1",
            cpi_below=_ratio_param(query.get("cpi_below", "")),
            spi_below=_ratio_param(query.get("spi_below", "")),
            sort=sort if sort.lstrip("-") in SORTS else DEFAULT_SORT,
            page=query.get("page", "1"),
        )

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.search
            or self.state
            or self.category
            or self.portfolio
            or self.rule_health
            or self.reported
            or self.drill_filters
        )

    @property
    def drill_filters(self) -> list[DrillFilter]:
        """The dashboard's filters in force (they have no control in the filter bar)."""
        chosen = [
            DrillFilter(key, rag, f"{DIMENSION_FILTERS[key][1]} rated {rag}")
            for key, rag in self.dimensions
        ]
        flags = (
            ("live", self.live, "In flight (approved, active, on hold)"),
            ("slipping", self.slipping, "With a slipped key milestone (open or achieved late)"),
            ("high_risk", self.high_risk, "With an open high risk"),
            ("overrun", self.overrun, "Forecast to overrun (VAC below 0)"),
            ("no_report", self.no_report, "Status overdue: no report for last month"),
        )
        chosen += [DrillFilter(param, "1", label) for param, on, label in flags if on]
        if self.cpi_below is not None:
            chosen.append(
                DrillFilter("cpi_below", str(self.cpi_below), f"CPI below {self.cpi_below}")
            )
        if self.spi_below is not None:
            chosen.append(
                DrillFilter("spi_below", str(self.spi_below), f"SPI below {self.spi_below}")
            )
        return chosen


def _ratio_param(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and Decimal("0") <= value <= Decimal("10") else None


def _ordering(sort: str) -> list:
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    exprs = [e.desc(nulls_last=True) if descending else e.asc(nulls_last=True) for e in SORTS[key]]
    return [*exprs, F("pk").asc()]


@dataclass
class ProjectTable:
    """One page of projects plus what the page needs to draw its filters."""

    page: Page
    params: ProjectListParams
    total: int
    portfolios: list[Portfolio] = field(default_factory=list)

    @property
    def page_numbers(self) -> list[int | str]:
        """Page numbers around the current one, with '…' where a range is left out."""
        return list(self.page.paginator.get_elided_page_range(self.page.number, on_ends=1))


def project_table(
    *,
    projects: QuerySet[Project],
    params: ProjectListParams,
    page_size: int = PAGE_SIZE,
) -> ProjectTable:
    """Filter, sort and paginate an already scoped project queryset.

    Two queries: the count and the page rows (with manager, portfolio and the latest RAG).
    """
    qs = filtered_projects(projects=projects, params=params)
    paginator = Paginator(qs, page_size)
    page = paginator.get_page(params.page)
    return ProjectTable(page=page, params=params, total=paginator.count)


def filtered_projects(*, projects: QuerySet[Project], params: ProjectListParams) -> QuerySet:
    """The projects a list shows, filtered and sorted as asked (the page and its exports)."""
    qs = projects
    if params.search:
        qs = qs.filter(Q(code__icontains=params.search) | Q(name__icontains=params.search))
    if params.state:
        qs = qs.filter(state=params.state)
    if params.category:
        qs = qs.filter(category=params.category)
    if params.portfolio:
        qs = qs.filter(portfolio_id=params.portfolio)
    qs = qs.select_related("manager", "portfolio", "rollup").annotate(
        state_order=_STATE_ORDER, health_order=_HEALTH_ORDER, latest_rag=latest_submitted_rag()
    )
    for key, rag in params.dimensions:
        qs = qs.filter(**{f"rollup__{DIMENSION_FILTERS[key][0]}": rag})
    if params.live:
        qs = qs.filter(state__in=IN_FLIGHT_STATES)
    if params.slipping:
        qs = qs.filter(rollup__milestones_slipping__gt=0)
    if params.high_risk:
        qs = qs.filter(rollup__high_risks__gt=0)
    if params.overrun:
        qs = qs.filter(rollup__vac__lt=0)
    if params.no_report:
        # Due against the date the figures were computed at (the rollup's as_of), as the
        # dashboard's tile counted it: at a month boundary "today" would already ask for
        # the next month's report.
        qs = qs.alias(
            report_due=ExpressionWrapper(
                TruncMonth("rollup__as_of", output_field=DateField()) - Value(timedelta(days=1)),
                output_field=DateField(),
            )
        ).filter(
            # Not before the first reporting period after the start has ended.
            Q(rollup__first_report_due__lte=F("report_due")),
            Q(rollup__last_report_period_end__isnull=True)
            | Q(rollup__last_report_period_end__lt=F("report_due")),
        )
    if params.cpi_below is not None:
        qs = qs.filter(rollup__cpi__lt=params.cpi_below)
    if params.spi_below is not None:
        qs = qs.filter(rollup__spi__lt=params.spi_below)
    if params.rule_health:
        qs = qs.filter(rollup__health_rag=params.rule_health)
    if params.reported == "none":
        qs = qs.filter(latest_rag__isnull=True)
    elif params.reported:
        qs = qs.filter(latest_rag=params.reported)
    return qs.order_by(*_ordering(params.sort))


def projects_of(*, user: AbstractBaseUser) -> QuerySet[Project]:
    """The projects a user is responsible for: the ones they may change.

    A project manager: the projects they manage or are delegated on; a director: every
    project in the portfolios they direct; PMO and superusers: all projects. Executives are
    responsible for none (they read portfolios instead).
    """
    return scope(Project.objects.all(), user, write=True)


def portfolios_with(projects: QuerySet[Project]) -> list[Portfolio]:
    """The portfolios that hold at least one of `projects` (for the portfolio filter)."""
    return list(
        Portfolio.objects.filter(pk__in=projects.values("portfolio_id")).order_by("name", "pk")
    )


# --- The project page ------------------------------------------------------------------------


def project_for_page(*, pk: int) -> Project:
    """One project with everything its header shows, including open RAID counts.

    Raises Project.DoesNotExist; the caller authorises with ppm.access before showing it.
    """
    open_issues = Issue.objects.filter(project=OuterRef("pk")).exclude(status=RaidStatus.CLOSED)
    open_risks = Risk.objects.filter(project=OuterRef("pk")).exclude(status=RaidStatus.CLOSED)
    return (
        Project.objects.select_related("portfolio", "program", "manager", "sponsor", "rollup")
        .annotate(
            open_issue_count=SubqueryCount(open_issues.order_by().values("pk")),
            open_risk_count=SubqueryCount(open_risks.order_by().values("pk")),
            latest_overall_rag=latest_submitted_rag(),
            # The bands its risk scores are coloured by (the top risks on the overview).
            risk_amber_score=policy_value("risk_amber_score"),
            risk_red_score=policy_value("risk_red_score"),
        )
        .get(pk=pk)
    )


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    slip_days: int

    @property
    def achieved(self) -> bool:
        return self.milestone.actual_date is not None

    @property
    def slipping(self) -> bool:
        return self.slip_days > 0


@dataclass(frozen=True)
class CostRow:
    category: str
    label: str
    planned: Decimal
    actual: Decimal
    forecast: Decimal


@dataclass(frozen=True)
class CostSummary:
    rows: list[CostRow]
    planned: Decimal
    actual: Decimal
    forecast: Decimal


@dataclass(frozen=True)
class ProjectOverview:
    """Everything the project page shows below its header."""

    latest_report: StatusReport | None
    milestones: list[MilestoneRow]
    costs: CostSummary
    top_risks: list[Risk]
    change_requests: list[ChangeRequest]
    budget_baselines: list[BudgetBaseline]

    @property
    def slipping_count(self) -> int:
        """Slipped key milestones, open or achieved late: the figure the lists, the dashboard
        and the rollup count (projects.metrics.slipped_milestones)."""
        return sum(1 for m in self.milestones if m.slipping and m.milestone.is_key)


def _cost_summary(project: Project) -> CostSummary:
    current = timezone.localdate().replace(day=1)
    grouped = (
        CostLine.objects.filter(project=project)
        .values("category")
        .annotate(
            planned_sum=Sum("planned"),
            actual_sum=Sum("actual"),
            # Forecast (bottom-up): past months at their actual (metrics.bottom_up_forecast).
            forecast_sum=Sum(
                Case(When(month__lt=current, then=F("actual")), default=F("forecast"))
            ),
        )
        .order_by("category")
    )
    by_category = {row["category"]: row for row in grouped}
    rows = [
        CostRow(
            category=value,
            label=label,
            planned=by_category[value]["planned_sum"],
            actual=by_category[value]["actual_sum"],
            forecast=by_category[value]["forecast_sum"],
        )
        for value, label in CostCategory.choices
        if value in by_category
    ]
    return CostSummary(
        rows=rows,
        planned=sum((r.planned for r in rows), ZERO),
        actual=sum((r.actual for r in rows), ZERO),
        forecast=sum((r.forecast for r in rows), ZERO),
    )


def latest_submitted_report(project: Project) -> StatusReport | None:
    """The project's latest submitted report in its current version (a corrected one is
    replaced by its correction), with its author; one query."""
    return (
        StatusReport.objects.filter(
            project=project, state=ReportState.SUBMITTED, superseded_by__isnull=True
        )
        .select_related("author")
        .order_by("-period_end")
        .first()
    )


def project_overview(*, project: Project) -> ProjectOverview:
    """Six queries: latest submitted report, milestones, costs by category, top open risks
    by probability × impact, change requests, budget baselines (none until re-baselined)."""
    latest = latest_submitted_report(project)
    milestones = [
        MilestoneRow(
            milestone=m,
            slip_days=milestone_slip_days(
                baseline=m.baseline_date, forecast=m.forecast_date, actual=m.actual_date
            ),
        )
        for m in Milestone.objects.filter(project=project).order_by("baseline_date", "pk")
    ]
    top_risks = list(
        Risk.objects.filter(project=project)
        .exclude(status=RaidStatus.CLOSED)
        .select_related("owner")
        .annotate(score=F("probability") * F("impact"))
        .order_by("-score", "due_date", "pk")[:TOP_RISKS]
    )
    change_requests = list(
        ChangeRequest.objects.filter(project=project)
        .select_related("raised_by")
        .order_by("-created_at", "-pk")
    )
    return ProjectOverview(
        latest_report=latest,
        milestones=milestones,
        costs=_cost_summary(project),
        top_risks=top_risks,
        change_requests=change_requests,
        budget_baselines=list(
            BudgetBaseline.objects.filter(project=project)
            .select_related("set_by")
            .order_by("effective_month")
        ),
    )
