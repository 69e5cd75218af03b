"""Mailing notifications: one mail per notification, or one daily digest per person.

Each mail is claimed before it is sent, with one conditional UPDATE (`pending` → `sending`,
`FOR UPDATE SKIP LOCKED`), and marked `sent` right after: two workers — or a worker and the
sweep — never take the same row, so a mail goes once. Rows are written by `notify` whatever
the broker's state, and the minute sweep sends whatever waits, so nothing written while the
worker was down is lost.

The one case that is at-least-once: a worker killed after the mail server accepted a mail and
before the row was marked `sent` leaves it `sending`; after CLAIM_TIMEOUT the sweep takes it
again and that mail goes twice. (A row left `sending` by a digest run is then mailed on its
own, not in a digest.) Marking before sending would turn that into at-most-once, losing the
mail instead; a duplicate is the lesser harm.

A mail server that fails (down, timing out) puts the row back as it was and ends the run:
the next sweep tries again a minute later, in order. A refused address or a malformed message
fails only its own row (`failed`, logged).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ppm.choices import EmailState
from ppm.models import Notification

log = logging.getLogger(__name__)

# How long a row may stay `sending` before the sweep takes it again: far longer than one
# mail can take (the SMTP timeout is EMAIL_TIMEOUT, 20 s by default).
CLAIM_TIMEOUT = timedelta(minutes=15)
# Arbitrary constant naming the "a digest run is under way" advisory lock.
DIGEST_LOCK = 7_301_101
# Failures that concern one message, not the mail server: that row fails, the run goes on.
# (ValueError: Django's refusal of a malformed address or header.)
_MESSAGE_FAILURES = (smtplib.SMTPRecipientsRefused, ValueError)
_TABLE = Notification._meta.db_table


class _Mailer:
    """The default mailer, opened on the first message (a run with nothing to send never
    connects) and closed at the end of the run."""

    def __init__(self) -> None:
        self.backend = None

    def send(self, message: EmailMessage) -> None:
        if self.backend is None:
            self.backend = mailers.default
            self.backend.open()
        if not self.backend.send_messages([message]):
            raise ValueError("the mail backend sent nothing")

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()


# --- One mail per notification ----------------------------------------------------------------


def deliver_pending() -> int:
    """Mail every pending notification (and any left `sending` past CLAIM_TIMEOUT), one claim
    at a time; how many were mailed. Safe to run in several workers at once."""
    sent = 0
    mailer = _Mailer()
    try:
        while (pk := _claim_next()) is not None:
            note = Notification.objects.select_related("recipient").filter(pk=pk).first()
            if note is None:
                continue  # its person was deleted since the claim
            if not _mailable(note.recipient):
                _finish([pk], EmailState.SKIPPED)
                continue
            outcome = _send(mailer, _single_message(note), [pk], back_to=EmailState.PENDING)
            if outcome is None:
                break  # the mail server failed: the next sweep goes on from here
            sent += outcome
    finally:
        mailer.close()
    return sent


def _claim_next() -> int | None:
    """Take the oldest row waiting to be mailed: `pending`, or `sending` for longer than
    CLAIM_TIMEOUT (its worker died). One statement; rows another sender holds are skipped."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {_TABLE} SET email_state = %(sending)s, claimed_at = now()
            WHERE id = (
                SELECT id FROM {_TABLE}
                WHERE email_state = %(pending)s
                   OR (email_state = %(sending)s AND claimed_at < now() - %(timeout)s)
                ORDER BY id
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            {
                "sending": EmailState.SENDING,
                "pending": EmailState.PENDING,
                "timeout": CLAIM_TIMEOUT,
            },
        )
        row = cursor.fetchone()
    return row[0] if row else None


# --- The daily digest -----------------------------------------------------------------------


def digest_cutoff(now: datetime | None = None) -> datetime:
    """The latest digest time (NOTIFICATION_DIGEST_HOUR on the organisation's clock) at or
    before `now`: rows waiting for the digest written before it are due."""
    local = timezone.localtime(now or timezone.now())
    cutoff = timezone.make_aware(
        datetime.combine(local.date(), time(settings.NOTIFICATION_DIGEST_HOUR))
    )
    return cutoff if cutoff <= local else cutoff - timedelta(days=1)


def deliver_digests(now: datetime | None = None) -> int:
    """Mail each person one digest of everything that waited for it until the latest digest
    time; how many digests went. One run at a time (an advisory lock: a second run finding it
    taken leaves, since the holder sends every due digest), so each person gets one mail with
    all their rows; rows written after the digest time wait for tomorrow's."""
    cutoff = digest_cutoff(now)
    if not _try_lock(DIGEST_LOCK):
        return 0
    sent = 0
    mailer = _Mailer()
    try:
        while ids := _claim_next_digest(cutoff):
            notes = list(
                Notification.objects.filter(pk__in=ids)
                .select_related("recipient")
                .order_by("created_at", "pk")
            )
            if not notes:
                continue  # their person was deleted since the claim
            recipient = notes[0].recipient
            if not _mailable(recipient):
                _finish(ids, EmailState.SKIPPED)
                continue
            outcome = _send(
                mailer, _digest_message(recipient, notes), ids, back_to=EmailState.DIGEST
            )
            if outcome is None:
                break  # the mail server failed: the rows wait, still due, for the next sweep
            sent += outcome
    finally:
        mailer.close()
        _unlock(DIGEST_LOCK)
    return sent


def _claim_next_digest(cutoff: datetime) -> list[int]:
    """Take every due digest row of one person (the lowest id among those waiting)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {_TABLE} SET email_state = %(sending)s, claimed_at = now()
            WHERE email_state = %(digest)s AND created_at < %(cutoff)s
              AND recipient_id = (
                SELECT recipient_id FROM {_TABLE}
                WHERE email_state = %(digest)s AND created_at < %(cutoff)s
                ORDER BY recipient_id
                LIMIT 1
              )
            RETURNING id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            {"sending": EmailState.SENDING, "digest": EmailState.DIGEST, "cutoff": cutoff},
        )
        return [row[0] for row in cursor.fetchall()]


# --- Shared steps ---------------------------------------------------------------------------


def _mailable(user) -> bool:
    return bool(user.is_active and user.email)


def _send(
    mailer: _Mailer, message: EmailMessage, ids: Sequence[int], *, back_to: str
) -> int | None:
    """Send one claimed message and record the outcome on its rows: 1 when sent, 0 when this
    message failed (rows `failed`), None when the mail server failed (rows put back in
    `back_to`, for the next sweep)."""
    try:
        mailer.send(message)
    except _MESSAGE_FAILURES:
        log.exception("a notification mail was refused", extra={"notifications": list(ids)})
        _finish(ids, EmailState.FAILED)
        return 0
    except Exception:
        log.warning("the mail server failed; the sweep will try again", exc_info=True)
        _release(ids, back_to)
        return None
    _finish(ids, EmailState.SENT)
    return 1


def _finish(ids: Sequence[int], state: str) -> None:
    """Record the outcome of rows this run claimed."""
    Notification.objects.filter(pk__in=ids, email_state=EmailState.SENDING).update(
        email_state=state, emailed_at=timezone.now() if state == EmailState.SENT else None
    )


def _release(ids: Sequence[int], state: str) -> None:
    """Give claimed rows back, unsent."""
    Notification.objects.filter(pk__in=ids, email_state=EmailState.SENDING).update(
        email_state=state, claimed_at=None
    )


def _link(url: str) -> str:
    return f"{settings.SITE_URL}{url}" if url else ""


def _single_message(note: Notification) -> EmailMessage:
    body = render_to_string(
        "ppm/notification_email.txt",
        {
            "note": note,
            "user": note.recipient,
            "link": _link(note.url),
            "inbox": _link(reverse("inbox")),
            "settings_link": _link(reverse("inbox-settings")),
        },
    )
    return EmailMessage(note.title, body, to=[note.recipient.email])


def _digest_message(user, notes: list[Notification]) -> EmailMessage:
    body = render_to_string(
        "ppm/digest_email.txt",
        {
            "user": user,
            "items": [(note, _link(note.url)) for note in notes],
            "inbox": _link(reverse("inbox")),
            "settings_link": _link(reverse("inbox-settings")),
        },
    )
    count = len(notes)
    subject = f"Conductor: your daily digest, {count} notification{'s' if count != 1 else ''}"
    return EmailMessage(subject, body, to=[user.email])


def _try_lock(key: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        return cursor.fetchone()[0]


def _unlock(key: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
