"""`make test` itself: PYTEST_ARGS reach pytest exactly as the README writes them, a machine
without Chromium is told at once what to install (nothing half-run), and the test database is
reused between runs only while its migrations are unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from devstack import parse_command_line  # noqa: E402
from testdb import (  # noqa: E402
    MARKER_PREFIX,
    ReuseMark,
    may_run_browser_tests,
    migrations_key,
    reuse_arguments,
    worker_arguments,
    worker_count,
)


def _make_test(pytest_args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "test", f"PYTEST_ARGS={pytest_args}"],
        cwd=ROOT,
        env={**os.environ, "REUSE_TEST_DB": "false", **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["test", "-k", "milestone", "-x"],
        ["test", "-m", "not slow and not browser"],
        ["test", "--help"],
        ["bench", "--projects", "20"],
    ],
)
def test_everything_after_test_or_bench_is_passed_on_untouched(argv):
    assert parse_command_line(argv) == (argv[0], argv[1:])


@pytest.mark.slow
def test_make_test_passes_quoted_pytest_args_through_make_and_the_shell():
    # The README's quoted example, through Makefile, conductor.sh and devstack.py. Only
    # collected: this is about the arguments, not about running the suite twice.
    result = _make_test('-m "not slow and not browser" --collect-only -q tests/test_supervisor.py')

    output = result.stdout + result.stderr
    assert "unrecognized arguments" not in output
    pytest_line = next(line for line in output.splitlines() if line.startswith("==> pytest:"))
    assert pytest_line.endswith(
        "-m 'not slow and not browser' --collect-only -q tests/test_supervisor.py"
    )
    assert any(line.split()[:2] == ["pytest", "ok"] for line in output.splitlines()), output


@pytest.mark.slow
def test_without_chromium_make_test_says_what_to_install_before_running_anything():
    result = _make_test("-x", CHROMIUM_PATH="/nonexistent/chromium")

    assert result.returncode != 0
    assert "sudo apt-get install -y chromium" in result.stderr
    assert "==> ruff check" not in result.stdout, "it started before saying what is missing"


def test_without_chromium_a_selection_without_browser_tests_still_runs():
    assert may_run_browser_tests(["-m", "not slow and not browser"], ROOT) is False
    assert may_run_browser_tests(["-m", "not browser"], ROOT) is False
    assert may_run_browser_tests(["projects/tests/test_constraints.py", "-x"], ROOT) is False
    assert may_run_browser_tests(["tests/test_pages_browser.py"], ROOT) is True
    assert may_run_browser_tests(["-m", "slow"], ROOT) is True
    assert may_run_browser_tests(["-m", "browser and not slow"], ROOT) is True
    assert may_run_browser_tests(["-k", "milestone"], ROOT) is True
    assert may_run_browser_tests([], ROOT) is True


def test_a_changed_migration_or_lock_means_a_fresh_test_database(tmp_path):
    (tmp_path / "projects" / "migrations").mkdir(parents=True)
    migration = tmp_path / "projects" / "migrations" / "0001_initial.py"
    migration.write_text("operations = []\n")
    (tmp_path / "requirements-dev.lock").write_text("django==6.1.3\n")
    key = migrations_key(tmp_path)

    assert reuse_arguments(marker=MARKER_PREFIX + key, key=key) == ["--reuse-db"]
    assert reuse_arguments(marker=None, key=key) == ["--reuse-db", "--create-db"]

    migration.write_text("operations = ['AddField']\n")
    assert migrations_key(tmp_path) != key
    migration.write_text("operations = []\n")
    (tmp_path / "requirements-dev.lock").write_text("django==6.1.4\n")
    assert migrations_key(tmp_path) != key


def test_the_reuse_mark_is_a_comment_on_the_test_database():
    url = os.environ["DATABASE_URL"]
    name = f"conductor_mark_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        database = ReuseMark(url, name)
        assert database.marker() is None

        database.set_marker(MARKER_PREFIX + "abc")
        assert database.marker() == MARKER_PREFIX + "abc"
        database.set_marker(None)
        assert database.marker() is None
    finally:
        with psycopg.connect(url, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}"')


def test_the_reuse_mark_covers_every_worker_database_together():
    url = os.environ["DATABASE_URL"]
    name = f"conductor_mark_{uuid.uuid4().hex[:8]}"
    database = ReuseMark(url, name, workers=2)
    assert database.names == [f"{name}_gw0", f"{name}_gw1"]
    with psycopg.connect(url, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}_gw0"')
    try:
        # One worker's database alone is not a database to reuse.
        database.set_marker(MARKER_PREFIX + "abc")
        assert database.marker() is None
        assert database.oid()[1] is None

        with psycopg.connect(url, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}_gw1"')
        assert database.marker() is None  # the new one carries no mark yet
        database.set_marker(MARKER_PREFIX + "abc")
        assert database.marker() == MARKER_PREFIX + "abc"
        assert None not in database.oid()
    finally:
        with psycopg.connect(url, dbname="postgres", autocommit=True) as admin:
            for suffix in ("gw0", "gw1"):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}_{suffix}"')


@pytest.mark.parametrize(
    ("args", "setting", "cpus", "workers"),
    [
        ([], None, 2, 2),
        ([], None, 16, 4),
        ([], None, 1, 0),
        ([], "1", 8, 0),
        ([], "3", 2, 3),
        (["-k", "milestone", "-x"], None, 2, 2),
        (["-n", "0"], None, 2, 0),
        (["-p", "no:xdist"], None, 2, 0),
        (["--collect-only", "-q"], None, 2, 0),
        (["--pdb"], None, 2, 0),
        (["-s", "tests/test_supervisor.py"], None, 2, 0),
    ],
)
def test_make_test_spreads_the_suite_over_the_cores_unless_told_otherwise(
    args, setting, cpus, workers
):
    assert worker_count(args, setting=setting, cpus=cpus) == workers
    assert worker_arguments(workers) == (
        ["-n", str(workers), "--dist", "loadfile"] if workers else []
    )


def test_a_malformed_worker_count_is_named():
    with pytest.raises(ValueError, match="TEST_WORKERS='two'"):
        worker_count([], setting="two", cpus=2)


@pytest.mark.django_db
def test_test_sessions_do_not_wait_for_commits_to_reach_the_disk():
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"
