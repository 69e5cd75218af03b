"""Every project and portfolio URL, every role: the right answer is 200/302 or 403 — never a
404 that leaks existence, never a 500.

The matrix is built from the URL configuration itself, so a new view is covered the day it
is added: its URL is filled with real objects of a project managed by `pm` in a portfolio
directed by `director`, then requested by each persona with GET and with an empty POST.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from projects.models import Assumption, ChangeRequest, Dependency, Issue
from projects.tests.factories import (
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)

pytestmark = pytest.mark.django_db

NAMESPACES = ("projects", "portfolio", "reporting", "governance")
# Readers see these pages; everything else under a project is a write form.
READ_ONLY_NAMES = {
    "projects:detail",
    "projects:status",
    "projects:status-report",
    "projects:milestones",
    "projects:milestone-chart",
    "projects:costs",
    "projects:raid",
    "projects:changes",
    "projects:lessons",
    "projects:history",
    "projects:lifecycle",
    "projects:costs-export",
    "reporting:portfolio-detail",
    "reporting:portfolio-projects-export",
    "governance:scores",
    "governance:ranking",
}


def _patterns(resolver: URLResolver, namespace: str | None = None, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, entry.namespace or namespace, prefix)
        elif isinstance(entry, URLPattern) and namespace in NAMESPACES and entry.name:
            yield f"{namespace}:{entry.name}", list(entry.pattern.converters)


@pytest.fixture
def world(project, other_project):
    milestone = MilestoneFactory(project=project, baseline_date=date(2026, 6, 1))
    report = StatusReportFactory(project=project)
    ids = {
        "pk": project.pk,
        "report_pk": report.pk,
        "milestone_pk": milestone.pk,
        "change_pk": ChangeRequest.objects.create(
            project=project, title="Add payroll", description="Scope", state="submitted"
        ).pk,
    }
    items = {
        "risk": RiskFactory(project=project).pk,
        "issue": Issue.objects.create(project=project, title="Licences").pk,
        "assumption": Assumption.objects.create(project=project, title="Budget holds").pk,
        "dependency": Dependency.objects.create(
            project=project, depends_on=other_project, title="Network ready"
        ).pk,
    }
    return project, ids, items


def urls_for(world) -> list[tuple[str, str]]:
    project, ids, items = world
    urls = []
    for name, params in _patterns(get_resolver()):
        if "pk" not in params:
            continue  # list pages are covered by their own tests
        kwargs = {}
        for param in params:
            if param == "pk" and name.startswith(("reporting:", "governance:")):
                kwargs[param] = project.portfolio_id
            elif param in ids:
                kwargs[param] = ids[param]
            elif param == "fmt":
                kwargs[param] = "csv"
            elif param == "kind":
                kwargs[param] = "risks"
            elif param == "item_pk":
                kwargs[param] = items["risk"]
            else:
                kwargs[param] = ProjectFactory().pk  # an id the URL needs; a real row
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


def test_the_matrix_covers_the_project_sections(world):
    names = {name for name, _ in urls_for(world)}
    assert {"projects:detail", "projects:history", "reporting:portfolio-detail"} <= names
    assert {"governance:scores", "governance:ranking", "governance:ranking-apply"} <= names


@pytest.mark.parametrize("persona", ["pm", "director", "pmo"])
def test_people_who_may_change_the_project_never_get_an_error(client, request, world, persona):
    client.force_login(request.getfixturevalue(persona))
    for name, url in urls_for(world):
        if name.startswith(("reporting:", "governance:")) and persona == "pm":
            if name.startswith("governance:"):  # prioritisation is not a PM's business: 403
                assert client.get(url).status_code == 403, (name, url)
                assert client.post(url, {}).status_code in (403, 405), (name, url)
            continue  # portfolios are not a project manager's pages
        if name == "projects:change-decide" and persona == "pm":
            assert client.get(url).status_code == 403  # the director decides, not the PM
            assert client.post(url, {}).status_code == 403
            continue
        if name == "projects:edit" and persona == "pm":
            assert client.get(url).status_code == 403  # budget and details: director, PMO
            assert client.post(url, {}).status_code == 403
            continue
        if name == "projects:lifecycle" and persona == "pm":
            assert client.get(url).status_code == 200  # the PM reads the lifecycle
            assert client.post(url, {}).status_code == 403  # but does not move it
            continue
        if name.startswith("governance:policy-") and persona != "pmo":
            assert client.get(url).status_code == 403  # the figures policy is the PMO's
            assert client.post(url, {}).status_code == 403
            continue
        if name == "projects:status-correct" and persona != "pmo":
            assert client.get(url).status_code == 403  # correcting a report is the PMO's
            assert client.post(url, {}).status_code == 403
            continue
        get = client.get(url)
        assert get.status_code in (200, 302, 405), (name, url, get.status_code)
        post = client.post(url, {})
        assert post.status_code in (200, 302, 400, 405), (name, url, post.status_code)


def test_an_executive_reads_but_every_write_is_refused(client, executive, world):
    client.force_login(executive)
    for name, url in urls_for(world):
        get = client.get(url)
        expected = {200} if name in READ_ONLY_NAMES else {403, 405}
        assert get.status_code in expected, (name, url, get.status_code)
        post = client.post(url, {})
        assert post.status_code in (403, 405), (name, url, post.status_code)


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "outsider"])
def test_people_outside_the_projects_scope_get_403_everywhere(client, request, world, persona):
    client.force_login(request.getfixturevalue(persona))
    for name, url in urls_for(world):
        assert client.get(url).status_code in (403, 405), (persona, name, url)
        assert client.post(url, {}).status_code in (403, 405), (persona, name, url)


def test_anonymous_users_are_sent_to_sign_in(client, world):
    for name, url in urls_for(world):
        response = client.get(url)
        if response.status_code == 405:
            continue  # a POST-only endpoint refuses the method before anything else
        assert response.status_code == 302, (name, url)
        assert response["Location"].startswith("/accounts/login/"), (name, url)
        post = client.post(url, {})
        assert post.status_code == 405 or post["Location"].startswith("/accounts/login/")


def test_a_missing_project_is_404_for_everyone(client, pm):
    client.force_login(pm)
    assert client.get("/projects/999999/").status_code == 404
