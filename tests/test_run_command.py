"""`make run` end to end, the way a newcomer meets it: on a copy of the project, with no
DATABASE_URL or REDIS_URL, it starts PostgreSQL, Redis, web, worker and beat, serves the demo
sign-in, brings back a worker killed with SIGKILL while web keeps serving, and Ctrl-C (or
SIGTERM) leaves no process behind.

The copy leaves out .venv, .data and .git; its .venv is a symlink to the virtualenv running these
tests, which holds the same lock, so `make run` finds its install stamp and starts at once.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOT_COPIED = (".venv", ".data", ".git", "__pycache__", ".pytest_cache", ".ruff_cache")
NOT_COPIED += ("staticfiles", "media", "test-results", "*.egg-info")
# A newcomer's shell names no servers and no settings: drop what this test run itself was given.
NOT_PASSED_ON = {"DATABASE_URL", "REDIS_URL", "PORT", "PGPORT", "REDISPORT", "DEMO_DATA"}
NOT_PASSED_ON |= {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "PYTHONPATH"}
NOT_PASSED_ON |= {"DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
# Nor which pytest-xdist worker runs this test (settings read it).
NOT_PASSED_ON |= {"PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"}
NOT_PASSED_ON |= {"REDIS_URL_OF_WORKER"}


def _newcomer_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in NOT_PASSED_ON and not k.startswith(("SECURE_", "SESSION_", "CSRF_COOKIE_"))
    }
    return {**env, **extra}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# Requests to ourselves must never go through a proxy named in the environment.
_NO_PROXY = urllib.request.ProxyHandler({})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class RunningApp:
    """One `make run` in the copy, in its own process group as a terminal would give it."""

    def __init__(self, folder: Path, log: Path) -> None:
        self.folder = folder
        self.log = log
        self.port, self.pgport, self.redisport = _free_port(), _free_port(), _free_port()
        env = _newcomer_env(
            PORT=str(self.port), PGPORT=str(self.pgport), REDISPORT=str(self.redisport)
        )
        self.started = time.monotonic()
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                ["make", "run"],
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 180) -> float:
        browser = urllib.request.build_opener(_NO_PROXY)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"make run exited with {self.process.returncode}:\n{self.output()}")
            try:
                with browser.open(f"{self.url}/healthz", timeout=10) as response:
                    if response.status == 200:
                        return time.monotonic() - self.started
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        pytest.fail(f"/healthz did not answer 200 within {timeout} s:\n{self.output()[-5000:]}")

    def stop(self, sig: signal.Signals, *, whole_group: bool) -> int:
        if self.process.poll() is not None:
            return self.process.returncode
        if whole_group:
            os.killpg(self.process.pid, sig)  # what Ctrl-C does: the terminal signals the group
        else:
            self.process.send_signal(sig)  # what `kill PID` does
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            pytest.fail(f"make run did not stop within 60 s of {sig.name}:\n{self.output()}")

    def pid_of(self, name: str) -> int:
        """The pid the supervisor last announced for a Procfile process."""
        found = re.findall(rf"conductor: {name} (?:re)?started \(pid (\d+)", self.output())
        assert found, f"no pid announced for {name}:\n{self.output()[-3000:]}"
        return int(found[-1])

    def keep_asking_until(self, done, timeout: float = 60) -> list[int]:
        """Ask for the sign-in page (rendered by web alone) until `done()`; the statuses."""
        browser = urllib.request.build_opener(_NO_PROXY)
        statuses = []
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                pytest.fail(f"not done within {timeout} s:\n{self.output()[-5000:]}")
            try:
                with browser.open(f"{self.url}/accounts/login/", timeout=10) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
            except (urllib.error.URLError, OSError) as exc:
                statuses.append(repr(exc))
            time.sleep(0.2)
        return statuses

    def leftovers(self) -> list[str]:
        """Processes still running from the copy: by command line or working directory (the
        servers' own helpers, such as PostgreSQL backends, show the folder only there)."""
        deadline = time.monotonic() + 10
        while True:
            found = _processes_in(self.folder)
            if not found or time.monotonic() > deadline:
                return found
            time.sleep(0.5)

    def busy_ports(self) -> list[int]:
        return [p for p in (self.port, self.pgport, self.redisport) if not _port_is_free(p)]


def _processes_in(folder: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if str(folder) in cmdline or cwd == str(folder) or cwd.startswith(f"{folder}/"):
            found.append(f"pid {entry.name}: {cmdline} (in {cwd})")
    return found


def _sign_in(app: RunningApp, *, username: str, password: str) -> tuple[str, str]:
    """Sign in through the login form; return where the form redirected and the page served."""
    jar = http.cookiejar.CookieJar()
    cookies = urllib.request.HTTPCookieProcessor(jar)
    stay = urllib.request.build_opener(_NO_PROXY, cookies, _NoRedirect())
    follow = urllib.request.build_opener(_NO_PROXY, cookies)

    login = f"{app.url}/accounts/login/"
    with follow.open(login, timeout=30) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, f"no CSRF token in the login page:\n{form[:2000]}"
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    request = urllib.request.Request(login, data=body, headers={"Referer": login})
    with pytest.raises(urllib.error.HTTPError) as redirect:
        stay.open(request, timeout=30)
    assert redirect.value.code == 302, redirect.value.read().decode()[:2000]
    location = urllib.parse.urljoin(login, redirect.value.headers["Location"])
    assert any(c.name == "sessionid" for c in jar)

    with follow.open(location, timeout=30) as response:
        assert response.status == 200
        return location, response.geturl()


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run-command") / "conductor"
    shutil.copytree(ROOT, folder, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    (folder / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return folder


def test_it_refuses_a_busy_port_with_a_message_not_a_traceback(project_copy):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = subprocess.run(
            ["make", "run"],
            cwd=project_copy,
            env=_newcomer_env(PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_make_run_serves_a_demo_sign_in_stops_cleanly_and_starts_again(project_copy, tmp_path):
    first = RunningApp(project_copy, tmp_path / "first-run.log")
    try:
        first_start = first.wait_healthy()
        landed_after_login, page = _sign_in(first, username="pm", password="demo")
    finally:
        first.stop(signal.SIGINT, whole_group=True)

    print(f"first start to healthy: {first_start:.1f} s")
    assert "/accounts/login/" not in landed_after_login
    assert "/accounts/login/" not in page, "the signed-in user was sent back to the login page"
    assert "Loading the demo data" in first.output()
    assert "SIGINT received: stopping everything" in first.output()
    assert first.leftovers() == []
    assert first.busy_ports() == []

    # Same folder again: the cluster and the demo data are reused, and SIGTERM sent to make
    # alone (not to its group) still reaches every process.
    second = RunningApp(project_copy, tmp_path / "second-run.log")
    try:
        second_start = second.wait_healthy()
        _sign_in(second, username="director", password="demo")
        web, worker = second.pid_of("web"), second.pid_of("worker")

        # The kernel's OOM killer takes the worker: it comes back, and web never stops.
        os.kill(worker, signal.SIGKILL)
        pages = second.keep_asking_until(lambda: "worker restarted (pid" in second.output())
        second.wait_healthy()  # /healthz needs a worker to answer again
        restarted = second.pid_of("worker")
    finally:
        second.stop(signal.SIGTERM, whole_group=False)

    assert "worker was killed by SIGKILL" in second.output()
    assert "restarting it in 1 s" in second.output()
    assert restarted != worker
    assert second.pid_of("web") == web, "web was restarted too"
    assert pages and set(pages) == {200}, pages

    print(f"second start to healthy: {second_start:.1f} s")
    assert "creating a PostgreSQL cluster" not in second.output()
    assert "Loading the demo data" not in second.output()
    assert "SIGTERM received: stopping everything" in second.output()
    assert second.leftovers() == []
    assert second.busy_ports() == []
