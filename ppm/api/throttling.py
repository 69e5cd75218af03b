"""Rate limits of the API: per token (each of a person's tokens has its own budget, so one
runaway script does not lock out their other integrations), per person for the browser's
session. The counts live in the shared cache (Redis), so every web process counts together.

API_RATE_TOKEN and API_RATE_SESSION (settings; e.g. "600/min") set the budgets; an
exceeded budget is a 429 with Retry-After.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from ppm.models import ApiToken


class PerTokenThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        return settings.API_RATE_TOKEN

    def allow_request(self, request, view) -> bool:
        # The rate depends on the credential, so it is read per request, not per class.
        by_token = isinstance(request.auth, ApiToken)
        self.rate = settings.API_RATE_TOKEN if by_token else settings.API_RATE_SESSION
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            # Part of the secret's digest rather than the id: unique to this token even where
            # several databases share one cache (test workers, staging beside production).
            return f"throttle:api:token:{request.auth.digest[:32]}"
        if request.user and request.user.is_authenticated:
            return f"throttle:api:user:{request.user.pk}"
        return None  # no credentials: refused with a 401 before any budget is spent
