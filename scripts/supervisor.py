"""Runs the Procfile's processes for `make run` and restarts any that dies.

honcho, which ran them before, stops everything as soon as one process exits: a worker killed
by the kernel's OOM killer took web and beat down with it. Here a process that dies is started
again after a delay, and the delay doubles on every death in quick succession (1 s, 2 s, 4 s …
up to a minute), so a process that cannot start waits longer and longer rather than spinning;
a run that lasted a minute resets it. Every death and restart is said in the log.

Single-threaded on purpose: children get a parent-death signal through preexec_fn, which is
only safe in a process with one thread, so output is read with a selector rather than threads.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from embedded import die_with_parent, say

# `;`, `&`, `|` or a newline: a list or pipeline the shell must stay around to run.
_SHELL_LIST = re.compile(r"[;&|\n]")


@dataclass
class Backoff:
    """How long to wait before restarting a process that has just died."""

    first: float = 1.0
    cap: float = 60.0
    # A process that ran this long was healthy: its next death starts the series again.
    stable_after: float = 60.0
    _next: float = field(default=0.0, init=False)

    def delay_after(self, ran_for: float) -> float:
        if self._next == 0.0 or ran_for >= self.stable_after:
            self._next = self.first
        delay = self._next
        self._next = min(self._next * 2, self.cap)
        return delay


@dataclass(frozen=True)
class ProcfileEntry:
    name: str
    command: str


def read_procfile(path: Path) -> list[ProcfileEntry]:
    """`name: command` lines; blank lines and comments are skipped."""
    entries = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip().isidentifier() or not command.strip():
            raise ValueError(f"{path.name} line {number} is not `name: command`: {raw!r}")
        entries.append(ProcfileEntry(name.strip(), command.strip()))
    return entries


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-returncode).name}"
        return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass
class Child:
    """One Procfile entry: its current process, if any, and when it is due to start again."""

    entry: ProcfileEntry
    backoff: Backoff
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    restarts: int = 0
    pending: bytes = b""


class Supervisor:
    """Starts every entry, copies their output to ours with a name prefix, restarts the dead."""

    def __init__(
        self,
        entries: list[ProcfileEntry],
        *,
        env: dict[str, str],
        cwd: Path,
        port: int,
        backoff: Callable[[], Backoff] = Backoff,
        output: BinaryIO | None = None,
    ) -> None:
        self.children = [Child(entry, backoff()) for entry in entries]
        self.env = env
        self.cwd = cwd
        self.port = port
        self.output = output if output is not None else sys.stdout.buffer
        self.selector = selectors.DefaultSelector()
        self.width = max((len(e.name) for e in entries), default=0)

    # --- starting ---------------------------------------------------------------------------

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        env = {**self.env, "PORT": str(self.port)}
        command = child.entry.command
        if not _SHELL_LIST.search(command):
            # A single command replaces the shell: the pid we report is gunicorn's or celery's.
            command = f"exec {command}"
        child.process = subprocess.Popen(
            ["/bin/sh", "-c", command],
            env=env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own process group: worker pool processes and gunicorn workers can be stopped
            # together with their parent, and a terminal's Ctrl-C reaches only the runner,
            # which then stops everything in order.
            process_group=0,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        child.pending = b""
        os.set_blocking(child.process.stdout.fileno(), False)
        self.selector.register(child.process.stdout, selectors.EVENT_READ, child)
        if child.restarts:
            say(f"{child.entry.name} restarted (pid {child.process.pid}, restart {child.restarts})")
        else:
            say(f"{child.entry.name} started (pid {child.process.pid})")

    # --- watching ---------------------------------------------------------------------------

    def poll(self, timeout: float) -> None:
        """Copy what the children printed, notice deaths and start those that are due."""
        for key, _ in self.selector.select(timeout):
            self._read(key.data)
        now = time.monotonic()
        for child in self.children:
            process = child.process
            if process is not None and process.poll() is not None:
                self._drain(child)
                self._on_death(child, now)
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)

    def _on_death(self, child: Child, now: float) -> None:
        process = child.process
        assert process is not None
        # What it left behind (celery's pool processes, gunicorn's workers) goes with it.
        _kill_group(process.pid, signal.SIGKILL)
        ran_for = now - child.started_at
        delay = child.backoff.delay_after(ran_for)
        child.process = None
        child.restart_at = now + delay
        say(
            f"{child.entry.name} {describe_exit(process.returncode)} after {ran_for:.1f} s; "
            f"restarting it in {delay:g} s"
        )

    def _read(self, child: Child) -> None:
        process = child.process
        if process is None:
            return
        try:
            chunk = os.read(process.stdout.fileno(), 65536)
        except BlockingIOError:
            return
        if not chunk:
            return
        data = child.pending + chunk
        *lines, child.pending = data.split(b"\n")
        for line in lines:
            self._write(child, line)

    def _drain(self, child: Child) -> None:
        """Read the last output of a process that has exited, then forget its pipe."""
        process = child.process
        assert process is not None
        with contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(process.stdout.fileno(), 65536):
                child.pending += chunk
        for line in child.pending.split(b"\n"):
            if line:
                self._write(child, line)
        child.pending = b""
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(process.stdout)
        process.stdout.close()

    def _write(self, child: Child, line: bytes) -> None:
        stamp = time.strftime("%H:%M:%S")
        prefix = f"{stamp} {child.entry.name:<{self.width}} | ".encode()
        self.output.write(prefix + line.rstrip(b"\r") + b"\n")
        self.output.flush()

    def pids(self) -> dict[str, int | None]:
        return {c.entry.name: c.process.pid if c.process else None for c in self.children}

    # --- stopping ---------------------------------------------------------------------------

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM to every process group (as honcho did), then SIGKILL to what is left after
        `timeout`. gunicorn and celery treat SIGTERM as a graceful stop in master and
        workers alike, and a shell around a compound command passes on nothing."""
        for child in self.children:
            child.restart_at = None
            if child.process is not None and child.process.poll() is None:
                _kill_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
            c.process is not None and c.process.poll() is None for c in self.children
        ):
            for key, _ in self.selector.select(0.1):
                self._read(key.data)
        for child in self.children:
            process = child.process
            if process is None:
                continue
            if process.poll() is None:
                say(f"{child.entry.name} did not stop within {timeout:g} s; killing it")
            # The group may outlive its leader (a pool process still finishing a task).
            _kill_group(process.pid, signal.SIGKILL)
            process.wait()
            self._drain(child)
            child.process = None
        self.selector.close()
