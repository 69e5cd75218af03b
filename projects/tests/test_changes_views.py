"""The change-request page: raising (full page and htmx), deciding (director and PMO only),
the plan an approval leaves, validation, conflicts and a constant number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.tests.factories import UserFactory
from projects import services
from projects.choices import ChangeRequestState
from projects.models import ChangeRequest, Project
from projects.tests.factories import MilestoneFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def page_url(project) -> str:
    return reverse("projects:changes", args=[project.pk])


def raise_url(project) -> str:
    return reverse("projects:change-raise", args=[project.pk])


def decide_url(request) -> str:
    return reverse("projects:change-decide", args=[request.project_id, request.pk])


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
def submitted(project, pm) -> ChangeRequest:
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
    assert client.post(decide_url(submitted), {"decision": "approve"}).status_code == 403


def test_an_executive_may_neither_raise_nor_decide(client, executive, project, submitted):
    client.force_login(executive)
    page = client.get(page_url(project))
    assert raise_url(project) not in page.text
    assert decide_url(submitted) not in page.text
    assert client.get(raise_url(project)).status_code == 403
    assert client.post(raise_url(project), raise_post()).status_code == 403
    assert (
        client.post(decide_url(submitted), {"decision": "approve", "version": 1}).status_code == 403
    )
    assert ChangeRequest.objects.count() == 1


def test_the_project_manager_raises_but_never_decides(client, pm, project, submitted):
    client.force_login(pm)
    page = client.get(page_url(project))
    assert raise_url(project) in page.text
    assert decide_url(submitted) not in page.text
    assert "decided by the portfolio's director or the PMO" in page.text
    assert client.get(decide_url(submitted)).status_code == 403
    response = client.post(decide_url(submitted), {"decision": "approve", "version": 1})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.state == ChangeRequestState.SUBMITTED


@pytest.mark.parametrize("persona", ["director", "pmo"])
def test_the_director_and_the_pmo_see_the_decide_action(
    client, request, persona, project, submitted
):
    client.force_login(request.getfixturevalue(persona))
    assert decide_url(submitted) in client.get(page_url(project)).text
    assert client.get(decide_url(submitted)).status_code == 200


def test_a_change_request_of_another_project_is_not_found_here(client, director, project):
    stranger = services.change_request_raise(
        project=_another_project_of(project),
        by=director,
        title="t",
        description="d",
        schedule_impact_days=1,
    )
    client.force_login(director)
    url = reverse("projects:change-decide", args=[project.pk, stranger.pk])
    assert client.get(url).status_code == 404


def _another_project_of(project) -> Project:
    from projects.tests.factories import ProjectFactory

    return ProjectFactory(portfolio=project.portfolio)


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


# --- Deciding -------------------------------------------------------------------------------


def test_the_decision_form_previews_the_plan_approval_would_leave(client, director, submitted):
    client.force_login(director)
    response = client.get(decide_url(submitted))
    assert response.context["outcome"].forecast_finish == date(2026, 12, 28)
    assert "to <strong>28 Dec 2026</strong>" in response.text
    assert "to <strong>€295,000</strong>" in response.text


def test_approval_moves_the_forecast_finish_and_the_budget(client, director, project, submitted):
    client.force_login(director)
    response = client.post(
        decide_url(submitted),
        {"decision": "approve", "decision_comment": "Funded from reserve", "version": 1},
        follow=True,
    )
    project.refresh_from_db()
    assert project.forecast_finish == date(2026, 12, 18) + timedelta(days=10)
    assert project.budget_at_completion == Decimal("295000.00")
    submitted.refresh_from_db()
    assert (submitted.state, submitted.decided_by) == (ChangeRequestState.APPROVED, director)
    assert "forecast finish 18 Dec 2026 → 28 Dec 2026; BAC €250,000 → €295,000" in response.text
    assert 'data-testid="forecast-finish">28 Dec 2026<' in response.text


def test_approval_moves_the_milestones_the_director_ticks_and_every_page_shows_that_slip(
    client, director, project, submitted
):
    """Before: the forecast finish moved (+77 d on the overview) but no milestone did, so
    the lists and the dashboard still read the old slip."""
    from reporting.engine import recompute
    from reporting.models import ProjectRollup

    go_live = MilestoneFactory(
        project=project, name="Go-live", baseline_date=date(2026, 11, 2), is_key=True
    )
    training = MilestoneFactory(
        project=project, name="Training", baseline_date=date(2026, 10, 1), is_key=False
    )
    done = MilestoneFactory(
        project=project,
        name="Kick-off",
        baseline_date=date(2026, 1, 10),
        actual_date=date(2026, 1, 10),
    )
    client.force_login(director)
    preview = client.get(decide_url(submitted))
    assert "Go-live" in preview.text and "2 Nov 2026 → <strong>12 Nov 2026</strong>" in preview.text
    assert "Kick-off" not in preview.text.split('data-testid="change-milestones"')[1]

    response = client.post(
        decide_url(submitted),
        {
            "decision": "approve",
            "decision_comment": "Funded",
            "version": 1,
            "move_milestones": [go_live.pk],
        },
    )
    assert response.status_code == 302
    go_live.refresh_from_db()
    training.refresh_from_db()
    done.refresh_from_db()
    assert go_live.forecast_date == date(2026, 11, 12)
    assert training.forecast_date == date(2026, 10, 1)  # not ticked: kept
    assert done.forecast_date == date(2026, 1, 10)
    latest = go_live.forecasts.order_by("-pk").first()
    assert latest.reason == f"Approved change request: {submitted.title}"
    recompute(project_ids=[project.pk])
    assert ProjectRollup.objects.get(project=project).slip_days == 10


def test_approval_with_htmx_shows_the_new_plan_in_the_fragment(client, pmo, project, submitted):
    client.force_login(pmo)
    response = client.post(
        decide_url(submitted), {"decision": "approve", "version": 1}, headers=HTMX
    )
    assert response["HX-Retarget"] == "#change-log"
    assert 'data-testid="forecast-finish">28 Dec 2026<' in response.text
    assert "BAC €250,000 → €295,000" in response.text


def test_a_rejection_needs_a_comment_kept_next_to_the_field(client, director, project, submitted):
    client.force_login(director)
    response = client.post(decide_url(submitted), {"decision": "reject", "version": 1})
    assert response.context["form"].errors["decision_comment"] == [
        "Say why the change is rejected."
    ]
    response = client.post(
        decide_url(submitted),
        {"decision": "reject", "decision_comment": "No budget left", "version": 1},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.budget_at_completion == Decimal("250000.00")
    assert project.forecast_finish is None


def test_a_decision_without_a_button_is_refused(client, director, submitted):
    client.force_login(director)
    response = client.post(decide_url(submitted), {"version": 1, "decision_comment": "hm"})
    assert "Choose Approve or Reject." in response.text
    assert "hm</textarea>" in response.text


def test_a_decision_on_an_old_version_shows_the_conflict(client, director, pmo, submitted):
    ChangeRequest.objects.filter(pk=submitted.pk).update(version=2)  # edited meanwhile
    client.force_login(director)
    response = client.post(
        decide_url(submitted),
        {"decision": "approve", "decision_comment": "Go", "version": 1},
    )
    assert 'data-testid="conflict"' in response.text
    assert 'name="version" value="2"' in response.text
    assert "\nGo</textarea>" in response.text
    submitted.refresh_from_db()
    assert submitted.state == ChangeRequestState.SUBMITTED


def test_a_decided_change_cannot_be_decided_again(client, director, submitted):
    services.change_request_decide(
        request=submitted, expected_version=1, by=director, approve=True, comment=""
    )
    client.force_login(director)
    page = client.get(decide_url(submitted))
    assert "there is nothing to decide" in page.text
    response = client.post(decide_url(submitted), {"decision": "approve", "version": 2})
    assert "Only a submitted change request can be decided." in response.text


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


def test_approval_can_re_baseline_so_the_approved_days_do_not_count_as_slip(
    client, director, project, submitted
):
    late = MilestoneFactory(
        project=project,
        name="Go-live",
        baseline_date=date(2026, 11, 2),
        forecast_date=date(2026, 11, 9),  # already 7 days late before the change
        is_key=True,
    )
    client.force_login(director)
    assert "Re-baseline" in client.get(decide_url(submitted)).text
    response = client.post(
        decide_url(submitted),
        {
            "decision": "approve",
            "decision_comment": "Part of the plan now",
            "version": 1,
            "move_milestones": [late.pk],
            "schedule_lands": "rebaseline",
        },
    )
    assert response.status_code == 302
    late.refresh_from_db()
    project.refresh_from_db()
    assert (late.baseline_date, late.forecast_date) == (date(2026, 11, 12), date(2026, 11, 19))
    assert (late.forecast_date - late.baseline_date).days == 7  # its own slip, unchanged
    assert project.baseline_finish == project.forecast_finish == date(2026, 12, 28)
