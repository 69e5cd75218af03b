"""The measurements of `make bench` (issue item 7), each a function returning its figures.

(a) measure_rollup          full recompute vs the same figures as one SELECT (bench/floor.py)
(b) measure_edit_visible    one edit through a service until the rollup row shows it
(c) measure_burst           thousands of edits: recompute runs, drain time, equality
(d) measure_dashboard       the dashboard's server time and SQL query count, in-process
(e) measure_worker_memory   the worker's resident memory during the nightly full recompute

They read and write the database Django is connected to; (b), (c) and (e) need a running
BenchWorker (bench/worker.py) on the same database. Every wait is bounded by a timeout.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import defaultdict
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Sum
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bench.floor import differences, floor_totals, rollup_totals
from bench.report import median, percentile
from bench.worker import BenchWorker
from projects import services
from projects.choices import RaidStatus
from projects.models import Risk, RollupState
from reporting import figure_cache
from reporting.engine import recompute, vacuum_rewritten
from reporting.models import (
    PortfolioDemand,
    PortfolioMonth,
    PortfolioRollup,
    PortfolioSeriesState,
    ProjectRollup,
)
from reporting.tasks import recompute_all

# The dashboard is built later (another issue) under this URL name; until it exists the
# portfolio list, the page a director starts from today, is measured instead and the results
# say so (`dashboard_page`).
DASHBOARD_URL_NAME = "reporting:dashboard"
FALLBACK_URL_NAME = "reporting:portfolio-list"
DASHBOARD_USER = "director"

RECOMPUTE_STALE = "projects.recompute_stale"
REBUILD_SERIES = "projects.rebuild_stale_series"
RECOMPUTE_ALL = "projects.recompute_all"

# What each statement of reporting.engine.recompute() does, told by its SQL (a diagnosis
# only: an unknown statement is counted under "claim_and_policy").
_SERIES_TABLES = ("portfolio_portfoliomonth", "portfolio_portfoliodemand", "rollup_touched")


def _statement_kind(sql: str) -> str:
    text = " ".join(sql.split())
    if text.startswith("WITH targets"):
        return "project_rows"
    if text.startswith("WITH touched"):
        return "portfolio_rows"
    if any(table in text for table in _SERIES_TABLES):
        return "portfolio_series"
    if text.startswith("UPDATE projects_rollupstate"):
        return "stale_marks"
    return "claim_and_policy"


# --- (a) full recompute vs the SQL floor ------------------------------------------------------


def _timed_recompute(
    as_of: date | None, project_ids: list[int] | None = None
) -> tuple[float, dict[str, float]]:
    """One recompute (all projects by default); its wall time and the time of each kind of
    statement in it."""
    spent: dict[str, float] = defaultdict(float)

    def clock(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[_statement_kind(sql)] += time.perf_counter() - began

    with connection.execute_wrapper(clock):
        began = time.perf_counter()
        recompute(project_ids=project_ids, as_of=as_of)
        seconds = time.perf_counter() - began
    return seconds, {kind: round(s, 3) for kind, s in spent.items()}


def _timed_floor(as_of: date) -> tuple[float, dict]:
    began = time.perf_counter()
    totals = floor_totals(as_of=as_of)
    return time.perf_counter() - began, totals


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


def measure_rollup(*, runs: int = 3, as_of: date | None = None) -> dict[str, Any]:
    """(a) Full recompute of every project vs the floor, `runs` times each, interleaved (so a
    burst of load from elsewhere hits both alike); medians, their ratio, and a check that the
    floor's totals equal the rollup table's after the recompute."""
    as_of = as_of or timezone.localdate()
    full, floor, breakdowns = [], [], []
    floor_result: dict = {}
    for _ in range(runs):
        seconds, breakdown = _timed_recompute(as_of)
        full.append(seconds)
        breakdowns.append(breakdown)
        seconds, floor_result = _timed_floor(as_of)
        floor.append(seconds)
    mismatches = differences(floor_result, rollup_totals())
    middle = sorted(range(runs), key=lambda i: full[i])[runs // 2]
    figures: dict[str, Any] = {
        "rollup_projects": rollup_totals()["projects"],
        "rollup_full_s": round(median(full), 3),
        "rollup_full_best_s": round(min(full), 3),
        "rollup_full_runs_s": [round(s, 3) for s in full],
        "rollup_full_breakdown_s": breakdowns[middle],
        "rollup_sql_floor_s": round(median(floor), 3),
        "rollup_sql_floor_best_s": round(min(floor), 3),
        "rollup_sql_floor_runs_s": [round(s, 3) for s in floor],
        "rollup_ratio": round(median(full) / median(floor), 2),
        "rollup_floor_same_figures": not mismatches,
        "rollup_floor_mismatches": {k: [str(a), str(b)] for k, (a, b) in mismatches.items()},
        "pg_jit": _setting("jit"),
    }
    if figures["pg_jit"] == "on":
        # Diagnosis, one run each: how much of each time is PostgreSQL's JIT compilation,
        # which it switches on from the planner's cost estimate.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
            figures["rollup_full_nojit_s"] = round(_timed_recompute(as_of)[0], 3)
            figures["rollup_sql_floor_nojit_s"] = round(_timed_floor(as_of)[0], 3)
    # What the nightly task (reporting.tasks.recompute_all) does after its recompute, so the
    # pages measured next meet the tables as the night leaves them.
    began = time.perf_counter()
    vacuum_rewritten()
    figures["rollup_vacuum_s"] = round(time.perf_counter() - began, 3)
    return figures


# --- helpers shared by (b), (c) -------------------------------------------------------------


def stale_count() -> int:
    return RollupState.objects.filter(stale_since__isnull=False).count()


def wait_until_fresh(
    *, timeout: float, poll: float = 0.01, worker: BenchWorker | None = None
) -> float:
    """Wait until no project's rollup is stale; return when (perf_counter) that was seen.

    With a worker, stop waiting as soon as it died or a task failed (nothing would recompute
    the stale rows: the benchmark runs no beat, whose sweep would)."""
    deadline = time.perf_counter() + timeout
    checked = time.perf_counter()
    while RollupState.objects.filter(stale_since__isnull=False).exists():
        now = time.perf_counter()
        if now > deadline:
            raise TimeoutError(f"{stale_count()} rollups still stale after {timeout:g} s")
        if worker is not None and now - checked > 0.5:
            worker.check_healthy()
            checked = now
        time.sleep(poll)
    return time.perf_counter()


def wait_until_series_fresh(
    *, timeout: float, poll: float = 0.02, worker: BenchWorker | None = None
) -> float:
    """Wait until no portfolio's monthly series (S-curve, demand) is stale; return when."""
    deadline = time.perf_counter() + timeout
    while PortfolioSeriesState.objects.filter(stale_since__isnull=False).exists():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"portfolio series still stale after {timeout:g} s")
        if worker is not None:
            worker.check_healthy()
        time.sleep(poll)
    return time.perf_counter()


def _exposure_of_open_risks(project_id: int) -> int:
    total = (
        Risk.objects.filter(project_id=project_id)
        .exclude(status=RaidStatus.CLOSED)
        .aggregate(total=Sum(F("probability") * F("impact")))["total"]
    )
    return total or 0


def _next_probability(probability: int) -> int:
    """A different probability every time (1→2→…→5→1), so every edit changes the exposure."""
    return probability % 5 + 1


def _projects_with_open_risks() -> list[int]:
    return sorted(
        set(Risk.objects.exclude(status=RaidStatus.CLOSED).values_list("project_id", flat=True))
    )


# --- (b) one edit until visible -------------------------------------------------------------


def measure_edit_visible(
    *, worker: BenchWorker, samples: int = 40, seed: int = 7, timeout: float = 10
) -> dict[str, Any]:
    """(b) `samples` times: change one open risk's probability through the service, then poll
    that project's rollup row (what the dashboard reads) until its exposure shows the edit.
    The latency runs from the edit's COMMIT to the first poll that sees the new figure."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable choice of projects, not a secret
    projects = _projects_with_open_risks()
    chosen = rng.sample(projects, min(samples, len(projects)))
    while len(chosen) < samples:  # a tiny data set: edit the same projects again
        chosen.append(rng.choice(projects))
    latencies: list[float] = []
    service_times: list[float] = []
    timeouts = 0
    worker.reset_stats()
    for project_id in chosen:
        wait_until_fresh(timeout=timeout, worker=worker)
        worker.check_healthy()
        risk = (
            Risk.objects.select_related("project__manager")
            .filter(project_id=project_id)
            .exclude(status=RaidStatus.CLOSED)
            .order_by("pk")
            .first()
        )
        if risk is None:
            raise RuntimeError(f"project {project_id} has no open risk left to edit")
        new = _next_probability(risk.probability)
        expected = _exposure_of_open_risks(project_id) + (new - risk.probability) * risk.impact
        mark: dict[str, float] = {}

        def committed(mark: dict[str, float] = mark) -> None:
            mark["commit"] = time.perf_counter()

        began = time.perf_counter()
        with transaction.atomic():
            # Registered before the service's own on-commit hook (which queues the recompute),
            # so it runs first, right after COMMIT.
            transaction.on_commit(committed)
            services.raid_update(
                item=risk,
                expected_version=risk.version,
                by=risk.project.manager,
                probability=new,
            )
        service_times.append(time.perf_counter() - began)
        deadline = mark["commit"] + timeout
        row = ProjectRollup.objects.filter(project_id=project_id)
        while True:
            now = time.perf_counter()
            if row.values_list("exposure", flat=True).first() == expected:
                latencies.append(now - mark["commit"])
                break
            if now > deadline:
                worker.check_healthy()  # a failed task is an error, not a slow sample
                timeouts += 1
                break
            time.sleep(0.002)
        time.sleep(0.05 + rng.random() * 0.05)  # independent samples, not a burst
    # A sample that never became visible counts as the timeout, so it lands in the p95.
    counted = latencies + [float(timeout)] * timeouts
    # What one edit's recompute costs, statement by statement: the bulk of the latency.
    single = [_timed_recompute(None, [chosen[0]]) for _ in range(3)]
    seconds, breakdown = sorted(single, key=lambda run: run[0])[1]
    return {
        "edit_recompute_one_s": round(seconds, 3),
        "edit_recompute_one_breakdown_s": breakdown,
        "edit_visible_samples": len(counted),
        "edit_visible_timeouts": timeouts,
        "edit_visible_p50_s": round(percentile(counted, 50), 3),
        "edit_visible_p95_s": round(percentile(counted, 95), 3),
        "edit_visible_max_s": round(max(counted), 3),
        "edit_visible_min_s": round(min(counted), 3),
        "edit_service_call_p50_ms": round(percentile(service_times, 50) * 1000, 1),
    }


# --- (c) the burst --------------------------------------------------------------------------


# Everything the rollup engine writes that a dashboard reads.
ROLLUP_MODELS = (ProjectRollup, PortfolioRollup, PortfolioMonth, PortfolioDemand)

Snapshot = dict[str, dict[tuple, tuple]]


def _natural_key(model) -> list[str]:
    """Rollup rows keyed by what they describe: the project or portfolio they belong to, or
    for the series (rebuilt whole, so their ids change) the fields of their unique constraint."""
    if not model._meta.pk.auto_created:
        return [model._meta.pk.attname]
    (unique,) = [c for c in model._meta.constraints if getattr(c, "fields", None)][:1]
    return [model._meta.get_field(name).attname for name in unique.fields]


def _snapshot() -> Snapshot:
    """Every row of every rollup table, all columns but its id and when it was computed."""
    taken: Snapshot = {}
    for model in ROLLUP_MODELS:
        key = _natural_key(model)
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if f.name != "computed_at" and not (f.primary_key and f.auto_created)
        ]
        positions = [names.index(k) for k in key]
        taken[model._meta.label] = {
            tuple(values[i] for i in positions): values
            for values in model.objects.order_by().values_list(*names)
        }
    return taken


def snapshot_differences(before: Snapshot, after: Snapshot) -> dict[str, int]:
    """Per rollup table, the rows that differ between two snapshots (missing ones too)."""
    return {
        label: sum(
            1
            for key in before[label].keys() | after[label].keys()
            if before[label].get(key) != after[label].get(key)
        )
        for label in before
    }


def _burst_plan(*, edits: int, projects: int, seed: int) -> list[list[Risk]]:
    """The risks to edit, in order: edit i goes to project i mod `projects`, cycling through
    that project's open risks. One list per project (threads take whole projects, so no two
    threads ever edit the same risk and no edit meets a version conflict)."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable choice of projects, not a secret
    candidates = _projects_with_open_risks()
    chosen = sorted(rng.sample(candidates, min(projects, len(candidates))))
    risks: dict[int, list[Risk]] = defaultdict(list)
    for risk in (
        Risk.objects.select_related("project__manager")
        .filter(project_id__in=chosen)
        .exclude(status=RaidStatus.CLOSED)
        .order_by("project_id", "pk")
    ):
        risks[risk.project_id].append(risk)
    per_project: list[list[Risk]] = [[] for _ in chosen]
    for i in range(edits):
        slot = i % len(chosen)
        own = risks[chosen[slot]]
        per_project[slot].append(own[(i // len(chosen)) % len(own)])
    return per_project


def _edit_loop(plan: list[Risk], out: dict[str, Any]) -> None:
    """One thread's share of the burst: a tight loop of service calls."""
    out["calls"] = calls = []
    try:
        for risk in plan:
            began = time.perf_counter()
            services.raid_update(
                item=risk,
                expected_version=risk.version,  # the service bumps it on the object it saves
                by=risk.project.manager,
                probability=_next_probability(risk.probability),
            )
            out["last_commit"] = time.perf_counter()
            calls.append(out["last_commit"] - began)
    except Exception as error:  # reported by the caller; the other threads carry on
        out["error"] = repr(error)
    finally:
        connection.close()


def measure_burst(
    *,
    worker: BenchWorker,
    edits: int = 5000,
    projects: int = 500,
    threads: int = 4,
    seed: int = 11,
    drain_timeout: float = 120,
) -> dict[str, Any]:
    """(c) `edits` edits across `projects` projects as fast as `threads` threads can issue
    them; then how many recompute runs the worker made, how long after the last edit's commit
    nothing was stale any more, and whether the rollups then equal a full recompute."""
    per_project = _burst_plan(edits=edits, projects=projects, seed=seed)
    shares: list[list[Risk]] = [[] for _ in range(threads)]
    for slot, plan in enumerate(per_project):
        shares[slot % threads].extend(plan)
    worker.reset_stats()
    wait_until_fresh(timeout=drain_timeout, worker=worker)
    wait_until_series_fresh(timeout=drain_timeout, worker=worker)
    worker.wait_idle(RECOMPUTE_STALE, timeout=60, settle=0.2)
    worker.wait_idle(REBUILD_SERIES, timeout=60, settle=0.2)
    worker.reset_stats()

    outs: list[dict[str, Any]] = [{} for _ in shares]
    workers = [
        threading.Thread(target=_edit_loop, args=(share, out), name=f"bench-burst-{n}")
        for n, (share, out) in enumerate(zip(shares, outs, strict=True))
    ]
    began = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    errors = [out["error"] for out in outs if "error" in out]
    calls = [seconds for out in outs for seconds in out["calls"]]
    done = len(calls)
    last_commit = max(out.get("last_commit", began) for out in outs)
    figures: dict[str, Any] = {
        "burst_edits": done,
        "burst_edit_p50_ms": round(percentile(calls, 50) * 1000, 1) if calls else None,
        "burst_edit_p95_ms": round(percentile(calls, 95) * 1000, 1) if calls else None,
        "burst_edit_max_ms": round(max(calls) * 1000, 1) if calls else None,
        "burst_projects": len(per_project),
        "burst_threads": threads,
        "burst_issue_s": round(last_commit - began, 3),
        "burst_edits_per_s": round(done / max(last_commit - began, 1e-9), 1),
    }
    if errors:
        figures["burst_edit_errors"] = errors[:5]
    drained = wait_until_fresh(timeout=drain_timeout, poll=0.005, worker=worker)
    figures["burst_drain_s"] = round(max(drained - last_commit, 0.0), 3)
    # The monthly series follow on their debounce (reporting.tasks.SERIES_DEBOUNCE_S).
    series_drained = wait_until_series_fresh(timeout=drain_timeout, worker=worker)
    figures["burst_series_drain_s"] = round(max(series_drained - last_commit, 0.0), 3)
    worker.wait_idle(RECOMPUTE_STALE, timeout=60, settle=1.0)
    worker.wait_idle(REBUILD_SERIES, timeout=60, settle=0.5)
    stats = worker.stats()
    figures["burst_series_rebuilds"] = stats.get(f"{REBUILD_SERIES}:started", 0)
    figures["burst_recomputes"] = stats.get(f"{RECOMPUTE_STALE}:started", 0)
    figures["burst_recomputed_projects"] = stats.get(f"{RECOMPUTE_STALE}:projects", 0)
    runs_finished = stats.get(f"{RECOMPUTE_STALE}:finished", 0)
    figures["burst_recompute_mean_s"] = (
        round(stats.get(f"{RECOMPUTE_STALE}:ms", 0) / runs_finished / 1000, 3)
        if runs_finished
        else None
    )

    before = _snapshot()
    recompute()
    differing = snapshot_differences(before, _snapshot())
    figures["burst_equal_full"] = not any(differing.values())
    figures["burst_rows_differing"] = differing
    return figures


# --- (d) dashboard --------------------------------------------------------------------------


def dashboard_page() -> str:
    """The URL name measured: the dashboard once it exists, else the portfolio list."""
    try:
        reverse(DASHBOARD_URL_NAME)
    except NoReverseMatch:
        return FALLBACK_URL_NAME
    return DASHBOARD_URL_NAME


def measure_dashboard(
    *, requests: int = 50, warmup: int = 5, time_cap: float = 180
) -> dict[str, Any]:
    """(d) Server time of the dashboard for the `director` demo user, through Django's whole
    request handling in-process (middleware, view, queries, template; no network), with DEBUG
    off as deployed; and the SQL queries one request makes. Measured twice: as served (the
    figures unchanged between requests, so the body kept by reporting.figure_cache is sent)
    and drawn afresh (every request after a change of figures)."""
    page = dashboard_page()
    url = reverse(page)
    user = get_user_model().objects.get(username=DASHBOARD_USER)
    # DEBUG off as in production (no query log, no template debug info); the test client's
    # host name must be allowed.
    from django.conf import settings

    with override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        client = Client()
        client.force_login(user)

        def get() -> None:
            response = client.get(url, secure=True)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")

        for _ in range(warmup):
            get()
        times: list[float] = []
        started = time.perf_counter()
        while len(times) < requests:
            began = time.perf_counter()
            get()
            times.append(time.perf_counter() - began)
            if time.perf_counter() - started > time_cap and len(times) >= 5:
                break
        with CaptureQueriesContext(connection) as queries:
            get()
        # Drawn afresh: each request after the figures changed (a new generation retires the
        # kept body, as a recompute does), so the page is computed and rendered in full.
        cold: list[float] = []
        started = time.perf_counter()
        while len(cold) < requests:
            figure_cache.new_generation()
            began = time.perf_counter()
            get()
            cold.append(time.perf_counter() - began)
            if time.perf_counter() - started > time_cap and len(cold) >= 5:
                break
        figure_cache.new_generation()
        with CaptureQueriesContext(connection) as cold_queries:
            get()
    return {
        "page": page,
        "p50_ms": round(percentile(times, 50) * 1000, 1),
        "p95_ms": round(percentile(times, 95) * 1000, 1),
        "mean_ms": round(statistics.fmean(times) * 1000, 1),
        "requests": len(times),
        "queries": len(queries.captured_queries),
        "cold_p50_ms": round(percentile(cold, 50) * 1000, 1),
        "cold_p95_ms": round(percentile(cold, 95) * 1000, 1),
        "cold_queries": len(cold_queries.captured_queries),
    }


# --- (e) worker memory ----------------------------------------------------------------------


def measure_worker_memory(*, worker: BenchWorker, timeout: float = 300) -> dict[str, Any]:
    """(e) Queue the nightly full recompute to the worker and sample the resident memory of
    its main process and pool children until it finishes."""
    worker.reset_stats()
    worker.wait_idle(RECOMPUTE_STALE, timeout=60, settle=0.2)
    idle_kib, _, processes = worker.resident_kib()
    sent = time.time()
    result = recompute_all.apply_async()

    def finished() -> dict[str, Any]:
        return worker.wait_done(result.id, timeout=timeout)

    done, peak = worker.sample_memory_while(finished)
    return {
        "worker_peak_mb": peak.peak_total_mb,
        "worker_peak_process_mb": peak.peak_process_mb,
        "worker_idle_mb": round(idle_kib / 1024, 1),
        "worker_processes": processes,
        "worker_memory_samples": peak.samples,
        "worker_recompute_all_s": round(done["finished"] - sent, 3),
    }
