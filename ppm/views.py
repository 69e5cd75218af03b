"""Site-wide views: the role-aware home page and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ppm.health import run_checks
from ppm.navigation import start_page_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to the page its work starts from."""
    return redirect(start_page_for(request.user))


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when database, Redis and a worker all answer; 503 naming what failed otherwise."""
    checks = run_checks()
    failing = [c.name for c in checks if not c.ok]
    body = {
        "status": "ok" if not failing else "unavailable",
        "failing": failing,
        "checks": {c.name: {"ok": c.ok, "detail": c.detail, "ms": c.ms} for c in checks},
    }
    return JsonResponse(body, status=200 if not failing else 503)
