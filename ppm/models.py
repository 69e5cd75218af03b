"""The core app's tables: notifications and how each person wants them mailed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ppm.choices import EmailPreference, EmailState, NotificationKind

# Rows whose mail is still to do; the sender and the digest only ever look at these.
MAIL_TO_DO = (EmailState.PENDING, EmailState.SENDING, EmailState.DIGEST)


class Notification(models.Model):
    """Something a person should know or act on — a decision asked of them, a decision made, a
    report due — shown in their inbox and mailed as they chose."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(
        max_length=500, blank=True, help_text="Where it links to: a path on this site."
    )
    # The sender's name for the event (e.g. "status-due:12:2026-03-31"): the same key for the
    # same person is written once, so a daily job can notify "once per period".
    key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.PENDING
    )
    # When a sender took the row (state `sending`); a row left there by a killed worker is
    # taken again after ppm.notification_mail.CLAIM_TIMEOUT.
    claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~Q(key=""),
                name="notification_one_per_key",
            ),
            # A relative path, never another site (`//host` is protocol-relative).
            models.CheckConstraint(
                condition=Q(url="") | (Q(url__startswith="/") & ~Q(url__startswith="//")),
                name="notification_url_is_a_path",
            ),
            models.CheckConstraint(
                condition=Q(email_state__in=EmailState.values),
                name="notification_email_state_known",
            ),
            models.CheckConstraint(
                condition=~Q(email_state=EmailState.SENT) | Q(emailed_at__isnull=False),
                name="notification_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(email_state=EmailState.SENDING) | Q(claimed_at__isnull=False),
                name="notification_sending_has_claim_time",
            ),
        ]
        indexes = [
            # The inbox: a person's unread count, and their rows newest first.
            models.Index(
                fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx"
            ),
            # The sender and the digest: the few rows whose mail is still to do.
            models.Index(
                fields=["email_state", "created_at"],
                condition=Q(email_state__in=MAIL_TO_DO),
                name="notification_mail_to_do_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} → {self.recipient_id}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """How a person wants their notifications mailed: each one, a daily digest, or none (no
    row: each one)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.CharField(
        max_length=10, choices=EmailPreference.choices, default=EmailPreference.EACH
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(email__in=EmailPreference.values),
                name="notification_preference_email_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email}"
