"""Portfolios, programs, strategic objectives, scoring criteria and resource capacity."""

from __future__ import annotations

import calendar
from decimal import Decimal

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from portfolio.choices import EvMethod, ResourceKind

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
    ev_method = models.CharField(
        "earned value method",
        max_length=10,
        choices=EvMethod.choices,
        default=EvMethod.PERCENT,
        db_default=EvMethod.PERCENT,
        help_text="How the portfolio's projects earn value, unless a project overrides it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(currency__regex=ISO_CURRENCY), name="portfolio_currency_iso4217"
            ),
            models.CheckConstraint(
                condition=Q(ev_method__in=EvMethod.values), name="portfolio_ev_method_known"
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
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=1,
        choices=[(n, calendar.month_name[n]) for n in range(1, 13)],
        help_text="Month (1-12) the fiscal year starts in: fiscal year N runs from that month "
        "of year N for twelve months. Envelopes, the envelope share, the ranking's budgets and "
        "capacity use it.",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped by every change: the PMO's edits are checked against it."
    )
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
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="health_policy_fiscal_year_start_is_a_month",
            ),
        ]

    def __str__(self) -> str:
        return "Health policy"

    @classmethod
    def current(cls) -> HealthPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy
