"""The review page and what is decided on it: a gate review (checklist, evidence, the project's
live figures, M of N), a proposal (intake) and a change request through the engine (impacts,
the plan approval leaves, its own rule); approve, reject, defer; who sees and who decides
(seats, delegation within its dates, a veto); the immutable record and its printable page;
delegation while away; the overdue sweep; the migration that opens reviews for change
requests submitted before the engine."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import InternalError, ProgrammingError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from governance.choices import IntakeState, ReviewKind, ReviewState
from governance.models import (
    ChangeRule,
    Delegation,
    ProjectWorkflow,
    Review,
    ReviewDecision,
)
from governance.services import intake as intake_services
from governance.services import reviews
from governance.tests.gates import published_workflow
from portfolio.tests.factories import make_user
from ppm.celery import app
from ppm.models import Notification
from ppm.roles import Role
from projects import services as project_services
from projects.choices import ChangeRequestState
from projects.choices import LifecycleState as S
from projects.models import ChangeRequest, Project
from projects.tests.factories import MilestoneFactory, StatusReportFactory

pytestmark = pytest.mark.django_db


def page(review) -> str:
    return reverse("governance:review", args=[review.pk])


def record(review) -> str:
    return reverse("governance:review-record", args=[review.pk])


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def approvers(db):
    return [
        make_user(f"approver{i}", Role.DIRECTOR, first_name=f"Alex{i}", last_name="Approver")
        for i in (1, 2, 3)
    ]


@pytest.fixture
def workflow(pmo, approvers):
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
            {"name": "Go-live", "phase": "Run", "portfolio_director": True},
        ],
    )


@pytest.fixture
def enrolled(workflow, project, pmo):
    plan = workflow.gates.get(name="Plan")
    reviews.project_enrol(project=project, version=workflow, next_gate=plan, by=pmo)
    Project.objects.filter(pk=project.pk).update(state=S.APPROVED)
    project.refresh_from_db()
    return project


def _complete_checklist(project, gate, by):
    for criterion in gate.criteria.all():
        reviews.criterion_check_set(
            target=project, criterion=criterion, by=by, met=True, note="Signed off"
        )
        if criterion.evidence_required:
            reviews.evidence_add(
                target=project,
                criterion=criterion,
                by=by,
                upload=SimpleUploadedFile(
                    "schedule-v3.pdf", b"%PDF-1.7 the plan", "application/pdf"
                ),
            )
            reviews.evidence_add(
                target=project,
                criterion=criterion,
                by=by,
                link="https://wiki.example.com/erp/plan",
                name="Plan on the wiki",
            )


@pytest.fixture
def gate_review(enrolled, pm, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    gate = ProjectWorkflow.objects.get(project=enrolled).next_gate
    _complete_checklist(enrolled, gate, pm)
    return reviews.review_request(project=enrolled, by=pm, note="Ready for build.")


@pytest.fixture
def change(project, pm, pmo, director):
    """A change request under the default panel: the portfolio's director or any PMO member."""
    return project_services.change_request_raise(
        project=project,
        by=pm,
        title="Add intercompany reconciliation",
        description="Finance asks for intercompany matching.",
        schedule_impact_days=10,
        cost_impact=Decimal("45000"),
    )


@pytest.fixture
def change_review(change):
    return change.reviews.get()


def _intake_data(portfolio, pm) -> intake_services.IntakeInput:
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


@pytest.fixture
def requester(db):
    return make_user("rita.requester", first_name="Rita", last_name="Requester")


@pytest.fixture
def intake_review(workflow, requester, portfolio, pm, director):
    request = intake_services.intake_save(by=requester, data=_intake_data(portfolio, pm))
    gate = intake_services.intake_first_gate(request)
    reviews.criterion_check_set(
        target=request, criterion=gate.criteria.get(), by=requester, met=True, note=""
    )
    return intake_services.intake_submit(intake=request, by=requester, expected_version=1)


def _raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def decide(client, review, verdict: str, comment: str = "", *, follow: bool = False, **extra):
    return client.post(
        page(review), {"verdict": verdict, "comment": comment, **extra}, follow=follow
    )


# --- The page, for each kind ----------------------------------------------------------------


def test_a_gate_review_shows_everything_needed_to_decide(client, gate_review, approvers, pm):
    StatusReportFactory(
        project=gate_review.project,
        state="submitted",
        submitted_at=timezone.now(),
        overall_rag="amber",
        percent_complete=Decimal("40"),
        narrative="Vendor contract signed; data migration slipping a week.",
    )
    client.force_login(approvers[0])
    text = client.get(page(gate_review)).text
    assert "ERP-01 · Plan" in text
    assert reverse("projects:detail", args=[gate_review.project_id]) in text
    assert "requested by Ana Silva" in text and "(5-day SLA)" in text
    assert f">{gate_review.workflow_version}<" in text  # the version it is decided under
    assert "Rule: <strong>2 of 3 approvers</strong>" in text
    assert "0 of 2 approvals" in text
    assert text.count('data-testid="seat"') == 3 and "Alex1 Approver" in text
    # The checklist as frozen, with its evidence: a download by name, a link as it is.
    assert text.count('data-testid="check-line"') == 2
    assert "Schedule baselined" in text and "Signed off" in text
    evidence = gate_review.checklist[0]["evidence"]
    assert reverse("governance:evidence-download", args=[evidence[0]["id"]]) in text
    assert 'href="https://wiki.example.com/erp/plan"' in text
    # The project now: live EVM and the latest status.
    assert 'data-testid="project-figures"' in text
    assert "data migration slipping a week" in text and "Amber" in text
    assert "Ready for build." in text
    assert 'data-testid="decision-form"' in text


def test_a_change_review_shows_the_impacts_and_what_approval_would_do(
    client, change_review, director, project
):
    MilestoneFactory(project=project, name="Go-live", baseline_date=date(2026, 11, 2))
    client.force_login(director)
    text = client.get(page(change_review)).text
    assert "Add intercompany reconciliation" in text
    assert 'data-testid="schedule-impact">+10 d' in text
    assert 'data-testid="cost-impact">+€45,000' in text
    assert "to <strong>28 Dec 2026</strong>" in text  # the forecast finish approval leaves
    assert "to <strong>€295,000</strong>" in text
    assert "Rule: <strong>Any one of 2 approvers</strong>" in text
    assert "the default change panel" in text
    assert 'data-testid="change-milestones"' in text and "Go-live" in text
    assert "Re-baseline" in text
    assert 'data-testid="checklist"' not in text


def test_a_proposal_review_shows_the_request_to_its_requester_and_the_director(
    client, intake_review, requester, director, other_director, executive
):
    client.force_login(requester)
    text = client.get(page(intake_review)).text
    assert "Customer portal" in text and "Customers phone us" in text
    assert "€250,000" in text
    assert 'data-testid="not-an-approver"' in text and "decision-form" not in text
    client.force_login(director)
    assert 'data-testid="decision-form"' in client.get(page(intake_review)).text
    for stranger in (other_director, executive):
        client.force_login(stranger)
        assert client.get(page(intake_review)).status_code == 404


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "outsider"])
def test_people_who_may_not_see_the_project_get_404(client, request, persona, gate_review):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(page(gate_review)).status_code == 404
    assert decide(client, gate_review, "approve").status_code == 404
    assert client.get(record(gate_review)).status_code == 404
    assert client.get(reverse("governance:review", args=[999999])).status_code == 404


@pytest.mark.parametrize("persona", ["pm", "executive", "director"])
def test_someone_without_a_seat_sees_no_form_and_is_refused(client, request, persona, gate_review):
    client.force_login(request.getfixturevalue(persona))
    text = client.get(page(gate_review)).text
    assert 'data-testid="not-an-approver"' in text
    assert "decision-form" not in text
    assert decide(client, gate_review, "approve").status_code == 403
    assert not ReviewDecision.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, gate_review):
    response = client.get(page(gate_review))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- Deciding -------------------------------------------------------------------------------


def test_two_of_three_approvals_pass_the_gate(client, gate_review, approvers):
    project = gate_review.project
    client.force_login(approvers[0])
    response = decide(client, gate_review, "approve", follow=True)
    assert "Your decision is recorded" in response.text
    assert "1 of 2 approvals" in response.text
    assert 'data-testid="you-decided"' in response.text  # no second decision offered
    assert Review.objects.get(pk=gate_review.pk).state == ReviewState.OPEN

    client.force_login(approvers[1])
    response = decide(client, gate_review, "approve", "Plan is solid.")
    assert response.status_code == 302 and response.url == page(gate_review)
    text = client.get(page(gate_review)).text
    assert "The rule is met: approved, and the project passed Plan" in text
    gate_review.refresh_from_db()
    project.refresh_from_db()
    assert gate_review.state == ReviewState.APPROVED
    assert (project.state, project.current_gate, project.phase) == (S.ACTIVE, "Plan", "Build")
    workflow = ProjectWorkflow.objects.get(project=project)
    assert (workflow.next_gate.name, workflow.version) == ("Go-live", 2)
    assert 'data-testid="already-decided"' in text
    assert text.count('data-testid="decision-line"') == 2


def test_a_decision_read_earlier_than_one_already_counted_counts_after_it(gate_review, approvers):
    """Its clock was read before it waited for the review's lock: it is still the later
    decision (it used to be sorted first and fill the other approver's seat, and fail)."""
    at = timezone.now()
    reviews.review_decide(
        review=gate_review, by=approvers[1], verdict="approve", comment="", now=at
    )
    reviews.review_decide(
        review=gate_review,
        by=approvers[0],
        verdict="approve",
        comment="",
        now=at - timedelta(seconds=1),
    )
    first, second = ReviewDecision.objects.filter(review=gate_review).order_by("at", "pk")
    assert (first.person, second.person) == (approvers[1], approvers[0])
    assert second.at > first.at
    assert (first.seat.label, second.seat.label) == ("Alex2 Approver", "Alex1 Approver")
    assert Review.objects.get(pk=gate_review.pk).state == ReviewState.APPROVED


def test_a_rejection_needs_a_comment_shown_next_to_the_field(client, gate_review, approvers):
    client.force_login(approvers[0])
    response = decide(client, gate_review, "reject")
    assert response.status_code == 200
    assert response.context["form"].errors["comment"] == [
        "Say why: a rejection or a deferral needs a comment."
    ]
    assert 'aria-describedby="id_comment_helptext id_comment_error"' in response.text
    assert not ReviewDecision.objects.exists()


def test_two_rejections_of_three_reject_the_review_and_the_project_stays(
    client, gate_review, approvers
):
    client.force_login(approvers[0])
    decide(client, gate_review, "reject", "No staffing plan.")
    assert Review.objects.get(pk=gate_review.pk).state == ReviewState.OPEN
    client.force_login(approvers[1])
    response = decide(client, gate_review, "reject", "Agree: staff it first.", follow=True)
    assert "The review is rejected" in response.text
    project = Project.objects.get(pk=gate_review.project_id)
    assert (project.state, project.current_gate) == (S.APPROVED, "")
    assert ProjectWorkflow.objects.get(project=project).next_gate.name == "Plan"


def test_a_deferral_keeps_the_review_open_and_the_approver_may_decide_later(
    client, gate_review, approvers, pm
):
    client.force_login(approvers[0])
    assert decide(client, gate_review, "defer").context["form"].errors["comment"]
    response = decide(client, gate_review, "defer", "Waiting for the vendor quote.", follow=True)
    assert "You deferred" in response.text
    assert 'data-testid="decision-form"' in response.text  # still theirs to decide
    assert Notification.objects.filter(recipient=pm, title__startswith="Deferred").exists()
    decide(client, gate_review, "approve")
    assert ReviewDecision.objects.filter(review=gate_review).count() == 2


def test_a_decision_without_a_button_is_refused_and_keeps_the_comment(
    client, gate_review, approvers
):
    client.force_login(approvers[0])
    response = client.post(page(gate_review), {"comment": "Looks fine"})
    assert "Choose Approve, Reject or Defer." in response.text
    assert "Looks fine</textarea>" in response.text


def test_a_decided_review_is_already_decided_and_the_database_keeps_the_record(
    client, change_review, director, pmo, pm
):
    client.force_login(director)
    decide(client, change_review, "approve", "Funded from reserve.")
    change_review.refresh_from_db()
    assert change_review.state == ReviewState.APPROVED
    client.force_login(pmo)
    text = client.get(page(change_review)).text
    assert 'data-testid="already-decided"' in text and "decision-form" not in text
    response = decide(client, change_review, "reject", "Too late", follow=True)
    assert "approved already" in response.text
    assert ReviewDecision.objects.filter(review=change_review).count() == 1
    client.force_login(pm)  # sees it, holds no seat
    assert decide(client, change_review, "reject", "Too late").status_code == 403
    # The database refuses to rewrite or delete a decided review and any decision.
    for statement in (
        lambda: Review.objects.filter(pk=change_review.pk).update(note="rewritten"),
        lambda: _raw("DELETE FROM governance_review WHERE id = %s", change_review.pk),
        lambda: ReviewDecision.objects.filter(review=change_review).update(comment="rewritten"),
        lambda: ReviewDecision.objects.filter(review=change_review).delete(),
    ):
        with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
            statement()


def test_a_decision_on_an_open_review_cannot_be_rewritten_either(client, gate_review, approvers):
    client.force_login(approvers[0])
    decide(client, gate_review, "approve", "Yes")
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        ReviewDecision.objects.update(verdict="reject")


def test_a_veto_rejects_outright(client, enrolled, pm, approvers, pmo, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    security = Group.objects.create(name="Security board")
    guard = make_user("sam.security", Role.EXECUTIVE, first_name="Sam", last_name="Guard")
    guard.groups.add(security)
    gate = ProjectWorkflow.objects.get(project=enrolled).next_gate
    gate.__class__.objects.filter(pk=gate.pk).update(veto_group=security)
    _complete_checklist(enrolled, gate, pm)
    review = reviews.review_request(project=enrolled, by=pm)
    client.force_login(approvers[0])
    decide(client, review, "approve")
    client.force_login(guard)
    text = client.get(page(review)).text
    assert "Rule: <strong>2 of 3 approvers; veto: Security board</strong>" in text
    assert ">Veto</button>" in text and ">Approve</button>" not in text
    response = decide(client, review, "reject", "No penetration test.", follow=True)
    review.refresh_from_db()
    assert review.state == ReviewState.REJECTED
    assert ReviewDecision.objects.get(person=guard).vetoed
    assert "by the veto of Sam Guard" in client.get(record(review)).text
    assert "The review is rejected" in response.text
    assert Project.objects.get(pk=enrolled.pk).current_gate == ""


# --- Delegation -----------------------------------------------------------------------------


def test_a_delegate_decides_within_the_dates_for_the_holders_seat(
    client, gate_review, approvers, other_pm
):
    today = timezone.localdate()
    reviews.delegation_create(
        holder=approvers[0], delegate=other_pm, starts=today, ends=today + timedelta(days=3)
    )
    client.force_login(other_pm)  # sees the review only as the delegate
    assert 'data-testid="decision-form"' in client.get(page(gate_review)).text
    decide(client, gate_review, "approve", "For Alex while on leave.")
    decision = ReviewDecision.objects.get(review=gate_review)
    assert (decision.person, decision.on_behalf_of, decision.seat.label) == (
        other_pm,
        approvers[0],
        "Alex1 Approver",
    )
    assert "on behalf of Alex1 Approver" in client.get(record(gate_review)).text
    client.force_login(approvers[0])  # the seat is filled: nothing left for them
    text = client.get(page(gate_review)).text
    assert "decision-form" not in text and 'data-testid="you-decided"' in text


@pytest.mark.parametrize("when", ["future", "ended"])
def test_a_delegate_outside_the_dates_is_refused(client, gate_review, approvers, other_pm, when):
    today = timezone.localdate()
    if when == "future":
        reviews.delegation_create(
            holder=approvers[0],
            delegate=other_pm,
            starts=today + timedelta(days=2),
            ends=today + timedelta(days=5),
        )
    else:
        delegation = reviews.delegation_create(
            holder=approvers[0], delegate=other_pm, starts=today, ends=today
        )
        reviews.delegation_revoke(delegation=delegation, by=approvers[0])
    client.force_login(other_pm)
    assert client.get(page(gate_review)).status_code == 404  # no project of theirs either
    assert decide(client, gate_review, "approve").status_code == 404
    assert not ReviewDecision.objects.exists()


def test_the_delegation_page_creates_lists_and_ends_a_delegation(client, director, pm, other_pm):
    url = reverse("governance:delegations")
    client.force_login(director)
    today = timezone.localdate()
    response = client.post(
        url,
        {
            "delegate": pm.pk,
            "starts": today.isoformat(),
            "ends": (today + timedelta(days=6)).isoformat(),
            "reason": "Annual leave",
        },
        follow=True,
    )
    assert "Ana Silva decides for you" in response.text
    delegation = Delegation.objects.get()
    assert (delegation.holder, delegation.delegate, delegation.reason) == (
        director,
        pm,
        "Annual leave",
    )
    assert 'data-testid="delegation-state">In force' in response.text
    # The delegate sees it; nobody but the holder ends it.
    client.force_login(pm)
    assert "Dora Director" in client.get(url).text
    end = reverse("governance:delegation-end", args=[delegation.pk])
    assert client.post(end).status_code == 404
    client.force_login(director)
    response = client.post(end, follow=True)
    assert "no longer decides for you" in response.text
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    assert 'data-testid="delegation-state">Ended' in response.text


def test_a_delegation_form_error_is_shown_next_to_its_field_and_keeps_the_input(
    client, director, pm
):
    client.force_login(director)
    today = timezone.localdate()
    response = client.post(
        reverse("governance:delegations"),
        {
            "delegate": pm.pk,
            "starts": (today + timedelta(days=5)).isoformat(),
            "ends": (today + timedelta(days=2)).isoformat(),
            "reason": "Conference",
        },
    )
    assert response.context["form"].errors["ends"] == ["The last day cannot be before the first."]
    assert 'value="Conference"' in response.text
    assert not Delegation.objects.exists()


def test_the_delegate_is_chosen_among_active_people_with_a_role(
    client, director, pm, outsider, pmo
):
    client.force_login(director)
    form = client.get(reverse("governance:delegations")).context["form"]
    choices = set(form.fields["delegate"].queryset)
    assert {pm, pmo} <= choices
    assert outsider not in choices and director not in choices
    response = client.post(
        reverse("governance:delegations"),
        {"delegate": outsider.pk, "starts": "2030-01-01", "ends": "2030-01-02"},
    )
    assert "delegate" in response.context["form"].errors


def test_delegation_is_for_people_with_a_role(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("governance:delegations")).status_code == 403


# --- Change requests through the engine -----------------------------------------------------


def test_a_large_change_needs_the_director_and_the_pmo(client, project, pm, director, pmo):
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
        description="Resilience asked for by the regulator.",
        cost_impact=Decimal("60000"),
    )
    review = change.reviews.get()
    client.force_login(director)
    text = client.get(page(review)).text
    assert "Rule: <strong>All 2 approvers</strong>" in text
    assert "change rule “Large changes”" in text
    decide(client, review, "approve", "Yes, regulator.")
    change.refresh_from_db()
    project.refresh_from_db()
    assert change.state == ChangeRequestState.SUBMITTED
    assert project.budget_at_completion == Decimal("250000.00")

    client.force_login(pmo)
    response = decide(client, review, "approve", "", follow=True)
    assert "the change is applied to the plan" in response.text
    assert "BAC €250,000 → €310,000" in response.text
    change.refresh_from_db()
    project.refresh_from_db()
    assert change.state == ChangeRequestState.APPROVED
    assert project.budget_at_completion == Decimal("310000.00")


def test_the_deciding_approval_moves_the_milestones_ticked(client, change_review, director):
    project = change_review.change_request.project
    go_live = MilestoneFactory(
        project=project, name="Go-live", baseline_date=date(2026, 11, 2), is_key=True
    )
    training = MilestoneFactory(project=project, name="Training", baseline_date=date(2026, 10, 1))
    client.force_login(director)
    response = decide(
        client, change_review, "approve", "Funded", move_milestones=[go_live.pk], follow=True
    )
    assert "forecast finish 18 Dec 2026 → 28 Dec 2026" in response.text
    go_live.refresh_from_db()
    training.refresh_from_db()
    assert go_live.forecast_date == date(2026, 11, 12)
    assert training.forecast_date == date(2026, 10, 1)  # not ticked: kept
    assert go_live.forecasts.order_by("-pk").first().reason == (
        "Approved change request: Add intercompany reconciliation"
    )


def test_the_deciding_approval_can_re_baseline(client, change_review, director):
    project = change_review.change_request.project
    late = MilestoneFactory(
        project=project,
        name="Go-live",
        baseline_date=date(2026, 11, 2),
        forecast_date=date(2026, 11, 9),
        is_key=True,
    )
    client.force_login(director)
    decide(
        client,
        change_review,
        "approve",
        "Part of the plan now",
        move_milestones=[late.pk],
        schedule_lands="rebaseline",
    )
    late.refresh_from_db()
    project.refresh_from_db()
    assert (late.baseline_date, late.forecast_date) == (date(2026, 11, 12), date(2026, 11, 19))
    assert project.baseline_finish == project.forecast_finish == date(2026, 12, 28)


def test_a_change_rejected_by_its_panel_leaves_the_plan(client, change_review, director, pmo):
    """Under "any one", one rejection leaves the others free to approve; when nobody can
    approve any more, it is rejected."""
    client.force_login(director)
    decide(client, change_review, "reject", "No budget left")
    assert ChangeRequest.objects.get(pk=change_review.change_request_id).state == "submitted"
    client.force_login(pmo)
    decide(client, change_review, "reject", "Agreed: no budget")
    change = ChangeRequest.objects.get(pk=change_review.change_request_id)
    assert (change.state, change.decision_comment, change.decided_by) == (
        ChangeRequestState.REJECTED,
        "Agreed: no budget",
        pmo,
    )
    project = change.project
    assert (project.budget_at_completion, project.forecast_finish) == (Decimal("250000.00"), None)


def test_the_change_page_links_each_pending_change_to_its_review(
    client, change_review, director, pm
):
    url = reverse("projects:changes", args=[change_review.change_request.project_id])
    client.force_login(director)
    text = client.get(url).text
    assert f'href="{page(change_review)}"' in text and "Decide in review" in text
    client.force_login(pm)
    text = client.get(url).text
    assert f'href="{page(change_review)}"' in text and "Decide in review" not in text
    reviews.review_decide(review=change_review, by=director, verdict="approve", comment="")
    assert "Decision record" in client.get(url).text


def test_an_approved_proposal_becomes_a_project(client, intake_review, director):
    client.force_login(director)
    response = decide(client, intake_review, "approve", "Go.", follow=True)
    assert "the proposal became a project" in response.text
    intake_review.intake.refresh_from_db()
    assert intake_review.intake.state == IntakeState.APPROVED


# --- The printable record -------------------------------------------------------------------


def test_the_printable_record_names_who_decided_what_when_and_on_what(
    client, gate_review, approvers, pm
):
    reviews.review_decide(review=gate_review, by=approvers[0], verdict="approve", comment="Yes")
    reviews.review_decide(review=gate_review, by=approvers[2], verdict="approve", comment="Fine")
    client.force_login(pm)
    response = client.get(record(gate_review))
    text = response.text
    assert 'class="navbar' not in text  # a clean page: no navigation
    assert "css/reviews.css" in text and "js/print.js" in text
    assert "<strong>Approved</strong>" in text
    assert f'data-testid="record-version">{gate_review.workflow_version}<' in text
    assert text.count('data-testid="record-decision"') == 2
    assert "Alex3 Approver" in text and "Fine" in text
    assert "schedule-v3.pdf" in text and "SHA-256" in text
    assert "Plan on the wiki" in text


def test_the_print_stylesheet_hides_the_actions():
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "static/css/reviews.css").read_text()
    print_rules = css[css.index("@media print") :]
    assert ".record-actions" in print_rules and "display: none" in print_rules


# --- Overdue --------------------------------------------------------------------------------


def test_the_overdue_task_flags_a_review_past_its_sla_once(change_review, director, pm):
    Review.objects.filter(pk=change_review.pk).update(
        requested_at=timezone.now() - timedelta(days=11),
        due_at=timezone.now() - timedelta(hours=1),
    )
    import governance.tasks  # noqa: F401  (the worker's autodiscovery imports it)

    task = app.tasks["governance.flag_overdue_reviews"]
    assert task.apply().get() == 1
    assert task.apply().get() == 0  # told once
    assert Notification.objects.filter(recipient=director, kind="review_overdue").count() == 1
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["reviews-overdue"] == {
        "task": "governance.flag_overdue_reviews",
        "schedule": 900.0,
    }


def test_an_overdue_review_is_flagged_on_its_page(client, change_review, director):
    Review.objects.filter(pk=change_review.pk).update(
        requested_at=timezone.now() - timedelta(days=20),
        due_at=timezone.now() - timedelta(days=10),
    )
    client.force_login(director)
    assert 'data-testid="overdue"' in client.get(page(change_review)).text


# --- The migration for change requests submitted before the engine --------------------------


def test_the_migration_opens_a_review_for_each_change_waiting_without_one(
    project, pm, pmo, director
):
    old = ChangeRequest.objects.create(
        project=project,
        title="Old change",
        description="Submitted before the gate engine.",
        cost_impact=Decimal("5000"),
        state=ChangeRequestState.SUBMITTED,
        raised_by=pm,
        submitted_at=timezone.now() - timedelta(days=12),
    )
    ChangeRequest.objects.create(
        project=project, title="Draft", description="d", state=ChangeRequestState.DRAFT
    )
    migration = importlib.import_module("governance.migrations.0003_reviews_for_submitted_changes")
    migration.open_reviews(django_apps, None)
    migration.open_reviews(django_apps, None)  # again: nothing more
    review = Review.objects.get()
    assert (review.kind, review.change_request, review.rule, review.state) == (
        ReviewKind.CHANGE,
        old,
        "any",
        ReviewState.OPEN,
    )
    assert review.requested_by == pm and review.due_at < timezone.now()  # overdue already
    assert [(s.label, s.holders) for s in review.seats.all()] == [
        ("Dora Director (portfolio director)", [director.pk]),
        ("Any of PMO", [pmo.pk]),
    ]
    reviews.review_decide(review=review, by=pmo, verdict="approve", comment="")
    old.refresh_from_db()
    assert old.state == ChangeRequestState.APPROVED
