"""My approvals: every open review waiting for the reader — gate reviews, proposals and change
requests where they hold a seat or stand in for a holder — the soonest due first, with the
rule's progress and whether they decided; the dashboard tile and the navigation count; a
fixed number of queries whatever the number of reviews."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.choices import ReviewState
from governance.models import Review, ReviewSeat
from governance.selectors.approvals import decisions_waiting, waiting_counts
from governance.services import reviews
from ppm.navigation import items_for
from ppm.roles import Role
from projects import services
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

URL = reverse("governance:approvals")


def _raise(project, pm, title: str, *, days_ago: int = 0):
    """A change request (its review opens with it: the portfolio's director or the PMO),
    submitted `days_ago` days ago."""
    change = services.change_request_raise(
        project=project,
        by=pm,
        title=title,
        description="Asked for by the business.",
        schedule_impact_days=5,
        cost_impact=Decimal("20000"),
    )
    requested = timezone.now() - timedelta(days=days_ago)
    Review.objects.filter(change_request=change).update(
        requested_at=requested, due_at=requested + timedelta(days=10)
    )
    return change


@pytest.fixture
def waiting(portfolio, other_portfolio, pm, other_pm, director, pmo):
    mine = ProjectFactory(portfolio=portfolio, manager=pm, state="active")
    theirs = ProjectFactory(portfolio=other_portfolio, manager=other_pm, state="active")
    return {
        "old": _raise(mine, pm, "Add a second site", days_ago=15),
        "new": _raise(mine, pm, "Extra reports", days_ago=1),
        "theirs": _raise(theirs, other_pm, "Network upgrade", days_ago=3),
    }


def test_a_director_sees_the_reviews_they_hold_a_seat_in_soonest_due_first(
    client, director, waiting
):
    client.force_login(director)
    text = client.get(URL).text
    assert text.index("Add a second site") < text.index("Extra reports")
    assert "Network upgrade" not in text
    assert "Overdue" in text and "1 overdue" in text and "2 waiting for you" in text
    review = waiting["old"].reviews.get()
    assert reverse("governance:review", args=[review.pk]) in text
    assert "0 of 1 approval" in text and "Any one of 2 approvers" in text
    assert text.count('data-testid="approval-row"') == 2


def test_the_pmo_sees_every_portfolios_changes(client, pmo, waiting):
    client.force_login(pmo)
    text = client.get(URL).text
    assert all(w.title in text for w in waiting.values())


def test_a_decided_review_leaves_the_list_and_one_decided_by_me_says_so(
    director, pmo, portfolio, pm, waiting
):
    new = waiting["new"].reviews.get()
    reviews.review_decide(review=new, by=director, verdict="approve", comment="")
    assert [w.review.change_title for w in decisions_waiting(director)] == ["Add a second site"]
    # Under "all", a decision of mine leaves the review open, marked as decided by me.
    from governance.models import ChangeRule

    rule = ChangeRule.objects.create(
        name="All", priority=1, rule="all", portfolio_director=True, sla_days=5
    )
    from django.contrib.auth.models import Group

    rule.approver_groups.set([Group.objects.get(name=Role.PMO)])
    both = _raise(ProjectFactory(portfolio=portfolio, manager=pm), pm, "Both needed")
    reviews.review_decide(review=both.reviews.get(), by=director, verdict="approve", comment="")
    row = next(w for w in decisions_waiting(director) if w.review.change_request_id == both.pk)
    assert (row.decided, row.my_verdict, row.progress) == (True, "Approved", "1 of 2 approvals")
    assert waiting_counts(director).waiting == 1  # the old one; not the one I decided


def test_a_project_manager_named_as_approver_sees_the_gate_review(client, pm, other_pm, pmo):
    from governance.tests.gates import published_workflow

    version = published_workflow(
        pmo,
        [{"name": "Plan", "phase": "Build", "approver_users": [other_pm]}],
        name="Named approver",
    )
    project = ProjectFactory(manager=pm, state="approved")
    reviews.project_enrol(project=project, version=version, next_gate=version.gates.get(), by=pmo)
    review = reviews.review_request(project=project, by=pm)
    client.force_login(other_pm)
    text = client.get(URL).text
    assert "Gate review" in text and "Plan gate" in text and project.code in text
    assert reverse("governance:review", args=[review.pk]) in text
    assert "My approvals" in [i.label for i in items_for(other_pm)]


def test_a_delegate_sees_what_waits_for_the_holder_while_the_delegation_is_in_force(
    client, director, other_pm, waiting
):
    today = timezone.localdate()
    delegation = reviews.delegation_create(
        holder=director, delegate=other_pm, starts=today, ends=today
    )
    client.force_login(other_pm)
    text = client.get(URL).text
    assert "Add a second site" in text and "(delegation)" in text
    assert "Dora Director" in text
    reviews.delegation_revoke(delegation=delegation, by=director)
    assert "Add a second site" not in client.get(URL).text


def test_an_upcoming_delegation_shows_nothing_yet(director, other_pm, waiting):
    today = timezone.localdate()
    reviews.delegation_create(
        holder=director,
        delegate=other_pm,
        starts=today + timedelta(days=1),
        ends=today + timedelta(days=2),
    )
    assert decisions_waiting(other_pm) == []


@pytest.mark.parametrize("persona", ["pm", "executive"])
def test_every_role_opens_it_and_sees_nothing_when_nothing_waits(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-testid="approvals-empty"' in response.text


def test_someone_without_a_role_is_refused(client, outsider):
    client.force_login(outsider)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("governance:approvals-tile")).status_code == 403
    assert "My approvals" not in [i.label for i in items_for(outsider)]


def test_the_dashboard_tile_and_the_navigation_count_what_waits(client, director, waiting):
    client.force_login(director)
    tile = client.get(reverse("governance:approvals-tile")).text
    assert 'data-testid="approvals-waiting">2<' in tile
    assert 'data-testid="approvals-overdue">1 overdue<' in tile
    badge = client.get(reverse("governance:approvals-badge")).text
    assert ">2<" in badge and "1 overdue" in badge
    dashboard = client.get(reverse("reporting:dashboard")).text
    assert f'hx-get="{reverse("governance:approvals-tile")}"' in dashboard
    assert f'href="{URL}"' in dashboard  # the link without JavaScript


def test_nothing_waiting_leaves_the_navigation_count_empty(client, pm):
    client.force_login(pm)
    assert client.get(reverse("governance:approvals-badge")).text.strip() == ""


def _many_reviews(n: int, director, pm, portfolio):
    """n open change reviews where `director` holds a seat, several decisions among them."""
    for i in range(n):
        project = ProjectFactory(portfolio=portfolio, manager=pm)
        change = _raise(project, pm, f"Change {i}", days_ago=i % 20)
        if i % 3 == 0:
            reviews.review_decide(
                review=change.reviews.get(), by=director, verdict="defer", comment="Later"
            )


@pytest.mark.parametrize("size", [1, 30])
def test_the_list_takes_a_fixed_number_of_queries(
    client, director, pmo, portfolio, pm, other_pm, django_assert_num_queries, size
):
    today = timezone.localdate()
    reviews.delegation_create(holder=pmo, delegate=director, starts=today, ends=today)
    _many_reviews(size, director, pm, portfolio)
    client.force_login(director)
    client.get(URL)
    # session, user, roles, my delegations, the reviews with their subjects, their seats,
    # their decisions, the holders' delegations
    with django_assert_num_queries(8):
        response = client.get(URL)
    assert response.text.count('data-testid="approval-row"') == size
    assert Review.objects.filter(state=ReviewState.OPEN).count() == size
    assert ReviewSeat.objects.filter(holders__contains=[director.pk]).count() == size


def test_a_long_list_is_paged_and_counted_over_every_review(
    client, director, pm, portfolio, django_assert_num_queries
):
    _many_reviews(55, director, pm, portfolio)
    client.force_login(director)
    first = client.get(URL)
    assert first.text.count('data-testid="approval-row"') == 50
    # Deferring leaves the decision to make: all 55 wait, whichever page they are on.
    assert "55 waiting for you" in first.text and "Page 1 of 2" in first.text
    with django_assert_num_queries(8):
        second = client.get(URL, {"page": 2})
    assert second.text.count('data-testid="approval-row"') == 5
    assert "55 waiting for you" in second.text
    due = [w.review.due_at for w in decisions_waiting(director)]
    assert due == sorted(due) and len(due) == 55
    assert waiting_counts(director).waiting == 55
    for odd in ("0", "99", "x", "９"):
        assert client.get(URL, {"page": odd}).status_code == 200
