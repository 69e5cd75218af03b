"""Rollup tasks: thin, idempotent, safe with several workers (DESIGN.md §5).

- `recompute_stale` recomputes every project whose rollup is stale. Edits request it on commit
  through `request_recompute`, which coalesces a burst of edits into a few runs.
- The beat schedule runs it as a sweep too, so a lost message or a broker outage only delays
  a figure; `recompute_all` runs nightly.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import connection

from projects.rollups import recompute, snapshot

log = logging.getLogger(__name__)

SCHEDULED_KEY = "rollup:recompute-scheduled"
BATCH = 2000
# Arbitrary constant naming the "a recompute is running" advisory lock.
RECOMPUTE_LOCK = 7_301_001


def request_recompute() -> None:
    """Ask for a recompute soon; many calls within one run of the task coalesce into one.

    The key is set only if absent (SET NX): the first edit of a burst enqueues the task, the
    others find the key and do nothing. The task deletes the key before it reads what is
    stale, so an edit that lands while it runs schedules exactly one more run. Never raises:
    if Redis is down the periodic sweep picks the work up.
    """
    try:
        if cache.add(SCHEDULED_KEY, "1", timeout=30):
            recompute_stale.apply_async(countdown=0.05)
    except Exception:
        log.warning("could not request a rollup recompute; the sweep will do it", exc_info=True)


@shared_task(name="projects.recompute_stale", ignore_result=True)
def recompute_stale() -> int:
    """Recompute every stale project, in batches, until nothing is stale.

    One recompute runs at a time (a session advisory lock): a second worker that finds the
    lock taken leaves, because the holder loops until nothing is stale. No row locks are held
    on the stale marks while computing, so an edit never waits for a recompute (DESIGN.md §5).
    After releasing the lock it looks once more, so an edit that landed while it was finishing
    is never left for the sweep.
    """
    cache.delete(SCHEDULED_KEY)
    total = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [RECOMPUTE_LOCK])
            if not cursor.fetchone()[0]:
                return total
        try:
            while ids := _stale_batch():
                total += recompute(project_ids=ids).projects
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [RECOMPUTE_LOCK])
        if not _stale_batch():
            return total


def _stale_batch() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT project_id FROM projects_rollupstate
            WHERE stale_since IS NOT NULL ORDER BY stale_since LIMIT %s
            """,
            [BATCH],
        )
        return [row[0] for row in cursor.fetchall()]


@shared_task(name="projects.recompute_all", ignore_result=True)
def recompute_all() -> int:
    """The nightly full recompute: every project, whatever its stale mark says."""
    return recompute().projects


@shared_task(name="projects.snapshot_rollups", ignore_result=True)
def snapshot_rollups() -> int:
    """The weekly snapshot of every project's rollup (trend history); idempotent per day."""
    return snapshot()
