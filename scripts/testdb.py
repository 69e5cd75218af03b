"""What `make test` decides before pytest starts (used by scripts/devstack.py):

- whether the selection can run browser tests, and if so whether Chromium is there, so a
  machine without it is told at once what to install instead of failing half-way;
- whether the test database of the last run can be reused. Creating it (every migration)
  costs 20-100 s; pytest-django's --reuse-db skips that, but would keep a database built by
  older migrations. So the database carries a comment naming a hash of the migration files
  and the lock, written after a run that finished and cleared before the next one starts: a
  changed migration, a changed lock or an interrupted run all mean a fresh database.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from pathlib import Path

DEFAULT_CHROMIUM = "/usr/bin/chromium"
MARKER_PREFIX = "conductor test database, migrations "
# Options that decide the test database's fate themselves: then we leave it to them.
_DB_OPTIONS = (
    "--reuse-db",
    "--create-db",
    "--no-migrations",
    "--nomigrations",
)
# Options after which the run is not spread over workers: the caller chose a number of
# workers (or none), or the run is about collecting or debugging, not about time.
_SERIAL_OPTIONS = (
    "-n",
    "--numprocesses",
    "--dist",
    "--collect-only",
    "--co",
    "--pdb",
    "--trace",
    "-s",
    "--capture",
)
MAX_WORKERS = 4


# --- browser tests --------------------------------------------------------------------------


def _marker_expression(pytest_args: list[str]) -> str | None:
    """The last -m expression, as pytest itself would take it."""
    found = None
    args = iter(pytest_args)
    for arg in args:
        if arg == "-m":
            found = next(args, None)
        elif arg.startswith("-m") and not arg.startswith("--"):
            found = arg[2:]
    return found


def _expression_admits_browser(expression: str) -> bool:
    """Could a test marked `browser` (with any other markers) match this -m expression?"""
    # pytest's own parser: private, but it is the one that will read the expression. If it
    # changes shape, assume the browser tests may run (the safe answer).
    try:
        from _pytest.mark.expression import Expression

        compiled = Expression.compile(expression)
    except Exception:  # any failure means "cannot tell"
        return True
    names = sorted(set(re.findall(r"[A-Za-z_][\w.]*", expression)) - {"and", "or", "not"})
    others = [n for n in names if n != "browser"]
    for values in itertools.product((False, True), repeat=len(others)):
        marks = {"browser": True, **dict(zip(others, values, strict=True))}
        if compiled.evaluate(lambda name, /, marks=marks, **kwargs: marks.get(name, False)):
            return True
    return False


def _named_paths(pytest_args: list[str], root: Path) -> list[Path]:
    """Test files or folders named on the command line (an argument that exists on disk;
    an option's value such as `-k milestone` does not)."""
    paths = []
    for arg in pytest_args:
        if arg.startswith("-"):
            continue
        candidate = root / arg.split("::", 1)[0]
        if candidate.exists():
            paths.append(candidate)
    return paths


def may_run_browser_tests(pytest_args: list[str], root: Path) -> bool:
    expression = _marker_expression(pytest_args)
    if expression is not None and not _expression_admits_browser(expression):
        return False
    paths = _named_paths(pytest_args, root)
    if not paths:
        return True  # the whole suite (perhaps narrowed by -k, which we cannot judge)
    files = [p for path in paths for p in ([path] if path.is_file() else path.rglob("*.py"))]
    return any("mark.browser" in f.read_text(errors="replace") for f in files)


def chromium_problem(chromium: str) -> str | None:
    """None when the browser tests can start; otherwise what to do, in one message."""
    path = Path(chromium)
    if path.is_file() and path.stat().st_mode & 0o111:
        return None
    return (
        f"the browser tests need Chromium at {chromium}, and it is not there.\n"
        "  Debian/Ubuntu:  sudo apt-get install -y chromium\n"
        "  elsewhere:      install Chromium and set CHROMIUM_PATH=/path/to/chromium\n"
        "  or leave the browser tests out:  make test PYTEST_ARGS='-m \"not browser\"'\n"
        "(CI's .ci/run installs it by itself.) Nothing was run."
    )


# --- test database reuse --------------------------------------------------------------------


def migrations_key(root: Path) -> str:
    """A hash of every migration file and of the installed lock."""
    digest = hashlib.sha256()
    files = sorted(
        p for p in root.glob("*/migrations/*.py") if not p.parts[len(root.parts)].startswith(".")
    )
    for path in [*files, root / "requirements-dev.lock"]:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def _given(pytest_args: list[str], options: tuple[str, ...]) -> bool:
    return any(a == o or a.startswith(f"{o}=") for a in pytest_args for o in options)


def decides_database_itself(pytest_args: list[str]) -> bool:
    return _given(pytest_args, _DB_OPTIONS)


# --- workers ---------------------------------------------------------------------------------


def worker_count(pytest_args: list[str], *, setting: str | None, cpus: int | None) -> int:
    """How many pytest-xdist workers `make test` starts: TEST_WORKERS when set, else one per
    core up to MAX_WORKERS; none (0) where the arguments decide it themselves (-n, -p
    no:xdist) or the run collects or debugs."""
    joined = " ".join(pytest_args)
    if _given(pytest_args, _SERIAL_OPTIONS) or "no:xdist" in joined:
        return 0
    if setting is not None and setting.strip():
        try:
            wanted = int(setting)
        except ValueError:
            raise ValueError(f"TEST_WORKERS={setting!r} is not a whole number") from None
    else:
        wanted = min(cpus or 1, MAX_WORKERS)
    return wanted if wanted > 1 else 0


def worker_arguments(workers: int) -> list[str]:
    """pytest-xdist's options: whole files to a worker, so a module's fixtures and its
    ordering stay together (the slowest files are single end-to-end tests anyway)."""
    return ["-n", str(workers), "--dist", "loadfile"] if workers else []


def reuse_arguments(*, marker: str | None, key: str) -> list[str]:
    """pytest-django's options for this run: keep the database of the last run when it was
    built by the same migrations and left by a run that finished, else build it afresh (and
    keep that one for the next run)."""
    if marker == MARKER_PREFIX + key:
        return ["--reuse-db"]
    return ["--reuse-db", "--create-db"]


class ReuseMark:
    """The comment on the test database(s), read and written from the server's maintenance
    database `postgres` (as Django creates test databases from there), or from the app's
    database where `postgres` is closed to us.

    With pytest-xdist workers there is one test database per worker, named as pytest-django
    names them (test_conductor_gw0, test_conductor_gw1 …); they are reused only together.
    """

    def __init__(self, database_url: str, test_name: str | None, *, workers: int = 0) -> None:
        import psycopg.conninfo

        self.url = database_url
        params = psycopg.conninfo.conninfo_to_dict(database_url)
        self.name = test_name or f"test_{params.get('dbname') or 'postgres'}"
        self.names = [f"{self.name}_gw{n}" for n in range(workers)] if workers else [self.name]

    def _connect(self):
        import psycopg

        try:
            return psycopg.connect(self.url, dbname="postgres", autocommit=True, connect_timeout=10)
        except psycopg.OperationalError:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def oid(self) -> tuple[int | None, ...]:
        """Changes when any of the databases is created anew; None where one is missing."""
        with self._connect() as conn:
            rows = dict(
                conn.execute(
                    "SELECT datname, oid FROM pg_database WHERE datname = ANY(%s)", [self.names]
                ).fetchall()
            )
        return tuple(rows.get(name) for name in self.names)

    def marker(self) -> str | None:
        """The comment the databases share; None when one is missing or they differ."""
        with self._connect() as conn:
            rows = dict(
                conn.execute(
                    "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database"
                    " WHERE datname = ANY(%s)",
                    [self.names],
                ).fetchall()
            )
        found = {rows.get(name) for name in self.names}
        return found.pop() if len(found) == 1 and len(rows) == len(self.names) else None

    def set_marker(self, text: str | None) -> None:
        from psycopg import sql

        with self._connect() as conn:
            existing = {
                row[0]
                for row in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname = ANY(%s)", [self.names]
                ).fetchall()
            }
            for name in self.names:
                if name in existing:
                    conn.execute(
                        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                            sql.Identifier(name), sql.Literal(text)
                        )
                    )
