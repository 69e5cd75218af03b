"""A report schedule fires through real processes — `celery beat` and a `celery worker`,
started as a user starts them — and fires once when the worker was down at the due time.

Beat queues the dispatcher every REPORT_DISPATCH_SECONDS (2 here, 60 in production). While no
worker runs, those messages wait in Redis; when the worker comes back it runs them all, and
the conditional UPDATE on the schedule row lets exactly one of them fire the due time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from portfolio.tests.factories import PortfolioFactory, make_user
from ppm.celery import app
from ppm.roles import Role
from projects.tests.factories import ProjectFactory
from reporting.choices import Cadence, DeliveryStatus, ReportKind, RunStatus
from reporting.engine import recompute
from reporting.models import ReportDefinition, ReportDelivery, ReportRun, ReportSchedule

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CELERY = str(Path(sys.executable).with_name("celery"))


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_database_url(),
        CELERY_QUEUE=app.conf.task_default_queue,
        REPORT_DISPATCH_SECONDS="2",
        MEDIA_ROOT=str(tmp_path / "media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PYTHONUNBUFFERED="1",
    )
    return env


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self.handle = log.open("wb")
        self.popen = subprocess.Popen(
            [CELERY, "-A", "ppm", *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self.handle.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def wait_for(condition: Callable[[], bool], what: str, processes, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.output()}" for p in processes)
            pytest.fail(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.25)


def test_a_schedule_due_while_the_worker_is_down_fires_once_when_it_is_back(tmp_path):
    app.control.purge()
    director = make_user("dora", Role.DIRECTOR, email="dora@example.org")
    portfolio = PortfolioFactory(director=director, name="Enterprise Applications")
    ProjectFactory(portfolio=portfolio, manager=make_user("ana", Role.PROJECT_MANAGER))
    recompute()
    definition = ReportDefinition.objects.create(name="Weekly summary", kind=ReportKind.SUMMARY)
    definition.recipients.set([director])
    due = timezone.now() + timedelta(seconds=3)
    # Mondays at 07:00 — and, this once, in three seconds.
    ReportSchedule.objects.create(
        definition=definition, cadence=Cadence.WEEKLY, cron="0 7 * * 1", next_run_at=due
    )
    env = _environment(tmp_path)
    queue = app.conf.task_default_queue
    processes: list[Process] = []
    try:
        beat = Process(
            "beat",
            ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
            env,
            tmp_path / "beat.log",
        )
        processes.append(beat)
        # The due time passes with beat queuing the dispatcher and no worker to run it.
        wait_for(
            lambda: (
                timezone.now() > due + timedelta(seconds=5)
                and beat.output().count("reporting.dispatch_reports") >= 3
            ),
            "beat to queue the dispatcher several times",
            processes,
        )
        assert not ReportRun.objects.exists()
        worker = Process(
            "worker",
            [
                "worker",
                "--loglevel",
                "INFO",
                "--pool",
                "solo",
                "--queues",
                f"{queue},{queue}-reports",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"reports-test-{os.getpid()}@%h",
            ],
            env,
            tmp_path / "worker.log",
        )
        processes.append(worker)
        wait_for(
            lambda: (
                ReportRun.objects.filter(status=RunStatus.DONE).exists()
                and ReportDelivery.objects.filter(status=DeliveryStatus.SENT).exists()
            ),
            "the run to be rendered and mailed",
            processes,
        )
        # Several more dispatcher ticks: still the one run.
        ticks = beat.output().count("reporting.dispatch_reports")
        wait_for(
            lambda: beat.output().count("reporting.dispatch_reports") >= ticks + 2,
            "two more dispatcher ticks",
            processes,
        )
        time.sleep(1)
    finally:
        for process in processes:
            process.stop()
    (run,) = ReportRun.objects.all()
    assert run.definition == definition and run.scheduled_for == due
    assert run.pages >= 1 and (tmp_path / "media" / run.file.name).exists()
    (sent,) = ReportDelivery.objects.all()
    assert sent.status == DeliveryStatus.SENT and sent.recipient == director
    schedule = ReportSchedule.objects.get(pk=definition.pk)
    assert schedule.next_run_at > timezone.now() and schedule.last_fired_at > due
