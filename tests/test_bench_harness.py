"""The benchmark harness (`make bench`) on a tiny data set: its floor statement computes what
the rollup engine computes, each measurement returns the figures it promises, the results file
is merged, the table marks misses, and — with a real worker — edits become visible and a burst
drains to exactly what a full recompute gives."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bench import results as bench_results
from bench import seed_bench
from bench.floor import differences, floor_totals, rollup_totals
from bench.phases import (
    DASHBOARD_URL_NAME,
    FALLBACK_URL_NAME,
    _snapshot,
    measure_burst,
    measure_dashboard,
    measure_edit_visible,
    measure_rollup,
    measure_worker_memory,
    snapshot_differences,
)
from bench.report import XLARGE_ROWS, missed, percentile, table
from bench.run import OUT, PHASE_KEYS, parse_args, sibling_database_url
from bench.worker import BenchWorker, database_url
from ppm.celery import app
from projects.demo import DEFAULT_SEED, generate
from projects.tasks import SCHEDULED_KEY
from reporting.engine import recompute
from reporting.models import PortfolioMonth, ProjectRollup

TINY = 20


@pytest.fixture
def tiny(db):
    """The large generator at 20 projects (one portfolio, the personas, rollups computed)."""
    generate(projects=TINY, seed=DEFAULT_SEED, today=timezone.localdate(), reset=False)


# --- (a) the floor --------------------------------------------------------------------------


def test_the_floor_statement_computes_the_same_totals_as_the_rollup_engine(tiny):
    recompute()
    floor = floor_totals(as_of=timezone.localdate())

    assert floor["projects"] == TINY
    assert floor["milestones_total"] > 0 and floor["open_risks"] > 0 and floor["pv"] > 0
    assert differences(floor, rollup_totals()) == {}


def test_the_floor_equals_the_engine_for_every_earned_value_method(tiny):
    """Projects spread over the four methods (and the portfolio on weighted milestones)."""
    from portfolio.models import Portfolio
    from projects.models import Project

    Portfolio.objects.update(ev_method="milestones")
    methods = ["", "percent", "0_100", "50_50"]
    for i, project in enumerate(Project.objects.order_by("pk")):
        Project.objects.filter(pk=project.pk).update(ev_method=methods[i % 4])
    recompute()
    floor = floor_totals(as_of=timezone.localdate())

    assert ProjectRollup.objects.values("ev_method").distinct().count() == 4
    assert differences(floor, rollup_totals()) == {}


def test_the_floor_equals_the_engine_for_re_baselined_projects(tiny):
    """Budgets changed twice, four and one months ago, on projects of every method: PV on
    the plan in force and EV at the baseline in force, in the rollups and the S-curve."""
    from portfolio.capacity import add_months
    from portfolio.models import Portfolio
    from projects.models import BudgetBaseline, Project
    from projects.services.baseline import record_budget_change

    Portfolio.objects.update(ev_method="milestones")
    methods = ["", "percent", "0_100", "50_50"]
    this_month = timezone.localdate().replace(day=1)
    for i, project in enumerate(Project.objects.order_by("pk")):
        Project.objects.filter(pk=project.pk).update(ev_method=methods[i % 4])
        project.refresh_from_db()
        for months_ago, factor in ((4, "1.3"), (1, "0.9")):
            new_bac = (project.budget_at_completion * Decimal(factor)).quantize(Decimal("1"))
            record_budget_change(
                project=project,
                old_bac=project.budget_at_completion,
                new_bac=new_bac,
                today=add_months(this_month, -months_ago),
                by=None,
                reason="bench",
            )
            Project.objects.filter(pk=project.pk).update(budget_at_completion=new_bac)
            project.refresh_from_db()
    assert BudgetBaseline.objects.count() > TINY
    recompute()
    floor = floor_totals(as_of=timezone.localdate())

    assert differences(floor, rollup_totals()) == {}


def test_the_floor_check_notices_a_rollup_that_is_not_what_the_data_says(tiny):
    recompute()
    row = ProjectRollup.objects.order_by("pk").first()
    ProjectRollup.objects.filter(pk=row.pk).update(
        exposure=F("exposure") + 1, milestones_total=F("milestones_total") + 2
    )

    changed = differences(floor_totals(as_of=timezone.localdate()), rollup_totals())

    assert set(changed) == {"exposure", "milestones_total"}


def test_measure_rollup_reports_medians_their_ratio_and_whether_the_figures_match(tiny):
    figures = measure_rollup(runs=3)

    assert set(figures) <= set(PHASE_KEYS["rollup"])
    assert figures["rollup_projects"] == TINY
    assert figures["rollup_floor_same_figures"] is True
    assert figures["rollup_floor_mismatches"] == {}
    assert figures["rollup_full_s"] == sorted(figures["rollup_full_runs_s"])[1]
    assert figures["rollup_sql_floor_s"] == sorted(figures["rollup_sql_floor_runs_s"])[1]
    assert figures["rollup_full_best_s"] == min(figures["rollup_full_runs_s"])
    ratio = figures["rollup_full_s"] / figures["rollup_sql_floor_s"]
    assert figures["rollup_ratio"] == pytest.approx(ratio, rel=0.2)
    assert {"project_rows", "portfolio_rows", "portfolio_series", "stale_marks"} <= set(
        figures["rollup_full_breakdown_s"]
    )


# --- (c) equality check, (d) dashboard --------------------------------------------------------


def test_rollup_snapshots_differ_by_figures_not_by_when_they_were_computed(tiny):
    before = _snapshot()
    assert all(before.values()), "every rollup table has rows"
    ProjectRollup.objects.update(computed_at=timezone.now())
    recompute()  # rebuilds the series with new ids and the same figures
    assert not any(snapshot_differences(before, _snapshot()).values())

    row = ProjectRollup.objects.order_by("pk").first()
    ProjectRollup.objects.filter(pk=row.pk).update(exposure=F("exposure") + 1)
    PortfolioMonth.objects.filter(pk=PortfolioMonth.objects.order_by("pk")[0].pk).delete()
    assert snapshot_differences(before, _snapshot()) == {
        "reporting.ProjectRollup": 1,
        "reporting.PortfolioRollup": 0,
        "reporting.PortfolioMonth": 1,
        "reporting.PortfolioDemand": 0,
    }


def test_the_dashboard_measurement_says_which_page_it_measured(tiny):
    try:
        reverse(DASHBOARD_URL_NAME)
        expected = DASHBOARD_URL_NAME
    except NoReverseMatch:
        expected = FALLBACK_URL_NAME

    figures = measure_dashboard(requests=5, warmup=1)

    assert figures["page"] == expected
    assert figures["requests"] == 5
    assert 0 < figures["p50_ms"] <= figures["p95_ms"]
    assert 0 < figures["cold_p50_ms"] <= figures["cold_p95_ms"]
    # Drawn afresh, the page reads what the kept body spares it.
    assert 0 < figures["queries"] < figures["cold_queries"]


# --- results file, table, arguments ---------------------------------------------------------


def test_figures_are_merged_into_the_results_file_keeping_every_other_key(tmp_path):
    path = tmp_path / "results.json"
    bench_results.record(path, "seed_large_s", 35.8)
    bench_results.merge(path, {"rollup_ratio": 1.5, "burst_equal_full": False})
    bench_results.merge(path, {"burst_equal_full": True})

    assert json.loads(path.read_text()) == {
        "seed_large_s": 35.8,
        "rollup_ratio": 1.5,
        "burst_equal_full": True,
    }
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_seed_bench_records_through_the_shared_results_module():
    assert seed_bench.record is bench_results.record
    assert seed_bench.RESULTS == bench_results.RESULTS


def test_percentiles_interpolate_between_ranks():
    values = [float(n) for n in range(1, 41)]
    assert percentile(values, 50) == pytest.approx(20.5)
    assert percentile(values, 95) == pytest.approx(38.05)
    assert percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_the_table_marks_met_missed_and_unmeasured_budgets():
    figures = {
        "rollup_full_s": 5.0,
        "rollup_sql_floor_s": 2.0,
        "rollup_ratio": 2.5,
        "edit_visible_p95_s": 0.3,
        "burst_drain_s": 2.0,
        "burst_equal_full": False,
        "dashboard_queries_small": 5,
        "dashboard_queries_large": 6,
        "worker_peak_mb": None,
    }
    lines = {
        line.split("  ")[0]: line
        for line in table(figures, {"rollup_ratio": "JIT compilation"}).splitlines()
    }

    assert "MISSED" in lines["(a) full recompute / SQL floor"]
    assert "JIT compilation" in lines["(a) full recompute / SQL floor"]
    assert re.search(r"\bmet\b", lines["(b) edit visible, p95"])
    assert re.search(r"\bmet\b", lines["(c) burst: drained after last edit"])  # 2.0 ≤ 2 s
    assert "MISSED" in lines["(c) burst: equal to a full recompute"]
    assert "MISSED" in lines["(d) dashboard SQL queries, large"]
    assert "not measured" in lines["(e) worker peak memory (all processes)"]
    assert "(e) worker peak memory (all processes)" in missed(figures)
    assert "(b) edit visible, p95" not in missed(figures)


def test_a_trial_size_never_writes_over_the_real_results():
    assert parse_args([]).out == bench_results.RESULTS
    assert parse_args(["--projects", "20"]).out == OUT / "results-20.json"


def test_the_xlarge_size_is_fifty_thousand_projects_written_beside_the_large_figures():
    args = parse_args(["--size", "xlarge"])
    assert (args.projects, args.out) == (50_000, bench_results.RESULTS)
    with pytest.raises(SystemExit):
        parse_args(["--size", "xlarge", "--projects", "20"])
    figures = {
        "bench_projects_xlarge": 50_000,
        "rollup_ratio_xlarge": 1.4,
        "dashboard_p95_ms_xlarge": 90.0,
        "dashboard_cold_p95_ms_xlarge": 160.0,
        "dashboard_queries_large": 5,
        "dashboard_queries_xlarge": 5,
        "dashboard_cold_queries_large": 11,
        "dashboard_cold_queries_xlarge": 12,
    }
    lines = {line.split("  ")[0]: line for line in table(figures, rows=XLARGE_ROWS).splitlines()}
    assert re.search(r"\bmet\b", lines["(a) full recompute / SQL floor, xlarge"])
    assert re.search(r"\bmet\b", lines["(d) dashboard SQL queries, xlarge"])
    assert "MISSED" in lines["(d) dashboard SQL queries drawn afresh, xlarge"]
    assert "MISSED" in lines["(d) dashboard p95 drawn afresh, xlarge"]
    assert missed(figures, rows=XLARGE_ROWS) == [
        "(d) dashboard p95 drawn afresh, xlarge",
        "(d) dashboard SQL queries drawn afresh, xlarge",
    ]


def test_the_small_and_trial_databases_are_named_after_the_large_one():
    url = "postgres://bench:s%40cret@db:5433/conductor_bench"
    assert (
        sibling_database_url(url, "_small")
        == "postgres://bench:s%40cret@db:5433/conductor_bench_small"
    )
    assert sibling_database_url(url, "_p20").endswith("@db:5433/conductor_bench_p20")


def test_the_worker_is_pointed_at_the_database_the_harness_uses():
    url = database_url(
        {"NAME": "test_x", "USER": "u", "PASSWORD": "p@ss", "HOST": "h", "PORT": 5433}
    )
    assert url == "postgres://u:p%40ss@h:5433/test_x"


# --- with a real worker ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_edits_become_visible_and_a_burst_drains_to_the_full_result(
    tmp_path,
):
    generate(projects=TINY, seed=DEFAULT_SEED, today=timezone.localdate(), reset=False)
    cache.delete(SCHEDULED_KEY)
    worker = BenchWorker(
        queue=app.conf.task_default_queue,  # this test session's private queue
        database_url=database_url(connection.settings_dict),
        log_path=tmp_path / "worker.log",
    )
    with worker:
        memory = measure_worker_memory(worker=worker, timeout=60)
        edits = measure_edit_visible(worker=worker, samples=3, timeout=10)
        burst = measure_burst(worker=worker, edits=200, projects=10, threads=2, drain_timeout=30)
        pids = worker.pids()

    assert set(memory) <= set(PHASE_KEYS["memory"])
    assert memory["worker_processes"] == 3  # main process + 2 prefork children
    assert 20 < memory["worker_idle_mb"] <= memory["worker_peak_mb"]

    assert set(edits) <= set(PHASE_KEYS["edit"])
    assert edits["edit_visible_timeouts"] == 0
    assert 0 < edits["edit_visible_p50_s"] <= edits["edit_visible_p95_s"] < 10

    assert set(burst) <= set(PHASE_KEYS["burst"])
    assert burst["burst_edits"] == 200
    assert "burst_edit_errors" not in burst
    assert 1 <= burst["burst_recomputes"] <= 200
    assert burst["burst_recomputed_projects"] >= 10
    # The series are current only after the figures (they follow on a debounce), and both
    # well within the drain timeout.
    assert burst["burst_drain_s"] <= burst["burst_series_drain_s"] < 30
    assert burst["burst_series_rebuilds"] >= 1
    assert burst["burst_equal_full"] is True

    # Leaving the block stopped the worker and its pool.
    assert worker.process is None
    assert [pid for pid in pids if _running(pid)] == []


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited
