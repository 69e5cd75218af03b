"""The change-request page: raising (full page and htmx), the link from each pending change
to its governance review (where it is decided: governance/tests/test_reviews.py), validation
and a constant number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.tests.factories import UserFactory
from projects import services
from projects.choices import ChangeRequestState
from projects.models import ChangeRequest

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def page_url(project) -> str:
    return reverse("projects:changes", args=[project.pk])


def raise_url(project) -> str:
    return reverse("projects:change-raise", args=[project.pk])


def review_url(request) -> str:
    return reverse("governance:review", args=[request.reviews.get().pk])


def raise_post(**overrides) -> dict:
    data = {
        "title": "Add payroll for Austria",
        "description": "HR asks for the Austrian payroll in the first release.",
        "scope_impact": "Payroll for one more country.",
        "schedule_impact_days": "21",
        "cost_impact": "45,000",
    }
    data.update(overrides)
    return data


@pytest.fixture
def submitted(project, pm, pmo) -> ChangeRequest:
    # The PMO member exists first: a review's seats are those held when it opens.
    return services.change_request_raise(
        project=project,
        by=pm,
        title="Add intercompany reconciliation",
        description="Finance asks for intercompany matching.",
        schedule_impact_days=10,
        cost_impact=Decimal("45000"),
    )


# --- Access ---------------------------------------------------------------------------------


def test_the_page_sends_an_anonymous_visitor_to_sign_in(client, project):
    response = client.get(page_url(project))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive"])
def test_the_page_opens_for_everyone_who_may_see_the_project(
    client, request, persona, project, submitted
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(page_url(project))
    assert response.status_code == 200
    assert "Add intercompany reconciliation" in response.text


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "outsider"])
def test_the_page_is_refused_outside_the_users_scope(client, request, persona, project, submitted):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(page_url(project)).status_code == 403
    assert client.post(raise_url(project), raise_post()).status_code == 403


def test_an_executive_may_not_raise_but_reads_the_review_link(
    client, executive, project, submitted
):
    client.force_login(executive)
    page = client.get(page_url(project))
    assert raise_url(project) not in page.text
    assert review_url(submitted) in page.text and "Decide in review" not in page.text
    assert client.get(raise_url(project)).status_code == 403
    assert client.post(raise_url(project), raise_post()).status_code == 403
    assert ChangeRequest.objects.count() == 1


def test_the_project_manager_raises_and_follows_the_review(client, pm, project, submitted):
    client.force_login(pm)
    page = client.get(page_url(project))
    assert raise_url(project) in page.text
    assert review_url(submitted) in page.text and "Decide in review" not in page.text
    assert "decided in its review" in page.text


@pytest.mark.parametrize("persona", ["director", "pmo"])
def test_the_director_and_the_pmo_decide_in_the_review(
    client, request, persona, project, submitted
):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(page_url(project)).text
    assert review_url(submitted) in page and "Decide in review" in page
    assert 'data-testid="decision-form"' in client.get(review_url(submitted)).text


def test_the_decide_view_is_gone(client, director, submitted):
    client.force_login(director)
    url = f"/projects/{submitted.project_id}/changes/{submitted.pk}/decide/"
    assert client.get(url).status_code == 404


def test_a_decided_change_links_to_its_decision_record(client, director, project, submitted):
    from governance.services.reviews import review_decide

    review_decide(review=submitted.reviews.get(), by=director, verdict="approve", comment="")
    client.force_login(director)
    page = client.get(page_url(project)).text
    assert "Decision record" in page and review_url(submitted) in page
    assert 'data-testid="forecast-finish">28 Dec 2026<' in page


# --- Raising --------------------------------------------------------------------------------


def test_a_change_raised_by_a_full_page_post_is_submitted(client, pm, project):
    client.force_login(pm)
    response = client.post(raise_url(project), raise_post(), follow=True)
    change = ChangeRequest.objects.get()
    assert change.state == ChangeRequestState.SUBMITTED
    assert (change.schedule_impact_days, change.cost_impact) == (21, Decimal("45000.00"))
    assert change.raised_by == pm and change.submitted_at is not None
    assert response.redirect_chain[-1][0] == page_url(project)
    assert "raised for decision" in response.text


def test_a_change_raised_with_htmx_swaps_in_the_refreshed_list(client, pm, project):
    client.force_login(pm)
    response = client.post(raise_url(project), raise_post(), headers=HTMX)
    assert response["HX-Retarget"] == "#change-log"
    assert response.text.lstrip().startswith('<div id="change-log"')
    assert "Add payroll for Austria" in response.text
    assert response.context["log"].summary.pending == 1


def test_a_change_needs_an_impact_and_keeps_the_input_when_refused(client, pm, project):
    client.force_login(pm)
    response = client.post(
        raise_url(project),
        raise_post(scope_impact="", schedule_impact_days="0", cost_impact=""),
        headers=HTMX,
    )
    assert response.context["form"].errors["scope_impact"] == [
        "State at least one impact: scope, schedule or cost."
    ]
    assert "HR asks for the Austrian payroll in the first release." in response.text
    assert "<html" not in response.text
    assert not ChangeRequest.objects.exists()


def test_typing_errors_are_shown_next_to_their_fields(client, pm, project):
    client.force_login(pm)
    response = client.post(
        raise_url(project), raise_post(title="", schedule_impact_days="soon", cost_impact="1e")
    )
    assert set(response.context["form"].errors) == {"title", "schedule_impact_days", "cost_impact"}
    assert 'value="soon"' in response.text


def test_a_negative_cost_impact_may_reduce_the_budget_but_not_below_zero(client, pm, project):
    client.force_login(pm)
    response = client.post(raise_url(project), raise_post(cost_impact="−300,000"))
    assert response.context["form"].errors["cost_impact"] == [
        "The cost impact would make the budget negative."
    ]
    assert client.post(raise_url(project), raise_post(cost_impact="-20,000")).status_code == 302
    assert ChangeRequest.objects.get().cost_impact == Decimal("-20000")


# --- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 12])
def test_the_page_runs_a_fixed_number_of_queries(
    client, director, pm, project, django_assert_num_queries, size
):
    for i in range(size):
        change = services.change_request_raise(
            project=project,
            by=UserFactory(),
            title=f"Change {i}",
            description="d",
            schedule_impact_days=i + 1,
        )
        if i % 2:
            services.change_request_decide(
                request=change, expected_version=1, by=director, approve=i % 4 == 1, comment="c"
            )
    client.force_login(director)
    # session, user, roles, project, may view, may change, count, rows, summary
    with django_assert_num_queries(9):
        response = client.get(page_url(project))
    assert response.context["log"].total == size
