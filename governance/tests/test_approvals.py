"""My approvals: the change requests waiting for the reader's decision (issue 10, in part)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.selectors.approvals import decisions_waiting
from projects import services
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

URL = reverse("governance:approvals")


def _raise(project, pm, title: str, *, days_ago: int = 0):
    change = services.change_request_raise(
        project=project,
        by=pm,
        title=title,
        description="Asked for by the business.",
        schedule_impact_days=5,
        cost_impact=Decimal("20000"),
    )
    type(change).objects.filter(pk=change.pk).update(
        submitted_at=timezone.now() - timedelta(days=days_ago)
    )
    return change


@pytest.fixture
def waiting(portfolio, other_portfolio, pm, other_pm):
    mine = ProjectFactory(portfolio=portfolio, manager=pm, state="active")
    theirs = ProjectFactory(portfolio=other_portfolio, manager=other_pm, state="active")
    return {
        "old": _raise(mine, pm, "Add a second site", days_ago=15),
        "new": _raise(mine, pm, "Extra reports", days_ago=1),
        "theirs": _raise(theirs, other_pm, "Network upgrade", days_ago=3),
    }


def test_a_director_sees_their_portfolios_changes_oldest_first_with_the_overdue_flagged(
    client, director, waiting
):
    client.force_login(director)
    page = client.get(URL).content.decode()
    assert page.index("Add a second site") < page.index("Extra reports")
    assert "Network upgrade" not in page
    assert "Overdue" in page and "1 overdue" in page
    assert (
        reverse("projects:change-decide", args=[waiting["old"].project_id, waiting["old"].pk])
        in page
    )


def test_the_pmo_sees_every_portfolios_changes(client, pmo, waiting):
    client.force_login(pmo)
    page = client.get(URL).content.decode()
    assert all(w.title in page for w in waiting.values())


def test_a_decided_change_leaves_the_list(client, director, waiting):
    change = waiting["new"]
    services.change_request_decide(
        request=change,
        expected_version=change.version,
        by=director,
        approve=False,
        comment="Not this year.",
    )
    assert [w.change.title for w in decisions_waiting(director)] == ["Add a second site"]


@pytest.mark.parametrize("persona", ["pm", "executive"])
def test_others_are_refused(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_nothing_waiting_says_so(client, director):
    client.force_login(director)
    assert 'data-testid="approvals-empty"' in client.get(URL).content.decode()


def test_the_list_takes_a_fixed_number_of_queries(
    client, pmo, portfolio, pm, django_assert_num_queries, waiting
):
    client.force_login(pmo)
    client.get(URL)
    for n in range(10):
        _raise(ProjectFactory(portfolio=portfolio, manager=pm), pm, f"More {n}")
    # session, user, roles, the waiting changes with their projects, portfolios and raisers
    with django_assert_num_queries(4):
        page = client.get(URL).content.decode()
    assert "More 9" in page
