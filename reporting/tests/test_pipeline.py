"""The background pipeline with a real worker: edits converge, bursts coalesce, lost messages
are swept up."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from celery.signals import task_prerun
from django.core.cache import cache

from ppm.celery import app
from projects import services
from projects.models import Risk, RollupState
from projects.services.costs import CellKey, cost_cell_set
from projects.tasks import SCHEDULED_KEY
from projects.tests.factories import CostLineFactory, ProjectFactory, RiskFactory
from reporting.engine import recompute
from reporting.models import PortfolioMonth, PortfolioSeriesState, ProjectRollup
from reporting.tasks import SERIES_DEBOUNCE_S, SERIES_KEY, recompute_stale

pytestmark = pytest.mark.django_db(transaction=True)

FIGURES = ("exposure", "high_risks", "emv", "risk_rag", "health_rag", "open_risks")


def rollups() -> dict[int, tuple]:
    return {
        row["project_id"]: tuple(row[f] for f in FIGURES)
        for row in ProjectRollup.objects.values("project_id", *FIGURES)
    }


def wait_until_nothing_is_stale(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while RollupState.objects.filter(stale_since__isnull=False).exists():
        assert time.monotonic() < deadline, "rollups still stale"
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _no_leftover_requests():
    """Start from an empty queue and no pending-request keys: an edit made by an earlier test
    with no worker running (a browser test, say) leaves both behind, and a worker started
    here would take that message and the key would swallow this test's first request."""
    app.control.purge()
    cache.delete_many([SCHEDULED_KEY, SERIES_KEY])
    yield


@pytest.fixture
def portfolio_of_projects(pm):
    projects = [ProjectFactory(manager=pm) for _ in range(6)]
    risks = [RiskFactory(project=p, probability=1, impact=1) for p in projects for _ in range(2)]
    recompute()
    return projects, risks


@pytest.fixture
def runs():
    """Count recompute_stale runs in this process's worker, as they start: a run's figures are
    committed before it returns, so a count taken at its end could still be missing it."""
    counter = {"n": 0}

    def count(sender=None, **kwargs):
        if sender is not None and sender.name == "projects.recompute_stale":
            counter["n"] += 1

    task_prerun.connect(count, weak=False)
    yield counter
    task_prerun.disconnect(count)


def test_edits_made_while_the_worker_is_down_converge_once_it_starts(
    pm, portfolio_of_projects, request
):
    _, risks = portfolio_of_projects
    for n, risk in enumerate(risks):
        risk = Risk.objects.get(pk=risk.pk)
        services.raid_update(
            item=risk,
            expected_version=risk.version,
            by=pm,
            probability=1 + n % 5,
            impact=5,
            cost_impact=Decimal(1000 * n),
        )
    assert RollupState.objects.filter(stale_since__isnull=False).count() == 6

    request.getfixturevalue("celery_worker")  # the worker starts now, with work queued
    wait_until_nothing_is_stale()

    pipeline = rollups()
    recompute()  # from scratch
    assert pipeline == rollups()


def test_a_lost_message_delays_a_figure_but_the_sweep_recovers_it(
    pm, portfolio_of_projects, celery_worker
):
    _, risks = portfolio_of_projects
    # The request was made but its message is lost (a broker outage): no task will come.
    cache.set(SCHEDULED_KEY, "1", timeout=30)
    risk = Risk.objects.get(pk=risks[0].pk)
    services.raid_update(item=risk, expected_version=risk.version, by=pm, probability=5, impact=5)
    time.sleep(0.5)
    assert RollupState.objects.filter(stale_since__isnull=False).count() == 1

    recompute_stale.apply_async()  # what beat's 30 s sweep sends
    wait_until_nothing_is_stale()
    assert ProjectRollup.objects.get(project=risk.project_id).exposure == 25 + 1


def test_a_burst_of_edits_coalesces_into_few_recomputes(
    pm, portfolio_of_projects, celery_worker, runs
):
    _, risks = portfolio_of_projects
    versions = {r.pk: r.version for r in risks}
    edits = 0
    for round_ in range(20):
        for risk in risks:
            item = Risk(
                pk=risk.pk, project_id=risk.project_id, status="open", version=versions[risk.pk]
            )
            services.raid_update(
                item=item,
                expected_version=versions[risk.pk],
                by=pm,
                probability=1 + (round_ + edits) % 5,
            )
            versions[risk.pk] += 1
            edits += 1
    wait_until_nothing_is_stale()

    assert edits == 240
    assert 1 <= runs["n"] < edits / 4, runs["n"]
    pipeline = rollups()
    recompute()
    assert pipeline == rollups()


def test_two_workers_share_stale_work_without_double_counting(pm, portfolio_of_projects):
    """Two sweeps at once (as with two workers): SKIP LOCKED keeps them off each other's rows."""
    import threading

    from django.db import connection

    projects, _ = portfolio_of_projects
    RollupState.objects.update(requested=5, stale_since="2026-01-01T00:00:00Z")
    done: list[int] = []

    def sweep():
        try:
            done.append(recompute_stale.run())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(done) >= len(projects)
    assert not RollupState.objects.filter(stale_since__isnull=False).exists()
    assert set(RollupState.objects.values_list("computed", flat=True)) == {5}


def series(portfolio_id: int) -> list[tuple]:
    return list(
        PortfolioMonth.objects.filter(portfolio_id=portfolio_id)
        .order_by("month")
        .values_list("month", "planned", "actual", "forecast", "ev")
    )


def test_the_s_curve_follows_a_burst_of_cost_edits_in_one_debounced_rebuild(pm, celery_worker):
    project = ProjectFactory(manager=pm)
    line = CostLineFactory(project=project, planned=Decimal("100.00"))
    recompute()
    rebuilds = {"n": 0}

    def count(sender=None, **kwargs):
        if sender is not None and sender.name == "projects.rebuild_stale_series":
            rebuilds["n"] += 1

    task_prerun.connect(count, weak=False)
    try:
        key = CellKey(line.month, line.expense_type, line.category)
        version = line.version
        for n in range(1, 21):
            cost_cell_set(
                project=project,
                key=key,
                amount_field="planned",
                amount=Decimal(100 + n),
                by=pm,
                expected_version=version,
            )
            version += 1
        wait_until_nothing_is_stale()
        # The tiles are current; the series wait for the debounce, then converge.
        deadline = time.monotonic() + SERIES_DEBOUNCE_S + 20
        while PortfolioSeriesState.objects.filter(stale_since__isnull=False).exists():
            assert time.monotonic() < deadline, "series still stale"
            time.sleep(0.05)
    finally:
        task_prerun.disconnect(count)

    assert series(project.portfolio_id)[0][1] == Decimal("120.00")
    assert 1 <= rebuilds["n"] <= 3, rebuilds["n"]
    pipeline = series(project.portfolio_id)
    recompute()
    assert pipeline == series(project.portfolio_id)


def test_the_queue_is_this_sessions_own():
    assert app.conf.task_default_queue.startswith("conductor-test-")
