"""Gate workflows, as the PMO builds them, and a project's place in one.

A Workflow is a family of versions; a WorkflowVersion is an ordered set of Gates. Only a draft
version is edited: a published one is frozen, and editing it starts the next draft (copied
from it). Publishing a draft supersedes the previous version for new projects; projects under
way keep theirs (ProjectWorkflow) until the PMO migrates them. Selection rules (WorkflowRule)
choose the workflow for a new project or intake request.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from governance.choices import RuleKind, VersionState
from portfolio.models import Portfolio
from projects.choices import Category, LifecycleState
from projects.models import Project

MAX_SLA_DAYS = 365


class Panel(models.Model):
    """Who decides and by which rule: a gate's or a change rule's approvers."""

    approver_groups = models.ManyToManyField(
        Group, blank=True, related_name="+", help_text="Any one member fills a group's seat."
    )
    approver_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    portfolio_director = models.BooleanField(
        default=False, help_text="The director of the project's portfolio has a seat."
    )
    rule = models.CharField(max_length=10, choices=RuleKind.choices, default=RuleKind.ANY)
    rule_m = models.PositiveSmallIntegerField(
        "M", default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    veto_group = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A rejection by any member rejects outright.",
    )
    sla_days = models.PositiveSmallIntegerField(
        "SLA (days)", default=5, validators=[MinValueValidator(1), MaxValueValidator(MAX_SLA_DAYS)]
    )

    class Meta:
        abstract = True


@pghistory.track()
class Workflow(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(
        default=False, help_text="Chosen when no selection rule matches."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_workflow"
            )
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class WorkflowVersion(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(
        max_length=10, choices=VersionState.choices, default=VersionState.DRAFT
    )
    note = models.CharField(max_length=300, blank=True, help_text="What changed in this version.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["workflow", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "number"], name="workflow_version_number"),
            models.UniqueConstraint(
                fields=["workflow"],
                condition=Q(state=VersionState.DRAFT),
                name="workflow_one_draft",
            ),
            models.UniqueConstraint(
                fields=["workflow"],
                condition=Q(state=VersionState.PUBLISHED),
                name="workflow_one_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workflow.name} v{self.number}"


@pghistory.track()
class Gate(Panel):
    workflow_version = models.ForeignKey(
        WorkflowVersion, on_delete=models.CASCADE, related_name="gates"
    )
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    phase = models.CharField(
        max_length=100, help_text="The phase a project enters when it passes this gate."
    )
    state_after = models.CharField(
        "Project state after",
        max_length=10,
        blank=True,
        choices=[
            (s, label)
            for s, label in LifecycleState.choices
            if s in (LifecycleState.APPROVED, LifecycleState.ACTIVE, LifecycleState.CLOSED)
        ],
        help_text="Passing the gate also moves the project to this state (leave empty to "
        "keep its state).",
    )

    class Meta:
        ordering = ["workflow_version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["workflow_version", "order"], name="gate_order"),
            models.UniqueConstraint(fields=["workflow_version", "name"], name="gate_name"),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class GateCriterion(models.Model):
    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    evidence_required = models.BooleanField(
        default=False, help_text="A document or a link must be attached."
    )

    class Meta:
        ordering = ["gate", "order"]
        constraints = [
            models.UniqueConstraint(fields=["gate", "order"], name="gate_criterion_order")
        ]

    def __str__(self) -> str:
        return self.text


@pghistory.track()
class WorkflowRule(models.Model):
    """Chooses `workflow` for a new project or intake request when every condition set holds;
    rules are tried by priority (lowest first)."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="rules")
    priority = models.PositiveSmallIntegerField(unique=True)
    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=20, blank=True, choices=Category.choices)
    min_budget = models.DecimalField(
        "Budget at least",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["priority"]

    def __str__(self) -> str:
        return f"Rule {self.priority} → {self.workflow}"


@pghistory.track()
class ChangeRule(Panel):
    """Who decides a change request whose impact reaches the thresholds set; the rule with the
    highest priority number that matches wins (so the stricter rules are listed last)."""

    name = models.CharField(max_length=100, unique=True)
    min_cost_impact = models.DecimalField(
        "Cost impact at least",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    min_schedule_days = models.PositiveIntegerField(
        "Schedule impact at least (days)", null=True, blank=True
    )
    priority = models.PositiveSmallIntegerField(unique=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["priority"]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class ProjectWorkflow(models.Model):
    """Where a project stands in its workflow: the version it follows and the next gate."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="workflow")
    workflow_version = models.ForeignKey(
        WorkflowVersion, on_delete=models.PROTECT, related_name="projects"
    )
    next_gate = models.ForeignKey(
        Gate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty once every gate is passed.",
    )
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.project} in {self.workflow_version}"


class Subject(models.Model):
    """A checklist answer or a piece of evidence belongs to a project or an intake request."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, null=True, blank=True)
    intake = models.ForeignKey(
        "governance.IntakeRequest", on_delete=models.CASCADE, null=True, blank=True
    )

    class Meta:
        abstract = True


def _one_subject(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(project__isnull=True, intake__isnull=False)
        | Q(project__isnull=False, intake__isnull=True),
        name=name,
    )


@pghistory.track()
class CriterionCheck(Subject):
    """A PM's answer to one criterion of a gate: met or not, with a note."""

    criterion = models.ForeignKey(GateCriterion, on_delete=models.CASCADE, related_name="checks")
    met = models.BooleanField(default=False)
    note = models.CharField(max_length=1000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            _one_subject("criterion_check_one_subject"),
            models.UniqueConstraint(fields=["project", "criterion"], name="check_project"),
            models.UniqueConstraint(fields=["intake", "criterion"], name="check_intake"),
        ]

    def __str__(self) -> str:
        return f"{'met' if self.met else 'open'}: {self.criterion_id}"


def evidence_path(instance: Evidence, filename: str) -> str:
    subject = (
        f"project-{instance.project_id}" if instance.project_id else f"intake-{instance.intake_id}"
    )
    return f"evidence/{subject}/{instance.criterion_id}/{filename}"


@pghistory.track()
class Evidence(Subject):
    """A document or a link attached to a criterion. Kept once a review has cited it."""

    criterion = models.ForeignKey(GateCriterion, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=300, blank=True)
    link = models.URLField(max_length=500, blank=True)
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            _one_subject("evidence_one_subject"),
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(link="")) | (~Q(file="") & Q(link="")),
                name="evidence_file_or_link",
            ),
        ]

    def __str__(self) -> str:
        return self.name
