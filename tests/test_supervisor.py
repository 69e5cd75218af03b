"""The supervisor behind `make run` (scripts/supervisor.py): a process that dies is started
again after a delay that doubles while it keeps dying, the others keep running, and stopping
leaves no process behind. The end-to-end case (SIGKILL to the real Celery worker under
`make run`) is in tests/test_run_command.py."""

from __future__ import annotations

import io
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from supervisor import (
    Backoff,
    ProcfileEntry,
    Supervisor,
    describe_exit,
    read_procfile,
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); its state letter says it is gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _run_until(supervisor: Supervisor, done, *, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not done():
        assert time.monotonic() < deadline, "the supervisor did not get there"
        supervisor.poll(0.05)


def test_the_delay_doubles_while_a_process_keeps_dying_and_resets_after_a_stable_run():
    backoff = Backoff(first=1, cap=8, stable_after=60)

    delays = [backoff.delay_after(ran_for=0.5) for _ in range(6)]
    after_a_long_run = backoff.delay_after(ran_for=61)

    assert delays == [1, 2, 4, 8, 8, 8]
    assert after_a_long_run == 1


def test_the_procfile_is_read_as_name_and_command(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        "# comment\n\nweb: gunicorn a:b --bind 127.0.0.1:$PORT\nbeat: celery beat\n"
    )

    assert read_procfile(procfile) == [
        ProcfileEntry("web", "gunicorn a:b --bind 127.0.0.1:$PORT"),
        ProcfileEntry("beat", "celery beat"),
    ]
    procfile.write_text("no colon here\n")
    with pytest.raises(ValueError, match="line 1"):
        read_procfile(procfile)


def test_a_dead_process_is_restarted_with_a_growing_delay_while_the_others_keep_running(
    capfd,
):
    output = io.BytesIO()
    supervisor = Supervisor(
        [
            ProcfileEntry("steady", "sleep 60"),
            ProcfileEntry("crasher", "echo crasher up on $PORT; exit 3"),
        ],
        env=dict(os.environ),
        cwd=Path.cwd(),
        port=8123,
        backoff=lambda: Backoff(first=0.05, cap=0.2, stable_after=60),
        output=output,
    )
    supervisor.start()
    try:
        steady = supervisor.pids()["steady"]
        crasher = supervisor.children[1]
        _run_until(supervisor, lambda: crasher.restarts >= 4 and crasher.process is None)

        assert supervisor.pids()["steady"] == steady
        assert _alive(steady)
    finally:
        supervisor.stop(timeout=5)

    log = capfd.readouterr().err
    delays = re.findall(
        r"crasher exited with code 3 after [\d.]+ s; restarting it in ([\d.]+) s", log
    )
    # Doubling up to the cap, never a restart without a pause.
    assert delays[:5] == ["0.05", "0.1", "0.2", "0.2", "0.2"]
    assert "crasher restarted (pid" in log
    assert output.getvalue().count(b"crasher | crasher up on 8123") >= 5
    assert not _alive(steady)


def test_a_killed_process_takes_its_children_with_it_and_comes_back(capfd):
    supervisor = Supervisor(
        # A parent with a child of its own, as celery's worker has its pool processes.
        [ProcfileEntry("worker", "sh -c 'sleep 60 & echo $!; wait'")],
        env=dict(os.environ),
        cwd=Path.cwd(),
        port=8123,
        backoff=lambda: Backoff(first=0.05),
        output=io.BytesIO(),
    )
    supervisor.start()
    try:
        child = supervisor.children[0]
        _run_until(supervisor, lambda: b"|" in supervisor.output.getvalue())
        first = child.process.pid
        grandchild = int(supervisor.output.getvalue().split(b"| ")[1].split()[0])
        assert _alive(grandchild)

        os.kill(first, signal.SIGKILL)
        _run_until(supervisor, lambda: child.process is not None and child.process.pid != first)

        assert not _alive(grandchild)
        assert child.restarts == 1
    finally:
        supervisor.stop(timeout=5)
    assert "worker was killed by SIGKILL" in capfd.readouterr().err


def test_exit_descriptions_name_the_signal():
    assert describe_exit(-9) == "was killed by SIGKILL"
    assert describe_exit(1) == "exited with code 1"
