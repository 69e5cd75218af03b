"""My approvals: every open review — of a gate, a proposal or a change request — waiting for
the signed-in person's decision, as a seat holder or standing in for one; and the tile the
directors' dashboard loads with htmx (per person, so it stays out of the dashboard's cache)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from governance.selectors.approvals import approvals_for, waiting_counts
from ppm.params import parse_int
from ppm.roles import ALL_ROLES, has_role


def _require_a_role(request: HttpRequest) -> None:
    # Anyone may be named an approver (a project manager too); a person without a role in
    # Conductor holds no seat.
    if not has_role(request.user, *ALL_ROLES):
        raise PermissionDenied("Approvals are for people with a role in Conductor.")


@require_GET
@login_required
def my_approvals(request: HttpRequest) -> HttpResponse:
    _require_a_role(request)
    # A page past the end shows the last; anything that is not a page number, the first.
    page = parse_int(request.GET.get("page"), min_value=1) or 1
    found = approvals_for(request.user, now=timezone.now(), page=page)
    return render(
        request,
        "governance/approvals.html",
        {
            "rows": found.rows,
            "found": found,
            "pending": found.pending,
            "overdue": found.overdue,
        },
    )


@require_GET
@login_required
def approvals_tile(request: HttpRequest) -> HttpResponse:
    """The count waiting and overdue, as a dashboard tile (an htmx fragment)."""
    _require_a_role(request)
    return render(
        request, "governance/_approvals_tile.html", {"counts": waiting_counts(request.user)}
    )


@require_GET
@login_required
def approvals_badge(request: HttpRequest) -> HttpResponse:
    """The navigation's count of reviews waiting for the person (loaded by htmx into the My
    approvals link, so no page pays for it): empty when none. Rendered without the context
    processors, whose navigation would cost a query the fragment does not show."""
    _require_a_role(request)
    counts = waiting_counts(request.user)
    return HttpResponse(render_to_string("governance/_approvals_badge.html", {"counts": counts}))


urlpatterns = [
    path("approvals/", my_approvals, name="approvals"),
    path("approvals/tile/", approvals_tile, name="approvals-tile"),
    path("approvals/badge/", approvals_badge, name="approvals-badge"),
]
