"""RAID log (risks, assumptions, issues, dependencies), change requests and lessons learned."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from projects.choices import (
    ChangeRequestState,
    Priority,
    RaidStatus,
    RiskResponse,
)
from projects.models.project import Project
from projects.models.schedule import Milestone

_CLOSED_NEEDS_RESOLUTION = ~Q(status=RaidStatus.CLOSED) | ~Q(resolution="")


class RaidItem(models.Model):
    """Fields every RAID entry shares: a title, an owner, a due date and a closing resolution."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=RaidStatus.choices, default=RaidStatus.OPEN)
    resolution = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title


@pghistory.track()
class Risk(RaidItem):
    """An uncertain event that would hurt the project, scored probability × impact (1–25)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks")
    probability = models.PositiveSmallIntegerField(help_text="1 (rare) to 5 (almost certain)")
    impact = models.PositiveSmallIntegerField(help_text="1 (minimal) to 5 (severe)")
    cost_impact = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Cost if the risk occurs, in the portfolio's currency.",
    )
    response = models.CharField(
        max_length=10, choices=RiskResponse.choices, default=RiskResponse.MITIGATE
    )
    response_plan = models.TextField(blank=True)

    class Meta:
        ordering = ["project", "-created_at"]
        indexes = [models.Index(fields=["project", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=1, probability__lte=5), name="risk_probability_1_5"
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=5), name="risk_impact_1_5"
            ),
            models.CheckConstraint(
                condition=Q(cost_impact__isnull=True) | Q(cost_impact__gte=0),
                name="risk_cost_impact_gte_0",
            ),
            models.CheckConstraint(
                condition=_CLOSED_NEEDS_RESOLUTION, name="risk_closed_needs_resolution"
            ),
        ]


@pghistory.track()
class Issue(RaidItem):
    """Something already going wrong that needs an owner and an action."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="issues")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)

    class Meta:
        ordering = ["project", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=_CLOSED_NEEDS_RESOLUTION, name="issue_closed_needs_resolution"
            ),
        ]


@pghistory.track()
class Assumption(RaidItem):
    """Something the plan takes as true and that must be confirmed by its due date."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assumptions")

    class Meta:
        ordering = ["project", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=_CLOSED_NEEDS_RESOLUTION, name="assumption_closed_needs_resolution"
            ),
        ]


@pghistory.track()
class Dependency(RaidItem):
    """Work in one project that waits on another project, optionally milestone to milestone."""

    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="dependencies",
        help_text="The dependent project (the one that waits).",
    )
    depends_on = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="dependents",
        help_text="The project delivering what is waited on.",
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="dependencies"
    )
    depends_on_milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="dependents"
    )

    class Meta:
        ordering = ["project", "-created_at"]
        verbose_name_plural = "dependencies"
        constraints = [
            models.CheckConstraint(
                condition=~Q(project=F("depends_on")), name="dependency_not_on_itself"
            ),
            models.CheckConstraint(
                condition=_CLOSED_NEEDS_RESOLUTION, name="dependency_closed_needs_resolution"
            ),
        ]


@pghistory.track()
class ChangeRequest(models.Model):
    """A proposed change to scope, schedule or cost that needs a decision before it applies."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    title = models.CharField(max_length=200)
    description = models.TextField()
    scope_impact = models.TextField(blank=True)
    schedule_impact_days = models.IntegerField(
        default=0, help_text="Days the project finish moves (negative brings it forward)."
    )
    cost_impact = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text="Change to the budget at completion (negative reduces it).",
    )
    state = models.CharField(
        max_length=10, choices=ChangeRequestState.choices, default=ChangeRequestState.DRAFT
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=[ChangeRequestState.APPROVED, ChangeRequestState.REJECTED])
                | Q(decided_at__isnull=False),
                name="change_request_decision_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title


@pghistory.track()
class LessonLearned(models.Model):
    """What a project team would tell the next team: captured at closure, searchable by all."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=60, blank=True)
    what_happened = models.TextField()
    recommendation = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "lessons learned"

    def __str__(self) -> str:
        return self.title
