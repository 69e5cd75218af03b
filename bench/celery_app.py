"""The Celery app the benchmark's worker runs: Conductor's own app, plus counters.

`celery -A bench.celery_app worker …` runs exactly the tasks, settings and code of
`-A ppm`; importing this module only connects signal handlers that count, in Redis, how many
times each task started, finished and failed, the milliseconds it ran in total, how many projects
recompute_stale recomputed (its return value), when each task finished, and when the worker
is ready. The harness reads those
keys (bench/worker.py); production code carries no benchmark hook.

The handlers run in the pool process that executes the task (prefork children included: the
connections are made before fork, the Redis client lazily in each process).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import redis
from celery.signals import task_postrun, task_prerun, worker_ready
from django.conf import settings

from ppm.celery import app

__all__ = ["app"]

# Stats expire on their own, so an abandoned run leaves nothing behind for long.
TTL_S = 3600


def key_prefix() -> str:
    """Where the counters live: under the cache prefix, so two harnesses on one Redis differ."""
    return f"{settings.CACHES['default']['KEY_PREFIX']}:bench"


_clients: dict[int, redis.Redis] = {}


def client() -> redis.Redis:
    """One Redis client per process: a client made before fork must not be shared."""
    pid = os.getpid()
    if pid not in _clients:
        _clients[pid] = redis.Redis.from_url(settings.REDIS_URL)
    return _clients[pid]


def stats_key() -> str:
    return f"{key_prefix()}:tasks"


def done_key(task_id: str) -> str:
    return f"{key_prefix()}:done:{task_id}"


def ready_key(hostname: str) -> str:
    return f"{key_prefix()}:ready:{hostname}"


# When each running task started, in this process (a pool process runs one task at a time).
_started: dict[str, float] = {}


@task_prerun.connect(weak=False)
def _count_start(sender: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    name = getattr(sender, "name", "?")
    if task_id:
        _started[task_id] = time.perf_counter()
    pipe = client().pipeline()
    pipe.hincrby(stats_key(), f"{name}:started", 1)
    pipe.expire(stats_key(), TTL_S)
    pipe.execute()


@task_postrun.connect(weak=False)
def _count_finish(
    sender: Any = None, task_id: str | None = None, retval: Any = None, **kwargs: Any
) -> None:
    name = getattr(sender, "name", "?")
    began = _started.pop(task_id, None) if task_id else None
    pipe = client().pipeline()
    pipe.hincrby(stats_key(), f"{name}:finished", 1)
    if began is not None:
        pipe.hincrby(stats_key(), f"{name}:ms", round((time.perf_counter() - began) * 1000))
    if kwargs.get("state") == "FAILURE":
        pipe.hincrby(stats_key(), f"{name}:failed", 1)
    if isinstance(retval, int) and not isinstance(retval, bool):
        pipe.hincrby(stats_key(), f"{name}:projects", retval)
    pipe.expire(stats_key(), TTL_S)
    if task_id:
        state = kwargs.get("state") or ""  # SUCCESS, FAILURE, RETRY…
        payload = {"finished": time.time(), "state": state, "pid": os.getpid()}
        pipe.set(done_key(task_id), json.dumps(payload), ex=TTL_S)
    pipe.execute()


@worker_ready.connect(weak=False)
def _announce_ready(sender: Any = None, **kwargs: Any) -> None:
    hostname = getattr(sender, "hostname", "") or ""
    client().set(ready_key(hostname), str(os.getpid()), ex=TTL_S)
