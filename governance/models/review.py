"""Reviews (of a gate, an intake request or a change request), their seats and decisions.

A review freezes what it is decided on when it is requested: the workflow version, the rule,
the seats with the people who hold them (a group's members at that moment), the checklist
and the evidence. Decisions are appended, never changed; once decided, the review itself is
never changed either (the database refuses both, like a submitted status report).
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q

from governance.choices import ReviewKind, ReviewState, RuleKind, Verdict
from governance.models.workflow import ChangeRule, Gate, WorkflowVersion
from portfolio.models import Portfolio
from projects.models import ChangeRequest, Project


@pghistory.track()
class Review(models.Model):
    kind = models.CharField(max_length=10, choices=ReviewKind.choices)
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    intake = models.ForeignKey(
        "governance.IntakeRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
    )
    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    workflow_version = models.ForeignKey(
        WorkflowVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    gate = models.ForeignKey(
        Gate, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    change_rule = models.ForeignKey(
        ChangeRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=300)
    attempt = models.PositiveSmallIntegerField(
        default=1, help_text="1 for the first review of this gate for this subject, and so on."
    )
    rule = models.CharField(max_length=10, choices=RuleKind.choices)
    rule_m = models.PositiveSmallIntegerField(default=1)
    sla_days = models.PositiveSmallIntegerField()
    checklist = models.JSONField(
        default=list, blank=True, help_text="The checklist and evidence as requested."
    )
    note = models.TextField(blank=True, help_text="The requester's note to the reviewers.")
    state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    overdue_notified = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["requested_at", "pk"]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["portfolio", "kind", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=ReviewKind.GATE, project__isnull=False, gate__isnull=False)
                    | Q(kind=ReviewKind.INTAKE, intake__isnull=False, gate__isnull=False)
                    | Q(kind=ReviewKind.CHANGE, change_request__isnull=False)
                ),
                name="review_subject_fits_kind",
            ),
            models.CheckConstraint(condition=Q(due_at__gt=F("requested_at")), name="review_due"),
            models.UniqueConstraint(
                fields=["project", "gate"],
                condition=Q(state=ReviewState.OPEN, kind=ReviewKind.GATE),
                name="review_one_open_per_gate",
            ),
            models.UniqueConstraint(
                fields=["intake"],
                condition=Q(state=ReviewState.OPEN, kind=ReviewKind.INTAKE),
                name="review_one_open_per_intake",
            ),
            models.UniqueConstraint(
                fields=["change_request"],
                condition=Q(state=ReviewState.OPEN, kind=ReviewKind.CHANGE),
                name="review_one_open_per_change",
            ),
        ]
        triggers = [
            # A decided review is the record: the database refuses to rewrite or delete it.
            pgtrigger.Protect(
                name="review_decided_is_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=~pgtrigger.Q(old__state=ReviewState.OPEN),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReviewSeat(models.Model):
    """One seat of a review's panel: a named person or a group, and who held it when the
    review was requested. Veto seats are listed too (`is_veto`)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(max_length=200)
    is_veto = models.BooleanField(default=False)
    holders = ArrayField(models.IntegerField(), default=list)

    class Meta:
        ordering = ["review", "is_veto", "pk"]
        indexes = [GinIndex(fields=["holders"], name="review_seat_holders")]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=True, group__isnull=False)
                | Q(user__isnull=False, group__isnull=True),
                name="review_seat_user_or_group",
            )
        ]

    def __str__(self) -> str:
        return self.label


class ReviewDecision(models.Model):
    """One reviewer's decision, as it was made. Never changed, never deleted."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="decisions")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The approver this person stood in for under a delegation.",
    )
    seat = models.ForeignKey(
        ReviewSeat,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The seat the decision filled; empty for a deferral.",
    )
    vetoed = models.BooleanField(default=False)
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["review", "at", "pk"]
        triggers = [
            pgtrigger.Protect(
                name="review_decision_is_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} by {self.person_id} on review {self.review_id}"


@pghistory.track()
class Delegation(models.Model):
    """While `holder` is away (from `starts` to `ends`, both days included, in the
    organisation's zone), `delegate` decides in their place."""

    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    starts = models.DateField()
    ends = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gte=F("starts")), name="delegation_dates"),
            models.CheckConstraint(
                condition=~Q(holder=F("delegate")), name="delegation_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_id} → {self.delegate_id}, {self.starts} to {self.ends}"
