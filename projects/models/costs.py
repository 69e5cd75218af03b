from __future__ import annotations

from decimal import Decimal

import pghistory
from django.db import models
from django.db.models import Q

from portfolio.models import Resource
from projects.choices import CostCategory, ExpenseType
from projects.models.project import Project

_MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0")}


@pghistory.track()
class CostLine(models.Model):
    """Planned, actual and forecast spend of one project in one month and cost category."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cost_lines")
    month = models.DateField(help_text="First day of the month.")
    expense_type = models.CharField(max_length=5, choices=ExpenseType.choices)
    category = models.CharField(max_length=10, choices=CostCategory.choices)
    planned = models.DecimalField(**_MONEY)
    actual = models.DecimalField(**_MONEY)
    forecast = models.DecimalField(**_MONEY)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["project", "month", "expense_type", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "month", "expense_type", "category"],
                name="cost_line_one_per_month_and_category",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="cost_line_month_is_first_day"),
            models.CheckConstraint(
                condition=Q(planned__gte=0, actual__gte=0, forecast__gte=0),
                name="cost_line_amounts_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.month:%Y-%m} {self.expense_type}/{self.category}"


@pghistory.track()
class Allocation(models.Model):
    """Hours of one resource booked to one project in one month: the demand side of capacity."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="allocations")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="allocations")
    month = models.DateField(help_text="First day of the month.")
    hours = models.DecimalField(max_digits=7, decimal_places=1)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["project", "month", "resource"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "resource", "month"], name="allocation_one_per_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="allocation_month_is_first_day"),
            models.CheckConstraint(
                condition=Q(hours__gte=0, hours__lte=744), name="allocation_hours_within_a_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} → {self.project.code} {self.month:%Y-%m}: {self.hours} h"
