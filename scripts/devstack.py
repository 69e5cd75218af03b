"""The runner behind `make run`, `make test`, `make services` and `make bench` (see the README).

run       PostgreSQL and Redis (embedded unless DATABASE_URL / REDIS_URL are set), migrations,
          demo data on an empty database, then web, worker and beat from the Procfile under our
          supervisor (scripts/supervisor.py), all in the foreground; one that dies is
          restarted with a backoff. Ctrl-C or SIGTERM stops every one of them.
test      ruff, the deploy check under production settings, the migrations check and pytest
          (spread over one pytest-xdist worker per core, at most four; TEST_WORKERS sets the
          number, 1 runs it in one process), against DATABASE_URL / REDIS_URL or against
          embedded servers.
services  only the embedded servers, printing the URLs to export, until Ctrl-C.
bench     the benchmark harness bench/run.py, against DATABASE_URL / REDIS_URL or against
          durable embedded servers of its own under .data/bench (so the large generated data
          is kept between runs); arguments are passed on to bench/run.py.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from embedded import (
    Postgres,
    Redis,
    ServiceError,
    die_with_parent,
    free_port,
    read_or_create_secret,
    require_free_port,
    say,
    stop_process,
)
from supervisor import Supervisor, read_procfile
from testdb import (
    DEFAULT_CHROMIUM,
    MARKER_PREFIX,
    ReuseMark,
    chromium_problem,
    decides_database_itself,
    may_run_browser_tests,
    migrations_key,
    reuse_arguments,
    worker_arguments,
    worker_count,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
VENV_BIN = Path(sys.executable).parent
DEMO_USERS = ("director", "pm", "pmo", "executive")


class Shutdown(Exception):
    """SIGINT or SIGTERM arrived: unwind and stop everything that was started."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Runner:
    """Owns every process it starts and stops them all, whatever way the run ends."""

    def __init__(self) -> None:
        self.services: list[Postgres | Redis] = []
        self.foreground: subprocess.Popen | None = None
        self.supervisor: Supervisor | None = None
        self.signalled: int | None = None

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        if self.signalled is not None:
            say("still stopping; the servers get a few seconds to shut down cleanly")
            return
        self.signalled = signum
        say(f"{signal.Signals(signum).name} received: stopping everything")
        # Ctrl-C in a terminal reaches the foreground child too; SIGTERM sent to the runner
        # alone does not, so pass it on.
        if self.foreground is not None and self.foreground.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.foreground.send_signal(signal.SIGTERM)
        raise Shutdown(signum)

    # --- services -------------------------------------------------------------------------

    def start_services(
        self,
        env: dict[str, str],
        *,
        durable: bool,
        data: Path,
        fixed_ports: bool | None = None,
        fast: bool | None = None,
    ) -> None:
        """Start what DATABASE_URL / REDIS_URL do not name, and put their URLs into env.

        Durable servers keep their data in `data` between runs. They listen on the fixed
        ports PGPORT / REDISPORT (defaults 55432 / 56379) unless `fixed_ports` is False: then
        on free ports, as throw-away servers always do.
        """
        fixed_ports = durable if fixed_ports is None else fixed_ports
        postgres = redis = None
        if not env.get("DATABASE_URL"):
            port = _env_port(env, "PGPORT", 55432) if fixed_ports else free_port()
            postgres = Postgres(
                data_dir=data / "postgres",
                port=port,
                password=_secret(data / "postgres.password", durable=durable),
                log_path=data / "log" / "postgres.log",
                durable=durable,
                fast=fast,
            )
        if not env.get("REDIS_URL"):
            port = _env_port(env, "REDISPORT", 56379) if fixed_ports else free_port()
            redis = Redis(
                data_dir=data / "redis",
                port=port,
                password=_secret(data / "redis.password", durable=durable),
                log_path=data / "log" / "redis.log",
            )
        started = [s for s in (postgres, redis) if s is not None]
        for service in started:
            self.services.append(service)
            service.start()
        for service in started:
            service.wait_ready()
        if postgres is not None:
            env["DATABASE_URL"] = postgres.url
            say(f"PostgreSQL (embedded) on 127.0.0.1:{postgres.port}, data in {_rel(data)}")
        else:
            say("PostgreSQL: using DATABASE_URL")
        if redis is not None:
            env["REDIS_URL"] = redis.url
            say(f"Redis (embedded) on 127.0.0.1:{redis.port}")
        else:
            say("Redis: using REDIS_URL")

    def stop_all(self) -> None:
        # From here on a further signal only prints a note: it must not cut the clean-up short.
        self.signalled = self.signalled or signal.SIGTERM
        if self.supervisor is not None:
            # web, worker and beat get 10 s after SIGTERM, then their groups are SIGKILLed.
            self.supervisor.stop(timeout=10)
            self.supervisor = None
        if self.foreground is not None:
            stop_process(self.foreground, signal.SIGTERM, timeout=20)
            self.foreground = None
        for service in reversed(self.services):
            service.stop()
        self.services.clear()

    # --- children -------------------------------------------------------------------------

    def call(
        self, argv: list[str], env: dict[str, str], *, last_line: list[str] | None = None
    ) -> int:
        """Run one command in the foreground and return its exit code. With `last_line`, its
        output passes through us and its last non-blank line is appended there."""
        self.foreground = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE if last_line is not None else None,
            stderr=subprocess.STDOUT if last_line is not None else None,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        try:
            if last_line is not None:
                last = ""
                for raw in self.foreground.stdout:
                    sys.stdout.buffer.write(raw)
                    sys.stdout.buffer.flush()
                    last = raw.decode(errors="replace").strip() or last
                last_line.append(last)
            return self.foreground.wait()
        finally:
            if self.foreground.poll() is not None:
                self.foreground = None


def _env_port(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not re.fullmatch(r"[0-9]{1,5}", value) or not 0 < int(value) < 65536:
        raise ServiceError(f"{name}={value!r} is not a port number.")
    return int(value)


def _secret(path: Path, *, durable: bool) -> str:
    # Throw-away servers need no remembered secret.
    return read_or_create_secret(path) if durable else secrets.token_urlsafe(32)


def _rel(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(ROOT))
    return str(path)


def base_env() -> dict[str, str]:
    # Started from inside a pytest-xdist worker (the suite's own tests of `make run` and
    # `make test`), the worker's identity must not pass on: settings read it.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST_XDIST_") and k != "REDIS_URL_OF_WORKER"
    }
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("DJANGO_SETTINGS_MODULE", "ppm.settings")
    return env


def _healthy(port: int) -> bool:
    # No proxy: an http_proxy in the environment must not swallow a request to ourselves.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _banner(port: int, seconds: float, env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{port}/"
    lines = [
        "",
        f"  Conductor is ready at {url}  (started in {seconds:.1f} s)",
        f"  Sign in as {', '.join(DEMO_USERS)} - password: demo",
        "  Press Ctrl-C to stop web, worker, beat and the embedded servers.",
        "",
    ]
    if env.get("DEMO_DATA", "true").lower() in {"0", "false", "no", "off"}:
        lines[2] = "  Demo data is off (DEMO_DATA=false): sign in with your own accounts."
    print("\n".join(lines), flush=True)


def cmd_run(runner: Runner) -> int:
    started = time.monotonic()
    env = base_env()
    port = _env_port(env, "PORT", 8000)
    require_free_port(port, what="the web server", variable="PORT")
    env.setdefault("DEBUG", "true")
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = read_or_create_secret(DATA / "secret_key", nbytes=48)
    runner.start_services(env, durable=True, data=DATA)

    rc = runner.call([sys.executable, str(ROOT / "scripts" / "prepare_app.py")], env)
    if rc != 0:
        say(f"preparing the database failed (exit code {rc}); nothing else was started")
        return rc

    # Only web reads $PORT. The loop ends with Ctrl-C or SIGTERM (Shutdown): a process that
    # dies is restarted by the supervisor, so nothing else ends the run.
    runner.supervisor = Supervisor(read_procfile(ROOT / "Procfile"), env=env, cwd=ROOT, port=port)
    runner.supervisor.start()
    announced = False
    next_probe = 0.0
    while True:
        runner.supervisor.poll(0.5)
        if not announced and time.monotonic() >= next_probe:
            if _healthy(port):
                announced = True
                _banner(port, time.monotonic() - started, env)
            next_probe = time.monotonic() + 0.5


def _production_like(env: dict[str, str]) -> dict[str, str]:
    """The environment a real deployment has: DEBUG off, a long secret, named hosts, and the
    security settings at their defaults (a developer's relaxations are dropped)."""
    prod = {
        k: v
        for k, v in env.items()
        if not k.startswith(("SECURE_", "SESSION_COOKIE_", "CSRF_COOKIE_"))
    }
    prod.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="conductor.example.org",
        CSRF_TRUSTED_ORIGINS="https://conductor.example.org",
    )
    return prod


@contextlib.contextmanager
def _scratch_data() -> Iterator[Path]:
    """A folder for throw-away servers, inside .data so it is git-ignored and on a real disk."""
    DATA.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="test-", dir=DATA))
    folder.chmod(0o755)  # under root, PostgreSQL runs as another user and must get in
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _test_data(env: dict[str, str]) -> Iterator[tuple[Path, bool]]:
    """Where `make test`'s embedded servers live: .data/test, kept between runs so that the
    test database can be reused (True). A second `make test` in this checkout meanwhile finds
    the folder locked and gets throw-away servers of its own (False)."""
    DATA.mkdir(exist_ok=True)
    if env.get("DATABASE_URL") and env.get("REDIS_URL"):
        yield DATA / "test", True  # no embedded server: nothing to keep or to lock
        return
    with (DATA / "test.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another `make test` uses .data/test; this one gets throw-away servers")
            with _scratch_data() as scratch:
                yield scratch, False
            return
        folder = DATA / "test"
        folder.mkdir(exist_ok=True)
        folder.chmod(0o755)  # under root, PostgreSQL runs as another user and must get in
        yield folder, True


def _start_test_services(runner: Runner, env: dict[str, str], data: Path, kept: bool) -> None:
    try:
        runner.start_services(env, durable=kept, data=data, fixed_ports=False, fast=True)
    except ServiceError as exc:
        # The kept cluster runs without fsync: after a machine crash it may not start. Its
        # data is only the test database, so it is made afresh.
        if not kept or not (data / "postgres").exists():
            raise
        say(f"{exc}\nthe kept test cluster does not start; making it afresh")
        for service in runner.services:
            service.stop()
        runner.services.clear()
        shutil.rmtree(data / "postgres", ignore_errors=True)
        runner.start_services(env, durable=kept, data=data, fixed_ports=False, fast=True)


def _plan_test_database(
    env: dict[str, str], pytest_args: list[str], *, kept: bool, workers: int
) -> tuple[list[str], ReuseMark | None, str]:
    """pytest-django options for the test database(s), and the databases whose comment
    records a finished run (None: nothing is recorded, pytest-django creates and drops them)."""
    if not kept or decides_database_itself(pytest_args):
        return [], None, ""
    if env.get("REUSE_TEST_DB", "true").strip().lower() in {"0", "false", "no", "off"}:
        say("REUSE_TEST_DB is off: the test database is created afresh and dropped")
        return [], None, ""
    key = migrations_key(ROOT)
    try:
        database = ReuseMark(
            env["DATABASE_URL"], env.get("TEST_DATABASE_NAME") or None, workers=workers
        )
        marker = database.marker()
    except Exception as exc:  # any failure: let pytest-django do what it does alone
        say(f"cannot read the test database's state ({exc}); creating it afresh")
        return [], None, ""
    args = reuse_arguments(marker=marker, key=key)
    if args == ["--reuse-db"]:
        say(
            f"reusing the test database {', '.join(database.names)} (migrations and lock unchanged)"
        )
    else:
        say(f"creating the test database {', '.join(database.names)} (kept for the next run)")
    return args, database, key


def cmd_test(runner: Runner, pytest_args: list[str]) -> int:
    env = base_env()
    env.setdefault("DEBUG", "true")
    # Before anything else: a machine without Chromium learns at once what to install,
    # rather than after ruff, the checks and half the suite.
    if may_run_browser_tests(pytest_args, ROOT):
        problem = chromium_problem(env.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM)
        if problem is not None:
            say(problem)
            return 1
    try:
        workers = worker_count(pytest_args, setting=env.get("TEST_WORKERS"), cpus=os.cpu_count())
    except ValueError as exc:
        say(str(exc))
        return 2
    python, ruff = sys.executable, str(VENV_BIN / "ruff")
    manage = str(ROOT / "manage.py")
    results: list[tuple[str, int, float]] = []
    # pytest's closing line ("N passed in T s") is repeated last, where CI logs are read.
    closing: list[str] = []
    colour = ["--color=yes"] if sys.stdout.isatty() else []
    with _test_data(env) as (data, kept):
        try:
            _start_test_services(runner, env, data, kept)
            reuse, database, key = _plan_test_database(env, pytest_args, kept=kept, workers=workers)
            spread = worker_arguments(workers)
            steps = [
                ("ruff check", [ruff, "check", "."], env),
                ("ruff format", [ruff, "format", "--check", "."], env),
                (
                    "deploy check",
                    [python, manage, "check", "--deploy", "--fail-level", "WARNING"],
                    _production_like(env),
                ),
                (
                    "migrations check",
                    [python, manage, "makemigrations", "--check", "--dry-run"],
                    env,
                ),
                (
                    "pytest",
                    [python, "-m", "pytest", *colour, *spread, *reuse, *pytest_args],
                    env,
                ),
            ]
            for name, argv, step_env in steps:
                print(f"\n==> {name}: {shlex.join(argv)}", flush=True)
                began = time.monotonic()
                if name == "pytest" and database is not None:
                    database.set_marker(None)  # an interrupted run leaves no "finished" mark
                    before = database.oid()
                rc = runner.call(argv, step_env, last_line=closing if name == "pytest" else None)
                results.append((name, rc, time.monotonic() - began))
                # Marked only when pytest finished and the database is the one we asked for:
                # with --create-db a run that never touched it (--collect-only, -k matching
                # no database test) leaves the old one, which must not pass for new.
                if (
                    name == "pytest"
                    and database is not None
                    and rc in (0, 1)
                    and ("--create-db" not in reuse or database.oid() != before)
                ):
                    database.set_marker(MARKER_PREFIX + key)
        finally:
            runner.stop_all()

    print("\n==> summary", flush=True)
    for name, rc, seconds in results:
        verdict = "ok" if rc == 0 else f"FAILED (exit code {rc})"
        if name == "pytest" and rc == 5:
            verdict = "FAILED (pytest collected no tests)"
        print(f"  {name:<17} {verdict:<36} {seconds:6.1f} s", flush=True)
    if closing:
        print(closing[-1], flush=True)
    return 0 if all(rc == 0 for _, rc, _ in results) else 1


def cmd_services(runner: Runner) -> int:
    env = base_env()
    runner.start_services(env, durable=True, data=DATA)
    print(
        "\nEmbedded servers are up. In another shell:\n"
        f"  export DATABASE_URL='{env['DATABASE_URL']}'\n"
        f"  export REDIS_URL='{env['REDIS_URL']}'\n"
        "Press Ctrl-C to stop them.",
        flush=True,
    )
    while True:
        for service in runner.services:
            if service.process is not None and service.process.poll() is not None:
                say(f"{type(service).__name__} stopped unexpectedly; see .data/log/")
                return 1
        time.sleep(1)


def cmd_bench(runner: Runner, bench_args: list[str]) -> int:
    """bench/run.py with servers: the configured ones, or durable embedded ones kept in
    .data/bench (the large data is generated once and reused), on free ports so a `make run`
    next to it is not disturbed."""
    env = base_env()
    env.setdefault("DEBUG", "true")
    # Its own queue and cache prefix: a worker of a running app never takes its tasks.
    env.setdefault("CELERY_QUEUE", "conductor-bench")
    env.setdefault("CACHE_KEY_PREFIX", "conductor-bench")
    try:
        runner.start_services(env, durable=True, data=DATA / "bench", fixed_ports=False)
        argv = [sys.executable, str(ROOT / "bench" / "run.py"), *bench_args]
        print(f"\n==> bench: {shlex.join(argv)}", flush=True)
        return runner.call(argv, env)
    finally:
        runner.stop_all()


PASS_THROUGH = {"test": "pytest", "bench": "bench/run.py"}


def parse_command_line(argv: list[str]) -> tuple[str, list[str]]:
    """The command and, for `test` and `bench`, every later argument untouched.

    argparse cannot pass options through: a REMAINDER positional after a subcommand still
    lets the top-level parser claim `-k` or `-m` as its own unknown options, so
    `make test PYTEST_ARGS='-k milestone -x'` stopped with "unrecognized arguments". Only the
    first word is ours; what follows `test` belongs to pytest, what follows `bench` to the
    harness.
    """
    parser = argparse.ArgumentParser(prog="scripts/devstack.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start everything in the foreground")
    sub.add_parser("test", help="lint, checks and the whole test suite; the rest goes to pytest")
    sub.add_parser("services", help="only the embedded PostgreSQL and Redis")
    sub.add_parser("bench", help="the benchmark harness; the rest goes to bench/run.py")
    if argv and argv[0] in PASS_THROUGH:
        return argv[0], list(argv[1:])
    args = parser.parse_args(argv)
    return args.command, []


def main(argv: list[str]) -> int:
    command, passed_on = parse_command_line(argv)
    runner = Runner()
    runner.install_signal_handlers()
    try:
        if command == "run":
            return cmd_run(runner)
        if command == "test":
            return cmd_test(runner, passed_on)
        if command == "bench":
            return cmd_bench(runner, passed_on)
        return cmd_services(runner)
    except ServiceError as exc:
        say(str(exc))
        return 1
    except Shutdown as stop:
        return 128 + stop.signum
    finally:
        runner.stop_all()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
