"""The figures: rollup tables written by the engine (reporting/engine.py) and read by the
dashboard, lists and exports.

These models moved here from `projects` and `portfolio`; their tables keep the names they were
created with (`db_table`), so the move rewrote no table (migration reporting.0001).
"""

from __future__ import annotations

from django.db import models

from portfolio.models import Portfolio
from projects.models import Project

# Lifecycle states "in flight" (projects.selectors.IN_FLIGHT_STATES), as the partial indexes
# below must spell them.
IN_FLIGHT = ["approved", "active", "on_hold"]


def _money(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=2, **kwargs)


def _ratio(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=20, decimal_places=4, null=True, **kwargs)


class ProjectRollup(models.Model):
    """A project's computed figures (EVM, schedule, risk, rule health) as of `as_of`.

    Written only by the rollup engine (reporting/engine.py) with set-based SQL; dashboards and
    lists read these rows instead of aggregating raw data on every request.
    """

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="rollup"
    )
    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.CASCADE, related_name="project_rollups"
    )
    as_of = models.DateField()
    state = models.CharField(max_length=10, default="", help_text="The project's lifecycle state.")
    bac = _money()
    pv = _money()
    # EV and what is made from it are NULL while the project has no submitted status report:
    # progress not yet reported is not zero progress (projects.metrics.EVM).
    ev = _money(null=True)
    ev_method = models.CharField(
        max_length=10,
        default="percent",
        db_default="percent",
        help_text="The method EV was earned by (EvMethod).",
    )
    ac = _money()
    cv = _money(null=True)
    sv = _money(null=True)
    eac = _money(null=True)
    etc = _money(null=True)
    vac = _money(null=True)
    cpi = _ratio()
    spi = _ratio()
    tcpi = _ratio()
    percent_complete = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    slip_days = models.IntegerField(null=True)
    milestones_total = models.IntegerField()
    milestones_slipping = models.IntegerField()
    milestones_achieved = models.IntegerField()
    milestones_on_time = models.IntegerField()
    on_time_rate = _ratio()
    open_risks = models.IntegerField()
    high_risks = models.IntegerField()
    exposure = models.IntegerField()
    emv = _money()
    pending_scope_changes = models.IntegerField()
    priority_score = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        help_text="Weighted score over the PMO's active criteria, 0–100; None if unscored.",
    )
    schedule_rag = models.CharField(max_length=5)
    cost_rag = models.CharField(max_length=5)
    scope_rag = models.CharField(max_length=5)
    risk_rag = models.CharField(max_length=5)
    health_rag = models.CharField(max_length=5)
    reported_rag = models.CharField(max_length=5, blank=True)
    last_report_period_end = models.DateField(null=True)
    first_report_due = models.DateField(
        null=True,
        help_text="End of the first reporting period (the start month's last day): no report "
        "is overdue before it.",
    )
    fy_plan = models.DecimalField(
        max_digits=18,
        decimal_places=2,
        default=0,
        help_text="Planned cost in the fiscal year of as_of (on hold: the months before the "
        "current one only).",
    )
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "projects_projectrollup"
        indexes = [
            models.Index(fields=["portfolio", "health_rag"]),
            models.Index(fields=["portfolio", "cpi"]),
            models.Index(fields=["portfolio", "spi"]),
            models.Index(fields=["portfolio", "slip_days"]),
            models.Index(fields=["portfolio", "exposure"]),
            # The dashboard's top-N reads: the largest scored projects in flight (bubble
            # chart) and the red ones by slip (needs attention), served in index order.
            models.Index(
                models.F("bac").desc(),
                name="rollup_scored_by_bac_idx",
                condition=models.Q(state__in=IN_FLIGHT, priority_score__isnull=False),
            ),
            models.Index(
                models.F("slip_days").desc(nulls_last=True),
                name="rollup_red_by_slip_idx",
                condition=models.Q(state__in=IN_FLIGHT, health_rag="red"),
            ),
        ]

    def __str__(self) -> str:
        return f"rollup of project {self.project_id} as of {self.as_of}"


class ProjectRollupSnapshot(models.Model):
    """A dated copy of a project's key rollup figures: the history behind trend charts."""

    taken_on = models.DateField()
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="snapshots")
    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.CASCADE, related_name="project_snapshots"
    )
    state = models.CharField(max_length=10)
    bac = _money()
    pv = _money()
    ev = _money(null=True)
    ac = _money()
    eac = _money(null=True)
    cpi = _ratio()
    spi = _ratio()
    slip_days = models.IntegerField(null=True)
    exposure = models.IntegerField()
    health_rag = models.CharField(max_length=5)
    reported_rag = models.CharField(max_length=5, blank=True)
    # The rest of the KPI catalogue's measures, so every catalogue figure has a trend
    # (reporting.trends). Snapshots taken before these columns existed hold the defaults.
    milestones_slipping = models.IntegerField(default=0)
    milestones_achieved = models.IntegerField(default=0)
    milestones_on_time = models.IntegerField(default=0)
    open_risks = models.IntegerField(default=0)
    high_risks = models.IntegerField(default=0)
    fy_plan = _money(default=0)
    status_overdue = models.BooleanField(
        default=False,
        help_text="The project counted in Status overdue on the day (kpis 'status_overdue').",
    )

    class Meta:
        db_table = "projects_projectrollupsnapshot"
        constraints = [
            models.UniqueConstraint(
                fields=["taken_on", "project"], name="project_snapshot_one_per_day"
            ),
        ]
        indexes = [models.Index(fields=["portfolio", "taken_on"])]

    def __str__(self) -> str:
        return f"snapshot of project {self.project_id} on {self.taken_on}"


class PortfolioRollup(models.Model):
    """A portfolio's figures summed from its projects' rollups (written by the rollup engine).

    Every figure covers the projects in flight (approved, active, on hold: the scope of the
    KPI catalogue, reporting/kpis.py); `projects` counts every project not cancelled.
    """

    portfolio = models.OneToOneField(
        Portfolio, on_delete=models.CASCADE, primary_key=True, related_name="rollup"
    )
    as_of = models.DateField()
    projects = models.IntegerField()
    in_flight = models.IntegerField()
    bac = models.DecimalField(max_digits=18, decimal_places=2)
    pv = models.DecimalField(max_digits=18, decimal_places=2)
    ev = models.DecimalField(max_digits=18, decimal_places=2)
    ac = models.DecimalField(max_digits=18, decimal_places=2)
    eac = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    # PV and AC of the projects whose progress is reported: CPI and SPI's denominators.
    pv_reported = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    ac_reported = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # This fiscal year's plan of the projects in flight (the envelope share's numerator).
    fy_plan = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    cpi = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    spi = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    milestones_slipping = models.IntegerField()
    milestones_achieved = models.IntegerField()
    milestones_on_time = models.IntegerField()
    open_risks = models.IntegerField()
    high_risks = models.IntegerField()
    exposure = models.IntegerField()
    emv = models.DecimalField(max_digits=18, decimal_places=2)
    health_green = models.IntegerField()
    health_amber = models.IntegerField()
    health_red = models.IntegerField()
    reported_green = models.IntegerField()
    reported_amber = models.IntegerField()
    reported_red = models.IntegerField()
    reported_none = models.IntegerField()
    counts = models.JSONField(
        default=dict,
        help_text="In-flight project counts behind the dashboard's drill-down links: per RAG "
        "dimension {'green': n, 'amber': n, 'red': n}, and projects_slipping, worst_slip, "
        "projects_with_high_risks, cpi_below_one, spi_below_one, overrunning, "
        "no_current_report, unscored.",
    )
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "portfolio_portfoliorollup"

    def __str__(self) -> str:
        return f"rollup of portfolio {self.portfolio_id} as of {self.as_of}"


class PortfolioMonth(models.Model):
    """A portfolio's money month by month, for the budget-burn S-curve (rollup engine output).

    Monthly amounts are summed from the cost lines of the portfolio's projects (cancelled
    ones left out); `ev` is the earned value at the month's end: each project's BAC × the
    percent complete of its latest report up to that month, summed.
    """

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="months")
    month = models.DateField()
    planned = models.DecimalField(max_digits=18, decimal_places=2)
    actual = models.DecimalField(max_digits=18, decimal_places=2)
    forecast = models.DecimalField(max_digits=18, decimal_places=2)
    ev = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        db_table = "portfolio_portfoliomonth"
        ordering = ["portfolio", "month"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "month"], name="portfolio_month_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio_id} {self.month:%Y-%m}"


class PortfolioDemand(models.Model):
    """Hours booked by a portfolio's projects per month and resource group (capacity demand)."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="demand")
    month = models.DateField()
    resource_group = models.CharField(max_length=100)
    hours = models.DecimalField(max_digits=12, decimal_places=1)

    class Meta:
        db_table = "portfolio_portfoliodemand"
        ordering = ["portfolio", "month", "resource_group"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "month", "resource_group"], name="portfolio_demand_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio_id} {self.month:%Y-%m} {self.resource_group}: {self.hours} h"


class PortfolioSeriesState(models.Model):
    """Whether a portfolio's monthly series (S-curve, demand) are current.

    The series are rebuilt whole for a portfolio, which costs far more than one project's
    figures, so an edit only marks them stale here and a debounced task rebuilds them
    (reporting.engine.rebuild_series). Two counters, as in RollupState: a mark landing during a
    rebuild leaves the series stale for the next one.
    """

    portfolio = models.OneToOneField(
        Portfolio, on_delete=models.CASCADE, primary_key=True, related_name="series_state"
    )
    requested = models.BigIntegerField(default=1)
    computed = models.BigIntegerField(default=0)
    stale_since = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "portfolio_portfolioseriesstate"

    def __str__(self) -> str:
        return f"series state of portfolio {self.portfolio_id}"

    @property
    def is_stale(self) -> bool:
        return self.requested > self.computed
