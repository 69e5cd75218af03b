"""The core app's tables: notifications, how each person wants them mailed, the personal
API tokens people use to call /api/v1/, and the calendar feeds of a portfolio's milestones."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
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


# The longest an API token may live: a token is a password a program holds, so each one ends
# and is replaced deliberately (the form offers 30, 90 or 365 days, or a date within this).
API_TOKEN_MAX_LIFETIME = timedelta(days=366)


class ApiToken(models.Model):
    """A personal API token: a secret a person gives a program (a script, a BI tool) so it can
    call /api/v1/ as them until the token expires or they revoke it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80, help_text="What the owner calls it, e.g. the program.")
    # The secret's first 8 characters ("cnd_" and four more), shown in lists so the owner can
    # tell which token a program holds; far too short to guess the rest from.
    prefix = models.CharField(max_length=8)
    # SHA-256 of the whole secret, in hex. The secret itself is never stored: a request is
    # matched by hashing what it offers and looking the digest up, so no comparison of
    # secrets runs in Python (nothing to time), and a copy of the table lets nobody in.
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Written at most once a minute per token (ppm.api.auth), so a busy script costs one
    # UPDATE a minute rather than one per request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The lookup of every API request (a constraint rather than unique=True, which
            # would add a second index, for LIKE, that no query uses).
            models.UniqueConstraint(fields=["digest"], name="api_token_digest_unique"),
            # A name tells the owner's tokens apart while they can be used; a revoked token's
            # name is free again.
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_name_unique_unless_revoked",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="api_token_has_a_name"),
            models.CheckConstraint(
                condition=Q(prefix__regex=r"^cnd_[A-Za-z0-9_-]{4}$"),
                name="api_token_prefix_is_the_secret_start",
            ),
            models.CheckConstraint(
                condition=Q(digest__regex=r"^[0-9a-f]{64}$"),
                name="api_token_digest_is_sha256_hex",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="api_token_expires_after_created",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__lte=F("created_at") + API_TOKEN_MAX_LIFETIME),
                name="api_token_lifetime_at_most_366_days",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=F("created_at")),
                name="api_token_revoked_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) → {self.owner_id}"

    def ended(self, now: datetime) -> tuple[str, datetime] | None:
        """How the token stopped working, if it has — ("revoked", when) or ("expired", when),
        whichever came first — or None while it can be used."""
        if self.revoked_at is not None and self.revoked_at < self.expires_at:
            return "revoked", self.revoked_at
        if self.expires_at <= now:
            return "expired", self.expires_at
        if self.revoked_at is not None:
            return "revoked", self.revoked_at
        return None

    def is_live(self, now: datetime) -> bool:
        return self.ended(now) is None


class CalendarFeed(models.Model):
    """A calendar subscription of one portfolio's milestones: a secret address a person gives
    their calendar program (Outlook, Google, Apple), which shows what they may see of the
    portfolio until they revoke it or lose their rights to it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    # Deleting a portfolio deletes its feeds: there is nothing left for them to show.
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    name = models.CharField(
        max_length=80, help_text="What the owner calls it, e.g. where it is subscribed."
    )
    # The secret's first 8 characters ("cal_" and four more), shown in the owner's list so
    # they can tell which address a calendar holds; far too short to guess the rest from.
    prefix = models.CharField(max_length=8)
    # SHA-256 of the whole secret, in hex; the secret itself is never stored (as ApiToken's).
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    # Written at most once an hour per feed (ppm.feeds), so a calendar polling every few
    # minutes costs one UPDATE an hour.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The lookup of every fetch.
            models.UniqueConstraint(fields=["digest"], name="calendar_feed_digest_unique"),
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_name_unique_unless_revoked",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="calendar_feed_has_a_name"),
            models.CheckConstraint(
                condition=Q(prefix__regex=r"^cal_[A-Za-z0-9_-]{4}$"),
                name="calendar_feed_prefix_is_the_secret_start",
            ),
            models.CheckConstraint(
                condition=Q(digest__regex=r"^[0-9a-f]{64}$"),
                name="calendar_feed_digest_is_sha256_hex",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=F("created_at")),
                name="calendar_feed_revoked_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) → {self.owner_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
