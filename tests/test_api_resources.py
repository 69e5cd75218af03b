"""/api/v1/portfolios/ and /api/v1/projects/: scope as on the pages, cursor pages, filters,
ordering, precise errors, and a fixed number of queries whatever the page size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from portfolio.tests.factories import PortfolioFactory
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def two_portfolios(portfolio, other_portfolio, pm, other_pm):
    mine = [ProjectFactory(portfolio=portfolio, manager=pm, code=f"A-{i:02d}") for i in range(3)]
    theirs = [
        ProjectFactory(portfolio=other_portfolio, manager=other_pm, code=f"B-{i:02d}")
        for i in range(2)
    ]
    return mine, theirs


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_a_director_lists_only_their_portfolio_and_its_projects(director, two_portfolios):
    client = client_for(director)
    assert len(codes(client.get(reverse("api:portfolio-list")))) == 1
    assert codes(client.get(reverse("api:project-list"))) == ["A-00", "A-01", "A-02"]


def test_pmo_and_executive_see_every_project(pmo, executive, two_portfolios):
    for user in (pmo, executive):
        assert len(codes(client_for(user).get(reverse("api:project-list")))) == 5


def test_a_project_manager_sees_the_projects_they_manage(other_pm, two_portfolios):
    assert codes(client_for(other_pm).get(reverse("api:project-list"))) == ["B-00", "B-01"]


def test_another_portfolios_project_is_a_404_as_on_the_pages(director, two_portfolios):
    _mine, theirs = two_portfolios
    response = client_for(director).get(reverse("api:project-detail", args=[theirs[0].pk]))
    assert response.status_code == 404
    assert response.json() == {"detail": "No Project matches the given query."}


def test_without_credentials_the_answer_is_401(two_portfolios):
    response = APIClient().get(reverse("api:project-list"))
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_an_outsider_sees_nothing(outsider, two_portfolios):
    assert codes(client_for(outsider).get(reverse("api:project-list"))) == []


def test_a_project_reads_with_its_rule_health_and_people(director, two_portfolios):
    mine, _theirs = two_portfolios
    row = client_for(director).get(reverse("api:project-detail", args=[mine[0].pk])).json()
    assert row["code"] == "A-00" and row["manager"] == mine[0].manager.username
    assert row["health"] is None  # no rollup computed yet
    assert row["version"] == mine[0].version


def test_filters_and_ordering(pmo, two_portfolios, other_portfolio):
    client = client_for(pmo)
    url = reverse("api:project-list")
    assert codes(client.get(url, {"portfolio": other_portfolio.pk})) == ["B-00", "B-01"]
    assert codes(client.get(url, {"code": "a-01"})) == ["A-01"]
    assert codes(client.get(url, {"ordering": "-code"}))[:2] == ["B-01", "B-00"]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"portfolio": "x"}, "portfolio"),
        ({"state": "flying"}, "state"),
        ({"health": "purple"}, "health"),
        ({"name": "a" * 201}, "name"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(pmo, two_portfolios, query, field):
    response = client_for(pmo).get(reverse("api:project-list"), query)
    assert response.status_code == 400
    assert field in response.json()


def test_an_unknown_ordering_is_ignored_not_a_500(pmo, two_portfolios):
    url = reverse("api:project-list")
    assert codes(client_for(pmo).get(url, {"ordering": "budget_at_completion"}))[0] == "A-00"


def test_cursor_pages_walk_every_row_once(pmo, two_portfolios):
    client, url, seen = client_for(pmo), reverse("api:project-list") + "?page_size=2", []
    while url:
        page = client.get(url).json()
        seen += [row["code"] for row in page["results"]]
        url = page["next"]
    assert seen == ["A-00", "A-01", "A-02", "B-00", "B-01"]


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "1e9", "٣"])
def test_an_odd_page_size_falls_back_to_the_default(pmo, two_portfolios, page_size):
    response = client_for(pmo).get(reverse("api:project-list"), {"page_size": page_size})
    assert response.status_code == 200


def test_a_nul_byte_in_a_query_is_a_400(pmo, two_portfolios):
    response = client_for(pmo).get(reverse("api:project-list"), {"name": "a\x00b"})
    assert response.status_code == 400


def test_a_forged_cursor_is_a_404_with_its_reason(pmo, two_portfolios):
    response = client_for(pmo).get(reverse("api:project-list"), {"cursor": "!!not base64"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


@pytest.mark.parametrize("name", ["api:project-list", "api:portfolio-list"])
def test_a_list_runs_the_same_queries_for_10_and_50_rows(director, portfolio, name):
    for i in range(60):
        ProjectFactory(portfolio=portfolio, code=f"Q-{i:03d}")
    PortfolioFactory()  # not the director's
    client = client_for(director)
    counts = []
    for size in (10, 50):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name), {"page_size": size}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_each_token_has_its_own_rate_budget_then_429_with_retry_after(settings, pmo):
    from datetime import timedelta

    from django.utils import timezone

    from ppm.accounts.tokens import api_token_create

    settings.API_RATE_TOKEN = "3/min"
    now = timezone.now()
    first, second = (
        api_token_create(owner=pmo, name=n, expires_at=now + timedelta(days=1), now=now).secret
        for n in ("first", "second")
    )
    url = reverse("api:kpi-list")
    answers = [APIClient().get(url, HTTP_AUTHORIZATION=f"Bearer {first}") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert "Request was throttled" in answers[-1].json()["detail"]
    # The person's other token is not held back by the first one's budget.
    assert APIClient().get(url, HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


def test_flat_rows_equal_what_the_model_serializer_writes(pmo, two_portfolios):
    from rest_framework import serializers

    from ppm.api.resources import ProjectSerializer, ProjectViewSet

    mine, _theirs = two_portfolios
    mine[0].forecast_finish = mine[0].baseline_finish
    mine[0].save()
    rows = ProjectViewSet.base_queryset.order_by("code")
    flat = ProjectSerializer(rows, many=True).data
    generic = [serializers.ModelSerializer.to_representation(ProjectSerializer(), r) for r in rows]
    assert flat == generic and len(flat) == 5
    assert flat[0]["forecast_finish"] == mine[0].baseline_finish.isoformat()
