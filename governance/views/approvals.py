"""My approvals: everything waiting for the signed-in director's or PMO member's decision."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from governance.selectors.approvals import decisions_waiting
from ppm.roles import Role, has_role


@require_GET
@login_required
def my_approvals(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.DIRECTOR, Role.PMO):
        raise PermissionDenied("Approvals are decided by directors and the PMO.")
    waiting = decisions_waiting(request.user)
    return render(
        request,
        "governance/approvals.html",
        {
            "waiting": waiting,
            "overdue": sum(1 for w in waiting if w.overdue),
            "sla_days": settings.CHANGE_REQUEST_DECISION_DAYS,
        },
    )


urlpatterns = [path("approvals/", my_approvals, name="approvals")]
