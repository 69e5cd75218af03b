"""A real Celery worker for the benchmark: started as a subprocess, watched, always stopped.

`BenchWorker` runs `celery -A bench.celery_app worker --pool prefork` (Conductor's app plus
counters, see bench/celery_app.py) against the harness's own database, Redis and queue, with
DEBUG off like a deployed worker. It is a context manager: leaving the block — normally, by
an exception or by Ctrl-C — stops the worker and every pool process it forked; the Linux
parent-death signal stops it even if the harness itself is killed.

It also reads what the worker did (task counters in Redis) and how much memory its processes
use (/proc), which is how the harness measures the burst and the peak memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


class WorkerError(Exception):
    """The worker did not start, died, or did not finish a task in time."""


def database_url(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL naming the database Django is connected to right now.

    Under pytest that is the test database, which DATABASE_URL in the environment does not
    name; the worker must use the same one as the harness.
    """
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to SIGTERM the worker when the harness dies (elsewhere: none)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl

    def preexec() -> None:
        prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG

    return preexec


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the ppid follows the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _status_kib(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class MemoryPeak:
    """What the sampler saw: the largest sum of resident memory over the worker's processes,
    and the high-water mark of the largest single process (kernel's VmHWM)."""

    samples: int = 0
    peak_total_kib: int = 0
    peak_process_kib: int = 0
    processes: int = 0

    @property
    def peak_total_mb(self) -> float:
        return round(self.peak_total_kib / 1024, 1)

    @property
    def peak_process_mb(self) -> float:
        return round(self.peak_process_kib / 1024, 1)


class BenchWorker:
    """One Celery worker subprocess consuming `queue`, with `concurrency` prefork children."""

    def __init__(
        self,
        *,
        queue: str,
        database_url: str,
        concurrency: int = 2,
        log_path: Path,
        ready_timeout: float = 90,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.queue = queue
        self.extra_env = extra_env or {}
        self.database_url = database_url
        self.concurrency = concurrency
        self.log_path = log_path
        self.ready_timeout = ready_timeout
        self.hostname = f"bench-{uuid.uuid4().hex[:8]}@localhost"
        self.process: subprocess.Popen | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        from django.conf import settings

        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=settings.REDIS_URL,
            CELERY_QUEUE=self.queue,
            CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
            DJANGO_SETTINGS_MODULE="ppm.settings",
            PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
            PYTHONUNBUFFERED="1",
            # A deployed worker runs with DEBUG off (no query log kept in memory); the settings
            # then insist on a real secret and named hosts, which a worker never uses.
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="localhost",
        )
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        from bench.celery_app import client, ready_key

        client().delete(ready_key(self.hostname))
        argv = [
            str(VENV_BIN / "celery"),
            *("-A", "bench.celery_app", "worker"),
            *("--pool", "prefork", "--concurrency", str(self.concurrency)),
            *("-Q", self.queue, "-n", self.hostname, "--loglevel", "INFO"),
            # A lone worker: no peers to synchronise with, nothing to wait for at start.
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:  # this worker's log only
            self.process = subprocess.Popen(
                argv,
                env=self.environment(),
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: Ctrl-C reaches the harness
                preexec_fn=_die_with_parent(),
            )
        deadline = time.monotonic() + self.ready_timeout
        while client().get(ready_key(self.hostname)) is None:
            self.check_alive()
            if time.monotonic() > deadline:
                raise WorkerError(
                    f"the worker was not ready within {self.ready_timeout:g} s; "
                    f"see {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            code = None if self.process is None else self.process.returncode
            raise WorkerError(
                f"the worker stopped (exit code {code}); see {self.log_path}:\n{self.log_tail()}"
            )

    def stop(self, *, timeout: float = 20) -> None:
        """Warm shutdown (SIGTERM: finish the running task); then kill its process group."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout)
        # Pool children that outlived their parent are in the group we created for it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.poll() is None:
            process.wait(5)

    def __enter__(self) -> BenchWorker:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text[-lines:])

    # --- what it did -------------------------------------------------------------------

    def reset_stats(self) -> None:
        from bench.celery_app import client, stats_key

        client().delete(stats_key())

    def stats(self) -> dict[str, int]:
        from bench.celery_app import client, stats_key

        raw = client().hgetall(stats_key())
        return {key.decode(): int(value) for key, value in raw.items()}

    def check_healthy(self) -> None:
        """Raise if the worker died or a task failed since the last reset_stats()."""
        self.check_alive()
        failed = {k: v for k, v in self.stats().items() if k.endswith(":failed") and v}
        if failed:
            raise WorkerError(
                f"tasks failed in the worker ({failed}); see {self.log_path}:\n{self.log_tail(5)}"
            )

    def wait_idle(self, task: str, *, timeout: float, settle: float = 0.5) -> None:
        """Wait until every started run of `task` has finished and none started for `settle` s
        (a run queued by the last edit may still be on its way)."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        last = None
        while True:
            self.check_healthy()
            counts = self.stats()
            now = time.monotonic()
            started = counts.get(f"{task}:started", 0)
            finished = counts.get(f"{task}:finished", 0)
            # finished > started: a run that began before the last reset_stats() ended since.
            if started <= finished and (started, finished) == last:
                quiet_since = quiet_since or now
                if now - quiet_since >= settle:
                    return
            else:
                quiet_since = None
            last = (started, finished)
            if now > deadline:
                raise WorkerError(f"{task}: {started} runs started, {finished} finished")
            time.sleep(0.05)

    def wait_done(self, task_id: str, *, timeout: float) -> dict[str, Any]:
        """Wait for the task with this id to finish; return what the worker recorded."""
        from bench.celery_app import client, done_key

        deadline = time.monotonic() + timeout
        while True:
            raw = client().get(done_key(task_id))
            if raw is not None:
                done = json.loads(raw)
                if done.get("state") != "SUCCESS":
                    raise WorkerError(
                        f"task {task_id} ended in state {done.get('state')}; see "
                        f"{self.log_path}:\n{self.log_tail(5)}"
                    )
                return done
            self.check_alive()
            if time.monotonic() > deadline:
                raise WorkerError(f"task {task_id} did not finish within {timeout:g} s")
            time.sleep(0.02)

    # --- memory --------------------------------------------------------------------------

    def pids(self) -> list[int]:
        """The worker's main process and every process it forked (the pool)."""
        if self.process is None:
            return []
        children = _children_by_parent()
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def resident_kib(self) -> tuple[int, int, int]:
        """(sum of VmRSS, largest VmHWM, process count) over the worker's processes now."""
        pids = self.pids()
        total = sum(_status_kib(pid, "VmRSS") for pid in pids)
        peak = max((_status_kib(pid, "VmHWM") for pid in pids), default=0)
        return total, peak, len(pids)

    def sample_memory_while(
        self, wait: Callable[[], Any], *, interval: float = 0.02
    ) -> tuple[Any, MemoryPeak]:
        """Call `wait()` (which returns when the work is done) while a thread samples the
        worker's memory every `interval` seconds; return its result and the peak seen."""
        peak = MemoryPeak()
        stop = threading.Event()

        def sample() -> None:
            while True:
                total, process_hwm, count = self.resident_kib()
                peak.samples += 1
                peak.peak_total_kib = max(peak.peak_total_kib, total)
                peak.peak_process_kib = max(peak.peak_process_kib, process_hwm)
                peak.processes = max(peak.processes, count)
                if stop.wait(interval):
                    return

        sampler = threading.Thread(target=sample, name="bench-memory-sampler", daemon=True)
        sampler.start()
        try:
            result = wait()
        finally:
            stop.set()
            sampler.join(5)
        # One more reading after the task: VmHWM keeps the peak even between two samples.
        total, process_hwm, _ = self.resident_kib()
        peak.peak_total_kib = max(peak.peak_total_kib, total)
        peak.peak_process_kib = max(peak.peak_process_kib, process_hwm)
        return result, peak
