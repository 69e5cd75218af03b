"""Handing work to the figures engine by task name (DESIGN.md §2, §5), and the project
domain's own periodic task (status reports due, at the end).

`projects` marks its rows stale (`projects.services.common.mark_rollup_stale`) and asks for a
recompute here; the engine and its tasks live in `reporting` (reporting/tasks.py), a higher
layer that `projects` never imports. The messages name the tasks, so the names below are the
whole contract between the two apps; they keep the `projects.` prefix they always had, so
queued messages and the beat schedule survive the move.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.core.cache import cache

from ppm.celery import app

log = logging.getLogger(__name__)

# Task names served by reporting/tasks.py.
RECOMPUTE_STALE = "projects.recompute_stale"
RECOMPUTE_ALL = "projects.recompute_all"

# Set while a recompute is queued and not yet started; the task deletes it before it reads
# what is stale (reporting/tasks.py), so an edit landing while it runs schedules one more run.
SCHEDULED_KEY = "rollup:recompute-scheduled"


def request_recompute() -> None:
    """Ask for a recompute soon; many calls within one run of the task coalesce into one.

    The key is set only if absent (SET NX): the first edit of a burst enqueues the task, the
    others find the key and do nothing. Never raises: if Redis is down the periodic sweep
    picks the work up.
    """
    try:
        if cache.add(SCHEDULED_KEY, "1", timeout=30):
            app.send_task(RECOMPUTE_STALE, countdown=0.05)
    except Exception:
        log.warning("could not request a rollup recompute; the sweep will do it", exc_info=True)


def run_now(name: str, **kwargs: Any) -> Any:
    """Run the task registered as `name` in this process and return its result.

    For callers that need the figures before they go on (the demo seed computes every rollup
    inside its transaction). The task is found by name in the Celery registry, which the
    reporting app fills when Django starts (ReportingConfig.ready).
    """
    return app.tasks[name](**kwargs)


# --- The project domain's periodic tasks ------------------------------------------------------

STATUS_REPORTS_DUE = "projects.status_reports_due"


@shared_task(name=STATUS_REPORTS_DUE, ignore_result=True)
def status_reports_due() -> int:
    """Daily (beat, ppm/settings.py): tell managers of status reports due within two days or
    overdue, once per period. How many notices were written."""
    # Imported here: the services import this module (request_recompute).
    from projects.services.reminders import status_reports_due_notify

    return status_reports_due_notify()
