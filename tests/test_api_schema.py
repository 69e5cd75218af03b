"""The OpenAPI schema (/api/schema/) is valid and served with its readers, and a bounded
schemathesis run over every operation it describes finds no server error.

The run generates each operation's parameters from the schema (and past it: odd strings,
huge numbers, NUL bytes, unknown query keys) with Hypothesis, sends them through Django's
WSGI handler with a PMO's token (the widest read scope), and asserts no 5xx answer. It is
bounded (SCHEMATHESIS_EXAMPLES per operation, derandomized so a run is repeatable) so it
stays well under a minute in `make test`. (Schemathesis's own pytest plugin does not run
under pytest 9, so each operation's strategy is driven by Hypothesis here.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from portfolio.tests.factories import PortfolioFactory
from ppm.accounts.tokens import api_token_create
from projects.tests.factories import MilestoneFactory, ProjectFactory, RiskFactory

SCHEMATHESIS_EXAMPLES = 25


@pytest.fixture
def pmo_token(pmo) -> str:
    now = timezone.now()
    return api_token_create(
        owner=pmo, name="schemathesis", expires_at=now + timedelta(days=1), now=now
    ).secret


@pytest.fixture
def some_rows(pmo):
    project = ProjectFactory(portfolio=PortfolioFactory())
    MilestoneFactory(project=project)
    RiskFactory(project=project)
    return project


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler inside the test's transaction: as Django's test Client does, the
    request signals must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_no_operation_answers_with_a_server_error(db, pmo_token, some_rows, wsgi_app, settings):
    settings.API_RATE_TOKEN = "100000/min"  # every example answered, none throttled
    auth = {"Authorization": f"Bearer {pmo_token}"}
    api = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=auth)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 20
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=SCHEMATHESIS_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case):
            response = case.call(headers=auth)
            if response.status_code >= 500:
                failures.append((case.formatted_path, case.query, response.status_code))

        call()
    assert failures == []


def test_the_schema_is_openapi_3_and_lists_every_resource(pmo):
    client = APIClient()
    client.force_login(pmo)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.")
    for path in (
        "/api/v1/portfolios/",
        "/api/v1/projects/",
        "/api/v1/projects/{id}/",
        "/api/v1/milestones/",
        "/api/v1/risks/",
        "/api/v1/issues/",
        "/api/v1/change-requests/",
        "/api/v1/status-reports/",
        "/api/v1/cost-lines/",
        "/api/v1/rollups/",
        "/api/v1/snapshots/",
        "/api/v1/kpis/",
    ):
        assert path in body["paths"], path
    assert body["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_readers_are_served_from_our_own_static_files(pmo, url):
    client = APIClient()
    client.force_login(pmo)
    page = client.get(url).content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()


def test_the_schema_needs_a_signed_in_user():
    assert APIClient().get("/api/schema/").status_code == 401
