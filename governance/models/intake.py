"""Intake (demand): a request for a new project, decided through the first gate of the
workflow that matches it. Approval creates the project; rejection returns the request."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from governance.choices import IntakeState
from governance.models.workflow import WorkflowVersion
from portfolio.models import Portfolio, StrategicObjective
from projects.choices import Category
from projects.models import Project


@pghistory.track()
class IntakeRequest(models.Model):
    title = models.CharField(max_length=200)
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    problem = models.TextField("Problem")
    solution = models.TextField("Proposed solution")
    benefits = models.TextField("Benefits")
    risks = models.TextField("Main risks")
    cost_estimate = models.DecimalField(
        "Cost estimate", max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    desired_start = models.DateField("Desired start")
    duration_months = models.PositiveSmallIntegerField(
        "Duration (months)", validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    objectives = models.ManyToManyField(
        StrategicObjective, blank=True, related_name="+", verbose_name="Strategic objectives"
    )
    proposed_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="Project manager",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=IntakeState.choices, default=IntakeState.DRAFT)
    workflow_version = models.ForeignKey(
        WorkflowVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    project = models.OneToOneField(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="intake"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_estimate__gte=0), name="intake_cost_estimate_gte_0"
            ),
            models.CheckConstraint(
                condition=~Q(state=IntakeState.APPROVED) | Q(project__isnull=False),
                name="intake_approved_has_project",
            ),
        ]

    def __str__(self) -> str:
        return self.title
