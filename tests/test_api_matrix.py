"""Every routed API resource, every persona: the rows each may list are exactly the rows
ppm.access.scope gives them (what the pages show), a record out of scope is a 404, no
credentials is a 401, and a write method on a read-only resource is a 405.

The routes are discovered from the URLconf: a resource added to ppm/api/router.py is in
this matrix the day it is added, and `ROUTES` must name it (so whoever adds one says what
its object is).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from ppm.access import scope
from ppm.api import router
from projects.choices import ReportState
from projects.models import ChangeRequest, Issue
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)
from reporting.engine import recompute, snapshot

pytestmark = pytest.mark.django_db

PERSONAS = ["pm", "other_pm", "director", "other_director", "pmo", "executive", "outsider"]
# basename → how to find the row of `pm`'s project for the detail URL ("kpi" has no rows).
ROUTES = {
    "portfolio": lambda world: world["mine"].portfolio_id,
    "project": lambda world: world["mine"].pk,
    "milestone": lambda world: world["milestone"].pk,
    "risk": lambda world: world["risk"].pk,
    "issue": lambda world: world["issue"].pk,
    "change-request": lambda world: world["change"].pk,
    "status-report": lambda world: world["report"].pk,
    "cost-line": lambda world: world["cost"].pk,
    "rollup": lambda world: world["mine"].pk,
    "snapshot": lambda world: world["mine"].snapshots.get().pk,
    "kpi": None,
}


def test_every_routed_resource_is_in_the_matrix():
    routed = {basename for _prefix, _viewset, basename in router.router.registry}
    assert routed == set(ROUTES)
    api = next(e for e in get_resolver().url_patterns if getattr(e, "namespace", "") == "api")
    names = {p.name for p in api.url_patterns}
    for basename in ROUTES:
        assert {f"{basename}-list", f"{basename}-detail"} <= names


def _one_of_each(project, author):
    return {
        "milestone": MilestoneFactory(project=project),
        "risk": RiskFactory(project=project),
        "issue": Issue.objects.create(project=project, title="Licences"),
        "change": ChangeRequest.objects.create(
            project=project,
            title="Scope",
            description="More",
            cost_impact=Decimal("1000"),
            raised_by=author,
        ),
        "report": StatusReportFactory(
            project=project, state=ReportState.SUBMITTED, submitted_at=timezone.now()
        ),
        "cost": CostLineFactory(project=project, month=date(2026, 3, 1)),
    }


@pytest.fixture
def world(portfolio, other_portfolio, pm, other_pm):
    mine = ProjectFactory(portfolio=portfolio, manager=pm, code="MINE-1")
    theirs = ProjectFactory(portfolio=other_portfolio, manager=other_pm, code="THEIRS-1")
    rows = _one_of_each(mine, pm)
    _one_of_each(theirs, other_pm)
    draft = StatusReportFactory(project=mine, state=ReportState.DRAFT, period_end=date(2026, 4, 30))
    recompute()
    snapshot()
    return {"mine": mine, "theirs": theirs, "draft": draft, **rows}


def _client(request, persona) -> APIClient:
    client = APIClient()
    if persona:
        client.force_login(request.getfixturevalue(persona))
    return client


def _all_ids(client, url) -> list:
    page = client.get(url, {"page_size": 200})
    assert page.status_code == 200, (url, page.content[:300])
    body = page.json()
    rows = body["results"] if isinstance(body, dict) else body
    return sorted(row.get("id", row.get("project", row.get("key"))) for row in rows)


def _viewset(basename):
    return next(v for _p, v, b in router.router.registry if b == basename)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("basename", sorted(ROUTES))
def test_a_list_holds_exactly_what_the_persona_may_see(request, world, persona, basename):
    client = _client(request, persona)
    listed = _all_ids(client, reverse(f"api:{basename}-list"))
    viewset = _viewset(basename)
    if ROUTES[basename] is None:
        assert listed  # the catalogue is the same for everyone
        return
    user = request.getfixturevalue(persona)
    view = viewset()
    view.request = type("R", (), {"user": user})()
    expected = sorted(view.get_queryset().values_list("pk", flat=True))
    assert listed == expected
    scoped = scope(viewset.base_queryset.model.objects.all(), user)
    assert set(expected) <= set(scoped.values_list("pk", flat=True))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("basename", sorted(b for b, find in ROUTES.items() if find))
def test_a_record_out_of_scope_is_a_404(request, world, persona, basename):
    client = _client(request, persona)
    url = reverse(f"api:{basename}-detail", args=[ROUTES[basename](world)])
    may_see = persona in ("pm", "director", "pmo", "executive")
    if basename == "portfolio":  # a project manager has no portfolio pages, as in the app
        may_see = persona in ("director", "pmo", "executive")
    assert client.get(url).status_code == (200 if may_see else 404), url


@pytest.mark.parametrize("basename", sorted(ROUTES))
def test_no_credentials_is_a_401_and_writes_are_405(request, world, basename):
    url = reverse(f"api:{basename}-list")
    assert APIClient().get(url).status_code == 401
    client = _client(request, "pmo")
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(url, {}, format="json").status_code == 405, method


def test_a_draft_status_report_is_seen_only_by_who_may_change_the_project(request, world):
    for persona, sees_draft in (
        ("pm", True),
        ("director", True),
        ("pmo", True),
        ("executive", False),
        ("other_director", False),
    ):
        listed = _all_ids(_client(request, persona), reverse("api:status-report-list"))
        assert (world["draft"].pk in listed) is sees_draft, persona
