"""Notifications: what other apps call to tell people something, and the inbox's reads and
writes.

`notify(recipients, kind=…, title=…)` writes one row per person in the caller's transaction
and, once it commits, asks a worker to mail them (ppm.notification_mail). The rows are the
truth: a lost message, a broker outage or a worker that is down only delays the mail, because
beat's sweep (`ppm.send_notifications`, every minute) sends whatever is still waiting.

Kinds are `ppm.choices.NotificationKind`. A `key` names the event for de-duplication: the same
key for the same person is written once (the insert ignores the conflict), which is how a
daily job sends an "overdue" or "due" notice once per period.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from ppm.celery import app
from ppm.choices import EmailPreference, EmailState, NotificationKind
from ppm.models import Notification, NotificationPreference

log = logging.getLogger(__name__)

SEND_TASK = "ppm.send_notifications"
DIGEST_TASK = "ppm.send_digests"
# Set while a send is queued and not yet started (the task deletes it first): a burst of
# notices — a daily job writing hundreds — queues one send, not hundreds.
SEND_SCHEDULED_KEY = "notifications:send-scheduled"
INBOX_PAGE_SIZE = 50

_TITLE_MAX = Notification._meta.get_field("title").max_length
_KEY_MAX = Notification._meta.get_field("key").max_length
_URL_MAX = Notification._meta.get_field("url").max_length


def notify(
    recipients: Iterable[AbstractBaseUser | None],
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    key: str = "",
) -> int:
    """Tell each distinct active person in `recipients` (None entries are left out): one row
    each, in one insert, inside the caller's transaction. Returns how many rows were written —
    fewer than the people when some already had a notification with this `key`.

    Each row's mail state follows the person's preference (one query): `pending` (mailed by a
    worker soon after commit), `digest` (in the next daily digest), or `skipped` (no address,
    or no mail wanted). After commit a send is requested by task name; if the broker does not
    answer that is logged and the minute sweep sends it. Raises ValueError only for a call
    that is wrong whatever the data (an unknown kind, an empty title, a URL that is not a
    path, an over-long key).
    """
    if kind not in NotificationKind.values:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    title = " ".join(str(title).split())  # one line: it becomes the mail's subject
    if not title:
        raise ValueError("A notification needs a title.")
    if len(title) > _TITLE_MAX:
        title = title[: _TITLE_MAX - 1] + "…"
    if url and (not url.startswith("/") or url.startswith("//") or len(url) > _URL_MAX):
        raise ValueError(f"A notification links to a path on this site, not {url!r}.")
    if len(key) > _KEY_MAX:
        raise ValueError(f"A notification key is at most {_KEY_MAX} characters.")

    people = {}
    for person in recipients:
        if person is not None and person.is_active and person.pk not in people:
            people[person.pk] = person
    if not people:
        return 0
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=people).values_list("user_id", "email")
    )
    states = [
        _email_state(person.email, chosen.get(pk, EmailPreference.EACH))
        for pk, person in people.items()
    ]
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        # Raw SQL for RETURNING with ON CONFLICT DO NOTHING: the ORM's bulk_create ignores
        # conflicts but cannot say which rows it wrote, and the count decides whether a send
        # is needed. The conflict is the partial unique index on (recipient, key).
        cursor.execute(
            f"""
            INSERT INTO {table}
                (recipient_id, email_state, kind, title, body, url, key, created_at)
            SELECT person, state, %s, %s, %s, %s, %s, %s
            FROM unnest(%s::bigint[], %s::text[]) AS t(person, state)
            ON CONFLICT DO NOTHING
            RETURNING email_state
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [kind, title, body, url, key, timezone.now(), list(people), states],
        )
        written = [row[0] for row in cursor.fetchall()]
    if EmailState.PENDING in written:
        transaction.on_commit(request_send)
    return len(written)


def _email_state(address: str, preference: str) -> str:
    if not address or preference == EmailPreference.NONE:
        return EmailState.SKIPPED
    if preference == EmailPreference.DIGEST:
        return EmailState.DIGEST
    return EmailState.PENDING


def request_send() -> None:
    """Ask a worker to mail what is pending; calls until it starts coalesce into one. Never
    raises: with Redis or the broker down the rows wait for the minute sweep."""
    try:
        if cache.add(SEND_SCHEDULED_KEY, "1", timeout=60):
            try:
                app.send_task(SEND_TASK, retry=False)
            except Exception:
                cache.delete(SEND_SCHEDULED_KEY)  # let the next notice try again
                raise
    except Exception:
        log.warning("could not request a notification send; the sweep will send it", exc_info=True)


# --- The inbox -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbox:
    page: Page
    unread: int

    @property
    def page_numbers(self) -> list[int | str]:
        return list(self.page.paginator.get_elided_page_range(self.page.number, on_ends=1))


def inbox(*, user: AbstractBaseUser, page: str | int | None = None) -> Inbox:
    """One page of the person's notifications, newest first, and their unread count. Two
    queries: the counts (all and unread, in one aggregate), then the page."""
    mine = Notification.objects.filter(recipient=user)
    counts = mine.aggregate(total=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True)))
    paginator = Paginator(mine.order_by("-created_at", "-pk"), INBOX_PAGE_SIZE)
    # Already counted above: the paginator would count again (`count` is a cached_property).
    paginator.count = counts["total"]
    return Inbox(page=paginator.get_page(page), unread=counts["unread"])


def unread_count(user: AbstractBaseUser) -> int:
    """How many of the person's notifications they have not read (the navigation's badge)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_mark_read(*, user: AbstractBaseUser, pk: int) -> bool:
    """Mark one of the person's notifications read; False when they have none with this id
    (someone else's is as absent as a deleted one). Reading it twice keeps the first time."""
    mine = Notification.objects.filter(recipient=user, pk=pk)
    if mine.filter(read_at__isnull=True).update(read_at=timezone.now()):
        return True
    return mine.exists()


def notifications_mark_all_read(*, user: AbstractBaseUser) -> int:
    """Mark every unread notification of the person read; how many there were."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- Preferences -----------------------------------------------------------------------------


def email_preference(user: AbstractBaseUser) -> str:
    """How the person wants notifications mailed (no row yet: each one)."""
    chosen = NotificationPreference.objects.filter(user=user).values_list("email", flat=True)
    return chosen.first() or EmailPreference.EACH


@transaction.atomic
def email_preference_set(*, user: AbstractBaseUser, email: str) -> None:
    """Record how the person wants notifications mailed, and apply it to what is not mailed
    yet: their waiting digest goes out as single mails (each), or waits for the digest
    (digest), or is not mailed at all (none). Rows a sender has already taken go as taken.
    Each update is conditional on the state it leaves, so a sender claiming a row at the
    same moment takes it or leaves it, never both."""
    if email not in EmailPreference.values:
        raise ValueError(f"Unknown mail preference {email!r}.")
    NotificationPreference.objects.update_or_create(user=user, defaults={"email": email})
    waiting = Notification.objects.filter(recipient=user)
    if email == EmailPreference.EACH:
        if waiting.filter(email_state=EmailState.DIGEST).update(email_state=EmailState.PENDING):
            transaction.on_commit(request_send)
    elif email == EmailPreference.DIGEST:
        waiting.filter(email_state=EmailState.PENDING).update(email_state=EmailState.DIGEST)
    else:
        waiting.filter(email_state__in=[EmailState.PENDING, EmailState.DIGEST]).update(
            email_state=EmailState.SKIPPED
        )
