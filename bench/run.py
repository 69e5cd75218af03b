"""`make bench`: the budgets of DESIGN.md §8 measured on the large demo data, in one run.

    make bench                                   # embedded servers under .data/bench, or:
    DATABASE_URL=postgres://…/conductor_bench REDIS_URL=redis://…/10 .venv/bin/python bench/run.py

It generates the large data in DATABASE_URL's database (or reuses it when that database already
holds exactly that many generated projects), the small demo organisation in a second database
named after the first with `_small` (a trial size --projects N uses a third, `_pN`), then
measures:

(a) full recompute of every project vs the same figures as one hand-written SELECT (ratio);
(b) one edit through a service until the project's rollup shows it, with a real worker (p50/p95);
(c) a burst of edits: recompute runs, drain time after the last edit, equality with a full run;
(d) the dashboard's server time (p50/p95) and SQL query count, at the small and the large size;
(e) the worker's peak resident memory during the nightly full recompute;

merges the figures into bench/results.json and prints a table: target, measured, met or missed,
and what limits each figure. Missed budgets are results, not failures: the exit code is 0 when
every measurement ran, 1 when one of them could not be made, 2 when the data could not be set up.

The worker is started here (`celery -A bench.celery_app worker --pool prefork --concurrency 2`)
on the queue CELERY_QUEUE (default "conductor-bench") with the cache prefix CACHE_KEY_PREFIX
(default "conductor-bench"), so the worker of a running app never takes the benchmark's tasks;
it is stopped however the run ends.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from bench.results import RESULTS, merge  # noqa: E402

LARGE_PROJECTS = 10_000
XLARGE_PROJECTS = 50_000
XLARGE_SUFFIX = "_xlarge"
SMALL_SUFFIX = "_small"
OUT = ROOT / "bench" / "out"
JSON_MARK = "BENCH_JSON "

# Every key a phase writes. A phase that fails writes them all as null, so results.json never
# shows a figure from an earlier run as if this run had measured it.
PHASE_KEYS: dict[str, tuple[str, ...]] = {
    "rollup": (
        "rollup_projects",
        "rollup_full_s",
        "rollup_full_best_s",
        "rollup_full_runs_s",
        "rollup_full_breakdown_s",
        "rollup_sql_floor_s",
        "rollup_sql_floor_best_s",
        "rollup_sql_floor_runs_s",
        "rollup_ratio",
        "rollup_floor_same_figures",
        "rollup_floor_mismatches",
        "pg_jit",
        "rollup_full_nojit_s",
        "rollup_sql_floor_nojit_s",
        "rollup_vacuum_s",
    ),
    "memory": (
        "worker_peak_mb",
        "worker_peak_process_mb",
        "worker_idle_mb",
        "worker_processes",
        "worker_memory_samples",
        "worker_recompute_all_s",
    ),
    "edit": (
        "edit_visible_samples",
        "edit_visible_timeouts",
        "edit_visible_p50_s",
        "edit_visible_p95_s",
        "edit_visible_max_s",
        "edit_visible_min_s",
        "edit_service_call_p50_ms",
        "edit_recompute_one_s",
        "edit_recompute_one_breakdown_s",
    ),
    "burst": (
        "burst_edits",
        "burst_edit_p50_ms",
        "burst_edit_p95_ms",
        "burst_edit_max_ms",
        "burst_projects",
        "burst_threads",
        "burst_issue_s",
        "burst_edits_per_s",
        "burst_edit_errors",
        "burst_drain_s",
        "burst_series_drain_s",
        "burst_series_rebuilds",
        "burst_recomputes",
        "burst_recomputed_projects",
        "burst_recompute_mean_s",
        "burst_equal_full",
        "burst_rows_differing",
    ),
    "dashboard_large": (
        "dashboard_page",
        "dashboard_p50_ms_large",
        "dashboard_p95_ms_large",
        "dashboard_mean_ms_large",
        "dashboard_requests_large",
        "dashboard_queries_large",
        "dashboard_cold_p50_ms_large",
        "dashboard_cold_p95_ms_large",
        "dashboard_cold_queries_large",
    ),
    "dashboard_small": (
        "dashboard_p50_ms_small",
        "dashboard_p95_ms_small",
        "dashboard_mean_ms_small",
        "dashboard_requests_small",
        "dashboard_queries_small",
        "dashboard_cold_p50_ms_small",
        "dashboard_cold_p95_ms_small",
        "dashboard_cold_queries_small",
    ),
}
PHASE_KEYS["approvals"] = (
    "approvals_p50_ms",
    "approvals_p95_ms",
    "approvals_mean_ms",
    "approvals_queries",
    "approvals_rows_shown",
    "approvals_prepare_s",
    "approvals_open_reviews",
)
PHASE_KEYS["pdf_pack"] = (
    "pdf_pack_pages",
    "pdf_pack_s",
    "pdf_pack_runs_s",
    "pdf_pack_html_s",
    "pdf_pack_layout_s",
    "pdf_pack_collect_s",
    "pdf_pack_cold_s",
    "pdf_pack_portfolio_projects",
)
PHASE_KEYS["api"] = (
    "api_list_p50_ms",
    "api_list_p95_ms",
    "api_list_mean_ms",
    "api_list_rps",
    "api_values_p95_ms",
    "api_values_rps",
    "api_ratio",
    "api_queries_page50",
    "api_queries_page10",
)
PHASE_KEYS["pdf_during"] = (
    "dashboard_p95_ms_idle",
    "dashboard_p95_ms_during_pdf",
    "dashboard_cold_p95_ms_idle",
    "dashboard_cold_p95_ms_during_pdf",
    "dashboard_during_pdf_ratio",
    "pdf_packs_rendered_during",
    "pdf_packs_failed_during",
    "pdf_worker_render_mean_s",
)
# The moonshot size (--size xlarge) measures (a) and (d) only, under keys of its own.
XLARGE_ROLLUP_KEYS = ("rollup_full_s", "rollup_sql_floor_s", "rollup_ratio")
PHASE_KEYS["rollup_xlarge"] = (
    *(f"{key}_xlarge" for key in XLARGE_ROLLUP_KEYS),
    "rollup_floor_same_figures_xlarge",
)
PHASE_KEYS["dashboard_xlarge"] = tuple(
    key.replace("_large", "_xlarge")
    for key in PHASE_KEYS["dashboard_large"]
    if key != "dashboard_page"
)


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _terminate(signum: int, frame: object) -> None:
    # SIGTERM (from `make`'s runner or a CI timeout) unwinds like Ctrl-C: every `finally`
    # runs, so the worker is stopped.
    raise KeyboardInterrupt(signal.Signals(signum).name)


# --- databases --------------------------------------------------------------------------------


def sibling_database_url(url: str, suffix: str) -> str:
    """The same server and credentials, the database name with `suffix` appended."""
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    return urlunsplit(parts._replace(path="/" + quote(name + suffix, safe="")))


def ensure_database(url: str) -> None:
    """Create the database `url` names if it does not exist (the benchmark owns it)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    params = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "connect_timeout": 10,
        "autocommit": True,
    }
    try:
        with psycopg.connect(dbname=name, **params):
            return
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    with psycopg.connect(dbname="postgres", **params) as conn:
        say(f"creating the database {name}")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ppm.settings")
    os.environ.setdefault("DEBUG", "true")  # only so settings load without production secrets
    os.environ.setdefault("CELERY_QUEUE", "conductor-bench")
    os.environ.setdefault("CACHE_KEY_PREFIX", "conductor-bench")
    import warnings

    # whitenoise's note that collectstatic has not run: the benchmark serves no static file.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()
    from django.conf import settings

    # The harness behaves as a deployed process does: no query log kept per connection.
    settings.DEBUG = False


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


class DataMismatch(Exception):
    """The database holds other data than the benchmark asks for, and no reseed was allowed."""


def prepare_large(*, projects: int, reseed: bool) -> dict[str, Any]:
    """Reuse the generated data when the database holds exactly `projects` projects (and the
    director who reads the dashboard); otherwise generate it (emptying the tables first only
    with `reseed`)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from bench.phases import DASHBOARD_USER
    from projects.models import Project

    present = Project.objects.count()
    has_director = get_user_model().objects.filter(username=DASHBOARD_USER).exists()
    if present == projects and has_director and not reseed:
        say(f"reusing the {projects:,} generated projects in the database")
        _check_volumes(projects)
        return {"bench_data": "reused", "bench_seed_s": None}
    if present and not reseed:
        raise DataMismatch(
            f"the database holds {present:,} projects, not the {projects:,} this run needs. "
            "Run again with --reseed to delete all its portfolio and project data and "
            "generate afresh (or point DATABASE_URL at another database)."
        )
    say(f"generating {projects:,} projects (about a minute for 10,000)")
    options = ["--projects", str(projects)]
    if reseed or present == 0:
        # Nothing of value can be lost here: either asked for, or a database without projects
        # (users or portfolios left by an interrupted run would make the seed refuse).
        options.append("--reset")
    began = time.perf_counter()
    call_command("seed_demo", *options, stdout=StringIO())
    seconds = round(time.perf_counter() - began, 1)
    _check_volumes(projects)
    return {"bench_data": "generated", "bench_seed_s": seconds}


def _check_volumes(projects: int) -> None:
    """The data measured has the generator's proportions (20 milestones, 96 cost lines, 5
    risks a project…): a figure measured over less data than it claims is worse than none."""
    from projects.demo.db import row_counts
    from projects.demo.large import volume_problems

    problems = volume_problems(row_counts(), projects)
    if problems:
        raise DataMismatch(
            "the generated data does not have the benchmark's volumes: "
            + "; ".join(problems)
            + ". Run again with --reseed to generate it afresh."
        )


def prepare_small() -> None:
    """The small demo organisation, regenerated each run (≈ 2 s) in the harness's own
    `_small` database."""
    from django.core.management import call_command

    call_command("seed_demo", "--size", "small", "--reset", stdout=StringIO())


# --- the run ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    memory_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {"cores": os.cpu_count(), "memory_gb": memory_gb}


def load_average() -> list[float] | None:
    with contextlib.suppress(OSError):
        return [round(x, 2) for x in os.getloadavg()]
    return None


def database_facts() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'), "
            "current_setting('work_mem'), current_setting('jit')"
        )
        version, shared_buffers, work_mem, jit = cursor.fetchone()
    return {
        "server_version": version,
        "shared_buffers": shared_buffers,
        "work_mem": work_mem,
        "jit": jit,
    }


class Phases:
    """Runs each measurement, keeps its figures, and turns a failure into a recorded error
    (null figures) so the other measurements still run."""

    def __init__(self) -> None:
        self.results: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    def run(self, name: str, what: str, measure: Callable[[], dict[str, Any]]) -> bool:
        say(f"{what} …")
        began = time.perf_counter()
        try:
            figures = measure()
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            self.fail(name, f"{type(error).__name__}: {error}")
            return False
        unknown = set(figures) - set(PHASE_KEYS[name])
        if unknown:  # a phase grew a figure the list above does not know: keep it honest
            raise RuntimeError(f"phase {name} returned unlisted keys {sorted(unknown)}")
        self.results.update(dict.fromkeys(PHASE_KEYS[name]))
        self.results.update(figures)
        say(f"{what}: done in {time.perf_counter() - began:.1f} s")
        return True

    def fail(self, name: str, message: str) -> None:
        self.errors[name] = message
        self.results.update(dict.fromkeys(PHASE_KEYS[name]))
        say(f"{name} could not be measured: {message}")


def run_small_child(url: str, *, requests: int) -> dict[str, Any]:
    """Measure the dashboard at the small size in a second process whose DATABASE_URL is the
    small database (a Django process serves one database)."""
    env = {**os.environ, "DATABASE_URL": url}
    argv = [sys.executable, str(Path(__file__).resolve()), "--dashboard-only"]
    argv += ["--dashboard-requests", str(requests)]
    done = subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(JSON_MARK):
            return json.loads(line[len(JSON_MARK) :])
    tail = "\n".join((done.stderr or done.stdout).splitlines()[-15:])
    raise RuntimeError(f"the small-size run failed (exit code {done.returncode}):\n{tail}")


def dashboard_only(requests: int) -> int:
    """The child process of run_small_child: prepare the small data, measure, print JSON."""
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    migrate()
    prepare_small()
    from bench.phases import measure_dashboard

    print(JSON_MARK + json.dumps(measure_dashboard(requests=requests)), flush=True)
    return 0


def _suffixed(figures: dict[str, Any], size: str) -> dict[str, Any]:
    return {
        f"dashboard_p50_ms_{size}": figures["p50_ms"],
        f"dashboard_p95_ms_{size}": figures["p95_ms"],
        f"dashboard_mean_ms_{size}": figures["mean_ms"],
        f"dashboard_requests_{size}": figures["requests"],
        f"dashboard_queries_{size}": figures["queries"],
        f"dashboard_cold_p50_ms_{size}": figures["cold_p50_ms"],
        f"dashboard_cold_p95_ms_{size}": figures["cold_p95_ms"],
        f"dashboard_cold_queries_{size}": figures["cold_queries"],
    }


def notes(r: dict[str, Any]) -> dict[str, str]:
    """What limits each figure, in a few words, from the run's own diagnostics."""
    out: dict[str, str] = {}

    def have(*keys: str) -> bool:
        return all(r.get(k) is not None for k in keys)

    if have("rollup_full_breakdown_s"):
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in sorted(r["rollup_full_breakdown_s"].items()))
        out["rollup_full_s"] = f"median of {len(r['rollup_full_runs_s'])}; {parts}"
    if have("rollup_floor_same_figures"):
        same = (
            "same totals as the rollup table"
            if r["rollup_floor_same_figures"]
            else ("totals DIFFER from the rollup table: " + ", ".join(r["rollup_floor_mismatches"]))
        )
        out["rollup_sql_floor_s"] = f"median of {len(r['rollup_sql_floor_runs_s'])}; {same}"
    if have("rollup_full_nojit_s", "rollup_sql_floor_nojit_s"):
        ratio = r["rollup_full_nojit_s"] / r["rollup_sql_floor_nojit_s"]
        out["rollup_ratio"] = (
            f"JIT off: {r['rollup_full_nojit_s']:.2f} s / {r['rollup_sql_floor_nojit_s']:.2f} s"
            f" = {ratio:.2f}"
        )
    if have("edit_visible_p95_s"):
        out["edit_visible_p95_s"] = (
            f"{r['edit_visible_samples']} edits: min {r['edit_visible_min_s']:.3f} s, max "
            f"{r['edit_visible_max_s']:.3f} s, {r['edit_visible_timeouts']} timeouts; the "
            f"edit itself {r['edit_service_call_p50_ms']:.0f} ms, then queueing and the recompute"
        )
    if have("edit_recompute_one_breakdown_s"):
        parts = ", ".join(
            f"{k} {v:.2f} s" for k, v in sorted(r["edit_recompute_one_breakdown_s"].items())
        )
        out["edit_visible_p50_s"] = (
            f"one project's recompute takes {r['edit_recompute_one_s']:.2f} s: {parts}"
        )
    if have("burst_edits", "burst_edit_p50_ms"):
        out["burst_edits"] = (
            f"{r['burst_edits_per_s']:.0f} edits/s from {r['burst_threads']} threads over "
            f"{r['burst_projects']} projects in {r['burst_issue_s']:.1f} s; one edit "
            f"p50 {r['burst_edit_p50_ms']:.0f} ms, p95 {r['burst_edit_p95_ms']:.0f} ms, "
            f"max {r['burst_edit_max_ms']:.0f} ms"
        )
    if have("burst_recomputes", "burst_recomputed_projects"):
        out["burst_recomputes"] = (
            f"{r['burst_recomputed_projects']:,} project recomputes in these runs"
        )
    if have("burst_drain_s", "burst_recompute_mean_s"):
        out["burst_drain_s"] = (
            f"a recompute run takes {r['burst_recompute_mean_s']:.2f} s on average; the last "
            "edit waits for the run in progress, then its own"
        )
    if have("burst_series_drain_s"):
        out["burst_series_drain_s"] = (
            "S-curve and demand series, rebuilt on a "
            "debounce (reporting.tasks.SERIES_DEBOUNCE_S) after the figures are current"
        )
    if have("burst_rows_differing"):
        rows = r["burst_rows_differing"]
        out["burst_equal_full"] = "rows differing: " + ", ".join(
            f"{label.split('.')[-1]} {count}" for label, count in rows.items()
        )
    page = r.get("dashboard_page")
    for size in ("small", "large", "xlarge"):
        if have(f"dashboard_p95_ms_{size}"):
            out[f"dashboard_p95_ms_{size}"] = (
                f"{page or 'reporting:dashboard'}, {r[f'dashboard_requests_{size}']} requests, "
                f"mean {r[f'dashboard_mean_ms_{size}']:.0f} ms; the body kept by "
                "reporting.figure_cache (figures unchanged between requests)"
            )
        if have(f"dashboard_cold_p95_ms_{size}"):
            out[f"dashboard_cold_p95_ms_{size}"] = (
                "every request after a change of figures: "
                f"{r[f'dashboard_cold_queries_{size}']} queries, charts and template drawn"
            )
    if have("rollup_ratio_xlarge"):
        out["rollup_ratio_xlarge"] = (
            f"full recompute {r['rollup_full_s_xlarge']:.1f} s, "
            f"floor {r['rollup_sql_floor_s_xlarge']:.1f} s; same totals: "
            f"{str(r.get('rollup_floor_same_figures_xlarge')).lower()}"
        )
    if page and page != "reporting:dashboard":
        out["dashboard_queries_small"] = "the dashboard does not exist yet: " + page + " measured"
    if have("worker_peak_mb", "worker_idle_mb"):
        out["worker_peak_mb"] = (
            f"idle {r['worker_idle_mb']:.0f} MB in {r['worker_processes']} processes; "
            f"largest process {r['worker_peak_process_mb']:.0f} MB; "
            f"recompute_all took {r['worker_recompute_all_s']:.1f} s (the work is in PostgreSQL)"
        )
    return out


def report(
    results: dict[str, Any],
    rows: tuple,
    *,
    summary: tuple[str, dict[str, Any], float],
    errors: dict[str, str],
    out: Path,
    table_file: Path,
) -> None:
    """Print the table of `rows` with a footer (data, machine, load, time, what was not
    measured, budgets missed) and keep a copy in `table_file`."""
    from bench.report import missed, table

    data, load, seconds = summary
    text = table(results, notes(results), rows=rows)
    footer = (
        f"\n{data}; {load['cores']} cores, {load['memory_gb']} GB; load average "
        f"{load['load_average_start']} at the start, {load['load_average_end']} at the end; "
        f"{seconds:.0f} s in all. Written to {out}."
    )
    if errors:
        footer += "\nNot measured: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
    misses = missed(results, rows=rows)
    footer += "\nBudgets missed: " + (", ".join(misses) if misses else "none")
    print(text + footer, flush=True)
    table_file.parent.mkdir(parents=True, exist_ok=True)
    table_file.write_text(text + footer + "\n")


def run_xlarge(args: argparse.Namespace, data: dict[str, Any], *, started: float, when: str) -> int:
    """The moonshot size: (a) and (d) over 50,000 projects, merged into results.json beside
    the large size's figures (whose query count the dashboard's must equal)."""
    from bench.phases import measure_dashboard, measure_rollup
    from bench.report import XLARGE_ROWS

    phases = Phases()
    results = phases.results
    load_start = load_average()

    def rollup() -> dict[str, Any]:
        figures = measure_rollup(runs=args.rollup_runs)
        out = {f"{key}_xlarge": figures[key] for key in XLARGE_ROLLUP_KEYS}
        out["rollup_floor_same_figures_xlarge"] = figures["rollup_floor_same_figures"]
        return out

    def dashboard() -> dict[str, Any]:
        figures = measure_dashboard(requests=args.dashboard_requests)
        return _suffixed(figures, "xlarge")

    phases.run("rollup_xlarge", "(a) full recompute vs one SQL SELECT, xlarge", rollup)
    phases.run("dashboard_xlarge", "(d) dashboard at the xlarge size", dashboard)
    results["bench_projects_xlarge"] = args.projects
    results["bench_data_xlarge"] = data["bench_data"]
    results["bench_seed_s_xlarge"] = data["bench_seed_s"]
    results["bench_xlarge"] = {
        **machine(),
        "load_average_start": load_start,
        "load_average_end": load_average(),
        "when": when,
        "errors": phases.errors,
        "total_s": round(time.perf_counter() - started, 1),
    }
    merged = merge(args.out, results)
    info = results["bench_xlarge"]
    report(
        merged,
        XLARGE_ROWS,
        summary=(
            f"{args.projects:,} projects ({data['bench_data']} data)",
            info,
            info["total_s"],
        ),
        errors=phases.errors,
        out=args.out,
        table_file=OUT / "table-xlarge.txt",
    )
    return 1 if phases.errors else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--projects",
        type=int,
        default=LARGE_PROJECTS,
        help=f"size of the generated data (default {LARGE_PROJECTS:,}: the large size)",
    )
    parser.add_argument(
        "--size",
        choices=("large", "xlarge"),
        default="large",
        help="large: every measurement at --projects (default 10,000); xlarge: the moonshot, "
        f"{XLARGE_PROJECTS:,} projects in a database of its own (suffix {XLARGE_SUFFIX}), "
        "measuring (a) and (d) only, written to results.json as *_xlarge keys",
    )
    parser.add_argument("--reseed", action="store_true", help="delete the data and generate it")
    parser.add_argument("--rollup-runs", type=int, default=3, help="(a) runs of each (median)")
    parser.add_argument("--edits", type=int, default=40, help="(b) single edits timed")
    parser.add_argument("--burst-edits", type=int, default=5000, help="(c) edits in the burst")
    parser.add_argument("--burst-projects", type=int, default=500, help="(c) projects edited")
    parser.add_argument("--burst-threads", type=int, default=4, help="(c) threads issuing edits")
    parser.add_argument("--dashboard-requests", type=int, default=50, help="(d) timed requests")
    parser.add_argument("--no-small", action="store_true", help="skip the small-size dashboard")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results file (default bench/results.json at the large size, "
        "bench/out/results-<N>.json otherwise, so a trial run never overwrites real figures)",
    )
    parser.add_argument("--dashboard-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.projects <= 200_000:
        parser.error("--projects must be between 1 and 200,000")
    for name in ("rollup_runs", "edits", "burst_edits", "burst_projects", "burst_threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.dashboard_requests < 5:
        parser.error("--dashboard-requests must be at least 5")
    if args.size == "xlarge":
        if args.projects != LARGE_PROJECTS:
            parser.error("--size xlarge sets its own size; leave out --projects")
        args.projects = XLARGE_PROJECTS
    if args.out is None:
        real = args.projects in (LARGE_PROJECTS, XLARGE_PROJECTS)
        args.out = RESULTS if real else OUT / f"results-{args.projects}.json"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    if args.dashboard_only:
        return dashboard_only(args.dashboard_requests)

    started = time.perf_counter()
    when = datetime.now(UTC).isoformat(timespec="seconds")
    url = os.environ.get("DATABASE_URL", "")
    if not url or not os.environ.get("REDIS_URL"):
        say("DATABASE_URL and REDIS_URL must be set (`make bench` sets them for you)")
        return 2
    if args.size == "xlarge":
        os.environ["DATABASE_URL"] = sibling_database_url(url, XLARGE_SUFFIX)
    elif args.projects != LARGE_PROJECTS:
        # A trial size gets a database of its own, so the large data is never replaced by it.
        os.environ["DATABASE_URL"] = sibling_database_url(url, f"_p{args.projects}")
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()

    from django.core.cache import cache
    from django.db import connection

    from bench.phases import (
        measure_burst,
        measure_dashboard,
        measure_edit_visible,
        measure_rollup,
        measure_worker_memory,
    )
    from bench.worker import BenchWorker, database_url
    from ppm.celery import app
    from projects.tasks import SCHEDULED_KEY

    say("migrating the database")
    migrate()
    try:
        data = prepare_large(projects=args.projects, reseed=args.reseed)
    except DataMismatch as refusal:
        say(str(refusal))
        return 2

    if args.size == "xlarge":
        return run_xlarge(args, data, started=started, when=when)

    phases = Phases()
    results = phases.results
    results.update(data)
    results["bench_projects"] = args.projects
    load_start = load_average()

    phases.run(
        "rollup",
        "(a) full recompute vs one SQL SELECT",
        lambda: measure_rollup(runs=args.rollup_runs),
    )

    queue = app.conf.task_default_queue
    # Leftovers of an interrupted run: queued tasks, and a coalescing key that would make
    # edits skip queueing a recompute for up to 30 s.
    app.control.purge()
    cache.delete(SCHEDULED_KEY)
    OUT.mkdir(parents=True, exist_ok=True)
    worker = BenchWorker(
        queue=queue,
        database_url=database_url(connection.settings_dict),
        concurrency=2,
        log_path=OUT / "worker.log",
    )
    say(f"starting a Celery worker (prefork, 2 processes) on queue {queue}")
    say(f"its log: {worker.log_path}")
    try:
        with worker:
            phases.run(
                "memory",
                "(e) worker memory during recompute_all",
                lambda: measure_worker_memory(worker=worker),
            )
            phases.run(
                "edit",
                f"(b) {args.edits} single edits until visible",
                lambda: measure_edit_visible(worker=worker, samples=args.edits),
            )
            phases.run(
                "burst",
                f"(c) burst of {args.burst_edits:,} edits over {args.burst_projects} projects",
                lambda: measure_burst(
                    worker=worker,
                    edits=args.burst_edits,
                    projects=args.burst_projects,
                    threads=args.burst_threads,
                ),
            )
    except Exception as error:  # the worker did not start or died between phases
        traceback.print_exc(file=sys.stderr)
        for name in ("memory", "edit", "burst"):
            if name not in phases.errors and results.get(PHASE_KEYS[name][0]) is None:
                phases.fail(name, f"worker: {type(error).__name__}: {error}")

    def large_dashboard() -> dict[str, Any]:
        figures = measure_dashboard(requests=args.dashboard_requests)
        return {"dashboard_page": figures["page"], **_suffixed(figures, "large")}

    phases.run("dashboard_large", "(d) dashboard at the large size", large_dashboard)
    from bench.approvals import measure_approvals

    phases.run(
        "approvals",
        "(f) My approvals: a reviewer with 500 open reviews",
        lambda: measure_approvals(requests=args.dashboard_requests),
    )
    from bench.api import measure_api

    phases.run("api", "(h) the API's project list against a bare .values() view", measure_api)
    from bench.reports import measure_dashboard_during_pdf, measure_pdf_pack

    phases.run("pdf_pack", "(g) a ten-page health pack PDF on one core", measure_pdf_pack)
    report_worker = BenchWorker(
        queue=queue,
        database_url=database_url(connection.settings_dict),
        concurrency=1,
        log_path=OUT / "reports-worker.log",
        extra_env={"CELERY_WORKER_ROLE": "reports"},
    )
    say("starting a report worker (its own queue, lower CPU priority)")
    try:
        with report_worker:
            phases.run(
                "pdf_during",
                "(g) the dashboard while packs render",
                lambda: measure_dashboard_during_pdf(
                    report_worker=report_worker, requests=args.dashboard_requests
                ),
            )
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        if "pdf_during" not in phases.errors:
            phases.fail("pdf_during", f"report worker: {type(error).__name__}: {error}")
    if args.no_small:
        results.update(dict.fromkeys(PHASE_KEYS["dashboard_small"]))
    else:
        small_url = sibling_database_url(url, SMALL_SUFFIX)
        phases.run(
            "dashboard_small",
            "(d) dashboard at the small size",
            lambda: _suffixed(
                run_small_child(small_url, requests=args.dashboard_requests), "small"
            ),
        )

    results["machine"] = {
        **machine(),
        "load_average_start": load_start,
        "load_average_end": load_average(),
    }
    results["database"] = database_facts()
    results["when"] = when
    results["bench_errors"] = phases.errors
    results["bench_total_s"] = round(time.perf_counter() - started, 1)
    merge(args.out, results)

    from bench.report import ROWS

    report(
        results,
        ROWS,
        summary=(
            f"{results['bench_projects']:,} projects ({results['bench_data']} data)",
            results["machine"],
            results["bench_total_s"],
        ),
        errors=phases.errors,
        out=args.out,
        table_file=OUT / "table.txt",
    )
    return 1 if phases.errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted; the worker has been stopped")
        sys.exit(130)
