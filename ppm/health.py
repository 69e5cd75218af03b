"""Reachability checks behind /healthz: database, Redis and a real round trip through a worker.

The worker check queues a task and waits for its answer, which costs a worker slot and up to
its timeout in a web thread. Its result is therefore shared through the cache: one caller at a
time runs the round trip (the others wait for its answer) and the answer is reused for
HEALTHZ_WORKER_CACHE_SECONDS, so forty load-balancer probes cost one task, not forty.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import redis
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connection

__all__ = [
    "Check",
    "OperationalError",
    "database_check",
    "readiness_checks",
    "redis_check",
    "run_checks",
    "worker_check",
]

WORKER_RESULT_KEY = "healthz:worker:result"
WORKER_PROBE_KEY = "healthz:worker:probe"
# A failed round trip has already waited its whole timeout; remembering it only briefly lets a
# worker that has just started be seen at once (make run's "ready" banner waits for it).
FAILURE_CACHE_SECONDS = 1


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    ms: float


def _timed(name: str, probe: Callable[[], str]) -> Check:
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


def database_check() -> Check:
    return _timed("database", _database)


def redis_check() -> Check:
    return _timed("redis", _redis)


def _cached_worker_check() -> Check | None:
    stored = cache.get(WORKER_RESULT_KEY)
    return Check(**stored) if stored else None


def worker_check(*, timeout: float = 5.0) -> Check:
    """A worker round trip, shared by every caller within the cache period (see module doc)."""
    try:
        if found := _cached_worker_check():
            return found
        # cache.add is Redis SET NX: exactly one caller wins the right to probe.
        if cache.add(WORKER_PROBE_KEY, 1, timeout=int(timeout) + 5):
            try:
                # Another probe may have finished between our read and our claim.
                if found := _cached_worker_check():
                    return found
                check = _timed("worker", lambda: _worker(timeout))
                ttl = settings.HEALTHZ_WORKER_CACHE_SECONDS if check.ok else FAILURE_CACHE_SECONDS
                cache.set(WORKER_RESULT_KEY, asdict(check), timeout=ttl)
                return check
            finally:
                cache.delete(WORKER_PROBE_KEY)
        # Someone else is probing: wait for their answer instead of queuing a second task.
        started = time.perf_counter()
        deadline = time.monotonic() + timeout + 1
        while time.monotonic() < deadline:
            time.sleep(0.1)
            if found := _cached_worker_check():
                return found
        waited = round((time.perf_counter() - started) * 1000, 1)
        return Check("worker", False, "the probe in progress gave no answer", waited)
    except Exception as exc:  # the cache is Redis: unreachable Redis means no worker either
        return Check("worker", False, f"{type(exc).__name__}: {exc}", 0.0)


def readiness_checks() -> list[Check]:
    """What a web process needs to serve requests: the database and Redis."""
    return [database_check(), redis_check()]


def run_checks(*, worker_timeout: float = 5.0) -> list[Check]:
    """Everything: readiness plus the (cached) worker round trip."""
    checks = readiness_checks()
    if checks[1].ok:
        checks.append(worker_check(timeout=worker_timeout))
    else:
        checks.append(Check("worker", False, "skipped: Redis is unreachable", 0.0))
    return checks
