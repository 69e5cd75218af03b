"""htmx plumbing shared by every app's views: one URL serves the page and its fragment."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx request from the page itself (not boosted, not a history restore)."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(
    request: HtmxHttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | None,
    status: int = 200,
) -> HttpResponse:
    """Render the whole page, or only its `partial` for an htmx request from the page itself.

    A boosted request or an htmx history restore (back button after a cache miss) needs the
    whole page, and so does a page in a state that has no such fragment (`partial` None: a
    submitted report has no editor). `Vary: HX-Request` stops a browser cache from serving a
    fragment for the page.
    """
    if partial is not None and wants_fragment(request):
        template = f"{template}#{partial}"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
