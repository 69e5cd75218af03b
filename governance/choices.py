"""Choices of the gate engine."""

from __future__ import annotations

from django.db import models

from governance import decision_rule


class RuleKind(models.TextChoices):
    ANY = decision_rule.ANY, "Any one approver"
    ALL = decision_rule.ALL, "All approvers"
    M_OF_N = decision_rule.M_OF_N, "M of N approvers"


class VersionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


class ReviewKind(models.TextChoices):
    GATE = "gate", "Gate review"
    INTAKE = "intake", "Intake review"
    CHANGE = "change", "Change request"


class ReviewState(models.TextChoices):
    OPEN = decision_rule.OPEN, "In review"
    APPROVED = decision_rule.APPROVED, "Approved"
    REJECTED = decision_rule.REJECTED, "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Verdict(models.TextChoices):
    APPROVE = decision_rule.APPROVE, "Approve"
    REJECT = decision_rule.REJECT, "Reject"
    DEFER = decision_rule.DEFER, "Defer"


class IntakeState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned"
    WITHDRAWN = "withdrawn", "Withdrawn"
