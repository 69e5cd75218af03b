"""Budget baselines: which budget at completion (and which monthly plan) was in force when.

A project has no rows here until its budget first changes after it has started. Then the
change is a re-baseline effective from the first day of the current month: baseline 1 (the
budget until then, in force from the project's first month) and baseline 2 (the new budget)
are recorded, and every later change adds one more (or, within the same month, amends the
newest). Two things follow, and together they keep a re-plan from re-rating past progress:

- **Planned value** of a month before the newest baseline's month is the plan of the baseline
  in force in that month, frozen when that baseline was superseded (BudgetBaselineMonth);
  from the newest baseline's month on it is the current plan (the cost lines).
- **Earned value** at a status date is measured with the budget of the baseline in force on
  that date, plus the earned value carried from before it: EV = carried + EV(method, BAC of
  the baseline, status date) − offset, where `ev_carried` is what had been earned up to the
  day before the baseline took effect (rated at the earlier budgets) and `ev_offset` is what
  the method gives for that same day at this baseline's budget. Both are computed once, when
  the baseline is set, by projects.services.baseline (the definitions: projects.metrics).
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.models.project import Project

_MONEY = {"max_digits": 16, "decimal_places": 2}


@pghistory.track()
class BudgetBaseline(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_baselines")
    number = models.PositiveIntegerField()
    effective_month = models.DateField(help_text="First day of the month it is in force from.")
    bac = models.DecimalField(**_MONEY, help_text="Budget at completion in force.")
    ev_carried = models.DecimalField(
        **_MONEY, default=0, help_text="Earned value up to the day before it took effect."
    )
    ev_offset = models.DecimalField(
        **_MONEY,
        default=0,
        help_text="The method's earned value for that day at this baseline's budget.",
    )
    reason = models.CharField(max_length=500, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "effective_month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="baseline_number_unique"),
            models.UniqueConstraint(
                fields=["project", "effective_month"], name="baseline_one_per_month"
            ),
            models.CheckConstraint(
                condition=Q(effective_month__day=1), name="baseline_month_is_first_day"
            ),
            models.CheckConstraint(condition=Q(bac__gte=0), name="baseline_bac_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} baseline {self.number} from {self.effective_month:%Y-%m}"


class BudgetBaselineMonth(models.Model):
    """One month's planned cost (all categories) as it stood while `baseline` was in force,
    frozen when the next baseline superseded it."""

    baseline = models.ForeignKey(BudgetBaseline, on_delete=models.CASCADE, related_name="months")
    month = models.DateField()
    planned = models.DecimalField(**_MONEY)

    class Meta:
        ordering = ["baseline", "month"]
        constraints = [
            models.UniqueConstraint(fields=["baseline", "month"], name="baseline_month_unique"),
            models.CheckConstraint(
                condition=Q(month__day=1), name="baseline_plan_month_is_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.baseline} {self.month:%Y-%m}: {self.planned}"
