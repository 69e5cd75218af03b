"""Typed readers for settings that come from the environment.

Every reader raises ImproperlyConfigured naming the variable when a value is missing or
malformed, so a misconfigured deployment stops at start-up instead of misbehaving later.
"""

from __future__ import annotations

import os
import zoneinfo
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_UNSET = object()


def _raw(name: str, default: object) -> str | object:
    value = os.environ.get(name)
    if value is None:
        if default is _UNSET:
            raise ImproperlyConfigured(f"{name} is not set; it is required.")
        return default
    return value.strip()


def env_str(name: str, default: object = _UNSET) -> str:
    return _raw(name, default)  # type: ignore[return-value]


def env_bool(name: str, default: bool | object = _UNSET) -> bool:
    value = _raw(name, default)
    if isinstance(value, bool):
        return value
    lowered = str(value).lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false.")


def env_int(name: str, default: int | object = _UNSET) -> int:
    value = _raw(name, default)
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_list(name: str, default: list[str] | object = _UNSET) -> list[str]:
    value = _raw(name, default)
    if isinstance(value, list):
        return value
    return [item.strip() for item in str(value).split(",") if item.strip()]


def env_timezone(name: str, default: str | object = _UNSET) -> str:
    value = str(_raw(name, default))
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not an IANA time zone.") from None
    return value


def env_database_url(name: str) -> dict:
    """Parse postgres://user:password@host:port/dbname?options into Django's DATABASES entry."""
    value = str(_raw(name, _UNSET))
    parts = urlsplit(value)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(
            f"{name}={value!r} must be a postgres:// URL (only PostgreSQL is supported)."
        )
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise ImproperlyConfigured(f"{name}={value!r} names no database (postgres://…/dbname).")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} has a malformed port.") from None
    options: dict[str, str] = {}
    if parts.query:
        for pair in parts.query.split("&"):
            key, _, val = pair.partition("=")
            options[key] = unquote(val)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": dbname,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(port or ""),
        "OPTIONS": options,
    }


def env_redis_url(name: str) -> str:
    value = str(_raw(name, _UNSET))
    parts = urlsplit(value)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(f"{name}={value!r} must be a redis:// or rediss:// URL.")
    try:
        parts.port  # noqa: B018 - parsing the port is the validation
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} has a malformed port.") from None
    return value


def redis_database_for_worker(url: str, worker: str, *, databases: int = 16) -> str:
    """`url` moved to a Redis database of pytest-xdist worker `worker` ("gw0", "gw1", …):
    the URL's own database plus the worker's number, within Redis's default 16."""
    index = int(worker.removeprefix("gw") or 0)
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str((int(query.get("db") or 0) + index) % databases)
        # urlunsplit would drop the empty host of unix:///path.
        return f"unix://{parts.netloc}{parts.path}?{urlencode(query)}"
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + index) % databases}"))
