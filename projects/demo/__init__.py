"""Demo data for Conductor: a believable IT organisation (small) or a benchmark-sized one.

`generate()` is the one entry point (the `seed_demo` command calls it). The same seed and
reference date always produce the same rows, ids included.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction

from projects.demo import db
from projects.demo.people import PERSONA_PMS, PERSONAS, Persona, ensure_users, generated_pms
from projects.tasks import RECOMPUTE_ALL, run_now

DEFAULT_SEED = 1729
LARGE_PROJECTS = 10_000
MAX_PROJECTS = 200_000
# Trend history (issue 11): weekly snapshots before the reference date for the small demo.
# The large (bench) set gets none: each week is a full recompute of every project, about
# 6.5 s at 10,000 projects (measured: 2 weeks of history 19.7 s), so 12 weeks would add
# some 85 s to a 36 s seed.
HISTORY_WEEKS = 12
SNAPSHOT_HISTORY = "projects.snapshot_history"  # reporting.tasks.SNAPSHOT_HISTORY


class DemoDataExists(Exception):
    """The database already holds portfolio or project data and no reset was asked for."""


@dataclass(frozen=True)
class Outcome:
    counts: dict[str, int]
    users: int
    seconds: float  # wall time of generate(), rollups and ANALYZE included


class _Clock:
    """Logs how long each phase took (seed_demo -v 2 shows it; the bench reads the total)."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log, self.started = log, time.perf_counter()
        self.last = self.started

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.log(f"{phase}: {now - self.last:.2f} s")
        self.last = now


def generate(
    *,
    projects: int | None,
    seed: int,
    today: date,
    reset: bool,
    log: Callable[[str], None] = lambda message: None,
) -> Outcome:
    """Fill the database with demo data in one transaction, then compute the rollups.

    `projects=None` builds the hand-written small organisation; a number builds that many
    projects with the large generator. Refuses (DemoDataExists) when any demo table holds rows,
    unless `reset`, which first empties them (see db.truncate_demo_tables).
    """
    if projects is not None and not 1 <= projects <= MAX_PROJECTS:
        raise ValueError(f"projects must be between 1 and {MAX_PROJECTS}")
    clock = _Clock(log)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Two seeders at once would collide on the explicit ids; the second one waits.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('conductor.seed_demo'))")
        if reset:
            db.truncate_demo_tables()
            clock.lap("reset")
        else:
            present = db.existing_rows()
            if present:
                raise DemoDataExists(
                    "The database already holds data in "
                    + ", ".join(sorted(present))
                    + ". Run again with --reset to delete it and generate afresh."
                )
        personas = _personas(projects)
        users = ensure_users(personas=personas, joined=today - timedelta(days=3 * 365))
        names = {p.username: f"{p.first_name} {p.last_name}" for p in personas}
        clock.lap(f"{len(users)} users")
        with db.audit_triggers_disabled():
            if projects is None:
                _small(seed=seed, today=today, users=users, names=names)
            else:
                from projects.demo.large import LargeBuilder

                pms = PERSONA_PMS + [p.username for p in personas[len(PERSONAS) :]]
                LargeBuilder(seed, today, projects, users, names, pms, log).build()
            db.reset_sequences()
            clock.lap("rows written")
        clock.lap("foreign keys checked, audit switched back on")
        if projects is None:
            _baselines_from_approved_changes()
            clock.lap("budget baselines of approved changes")
            _reviews_of_submitted_changes()
            clock.lap("reviews of the changes waiting for a decision")
        # Dashboards read rollups only: compute them now, or they would stay empty until the
        # nightly full recompute (generated rows are not marked stale one by one). The engine
        # lives in reporting, above projects: it is run by its task name, in this transaction.
        # Statistics first: planned against tables that look empty, the engine's anti-join on
        # superseded reports ran for minutes instead of seconds.
        db.analyze()
        clock.lap("analyzed before the rollups")
        run_now(RECOMPUTE_ALL, as_of=today.isoformat())
        clock.lap("rollups computed")
        # --- Trend history (issue 11): the weekly snapshots of the past HISTORY_WEEKS Sundays
        # and today's, so the trends page has a history. Run by name too: the task lives in
        # reporting (reporting.tasks.snapshot_history). The small organisation only: see
        # HISTORY_WEEKS.
        if projects is None:
            run_now(SNAPSHOT_HISTORY, weeks=HISTORY_WEEKS, as_of=today.isoformat())
            clock.lap(f"trend history: {HISTORY_WEEKS} weekly snapshots")
    clock.lap("committed")
    db.analyze()
    clock.lap("analyzed")
    return Outcome(counts=db.row_counts(), users=len(users), seconds=clock.last - clock.started)


def _baselines_from_approved_changes() -> None:
    """The small organisation's approved changes with a cost impact raised their project's
    budget to what it is now: record those re-baselines, oldest first, as approving them in
    the app would have (projects.services.baseline)."""
    from django.utils import timezone

    from projects.models import ChangeRequest
    from projects.services.baseline import record_budget_change

    changes = (
        ChangeRequest.objects.filter(state="approved", decided_at__isnull=False)
        .exclude(cost_impact=0)
        .exclude(cost_impact__isnull=True)
        .select_related("project__portfolio", "decided_by")
        .order_by("decided_at", "pk")
    )
    by_project: dict[int, list[ChangeRequest]] = {}
    for change in changes:
        by_project.setdefault(change.project_id, []).append(change)
    for approved in by_project.values():
        project = approved[0].project
        running = project.budget_at_completion - sum(c.cost_impact for c in approved)
        if running < 0:
            continue
        for change in approved:
            record_budget_change(
                project=project,
                old_bac=running,
                new_bac=running + change.cost_impact,
                today=timezone.localtime(change.decided_at).date(),
                by=change.decided_by,
                reason=f"Change request approved: {change.title}",
            )
            running += change.cost_impact


def _reviews_of_submitted_changes() -> None:
    """The small organisation's change requests waiting for a decision go to review, as
    submitting them in the app would have: the project domain's signal, on which governance
    opens each one's review (projects never imports governance)."""
    from projects.models import ChangeRequest
    from projects.signals import change_request_submitted

    waiting = (
        ChangeRequest.objects.filter(state="submitted", raised_by__isnull=False)
        .select_related("project__portfolio", "raised_by")
        .order_by("submitted_at", "pk")
    )
    for change in waiting:
        change_request_submitted.send(sender=ChangeRequest, change_request=change)


def _personas(projects: int | None) -> list[Persona]:
    if projects is None:
        return list(PERSONAS)
    from projects.demo.large import PROJECTS_PER_PM

    extra = max(0, projects // PROJECTS_PER_PM - len(PERSONA_PMS))
    return PERSONAS + generated_pms(extra)


def _small(*, seed: int, today: date, users: dict[str, int], names: dict[str, str]) -> None:
    from projects.demo.small import SmallBuilder

    builder = SmallBuilder(seed=seed, today=today, users=users, names=names)
    builder.build()
    db.write_all(builder.tables.values())
