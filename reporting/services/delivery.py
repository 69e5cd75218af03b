"""Mailing a finished report run to its readers.

Each delivery row is claimed before it is sent (`pending` → `sending`, one conditional
UPDATE), so two workers never mail the same reader. A mail server that fails puts the row
back with a growing delay (DELIVERY_BACKOFF) and the worker asks again after it; after
MAX_DELIVERY_ATTEMPTS the row is failed and the library shows why. A PDF above
REPORT_ATTACH_MAX_BYTES is not attached: the mail links to the run in the report library.
As with notifications, a worker killed between the server's accept and the mark leaves the
row `sending`, and the sweep mails it again after CLAIM_TIMEOUT (at least once, not at most).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from reporting.choices import DeliveryMode, DeliveryStatus, RunStatus
from reporting.models import ReportDelivery, ReportRun

log = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 5
# Minutes before each further attempt: 1, 2, 4, 8.
DELIVERY_BACKOFF = (1, 2, 4, 8)
CLAIM_TIMEOUT = timedelta(minutes=15)


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}" if settings.SITE_URL else path


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    return (
        ReportDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=DeliveryStatus.PENDING)
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
        )
        .update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        == 1
    )


def message_for(delivery: ReportDelivery, run: ReportRun, pdf: bytes | None) -> EmailMessage:
    link = _link(reverse("reporting:run", args=[run.pk]))
    body = render_to_string(
        "reporting/report_email.txt",
        {"run": run, "user": delivery.recipient, "link": link, "attached": pdf is not None},
    )
    message = EmailMessage(run.title, body, to=[delivery.email])
    if pdf is not None:
        stamp = timezone.localtime(run.as_of)
        message.attach(f"{run.kind}-{stamp:%Y-%m-%d}.pdf", pdf, "application/pdf")
    return message


def deliver(run_id: int) -> int:
    """Mail run `run_id` to each reader whose delivery is due; how many were sent."""
    run = ReportRun.objects.filter(pk=run_id, status=RunStatus.DONE).first()
    if run is None:
        return 0
    attach = run.size is not None and run.size <= settings.REPORT_ATTACH_MAX_BYTES
    pdf = None
    if attach:
        with run.file.open("rb") as handle:
            pdf = handle.read()
    sent = 0
    backend = None
    try:
        for delivery in run.deliveries.select_related("recipient").order_by("pk"):
            if not _claim(delivery.pk):
                continue
            if not delivery.email:
                _finish(delivery, DeliveryStatus.FAILED, error="This person has no address.")
                continue
            mode = DeliveryMode.ATTACHMENT if attach else DeliveryMode.LINK
            try:
                if backend is None:
                    backend = mailers.default
                    backend.open()
                if not backend.send_messages([message_for(delivery, run, pdf)]):
                    raise RuntimeError("the mail backend sent nothing")
            except Exception as error:
                log.warning("mailing run %s to %s failed", run_id, delivery.email, exc_info=True)
                _retry_later(delivery, error)
                backend = None  # a failed connection is not used again in this run
                continue
            _finish(delivery, DeliveryStatus.SENT, mode=mode)
            sent += 1
    finally:
        if backend is not None:
            backend.close()
    return sent


def _finish(delivery: ReportDelivery, status: str, *, mode: str = "", error: str = "") -> None:
    values = {"status": status, "error": error, "next_attempt_at": None}
    if mode:
        values["mode"] = mode
    if status == DeliveryStatus.SENT:
        values["sent_at"] = timezone.now()
    ReportDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(**values)


def _retry_later(delivery: ReportDelivery, error: Exception) -> None:
    from reporting.services.reports import send_delivery

    attempts = delivery.attempts + 1  # the claim's increment
    message = f"{type(error).__name__}: {error}"[:1000]
    if attempts >= MAX_DELIVERY_ATTEMPTS:
        _finish(delivery, DeliveryStatus.FAILED, error=message)
        return
    delay = DELIVERY_BACKOFF[min(attempts, len(DELIVERY_BACKOFF)) - 1] * 60
    ReportDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.PENDING,
        error=message,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    send_delivery(delivery.run_id, countdown=delay)
