"""Mailing notifications for real: a Celery worker on the real Redis, the real database, and
Django's locmem mail backend (the worker runs in a thread of this process, so its mail lands in
the same `mail.outbox`).

What must hold: a mail goes once; mail written while the worker is down (its message queued,
or lost) goes once when it is back; two senders at once still send each mail once; the digest
is one mail per person with all their items, never twice.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.core.cache import cache
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, transaction
from django.utils import timezone

from portfolio.tests.factories import make_user
from ppm.celery import app
from ppm.choices import EmailPreference, EmailState, NotificationKind
from ppm.models import Notification, NotificationPreference
from ppm.notification_mail import (
    CLAIM_TIMEOUT,
    deliver_digests,
    deliver_pending,
    digest_cutoff,
)
from ppm.notifications import DIGEST_TASK, SEND_SCHEDULED_KEY, SEND_TASK, notify
from ppm.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)

THIS = "ppm.tests.test_notification_delivery"


class SlowBackend(LocmemBackend):
    """locmem, a little slow per message: two senders running at once overlap for real."""

    def send_messages(self, messages):
        time.sleep(0.02)
        return super().send_messages(messages)


class DownBackend(LocmemBackend):
    """A mail server that does not answer."""

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")


class RefusingBackend(LocmemBackend):
    """A mail server that refuses one address and takes the others."""

    def send_messages(self, messages):
        import smtplib

        for message in messages:
            if "bounce" in message.to[0]:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def _empty_queue_and_outbox(mailoutbox):
    """No message or request mark left by an earlier test (a worker started here would take
    that message, and the mark would swallow this test's first request)."""
    app.control.purge()
    cache.delete(SEND_SCHEDULED_KEY)
    yield
    cache.delete(SEND_SCHEDULED_KEY)


@pytest.fixture
def finished():
    """Count task runs of this process's worker as they end, by task name."""
    counts: Counter[str] = Counter()

    def count(sender=None, **kwargs):
        if sender is not None:
            counts[sender.name] += 1

    task_postrun.connect(count, weak=False)
    yield counts
    task_postrun.disconnect(count)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def person(username: str, email: str | None = None, preference: str | None = None):
    user = make_user(username, Role.PROJECT_MANAGER, email=email or f"{username}@example.org")
    if preference:
        NotificationPreference.objects.create(user=user, email=preference)
    return user


def tell(users, title: str, **extra) -> int:
    with transaction.atomic():  # as a service would: the send is requested on commit
        return notify(
            users,
            kind=extra.pop("kind", NotificationKind.CHANGE_DECIDED),
            title=title,
            url=extra.pop("url", "/projects/1/changes/"),
            **extra,
        )


def mailed(state: str = EmailState.SENT) -> int:
    return Notification.objects.filter(email_state=state).count()


def run_twice_at_once(work: Callable[[], int]) -> list[int]:
    """`work` in two threads started together, each on its own database connection."""
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


# --- Through a real worker -------------------------------------------------------------------


def test_a_notification_is_mailed_once_by_the_worker(celery_worker, finished, settings):
    settings.SITE_URL = "https://ppm.example.org"
    ana = person("ana.silva")
    tell([ana], "Change request approved: ERP-01 Add payroll", body="Approved by Dora.")

    wait_for(lambda: mailed() == 1, "the mail")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Change request approved: ERP-01 Add payroll"
    assert message.to == ["ana.silva@example.org"]
    assert "Approved by Dora." in message.body
    assert "https://ppm.example.org/projects/1/changes/" in message.body
    assert "https://ppm.example.org/inbox/settings/" in message.body
    note = Notification.objects.get()
    assert note.emailed_at is not None and note.read_at is None

    # Beat's sweep runs again and again: nothing goes twice.
    for _ in range(2):
        app.send_task(SEND_TASK)
    wait_for(lambda: finished[SEND_TASK] >= 3, "the sweeps")
    assert len(mail.outbox) == 1


def test_mail_written_while_the_worker_was_down_goes_once_when_it_is_back(request, finished):
    ana, raj = person("ana.silva"), person("raj.patel")
    # No worker: the send is requested, and its message waits in the queue.
    tell([ana], "Queued while the worker was down")
    assert mailed(EmailState.PENDING) == 1

    request.getfixturevalue("celery_worker")  # the worker starts, with the message queued
    wait_for(lambda: mailed() == 1, "the queued mail")

    # The worker goes down again (a request already queued swallows the next one), and this
    # time the message is lost: the row waits for beat's sweep.
    cache.set(SEND_SCHEDULED_KEY, "1", timeout=60)
    tell([raj], "Written while the message was lost")
    time.sleep(0.5)
    assert mailed(EmailState.PENDING) == 1
    assert [m.subject for m in mail.outbox] == ["Queued while the worker was down"]

    app.send_task(SEND_TASK)  # what beat sends every minute
    wait_for(lambda: mailed() == 2, "the swept mail")
    app.send_task(SEND_TASK)
    wait_for(lambda: finished[SEND_TASK] >= 3, "the sweeps")
    assert sorted(m.subject for m in mail.outbox) == [
        "Queued while the worker was down",
        "Written while the message was lost",
    ]


def test_mail_lost_with_the_queue_goes_once_the_sweep_runs(request, finished):
    ana = person("ana.silva")
    tell([ana], "Written with no worker")
    app.control.purge()  # the broker lost the message
    request.getfixturevalue("celery_worker")
    time.sleep(0.5)
    assert mail.outbox == [] and mailed(EmailState.PENDING) == 1

    app.send_task(SEND_TASK)
    app.send_task(SEND_TASK)
    wait_for(lambda: finished[SEND_TASK] >= 2, "two sweeps")
    assert [m.subject for m in mail.outbox] == ["Written with no worker"]
    assert mailed() == 1


def test_the_daily_digest_is_one_mail_with_everything_and_never_twice(celery_worker, finished):
    ana = person("ana.silva", preference=EmailPreference.DIGEST)
    raj = person("raj.patel", preference=EmailPreference.DIGEST)
    eve = person("eve.each")
    for n in range(3):
        tell([ana, raj], f"Decision {n}", key=f"decision-{n}")
    tell([eve], "Mailed at once")
    wait_for(lambda: mailed() == 1, "the single mail")
    # Written before today's digest time (after it, they wait for tomorrow's: see below).
    due = digest_cutoff() - timedelta(hours=1)
    Notification.objects.filter(email_state=EmailState.DIGEST).update(created_at=due)
    tell([ana], "After the digest time")

    app.send_task(DIGEST_TASK)
    wait_for(lambda: finished[DIGEST_TASK] == 1, "the digest")
    digests = [m for m in mail.outbox if "digest" in m.subject]
    assert sorted(m.to[0] for m in digests) == ["ana.silva@example.org", "raj.patel@example.org"]
    for message in digests:
        assert message.subject == "Conductor: your daily digest, 3 notifications"
        assert all(f"Decision {n}" in message.body for n in range(3))
        assert "After the digest time" not in message.body
    assert Notification.objects.get(title="After the digest time").email_state == "digest"

    app.send_task(DIGEST_TASK)
    app.send_task(SEND_TASK)  # the sweep sends due digests too
    wait_for(lambda: finished[DIGEST_TASK] == 2 and finished[SEND_TASK] >= 2, "the reruns")
    assert len(mail.outbox) == 3  # Eve's single mail and the two digests, once each


# --- Two senders at once, and failures --------------------------------------------------------


def test_two_sweeps_at_once_send_each_mail_once(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{THIS}.SlowBackend"}}
    people = [person(f"user{n}") for n in range(8)]
    for n in range(5):
        tell(people, f"Notice {n}")
    assert mailed(EmailState.PENDING) == 40

    results = run_twice_at_once(deliver_pending)

    assert sum(results) == 40 and min(results) > 0  # both took a share
    sent = Counter((m.to[0], m.subject) for m in mail.outbox)
    assert len(sent) == 40 and set(sent.values()) == {1}
    assert mailed() == 40


def test_two_digest_runs_at_once_send_one_digest_per_person(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{THIS}.SlowBackend"}}
    people = [person(f"user{n}", preference=EmailPreference.DIGEST) for n in range(6)]
    for n in range(4):
        tell(people, f"Notice {n}")
    Notification.objects.update(created_at=digest_cutoff() - timedelta(minutes=5))

    results = run_twice_at_once(deliver_digests)

    assert sum(results) == 6
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert all(m.body.count("* Notice") == 4 for m in mail.outbox)
    assert mailed() == 24


def test_a_row_a_killed_worker_left_sending_goes_after_the_claim_timeout():
    ana = person("ana.silva")
    tell([ana], "Left half-sent long ago")
    tell([ana], "Being sent right now")
    now = timezone.now()
    Notification.objects.filter(title="Left half-sent long ago").update(
        email_state=EmailState.SENDING, claimed_at=now - CLAIM_TIMEOUT - timedelta(minutes=1)
    )
    Notification.objects.filter(title="Being sent right now").update(
        email_state=EmailState.SENDING, claimed_at=now - timedelta(minutes=1)
    )
    assert deliver_pending() == 1
    assert [m.subject for m in mail.outbox] == ["Left half-sent long ago"]
    assert Notification.objects.get(title="Being sent right now").email_state == "sending"


def test_a_mail_server_that_is_down_leaves_the_mail_for_the_next_sweep(settings):
    ana = person("ana.silva")
    tell([ana], "First")
    tell([ana], "Second")
    settings.MAILERS = {"default": {"BACKEND": f"{THIS}.DownBackend"}}
    assert deliver_pending() == 0
    assert mailed(EmailState.PENDING) == 2  # both back, unsent

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert deliver_pending() == 2
    assert deliver_pending() == 0
    assert [m.subject for m in mail.outbox] == ["First", "Second"]


def test_a_refused_address_fails_its_own_mail_only(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{THIS}.RefusingBackend"}}
    tell([person("bounce", email="bounce@example.org")], "To a dead address")
    tell([person("ana.silva")], "To a live one")
    assert deliver_pending() == 1
    assert Notification.objects.get(title="To a dead address").email_state == "failed"
    assert [m.subject for m in mail.outbox] == ["To a live one"]


def test_people_who_lost_their_address_or_account_are_not_mailed():
    ana, raj = person("ana.silva"), person("raj.patel")
    tell([ana, raj], "Before they left")
    ana.email = ""
    ana.save()
    raj.is_active = False
    raj.save()
    assert deliver_pending() == 0
    assert mailed(EmailState.SKIPPED) == 2 and mail.outbox == []
