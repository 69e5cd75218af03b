"""Reachability checks behind /healthz: database, Redis and a real round trip through a worker."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.db import OperationalError, connection

__all__ = ["Check", "OperationalError", "run_checks"]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    ms: float


def _timed(name: str, probe) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
        ok = True
    except Exception as exc:
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return Check(name, ok, detail, round((time.perf_counter() - started) * 1000, 1))


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "reachable"


def _redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "reachable"


def _worker(timeout: float) -> str:
    from ppm.tasks import ping

    result = ping.apply_async(expires=timeout)
    try:
        answer = result.get(timeout=timeout, disable_sync_subtasks=False)
    except CeleryTimeout:
        raise RuntimeError(f"no worker answered within {timeout:g} s") from None
    finally:
        result.forget()
    return f"answered by {answer}"


def run_checks(*, worker_timeout: float = 5.0) -> list[Check]:
    checks = [_timed("database", _database), _timed("redis", _redis)]
    if checks[1].ok:
        checks.append(_timed("worker", lambda: _worker(worker_timeout)))
    else:
        checks.append(Check("worker", False, "skipped: Redis is unreachable", 0.0))
    return checks
