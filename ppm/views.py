"""Site-wide views: the role-aware home page and the health checks."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.middleware.csp import get_nonce
from django.shortcuts import redirect
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from ppm import health
from ppm.navigation import start_page_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to the page its work starts from."""
    return redirect(start_page_for(request.user))


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponseServerError:
    """Django's 500 page plus the CSP nonce for its inline <style>: the page deliberately uses
    no static file (they may be what is broken) and no context processor (nor the database)."""
    html = loader.get_template("500.html").render({"csp_nonce": get_nonce(request)})
    return HttpResponseServerError(html)


def _may_see_details(request: HttpRequest) -> bool:
    """Staff, or a caller bearing HEALTHZ_TOKEN: exception texts and host names help an
    attacker map the deployment, so everyone else learns only the status."""
    token = settings.HEALTHZ_TOKEN
    if token:
        scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            offered.strip().encode(), token.encode()
        ):
            return True
    try:
        return request.user.is_staff
    except DatabaseError:  # the session lives in the database, which may be the thing down
        return False


def _answer(request: HttpRequest, checks: list[health.Check]) -> JsonResponse:
    failing = [c.name for c in checks if not c.ok]
    body: dict[str, object] = {"status": "ok" if not failing else "unavailable"}
    if _may_see_details(request):
        body["failing"] = failing
        body["checks"] = {c.name: {"ok": c.ok, "detail": c.detail, "ms": c.ms} for c in checks}
    return JsonResponse(body, status=200 if not failing else 503)


@require_GET
@never_cache
def healthz_live(request: HttpRequest) -> JsonResponse:
    """200 while the process serves requests: no database, Redis or worker is asked."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def healthz_ready(request: HttpRequest) -> JsonResponse:
    """200 when the database and Redis answer: this process can serve pages."""
    return _answer(request, health.readiness_checks())


@require_GET
@never_cache
def healthz_worker(request: HttpRequest) -> JsonResponse:
    """200 when a worker answered a round trip within the last few seconds (cached)."""
    redis = health.redis_check()
    worker = health.worker_check() if redis.ok else None
    return _answer(
        request, [worker or health.Check("worker", False, "skipped: Redis is unreachable", 0.0)]
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when database, Redis and a worker all answer; 503 otherwise."""
    return _answer(request, health.run_checks())
