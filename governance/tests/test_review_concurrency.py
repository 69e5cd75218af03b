"""Two approvers deciding at the same instant, each on their own database connection: both
count exactly once, and the review is decided — and what it decides carried out — exactly
once (issue 10, item 8). Transactional: the threads must see each other's commits."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.utils import timezone

from governance.choices import ReviewState
from governance.models import ChangeRule, ProjectWorkflow, Review, ReviewDecision
from governance.services import reviews
from governance.tests.gates import published_workflow
from portfolio.tests.factories import make_user
from ppm.roles import Role
from projects import services as project_services
from projects.choices import LifecycleState as S
from projects.models import Project
from projects.services.common import DomainError

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(review, people, *, verdict="approve"):
    """Each person decides in a thread of their own (so a connection of their own), all
    released together and stamped with the same instant. Returns what each call gave."""
    barrier = threading.Barrier(len(people))
    now = timezone.now()
    results: dict[str, object] = {}

    def run(person):
        try:
            barrier.wait(timeout=10)
            results[person.username] = reviews.review_decide(
                review=review, by=person, verdict=verdict, comment="", now=now
            )
        except Exception as error:  # reported to the test below
            results[person.username] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a decision never finished"
    return results


def _gate_events(project) -> int:
    """How many times the audit trail saw the project pass a gate."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM projects_projectevent "
            "WHERE pgh_obj_id = %s AND pgh_label = 'update' AND current_gate = 'Plan'",
            [project.pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def gate_review(pmo, pm, project, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    approvers = [make_user(f"racer{i}", Role.DIRECTOR) for i in (1, 2, 3)]
    version = published_workflow(
        pmo,
        [
            {
                "name": "Plan",
                "phase": "Build",
                "state_after": S.ACTIVE,
                "rule": "m_of_n",
                "rule_m": 2,
                "approver_users": approvers,
                "criteria": [("Schedule baselined", False)],
            },
            {"name": "Go-live", "phase": "Run", "portfolio_director": True},
        ],
        name="Race",
    )
    reviews.project_enrol(project=project, version=version, next_gate=version.gates.first(), by=pmo)
    Project.objects.filter(pk=project.pk).update(state=S.APPROVED)
    for criterion in version.gates.first().criteria.all():
        reviews.criterion_check_set(target=project, criterion=criterion, by=pm, met=True, note="")
    return reviews.review_request(project=project, by=pm), approvers


def test_two_approvers_at_the_same_instant_both_count_and_the_gate_is_passed_once(gate_review):
    review, approvers = gate_review
    results = _at_once(review, approvers[:2])
    assert not [r for r in results.values() if isinstance(r, Exception)], results
    decisions = ReviewDecision.objects.filter(review=review)
    assert sorted(d.person.username for d in decisions) == ["racer1", "racer2"]
    assert len({d.seat_id for d in decisions}) == 2  # two seats, each filled once
    review.refresh_from_db()
    assert review.state == ReviewState.APPROVED
    project = Project.objects.get(pk=review.project_id)
    assert (project.state, project.current_gate, project.phase) == (S.ACTIVE, "Plan", "Build")
    workflow = ProjectWorkflow.objects.get(project=project)
    assert (workflow.next_gate.name, workflow.version) == ("Go-live", 2)  # moved once
    assert _gate_events(project) == 1


def test_three_approvers_at_once_on_two_of_three_decide_it_once(gate_review):
    review, approvers = gate_review
    results = _at_once(review, approvers)
    refused = [r for r in results.values() if isinstance(r, DomainError)]
    # Two decisions decide it; the third, serialised behind them, finds it decided.
    assert len(refused) == 1 and "approved already" in refused[0].message
    assert ReviewDecision.objects.filter(review=review).count() == 2
    assert Review.objects.get(pk=review.pk).state == ReviewState.APPROVED
    assert ProjectWorkflow.objects.get(project_id=review.project_id).version == 2
    assert _gate_events(review.project) == 1


def test_a_large_change_approved_by_the_director_and_the_pmo_at_once_applies_once(
    project, pm, director, pmo
):
    rule = ChangeRule.objects.create(
        name="Large changes",
        min_cost_impact=Decimal("50000"),
        priority=1,
        rule="all",
        portfolio_director=True,
        sla_days=7,
    )
    rule.approver_groups.set([Group.objects.get(name=Role.PMO)])
    change = project_services.change_request_raise(
        project=project,
        by=pm,
        title="Second data centre",
        description="Resilience.",
        cost_impact=Decimal("60000"),
    )
    review = change.reviews.get()
    results = _at_once(review, [director, pmo])
    assert not [r for r in results.values() if isinstance(r, Exception)], results
    assert ReviewDecision.objects.filter(review=review).count() == 2
    change.refresh_from_db()
    project.refresh_from_db()
    assert change.state == "approved"
    assert project.budget_at_completion == Decimal("310000.00")  # the cost impact, once
