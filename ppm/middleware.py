"""Site-wide response headers that Django has no setting for."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivateCacheMiddleware:
    """Pages shown to a signed-in user carry `Cache-Control: private, no-store`: a shared proxy
    must not serve one person's portfolio to another, and after sign-out the browser's back
    button must not show it from disk. Anonymous pages (sign-in, reset) keep the defaults;
    static files never get here (whitenoise answers them first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
