"""The gate engine end to end through its services: a three-gate workflow, an intake request
approved into a project, a gate review with evidence decided two of three, a change request
through its own rule, versioning, and what the database refuses."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InternalError, ProgrammingError, transaction
from django.utils import timezone

from governance.choices import IntakeState, ReviewKind, ReviewState
from governance.models import ChangeRule, ProjectWorkflow, Review, ReviewDecision
from governance.services import intake as intake_services
from governance.services import reviews, workflows
from governance.tests.gates import published_workflow
from portfolio.tests.factories import make_user
from ppm.models import Notification
from ppm.roles import Role
from projects.choices import LifecycleState as S
from projects.models import Project
from projects.services import change_request_raise
from projects.services.common import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def approvers(db):
    return [make_user(f"approver{i}", Role.DIRECTOR, first_name=f"A{i}") for i in (1, 2, 3)]


@pytest.fixture
def three_gates(pmo, approvers):
    return published_workflow(
        pmo,
        [
            {
                "name": "Business case",
                "phase": "Planning",
                "state_after": S.APPROVED,
                "portfolio_director": True,
                "criteria": [("Benefits quantified", False)],
            },
            {
                "name": "Plan",
                "phase": "Build",
                "state_after": S.ACTIVE,
                "rule": "m_of_n",
                "rule_m": 2,
                "approver_users": approvers,
                "criteria": [("Schedule baselined", True), ("Risks logged", False)],
            },
            {
                "name": "Go-live",
                "phase": "Run",
                "rule": "all",
                "approver_groups": [Role.PMO],
                "portfolio_director": True,
            },
        ],
    )


def _intake(by, portfolio, pm) -> intake_services.IntakeInput:
    return intake_services.IntakeInput(
        title="Customer portal",
        portfolio=portfolio,
        category="software",
        problem="Customers phone us for every order status.",
        solution="A self-service portal.",
        benefits="Fewer calls; 2 FTE saved.",
        risks="Integration with the ERP.",
        cost_estimate=Decimal("250000.00"),
        desired_start=date(2027, 1, 1),
        duration_months=9,
        proposed_manager=pm,
    )


def test_an_intake_request_is_approved_into_a_project_under_its_workflow(
    three_gates, outsider, portfolio, pm, director
):
    request = intake_services.intake_save(by=outsider, data=_intake(outsider, portfolio, pm))
    gate = intake_services.intake_first_gate(request)
    with pytest.raises(DomainError, match="Benefits quantified"):
        intake_services.intake_submit(intake=request, by=outsider, expected_version=1)
    reviews.criterion_check_set(
        target=request, criterion=gate.criteria.get(), by=outsider, met=True, note=""
    )
    review = intake_services.intake_submit(intake=request, by=outsider, expected_version=1)
    assert (review.kind, review.state, review.workflow_version_id) == (
        ReviewKind.INTAKE,
        ReviewState.OPEN,
        three_gates.pk,
    )
    assert Notification.objects.filter(recipient=director, kind="review_requested").count() == 1

    reviews.review_decide(review=review, by=director, verdict="approve", comment="")

    request.refresh_from_db()
    project = request.project
    assert request.state == IntakeState.APPROVED
    assert (project.state, project.current_gate, project.phase) == (
        S.APPROVED,
        "Business case",
        "Planning",
    )
    assert (project.manager, project.portfolio, project.budget_at_completion) == (
        pm,
        portfolio,
        Decimal("250000.00"),
    )
    assert project.baseline_finish == date(2027, 9, 30)
    assert ProjectWorkflow.objects.get(project=project).next_gate.name == "Plan"
    assert Notification.objects.filter(recipient=outsider, kind="review_decided").exists()


def test_a_rejected_intake_request_returns_with_the_comment_and_can_come_back(
    three_gates, outsider, portfolio, pm, director
):
    request = intake_services.intake_save(by=outsider, data=_intake(outsider, portfolio, pm))
    gate = intake_services.intake_first_gate(request)
    reviews.criterion_check_set(
        target=request, criterion=gate.criteria.get(), by=outsider, met=True, note=""
    )
    review = intake_services.intake_submit(intake=request, by=outsider, expected_version=1)
    with pytest.raises(DomainError, match="needs a comment"):
        reviews.review_decide(review=review, by=director, verdict="reject", comment=" ")
    reviews.review_decide(review=review, by=director, verdict="reject", comment="Quantify it.")
    request.refresh_from_db()
    assert (request.state, request.decision_comment, request.project) == (
        IntakeState.RETURNED,
        "Quantify it.",
        None,
    )
    again = intake_services.intake_submit(
        intake=request, by=outsider, expected_version=request.version
    )
    assert again.attempt == 2


@pytest.fixture
def enrolled(three_gates, project, pmo):
    plan = three_gates.gates.get(name="Plan")
    reviews.project_enrol(project=project, version=three_gates, next_gate=plan, by=pmo)
    Project.objects.filter(pk=project.pk).update(state=S.APPROVED)
    project.refresh_from_db()
    return project


def _complete_checklist(project, gate, pm, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    for criterion in gate.criteria.all():
        reviews.criterion_check_set(target=project, criterion=criterion, by=pm, met=True, note="ok")
        if criterion.evidence_required:
            reviews.evidence_add(
                target=project,
                criterion=criterion,
                by=pm,
                upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.7 the plan", "application/pdf"),
            )


def test_two_of_three_approvers_pass_the_gate_and_the_record_is_frozen(
    enrolled, pm, approvers, tmp_path, settings
):
    plan = ProjectWorkflow.objects.get(project=enrolled).next_gate
    with pytest.raises(DomainError, match="Complete the checklist"):
        reviews.review_request(project=enrolled, by=pm)
    _complete_checklist(enrolled, plan, pm, tmp_path, settings)
    review = reviews.review_request(project=enrolled, by=pm, note="Ready")
    assert [s.label for s in review.seats.all()] == ["A1", "A2", "A3"]
    assert review.checklist[0]["evidence"][0]["name"] == "plan.pdf"
    assert review.due_at == review.requested_at + timedelta(days=5)

    reviews.review_decide(review=review, by=approvers[0], verdict="approve", comment="")
    with pytest.raises(DomainError, match="each approver decides once"):
        reviews.review_decide(review=review, by=approvers[0], verdict="approve", comment="")
    reviews.review_decide(review=review, by=approvers[1], verdict="defer", comment="Later")
    assert Review.objects.get(pk=review.pk).state == ReviewState.OPEN
    reviews.review_decide(review=review, by=approvers[2], verdict="approve", comment="Fine")

    review.refresh_from_db()
    enrolled.refresh_from_db()
    assert review.state == ReviewState.APPROVED
    assert (enrolled.state, enrolled.current_gate, enrolled.phase) == (S.ACTIVE, "Plan", "Build")
    assert ProjectWorkflow.objects.get(project=enrolled).next_gate.name == "Go-live"
    with pytest.raises(DomainError, match="approved already"):
        reviews.review_decide(review=review, by=approvers[1], verdict="approve", comment="")
    # The record: the database refuses to rewrite a decided review or any decision.
    for statement in (
        lambda: Review.objects.filter(pk=review.pk).update(note="edited"),
        lambda: ReviewDecision.objects.filter(review=review).update(comment="edited"),
        lambda: ReviewDecision.objects.filter(review=review).delete(),
    ):
        with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
            statement()


def test_only_seat_holders_and_their_delegates_decide(
    enrolled, pm, approvers, outsider, tmp_path, settings
):
    plan = ProjectWorkflow.objects.get(project=enrolled).next_gate
    _complete_checklist(enrolled, plan, pm, tmp_path, settings)
    review = reviews.review_request(project=enrolled, by=pm)
    with pytest.raises(DomainError, match="not an approver"):
        reviews.review_decide(review=review, by=outsider, verdict="approve", comment="")
    today = timezone.localdate()
    reviews.delegation_create(holder=approvers[0], delegate=outsider, starts=today, ends=today)
    reviews.review_decide(review=review, by=outsider, verdict="approve", comment="For A1")
    decision = ReviewDecision.objects.get(review=review)
    assert (decision.person, decision.on_behalf_of, decision.seat.label) == (
        outsider,
        approvers[0],
        "A1",
    )
    # A1's seat is filled by the delegate: A1 cannot fill it again.
    with pytest.raises(DomainError, match="decides once"):
        reviews.review_decide(review=review, by=approvers[0], verdict="approve", comment="")


def test_a_change_request_over_the_threshold_needs_the_director_and_the_pmo(
    project, pm, director, pmo
):
    from django.contrib.auth.models import Group

    rule = ChangeRule.objects.create(
        name="Large changes",
        min_cost_impact=Decimal("50000"),
        priority=1,
        rule="all",
        portfolio_director=True,
        sla_days=7,
    )
    rule.approver_groups.set([Group.objects.get(name=Role.PMO)])
    small = change_request_raise(
        project=project, by=pm, title="Small", description="d", cost_impact=Decimal("1000")
    )
    large = change_request_raise(
        project=project, by=pm, title="Large", description="d", cost_impact=Decimal("60000")
    )
    small_review, large_review = small.reviews.get(), large.reviews.get()
    assert (small_review.change_rule, small_review.rule) == (None, "any")
    assert (large_review.change_rule, large_review.rule, large_review.sla_days) == (rule, "all", 7)
    bac = project.budget_at_completion

    reviews.review_decide(review=large_review, by=director, verdict="approve", comment="")
    large.refresh_from_db()
    assert large.state == "submitted"
    reviews.review_decide(review=large_review, by=pmo, verdict="approve", comment="")
    large.refresh_from_db()
    project.refresh_from_db()
    assert large.state == "approved"
    assert project.budget_at_completion == bac + Decimal("60000")


def test_editing_a_published_workflow_makes_a_new_version_and_projects_keep_theirs(
    enrolled, three_gates, pmo
):
    draft = workflows.draft_for(workflow=three_gates.workflow, by=pmo)
    assert (draft.number, draft.gates.count()) == (2, 3)
    go_live = draft.gates.get(name="Go-live")
    workflows.gate_delete(gate=draft.gates.get(name="Business case"), by=pmo)
    with pytest.raises(DomainError, match=r"superseded|published"):
        workflows.gate_delete(gate=three_gates.gates.get(name="Plan"), by=pmo)
    draft.refresh_from_db()
    workflows.version_publish(version=draft, by=pmo, expected_version=draft.version)
    three_gates.refresh_from_db()
    assert three_gates.state == "superseded"
    assert ProjectWorkflow.objects.get(project=enrolled).workflow_version == three_gates

    preview = workflows.migration_preview(source=three_gates, target=draft)
    assert [(g.name, g.change) for g in preview.gates] == [
        ("Plan", "changed"),
        ("Go-live", "changed"),
        ("Business case", "removed"),
    ]
    assert [(m.next_gate_before, m.next_gate_after) for m in preview.projects] == [("Plan", "Plan")]
    assert (
        workflows.projects_migrate(
            source=three_gates, target=draft, by=pmo, project_ids=[enrolled.pk]
        )
        == 1
    )
    moved = ProjectWorkflow.objects.get(project=enrolled)
    assert (moved.workflow_version, moved.next_gate.workflow_version) == (draft, draft)
    assert go_live.workflow_version == draft


def test_the_database_refuses_two_open_reviews_of_one_gate(enrolled, pm, tmp_path, settings):
    plan = ProjectWorkflow.objects.get(project=enrolled).next_gate
    _complete_checklist(enrolled, plan, pm, tmp_path, settings)
    review = reviews.review_request(project=enrolled, by=pm)
    with pytest.raises(DomainError, match="under way"):
        reviews.review_request(project=enrolled, by=pm)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            kind=review.kind,
            portfolio=review.portfolio,
            project=enrolled,
            gate=plan,
            title="dup",
            rule="any",
            sla_days=1,
            requested_by=pm,
            requested_at=review.requested_at,
            due_at=review.due_at,
        )


def test_passing_a_gate_never_moves_a_project_back(three_gates, project, pmo, director):
    """An active project enrolled at the business case (whose gate approves) passes it and
    stays active."""
    from projects.services.lifecycle import project_transition

    Project.objects.filter(pk=project.pk).update(state=S.APPROVED)
    project.refresh_from_db()
    project_transition(project=project, to=S.ACTIVE, by=pmo, expected_version=project.version)
    case = three_gates.gates.get(name="Business case")
    reviews.project_enrol(project=project, version=three_gates, next_gate=case, by=pmo)
    reviews.criterion_check_set(
        target=project, criterion=case.criteria.get(), by=pmo, met=True, note=""
    )
    review = reviews.review_request(project=project, by=pmo)
    reviews.review_decide(review=review, by=director, verdict="approve", comment="")
    project.refresh_from_db()
    assert (project.state, project.current_gate, project.phase) == (
        S.ACTIVE,
        "Business case",
        "Planning",
    )


def test_an_approver_from_outside_the_portfolio_opens_the_evidence_cited(
    client, enrolled, pm, approvers, other_pm, tmp_path, settings
):
    plan = ProjectWorkflow.objects.get(project=enrolled).next_gate
    _complete_checklist(enrolled, plan, pm, tmp_path, settings)
    reviews.review_request(project=enrolled, by=pm)
    evidence = enrolled.evidence_set.get()
    url = f"/governance/evidence/{evidence.pk}/"
    client.force_login(approvers[0])  # a director of no portfolio: sees it as an approver
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 the plan"
    client.force_login(other_pm)
    assert client.get(url).status_code == 404


def test_a_delegation_in_year_9999_is_refused_next_to_its_field(approvers, outsider):
    """Its window would end on 1 Jan 10000, which no date can hold: every page asking the
    rule would fail for everyone the holder sits with."""
    for starts, ends, field in (
        (date(9999, 6, 1), date(9999, 12, 31), "starts"),
        (timezone.localdate(), date(9999, 12, 31), "ends"),
    ):
        with pytest.raises(DomainError) as refused:
            reviews.delegation_create(
                holder=approvers[0], delegate=outsider, starts=starts, ends=ends
            )
        assert refused.value.field == field
