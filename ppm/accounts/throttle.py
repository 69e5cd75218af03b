"""Sign-in throttle: failed attempts counted per account and per client address in Redis.

Why our own rather than django-axes: see docs/architecture.md, "Sign-in". In short: thirty
lines on the Redis we already run, no database write per failed attempt, the refusal shown as
an error on our own form (and the admin's), and no dependency that does not declare support
for the Django we run.

How it counts. Every attempt first *reserves* a place in both counters (one atomic MULTI:
`SET key 0 EX window NX; INCR key; TTL key`), before the password is checked. An attempt that
finds a counter over its limit is refused without checking the password, so concurrent guesses
cannot slip past the limit between a check and an increment. A success clears the account's
counter and gives back the address's reservation (the address counts failures only: an office
behind one NAT signs in all morning). The failure that reaches a limit restarts that key's
clock, so a lockout lasts the full LOGIN_LOCKOUT_MINUTES from the last counted failure.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
from dataclasses import dataclass

import redis
from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lockout:
    """A refused attempt: how long until the counter that refused it expires."""

    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int


@functools.cache
def _client(url: str) -> redis.Redis:
    # Short timeouts: a sign-in must not hang on an unreachable Redis (we fail open below).
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def _redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


def _prefix() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:login-throttle"


def client_address(request: HttpRequest) -> str:
    """The address a request came from, as the throttle counts it.

    Behind NUM_PROXIES reverse proxies that each append to X-Forwarded-For, the client is the
    NUM_PROXIES-th entry from the right; entries further left are whatever the client wrote and
    are ignored. IPv6 addresses count by /64, the block one subscriber usually holds.
    """
    address = request.META.get("REMOTE_ADDR", "")
    if settings.NUM_PROXIES:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= settings.NUM_PROXIES:
            address = hops[-settings.NUM_PROXIES]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _counters(username: str, address: str) -> list[_Counter]:
    # Hashed: Redis keys then hold neither personal data nor arbitrarily long input.
    account = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    place = hashlib.sha256(address.encode()).hexdigest()[:32]
    return [
        _Counter(f"{_prefix()}:account:{account}", settings.LOGIN_FAILURE_LIMIT),
        _Counter(f"{_prefix()}:address:{place}", settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    ]


def _window() -> int:
    return settings.LOGIN_LOCKOUT_MINUTES * 60


def login_attempt_start(*, username: str, address: str) -> Lockout | None:
    """Reserve one attempt for this account and address: None to go on and check the password,
    a Lockout when either has used up its failures."""
    counters = _counters(username, address)
    try:
        pipe = _redis().pipeline(transaction=True)
        for counter in counters:
            pipe.set(counter.key, 0, ex=_window(), nx=True)
            pipe.incr(counter.key)
            pipe.ttl(counter.key)
        replies = pipe.execute()
    except redis.RedisError:
        # Failing closed would lock every user out while Redis is down; the password is still
        # checked, and the outage is logged for the operator.
        logger.exception("login throttle unavailable: Redis did not answer")
        return None
    waits = [
        max(int(ttl), 1)
        for counter, count, ttl in zip(counters, replies[1::3], replies[2::3], strict=True)
        if count > counter.limit
    ]
    return Lockout(max(waits)) if waits else None


def login_attempt_failed(*, username: str, address: str) -> None:
    """The reserved attempt failed: a counter that has just reached its limit locks for the full
    period from now."""
    try:
        client = _redis()
        for counter in _counters(username, address):
            count = client.get(counter.key)
            if count is not None and int(count) >= counter.limit:
                client.expire(counter.key, _window())
    except redis.RedisError:
        logger.exception("login throttle unavailable: Redis did not answer")


_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


def login_attempt_succeeded(*, username: str, address: str) -> None:
    """The reserved attempt signed in: the account starts afresh; the address gets its
    reservation back (it counts failures only)."""
    account, place = _counters(username, address)
    try:
        client = _redis()
        client.delete(account.key)
        # Only while the key lives: a DECR on an expired key would create one without a TTL.
        client.eval(_GIVE_BACK, 1, place.key)
    except redis.RedisError:
        logger.exception("login throttle unavailable: Redis did not answer")


def login_throttle_clear_account(*, username: str) -> None:
    """Forget an account's failures (after its password was reset by e-mail)."""
    account, _ = _counters(username, "")
    try:
        _redis().delete(account.key)
    except redis.RedisError:
        logger.exception("login throttle unavailable: Redis did not answer")
