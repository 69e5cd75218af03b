"""Choices of the core app's models: what a notification is about, where its mail stands, and
how a person wants notifications mailed."""

from django.db import models


class NotificationKind(models.TextChoices):
    REVIEW_REQUESTED = "review_requested", "Review requested"
    REVIEW_DECIDED = "review_decided", "Review decided"
    REVIEW_OVERDUE = "review_overdue", "Review overdue"
    CHANGE_REQUESTED = "change_requested", "Change request raised"
    CHANGE_DECIDED = "change_decided", "Change request decided"
    STATUS_DUE = "status_due", "Status report due"
    INTAKE_DECIDED = "intake_decided", "Proposal decided"
    REPORT_FAILED = "report_failed", "Report failed"
    OTHER = "other", "Notice"


class EmailState(models.TextChoices):
    """Where a notification's mail stands. `pending` rows are claimed (`sending`) by one
    sender, then `sent`; `digest` rows wait for the person's daily digest."""

    PENDING = "pending", "Waiting to be mailed"
    SENDING = "sending", "Being mailed"
    SENT = "sent", "Mailed"
    SKIPPED = "skipped", "Not mailed (no address, or the person chose no mail)"
    DIGEST = "digest", "Waiting for the daily digest"
    FAILED = "failed", "Not mailed: the mail server refused it"


class EmailPreference(models.TextChoices):
    EACH = "each", "Each notification as it happens"
    DIGEST = "digest", "One daily digest"
    NONE = "none", "No mail: the inbox only"
