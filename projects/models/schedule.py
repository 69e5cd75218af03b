from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Func, IntegerField, Q

from projects.models.project import Project


class SlipDays(Func):
    """forecast_date − baseline_date in days (PostgreSQL's date − date is an integer).

    A class rather than a configured Func so that migrations can compare it: the index below
    is defined with it and the top-slips query orders by it, the same expression."""

    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()

    def __init__(self, **extra) -> None:
        super().__init__(F("forecast_date"), F("baseline_date"), **extra)


def slip_days() -> SlipDays:
    return SlipDays()


# Open milestones forecast after their baseline: the only rows "top slipping milestones"
# reads, kept in an index ordered by slip so the worst ten come without a sort.
OPEN_AND_SLIPPING = Q(actual_date__isnull=True, forecast_date__gt=F("baseline_date"))


@pghistory.track()
class Milestone(models.Model):
    """A dated point of delivery in a project, tracked against its baseline."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_key = models.BooleanField(
        default=True, help_text="Key milestones drive the project's schedule slip."
    )
    weight = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))
    baseline_date = models.DateField()
    forecast_date = models.DateField()
    actual_date = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["project", "baseline_date", "id"]
        indexes = [
            models.Index(fields=["project", "forecast_date"]),
            models.Index(
                slip_days().desc(), name="milestone_open_slip_idx", condition=OPEN_AND_SLIPPING
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="milestone_weight_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name


class MilestoneForecast(models.Model):
    """One forecast of a milestone's date as stated on a given day: the slip-trend series."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="forecasts")
    as_of = models.DateField(help_text="The reporting date on which this forecast was made.")
    forecast_date = models.DateField()
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["milestone", "as_of", "id"]
        indexes = [models.Index(fields=["milestone", "as_of"])]

    def __str__(self) -> str:
        return f"{self.milestone} @ {self.as_of}: {self.forecast_date}"
