from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from portfolio.choices import EvMethod
from portfolio.models import Portfolio, Program, ScoringCriterion, StrategicObjective
from projects.choices import Category, DeliveryMethod, LifecycleState


@pghistory.track()
class Project(models.Model):
    """A funded piece of IT change with a manager, a budget and a baseline schedule."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="projects")
    program = models.ForeignKey(
        Program, on_delete=models.SET_NULL, null=True, blank=True, related_name="projects"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="managed_projects"
    )
    delegates = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="delegated_projects",
        help_text="Users who may update this project on the manager's behalf.",
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sponsored_projects",
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    delivery_method = models.CharField(
        max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.WATERFALL
    )
    state = models.CharField(
        max_length=10, choices=LifecycleState.choices, default=LifecycleState.PROPOSED
    )
    on_hold_since = models.DateField(
        null=True,
        blank=True,
        help_text="The day the project was put on hold: its planned value stops there and the "
        "rest of its plan is released. Empty unless on hold.",
    )
    current_gate = models.CharField(
        max_length=100, blank=True, help_text="Name of the last stage gate passed."
    )
    phase = models.CharField(
        max_length=100,
        blank=True,
        help_text="The phase the last gate passed opened (Plan, Build…); written by the "
        "lifecycle service only.",
    )
    objectives = models.ManyToManyField(StrategicObjective, blank=True, related_name="projects")
    baseline_start = models.DateField()
    baseline_finish = models.DateField()
    forecast_finish = models.DateField(null=True, blank=True)
    actual_finish = models.DateField(null=True, blank=True)
    ev_method = models.CharField(
        "earned value method",
        max_length=10,
        choices=EvMethod.choices,
        blank=True,
        default="",
        db_default="",
        help_text="Blank: the portfolio's method.",
    )
    budget_at_completion = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        default=Decimal("0"),
        help_text="BAC: the approved budget for the whole project, in the portfolio's currency.",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Row version for optimistic locking; bumped by every service write."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["portfolio", "state"]),
            models.Index(fields=["manager"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(baseline_finish__gte=F("baseline_start")),
                name="project_baseline_finish_after_start",
            ),
            models.CheckConstraint(
                condition=Q(forecast_finish__isnull=True)
                | Q(forecast_finish__gte=F("baseline_start")),
                name="project_forecast_finish_after_start",
            ),
            models.CheckConstraint(
                condition=Q(actual_finish__isnull=True) | Q(actual_finish__gte=F("baseline_start")),
                name="project_actual_finish_after_start",
            ),
            models.CheckConstraint(
                condition=Q(budget_at_completion__gte=0), name="project_bac_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(ev_method="") | Q(ev_method__in=EvMethod.values),
                name="project_ev_method_blank_or_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@pghistory.track()
class ProjectScore(models.Model):
    """One director's score of a project against one PMO scoring criterion."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(ScoringCriterion, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "criterion"], name="project_score_one_per_criterion"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=10), name="project_score_0_to_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.criterion}: {self.score}"
