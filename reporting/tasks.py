"""Rollup tasks: thin, idempotent, safe with several workers (DESIGN.md §5).

The task names keep the `projects.` prefix they had before the engine moved here from
`projects`: queued messages, the beat schedule (ppm/settings.py) and the lower apps, which
send them by name (projects/tasks.py), all still find them.

- `recompute_stale` recomputes every project whose rollup is stale. Edits request it on commit
  through `projects.tasks.request_recompute`, which coalesces a burst of edits into a few runs.
- The beat schedule runs it as a sweep too, so a lost message or a broker outage only delays
  a figure; `recompute_all` runs nightly.
- `rebuild_stale_series` rebuilds the portfolios' monthly series (S-curve, demand), which a
  recompute only marks stale: debounced, so a burst of edits costs one rebuild per portfolio
  every SERIES_DEBOUNCE_S seconds instead of one per edit (bench/README.md).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from celery import shared_task
from django.core.cache import cache
from django.db import connection

from projects.tasks import RECOMPUTE_ALL, RECOMPUTE_STALE, SCHEDULED_KEY
from reporting.engine import rebuild_series, recompute, snapshot, vacuum_rewritten
from reporting.services.delivery import deliver
from reporting.services.reports import render_run
from reporting.services.schedules import dispatch_due

log = logging.getLogger(__name__)

BATCH = 2000
# Arbitrary constants naming the "a recompute / a series rebuild is running" advisory locks.
RECOMPUTE_LOCK = 7_301_001
SERIES_LOCK = 7_301_003
SERIES_KEY = "rollup:series-scheduled"
# How long a series rebuild waits for more edits to gather: the S-curve and demand lag the
# tiles by about this much, and a burst costs one rebuild per this many seconds.
SERIES_DEBOUNCE_S = 3


@shared_task(name=RECOMPUTE_STALE, ignore_result=True)
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
        if not _try_lock(RECOMPUTE_LOCK):
            break
        try:
            while ids := _stale_batch():
                total += recompute(project_ids=ids).projects
        finally:
            _unlock(RECOMPUTE_LOCK)
        if not _stale_batch():
            break
    # Here too when run as the sweep, so series a lost message left stale are rebuilt.
    if total or _series_stale():
        request_series_rebuild()
    return total


def request_series_rebuild() -> None:
    """Ask for the stale series to be rebuilt in SERIES_DEBOUNCE_S seconds; calls in the
    meantime coalesce into that one run. Never raises (the sweep asks again)."""
    try:
        if cache.add(SERIES_KEY, "1", timeout=SERIES_DEBOUNCE_S + 30):
            rebuild_stale_series.apply_async(countdown=SERIES_DEBOUNCE_S)
    except Exception:
        log.warning("could not request a series rebuild; the sweep will do it", exc_info=True)


@shared_task(name="projects.rebuild_stale_series", ignore_result=True)
def rebuild_stale_series() -> int:
    """Rebuild every portfolio's series marked stale, one rebuild at a time (advisory lock);
    the number of portfolio rebuilds. A mark landing during a rebuild is picked up by the
    next one, requested by the recompute that made it."""
    cache.delete(SERIES_KEY)
    if not _try_lock(SERIES_LOCK):
        # Another worker is rebuilding; come back after it rather than leave this run's
        # marks to the sweep.
        request_series_rebuild()
        return 0
    try:
        return rebuild_series()
    finally:
        _unlock(SERIES_LOCK)


def _try_lock(key: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        return cursor.fetchone()[0]


def _unlock(key: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _series_stale() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM portfolio_portfolioseriesstate"
            " WHERE stale_since IS NOT NULL)"
        )
        return cursor.fetchone()[0]


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


@shared_task(name=RECOMPUTE_ALL, ignore_result=True)
def recompute_all(as_of: str | None = None) -> int:
    """The nightly full recompute: every project, whatever its stale mark says.

    `as_of` (an ISO date) computes the figures as of that day instead of today (the demo seed
    uses its reference date).
    """
    result = recompute(as_of=date.fromisoformat(as_of) if as_of else None)
    vacuum_rewritten()
    return result.projects


@shared_task(name="projects.snapshot_rollups", ignore_result=True)
def snapshot_rollups() -> int:
    """The weekly snapshot of every project's rollup (trend history); idempotent per day."""
    return snapshot()


# --- Reports --------------------------------------------------------------------------------


@shared_task(name="reporting.dispatch_reports", ignore_result=True)
def dispatch_reports() -> int:
    """Each minute (beat): fire the report schedules that are due, each once."""
    return dispatch_due()


@shared_task(name="reporting.render_report", ignore_result=True)
def render_report(run_id: int) -> str:
    """Render one report run (on the report queue: reporting.services.reports.report_queue)."""
    return render_run(run_id)


@shared_task(name="reporting.deliver_report", ignore_result=True)
def deliver_report(run_id: int) -> int:
    """Mail a finished run to its readers (attached, or a link above the size limit)."""
    return deliver(run_id)


# --- Trend history (issue 11): the demo's past snapshots ----------------------------------------

SNAPSHOT_HISTORY = "projects.snapshot_history"


def history_days(*, weeks: int, as_of: date) -> list[date]:
    """The `weeks` Sundays before `as_of` (as_of itself excluded), oldest first."""
    # date.weekday(): Monday 0 … Sunday 6; the last Sunday strictly before as_of.
    last = as_of - timedelta(days=(as_of.weekday() + 1) % 7 or 7)
    return [last - timedelta(weeks=n) for n in reversed(range(weeks))]


@shared_task(name=SNAPSHOT_HISTORY, ignore_result=True)
def snapshot_history(weeks: int, as_of: str) -> int:
    """Fill the trend history as if the weekly snapshot had run for `weeks` Sundays before
    `as_of` (an ISO date): each Sunday's rollups recomputed as of that day and snapshotted,
    then today's figures recomputed and snapshotted, so the live rollups end as of `as_of`.
    The demo seed runs it (in its transaction, by name); the number of snapshots taken.

    A past day's figures are what today's data says about that day (reports, costs and
    milestones dated by then), not what the app showed then: data entered late moves them.
    """
    today = date.fromisoformat(as_of)
    for day in history_days(weeks=weeks, as_of=today):
        recompute(as_of=day)
        snapshot(taken_on=day)
    recompute(as_of=today)
    snapshot(taken_on=today)
    return weeks + 1
