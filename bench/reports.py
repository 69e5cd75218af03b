"""(g) PDF reports at the large size.

- `pdf_pack_s`: the portfolio health pack of the large data's portfolio whose pack comes
  nearest ten pages, rendered in this process — one core, as one report worker process
  renders it: the page built from the figures (reporting.pdf.documents.build_html) and laid
  out as a PDF (reporting.pdf.render.html_to_pdf), the cycle collector paused for both as in
  reporting.pdf.render.render_report, and the collection of what it leaves timed after it
  (`pdf_pack_collect_s`). The median of PACK_RUNS warm renders; the
  first (fonts loaded, templates compiled) is reported on its own as `pdf_pack_cold_s`.
- `dashboard_p95_ms_idle` / `dashboard_p95_ms_during_pdf`: the dashboard's server time
  (bench.phases.measure_dashboard, as served) with no report rendering, then while a real
  report worker (CELERY_WORKER_ROLE=reports: its own queue, lower CPU priority) renders packs
  back to back; the run keeps packs queued for the whole measurement and records how many
  finished. Target: during ≤ 1.5 × idle.
"""

from __future__ import annotations

import gc
import statistics
import time
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from bench.phases import DASHBOARD_USER, measure_dashboard

PACK_RUNS = 3
TARGET_PAGES = 10
# The pack's pages before its register of projects (cover, contents, figures, charts, risks,
# slips, decisions, changes), and the register's lines per page.
FIXED_PAGES = 6
LINES_PER_PAGE = 80


def _pack_portfolio():
    """The portfolio whose in-flight projects fill about TARGET_PAGES pages of lines."""
    from portfolio.models import Portfolio
    from projects.selectors import IN_FLIGHT_STATES

    portfolios = Portfolio.objects.annotate(
        live=Count("projects", filter=Q(projects__state__in=IN_FLIGHT_STATES))
    ).order_by("pk")
    want = (TARGET_PAGES - FIXED_PAGES) * LINES_PER_PAGE
    return min(portfolios, key=lambda p: abs(p.live - want))


def _run_for(portfolio, reader):
    from reporting.choices import ReportKind, RunTrigger
    from reporting.models import ReportRun
    from reporting.services.reports import scope_label

    run = ReportRun.objects.create(
        kind=ReportKind.PACK,
        title=f"Portfolio health pack: {portfolio.name}",
        trigger=RunTrigger.DOWNLOAD,
        requested_by=reader,
        portfolio_ids=[portfolio.pk],
        scope_label=scope_label([portfolio.pk]),
        since=timezone.localdate() - timedelta(days=7),
    )
    run.readers.set([reader])
    return run


def measure_pdf_pack(*, runs: int = PACK_RUNS) -> dict[str, Any]:
    from reporting.pdf.documents import build_html
    from reporting.pdf.render import html_to_pdf, no_cyclic_collection

    reader = get_user_model().objects.get(username=DASHBOARD_USER)
    portfolio = _pack_portfolio()
    run = _run_for(portfolio, reader)
    timings: list[tuple[float, float]] = []
    pages = 0
    for _ in range(runs + 1):
        # As the report worker renders (reporting.pdf.render.render_report): the cycle
        # collector paused for the whole report. The cycles WeasyPrint leaves are collected
        # when the collector next runs; here that collection is made at once and timed as
        # part of the run, so the pause cannot hide its cost.
        with no_cyclic_collection():
            began = time.perf_counter()
            html = build_html(run, as_of=timezone.now())
            built = time.perf_counter()
            _pdf, pages = html_to_pdf(html)
            laid_out = time.perf_counter()
        gc.collect()
        timings.append((built - began, laid_out - built, time.perf_counter() - laid_out))
    run.delete()
    cold, warm = timings[0], timings[1:]
    totals = [sum(parts) for parts in warm]
    return {
        "pdf_pack_pages": pages,
        "pdf_pack_s": round(statistics.median(totals), 2),
        "pdf_pack_runs_s": [round(t, 2) for t in totals],
        "pdf_pack_html_s": round(statistics.median(a for a, _, _ in warm), 2),
        "pdf_pack_layout_s": round(statistics.median(b for _, b, _ in warm), 2),
        "pdf_pack_collect_s": round(statistics.median(c for _, _, c in warm), 2),
        "pdf_pack_cold_s": round(sum(cold), 2),
        "pdf_pack_portfolio_projects": portfolio.live,
    }


def measure_dashboard_during_pdf(*, report_worker, requests: int = 50) -> dict[str, Any]:
    """The dashboard idle, then while `report_worker` (started by the caller) renders packs."""
    from reporting.choices import RunStatus
    from reporting.models import ReportRun
    from reporting.services.reports import send_render

    idle = measure_dashboard(requests=requests)
    reader = get_user_model().objects.get(username=DASHBOARD_USER)
    portfolio = _pack_portfolio()
    made: list[int] = []

    def keep_busy(depth: int = 2) -> None:
        waiting = ReportRun.objects.filter(
            pk__in=made, status__in=[RunStatus.QUEUED, RunStatus.RENDERING]
        ).count()
        for _ in range(depth - waiting):
            run = _run_for(portfolio, reader)
            made.append(run.pk)
            send_render(run.pk)

    keep_busy()
    deadline = time.monotonic() + 60
    while not ReportRun.objects.filter(pk__in=made, status=RunStatus.RENDERING).exists():
        report_worker.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError("the report worker did not start rendering within 60 s")
        time.sleep(0.1)
    # measure_dashboard runs for a while: top the queue up from a thread as packs finish.
    import threading

    from django.db import connection

    stop = threading.Event()

    def top_up() -> None:
        try:
            while not stop.wait(0.5):
                keep_busy()
        finally:
            connection.close()

    helper = threading.Thread(target=top_up, daemon=True)
    helper.start()
    try:
        during = measure_dashboard(requests=requests)
    finally:
        stop.set()
        helper.join()
    done = ReportRun.objects.filter(pk__in=made, status=RunStatus.DONE)
    rendered = [
        (r.finished_at - r.started_at).total_seconds() for r in done if r.started_at is not None
    ]
    failed = ReportRun.objects.filter(pk__in=made, status=RunStatus.FAILED).count()
    # The benchmark's runs and files go (a run still rendering loses its conditional UPDATE
    # and deletes its own file).
    for run in ReportRun.objects.filter(pk__in=made).exclude(file=""):
        run.file.delete(save=False)
    ReportRun.objects.filter(pk__in=made).delete()
    return {
        "dashboard_p95_ms_idle": idle["p95_ms"],
        "dashboard_p95_ms_during_pdf": during["p95_ms"],
        "dashboard_cold_p95_ms_idle": idle["cold_p95_ms"],
        "dashboard_cold_p95_ms_during_pdf": during["cold_p95_ms"],
        "dashboard_during_pdf_ratio": round(during["p95_ms"] / idle["p95_ms"], 2)
        if idle["p95_ms"]
        else None,
        "pdf_packs_rendered_during": len(rendered),
        "pdf_packs_failed_during": failed,
        "pdf_worker_render_mean_s": round(statistics.fmean(rendered), 2) if rendered else None,
    }
