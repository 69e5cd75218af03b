"""Infrastructure tasks: thin, idempotent, taking no model instances."""

from __future__ import annotations

import socket

from celery import shared_task
from django.core.cache import cache

from ppm.notification_mail import deliver_digests, deliver_pending
from ppm.notifications import DIGEST_TASK, SEND_SCHEDULED_KEY, SEND_TASK


@shared_task(name="ppm.ping", ignore_result=False)
def ping() -> str:
    """Answer the health check with this worker's host name: proof of a real round trip."""
    return socket.gethostname()


@shared_task(name=SEND_TASK, ignore_result=True)
def send_notifications() -> int:
    """Mail what waits: requested after each notice commits, and run by beat every minute as
    the sweep (mail written while the broker or the worker was down, rows a killed worker
    left half-sent, and digests a failed or missed digest run left due). How many mails went."""
    cache.delete(SEND_SCHEDULED_KEY)  # first: a notice landing from here on asks again
    return deliver_pending() + deliver_digests()


@shared_task(name=DIGEST_TASK, ignore_result=True)
def send_digests() -> int:
    """The daily digest, at NOTIFICATION_DIGEST_HOUR on the organisation's clock: one mail per
    person who chose it. How many digests went."""
    return deliver_digests()
