"""Rate limits of the API: per token (each of a person's tokens has its own budget, so one
runaway script does not lock out their other integrations), per person for the browser's
session. The counts live in the shared cache (Redis), so every web process counts together.

API_RATE_TOKEN and API_RATE_SESSION (settings; e.g. "600/min") set the budgets; an
exceeded budget is a 429 with Retry-After (the seconds left in the window).

A fixed window counted with one atomic increment, not DRF's sliding log: the log is a list
of every request's time, read, pickled and written back on every request (600 of them at
the default rate); a counter is one number. A client can at most double its budget across
a window's edge, which a rate limit against runaway scripts can afford.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from ppm.models import ApiToken

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'600/min' → (600, 60); the settings check the form at start-up."""
    count, period = rate.split("/")
    return int(count), _SECONDS[period[0]]


class PerTokenThrottle(BaseThrottle):
    def __init__(self) -> None:
        self.retry_after: float | None = None

    @staticmethod
    def _who(request) -> str | None:
        if isinstance(request.auth, ApiToken):
            # Part of the secret's digest rather than the id: unique to this token even where
            # several databases share one cache (test workers, staging beside production).
            return f"token:{request.auth.digest[:32]}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return None  # no credentials: refused with a 401 before any budget is spent

    def allow_request(self, request, view) -> bool:
        who = self._who(request)
        if who is None:
            return True
        by_token = who.startswith("token:")
        rate = settings.API_RATE_TOKEN if by_token else settings.API_RATE_SESSION
        allowed, seconds = parse_rate(rate)
        now = time.time()
        window = int(now // seconds)
        key = f"throttle:api:{who}:{seconds}:{window}"
        cache.add(key, 0, timeout=seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the window's key expired between add and incr
            cache.add(key, 1, timeout=seconds + 1)
            count = 1
        if count <= allowed:
            return True
        self.retry_after = (window + 1) * seconds - now
        return False

    def wait(self) -> float | None:
        return self.retry_after
