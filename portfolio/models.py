"""Portfolios, programs, strategic objectives, scoring criteria and resource capacity."""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from portfolio.choices import ResourceKind

ISO_CURRENCY = r"^[A-Z]{3}$"


@pghistory.track()
class Portfolio(models.Model):
    """A set of projects owned by one director and funded from one budget envelope a year."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    director = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="directed_portfolios"
    )
    currency = models.CharField(max_length=3, default="EUR")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(currency__regex=ISO_CURRENCY), name="portfolio_currency_iso4217"
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class PortfolioBudget(models.Model):
    """The budget envelope a portfolio may spend in one fiscal year."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="budgets")
    fiscal_year = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["portfolio", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "fiscal_year"], name="portfolio_budget_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="portfolio_budget_amount_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year__gte=2000, fiscal_year__lte=2100),
                name="portfolio_budget_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio} FY{self.fiscal_year}"


@pghistory.track()
class Program(models.Model):
    """An optional grouping of related projects inside a portfolio, steered together."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="programs")
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_programs",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class StrategicObjective(models.Model):
    """A goal of the organisation that projects contribute to, weighted for prioritisation."""

    portfolio = models.ForeignKey(
        Portfolio,
        on_delete=models.CASCADE,
        related_name="objectives",
        null=True,
        blank=True,
        help_text="Empty for an organisation-wide objective.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("1.00"))

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="objective_weight_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class ScoringCriterion(models.Model):
    """A PMO-defined criterion projects are scored on (e.g. strategic fit), with its weight."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2)
    scale_min = models.PositiveSmallIntegerField(default=1)
    scale_max = models.PositiveSmallIntegerField(default=5)
    higher_is_better = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Row version for optimistic locking; bumped by every service write."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "scoring criteria"
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="criterion_weight_gte_0"),
            models.CheckConstraint(
                condition=Q(scale_max__gt=F("scale_min")), name="criterion_scale_ordered"
            ),
            # A project's score is stored in 0..10 (projects.ProjectScore), so a scale must fit.
            models.CheckConstraint(
                condition=Q(scale_max__lte=10), name="criterion_scale_within_0_10"
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Resource(models.Model):
    """A person or a role that supplies delivery capacity, in hours per week."""

    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=10, choices=ResourceKind.choices, default=ResourceKind.PERSON
    )
    group = models.CharField(
        max_length=100, help_text="Resource group capacity is planned by, e.g. 'Developers'."
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resource",
    )
    capacity_hours_per_week = models.DecimalField(
        max_digits=6, decimal_places=1, default=Decimal("37.5")
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["group", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_hours_per_week__gte=0, capacity_hours_per_week__lte=168),
                name="resource_capacity_within_a_week",
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class HealthPolicy(models.Model):
    """The PMO's thresholds for rule-based project health (one row: the organisation's policy).

    Index thresholds (CPI, SPI) are lower bounds: below `red` is red, below `amber` is amber.
    Slip and risk thresholds are upper bounds: at or above `red` is red, at or above `amber`
    is amber.
    """

    cpi_amber = models.DecimalField(max_digits=5, decimal_places=3, default=Decimal("0.950"))
    cpi_red = models.DecimalField(max_digits=5, decimal_places=3, default=Decimal("0.850"))
    spi_amber = models.DecimalField(max_digits=5, decimal_places=3, default=Decimal("0.950"))
    spi_red = models.DecimalField(max_digits=5, decimal_places=3, default=Decimal("0.850"))
    slip_amber_days = models.PositiveIntegerField(default=1)
    slip_red_days = models.PositiveIntegerField(default=30)
    risk_amber_score = models.PositiveSmallIntegerField(default=10)
    risk_red_score = models.PositiveSmallIntegerField(default=15)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "health policy"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="health_policy_single_row"),
            models.CheckConstraint(
                condition=Q(cpi_red__lte=F("cpi_amber"), spi_red__lte=F("spi_amber")),
                name="health_policy_index_thresholds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(
                    slip_amber_days__lte=F("slip_red_days"),
                    risk_amber_score__lte=F("risk_red_score"),
                ),
                name="health_policy_upper_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return "Health policy"

    @classmethod
    def current(cls) -> HealthPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy


class PortfolioRollup(models.Model):
    """A portfolio's figures summed from its projects' rollups (written by the rollup engine).

    Money and EVM cover every project that is not cancelled; health and freshness counts cover
    the projects in flight (approved, active, on hold).
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
    cpi = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    spi = models.DecimalField(max_digits=12, decimal_places=4, null=True)
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
    (projects.rollups.rebuild_series). Two counters, as in RollupState: a mark landing during a
    rebuild leaves the series stale for the next one.
    """

    portfolio = models.OneToOneField(
        Portfolio, on_delete=models.CASCADE, primary_key=True, related_name="series_state"
    )
    requested = models.BigIntegerField(default=1)
    computed = models.BigIntegerField(default=0)
    stale_since = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"series state of portfolio {self.portfolio_id}"

    @property
    def is_stale(self) -> bool:
        return self.requested > self.computed
