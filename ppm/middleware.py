"""Site-wide middleware: response headers Django has no setting for, and input no view can
use (a NUL character) refused before any view runs."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
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


class RefuseNulMiddleware:
    """A NUL character in a query string, or in the name of a posted field, is refused with a
    400 before any view runs: PostgreSQL text cannot hold it (every other character it can),
    so a search or a filter that passed one on would fail with a 500. Nobody types a NUL
    into a link or a field name; a forged request does.

    Posted *values* go to forms, whose CharFields refuse a NUL with a message next to the
    field (Django's ProhibitNullCharactersValidator): a stray NUL in pasted text is the user's
    to fix, not a broken request. A view that reads a posted value by hand reads a number
    through ppm.params, which takes ASCII digits only.

    The check is a scan of strings already parsed for the view, with no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request):
            raise BadRequest("A NUL character is not allowed in a request.")
        return self.get_response(request)


def _holds_nul(request: HttpRequest) -> bool:
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return True
    if request.method == "POST":
        return any("\x00" in key for key in request.POST)
    return False
