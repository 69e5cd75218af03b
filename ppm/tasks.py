"""Infrastructure tasks: thin, idempotent, taking no model instances."""

from __future__ import annotations

import socket

from celery import shared_task


@shared_task(name="ppm.ping", ignore_result=False)
def ping() -> str:
    """Answer the health check with this worker's host name: proof of a real round trip."""
    return socket.gethostname()
