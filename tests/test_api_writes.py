"""Writes through the API: the UI's milestone services, If-Match on the version (428
without it, 412 when stale, never a silent overwrite), the UI's permission rule, a
service's refusal as a 400 naming the field, and nothing half-written."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import Milestone, MilestoneForecast
from projects.tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def milestone(portfolio, pm):
    project = ProjectFactory(portfolio=portfolio, manager=pm)
    return MilestoneFactory(project=project, forecast_date=date(2026, 6, 1))


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def detail(milestone) -> str:
    return reverse("api:milestone-detail", args=[milestone.pk])


def test_a_read_carries_the_version_as_its_etag(pm, milestone):
    response = client_for(pm).get(detail(milestone))
    assert response.headers["ETag"] == f'"{milestone.version}"'


def test_a_patch_with_the_etag_it_read_goes_through_the_service(pm, milestone):
    client = client_for(pm)
    tag = client.get(detail(milestone)).headers["ETag"]
    body = {"name": "Go-live", "description": "", "is_key": True, "weight": "2.00"}
    response = client.patch(detail(milestone), body, format="json", HTTP_IF_MATCH=tag)
    assert response.status_code == 200, response.content
    milestone.refresh_from_db()
    assert milestone.name == "Go-live" and milestone.version == 2
    assert response.headers["ETag"] == '"2"'


def test_a_stale_write_is_a_412_with_the_current_version_and_changes_nothing(pm, milestone):
    client = client_for(pm)
    tag = client.get(detail(milestone)).headers["ETag"]
    body = {"name": "First", "description": "", "is_key": True, "weight": "1"}
    assert (
        client.patch(detail(milestone), body, format="json", HTTP_IF_MATCH=tag).status_code == 200
    )
    body["name"] = "Second, from an old read"
    stale = client.patch(detail(milestone), body, format="json", HTTP_IF_MATCH=tag)
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    milestone.refresh_from_db()
    assert milestone.name == "First"


def test_a_write_without_if_match_is_a_428(pm, milestone):
    body = {"name": "X", "description": "", "is_key": True, "weight": "1"}
    response = client_for(pm).patch(detail(milestone), body, format="json")
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


@pytest.mark.parametrize("header", ['"abc"', '"1e9"', '"\u0663"', '"' + "9" * 30 + '"'])
def test_an_odd_if_match_is_a_400_naming_it(pm, milestone, header):
    body = {"name": "X", "description": "", "is_key": True, "weight": "1"}
    response = client_for(pm).patch(detail(milestone), body, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 400
    assert "If-Match" in response.json()


def test_reforecast_needs_a_reason_and_keeps_the_forecast_history(pm, milestone):
    client, url = client_for(pm), reverse("api:milestone-reforecast", args=[milestone.pk])
    no_reason = client.post(
        url, {"forecast_date": "2026-07-01", "reason": ""}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    before = MilestoneForecast.objects.filter(milestone=milestone).count()
    moved = client.post(
        url,
        {"forecast_date": "2026-07-01", "reason": "Vendor late"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["forecast_date"] == "2026-07-01"
    assert MilestoneForecast.objects.filter(milestone=milestone).count() == before + 1


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-02-30", "yesterday", ""])
def test_an_absurd_date_is_a_400_next_to_the_field(pm, milestone, day):
    url = reverse("api:milestone-achieve", args=[milestone.pk])
    response = client_for(pm).post(url, {"actual_date": day}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert "actual_date" in response.json()
    assert Milestone.objects.get(pk=milestone.pk).actual_date is None


def test_a_future_achievement_is_refused_by_the_service(pm, milestone):
    url = reverse("api:milestone-achieve", args=[milestone.pk])
    response = client_for(pm).post(
        url, {"actual_date": "2099-01-01"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert "actual_date" in response.json()


def test_a_reader_gets_403_and_a_stranger_404(executive, other_pm, milestone):
    body = {"name": "X", "description": "", "is_key": True, "weight": "1"}
    seen = client_for(executive).patch(detail(milestone), body, format="json", HTTP_IF_MATCH='"1"')
    assert seen.status_code == 403
    unseen = client_for(other_pm).patch(detail(milestone), body, format="json", HTTP_IF_MATCH='"1"')
    assert unseen.status_code == 404
    assert Milestone.objects.get(pk=milestone.pk).name == milestone.name


def test_other_resources_stay_read_only(pm, milestone):
    url = reverse("api:project-detail", args=[milestone.project_id])
    assert client_for(pm).patch(url, {}, format="json").status_code == 405
