"""Settings come from the environment; a bad value stops start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ppm.env import redis_database_for_worker

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "DATABASE_URL": "postgres://conductor:s3cret@db.example.org:5433/conductor",
    "REDIS_URL": "redis://cache.example.org:6379/0",
    "SECRET_KEY": "k" * 60,
    "ALLOWED_HOSTS": "ppm.example.org",
    "DEBUG": "false",
}
_PASS_THROUGH = ("PATH", "HOME", "LANG", "SYSTEMROOT")


def load_settings(**overrides: str | None) -> subprocess.CompletedProcess:
    """Import ppm.settings in a fresh interpreter with exactly this environment."""
    env = {k: os.environ[k] for k in _PASS_THROUGH if k in os.environ}
    env.update(GOOD)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    code = (
        "import json, ppm.settings as s;"
        "print(json.dumps({'db': s.DATABASES['default'], 'tz': s.TIME_ZONE,"
        " 'hosts': s.ALLOWED_HOSTS, 'debug': s.DEBUG, 'celery_tz': s.CELERY_TIMEZONE,"
        " 'nightly': str(s.CELERY_BEAT_SCHEDULE['rollup-nightly']['schedule'])},"
        " default=repr))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_complete_environment_loads_and_parses_the_database_url():
    result = load_settings()

    assert result.returncode == 0, result.stderr
    assert '"NAME": "conductor"' in result.stdout
    assert '"HOST": "db.example.org"' in result.stdout
    assert '"PORT": "5433"' in result.stdout
    assert '"pool"' in result.stdout  # psycopg 3 with Django's native connection pool
    assert "check_pooled_connection" in result.stdout  # a stale pooled connection is replaced


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set; it is required when DEBUG is off."),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short"),
        ({"DATABASE_URL": None}, "DATABASE_URL is not set"),
        (
            {"DATABASE_URL": "mysql://x@y/z"},
            "DATABASE_URL='mysql://x@y/z' must be a postgres:// URL",
        ),
        (
            {"DATABASE_URL": "postgres://x@y:abc/z"},
            "DATABASE_URL='postgres://x@y:abc/z' has a malformed port",
        ),
        ({"DATABASE_URL": "postgres://x@y:5432/"}, "names no database"),
        ({"REDIS_URL": None}, "REDIS_URL is not set"),
        ({"REDIS_URL": "http://cache"}, "REDIS_URL='http://cache' must be a redis://"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is not set"),
        ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE='Mars/Olympus' is not an IANA time zone"),
        ({"EMAIL_PORT": "twenty-five"}, "EMAIL_PORT='twenty-five' is not an integer"),
        ({"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "EMAIL_USE_TLS and EMAIL_USE_SSL"),
        ({"CSRF_TRUSTED_ORIGINS": "ppm.example.org"}, "must start with http:// or https://"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD' is not a logging level"),
        ({"COST_IMPORT_MAX_ROWS": "0"}, "COST_IMPORT_MAX_ROWS must be at least 1."),
        ({"SITE_URL": "ppm.example.org"}, "SITE_URL='ppm.example.org' must start with http://"),
        ({"NOTIFICATION_DIGEST_HOUR": "24"}, "NOTIFICATION_DIGEST_HOUR must be an hour, 0 to 23."),
    ],
)
def test_a_missing_or_malformed_variable_stops_start_up_naming_it(overrides, message):
    result = load_settings(**overrides)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_debug_mode_allows_a_missing_secret_key_and_defaults_to_local_hosts():
    result = load_settings(DEBUG="true", SECRET_KEY=None, ALLOWED_HOSTS=None)

    assert result.returncode == 0, result.stderr
    assert '"hosts": ["localhost", "127.0.0.1", "[::1]"]' in result.stdout


def test_time_zone_is_taken_from_the_environment():
    result = load_settings(TIME_ZONE="Europe/Lisbon")

    assert result.returncode == 0, result.stderr
    assert '"tz": "Europe/Lisbon"' in result.stdout
    # The nightly recompute runs just after midnight on the organisation's clock.
    assert '"celery_tz": "Europe/Lisbon"' in result.stdout
    assert "<crontab: 5 0 * * *" in result.stdout


@pytest.mark.parametrize(
    ("url", "worker", "moved"),
    [
        ("redis://127.0.0.1:6379/0", "gw0", "redis://127.0.0.1:6379/0"),
        ("redis://127.0.0.1:6379/0", "gw1", "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379", "gw2", "redis://127.0.0.1:6379/2"),
        ("rediss://:pw@cache:6380/9", "gw3", "rediss://:pw@cache:6380/12"),
        ("redis://127.0.0.1:6379/15", "gw1", "redis://127.0.0.1:6379/0"),
        ("unix:///run/redis.sock?db=3", "gw1", "unix:///run/redis.sock?db=4"),
    ],
)
def test_each_test_worker_gets_a_redis_database_of_its_own(url, worker, moved):
    assert redis_database_for_worker(url, worker) == moved
