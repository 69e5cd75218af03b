"""Intake (demand): anyone signed in asks for a project; the request enters the first gate
of the workflow its portfolio, category and cost choose; approval creates the project
(proposed → approved, with its manager) and puts it under that workflow at its second gate;
rejection returns the request with the reviewers' comments, to be revised and submitted again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from governance.choices import IntakeState, ReviewKind
from governance.models import Gate, IntakeRequest, ProjectWorkflow, Review
from governance.services.reviews import _check_complete, _freeze, _open_review, checklist
from governance.services.workflows import workflow_for
from ppm.audit import acting_as
from ppm.roles import Role, has_role
from projects.choices import Category
from projects.choices import LifecycleState as S
from projects.services.common import DomainError, save_versioned
from projects.services.dates import add_months, check_calendar
from projects.services.lifecycle import project_pass_gate
from projects.services.project import MAX_BUDGET, project_create

TEXTS = ("problem", "solution", "benefits", "risks")
MAX_TEXT = 10_000


@dataclass
class IntakeInput:
    title: str
    portfolio: object
    category: str
    problem: str
    solution: str
    benefits: str
    risks: str
    cost_estimate: Decimal
    desired_start: date
    duration_months: int
    objectives: tuple = ()
    proposed_manager: object | None = None


def _check(data: IntakeInput) -> None:
    if not data.title.strip():
        raise DomainError("Give the request a title.", field="title")
    if len(data.title.strip()) > 200:
        raise DomainError("Keep the title under 200 characters.", field="title")
    if data.category not in Category.values:
        raise DomainError("Choose a category.", field="category")
    for name in TEXTS:
        value = getattr(data, name).strip()
        if not value:
            raise DomainError("This is needed to decide on the request.", field=name)
        if len(value) > MAX_TEXT:
            raise DomainError(f"Keep this under {MAX_TEXT:,} characters.", field=name)
    if not Decimal(0) <= data.cost_estimate <= MAX_BUDGET:
        raise DomainError(f"The estimate is between 0 and {MAX_BUDGET:,}.", field="cost_estimate")
    check_calendar(data.desired_start, field="desired_start")
    if not 1 <= data.duration_months <= 120:
        raise DomainError("The duration is 1 to 120 months.", field="duration_months")
    # An objective without a portfolio is the organisation's: every request may serve it.
    if any(o.portfolio_id not in (None, data.portfolio.pk) for o in data.objectives):
        raise DomainError(
            "Choose objectives of the request's portfolio or the organisation's.",
            field="objectives",
        )
    manager = data.proposed_manager
    if manager is not None and not (manager.is_active and has_role(manager, Role.PROJECT_MANAGER)):
        raise DomainError(
            "The project manager must hold the Project manager role.", field="proposed_manager"
        )


def intake_save(
    *,
    by,
    data: IntakeInput,
    intake: IntakeRequest | None = None,
    expected_version: int | None = None,
) -> IntakeRequest:
    """Create a draft request, or change one that is a draft or was returned."""
    _check(data)
    if intake is not None:
        if intake.requested_by_id != by.pk:
            raise DomainError("Only the person who made the request changes it.")
        if intake.state not in (IntakeState.DRAFT, IntakeState.RETURNED):
            raise DomainError("The request is being reviewed: it cannot change now.")
    intake = intake or IntakeRequest(requested_by=by)
    for name in ("title", *TEXTS):
        setattr(intake, name, getattr(data, name).strip())
    intake.portfolio, intake.category = data.portfolio, data.category
    intake.cost_estimate, intake.desired_start = data.cost_estimate, data.desired_start
    intake.duration_months, intake.proposed_manager = data.duration_months, data.proposed_manager
    fields = [
        "title",
        *TEXTS,
        "portfolio",
        "category",
        "cost_estimate",
        "desired_start",
        "duration_months",
        "proposed_manager",
    ]
    with transaction.atomic(), acting_as(by, reason="Intake request saved"):
        if intake.pk is None:
            intake.save()
        else:
            save_versioned(
                intake, expected_version=expected_version or intake.version, fields=fields
            )
        intake.objectives.set(data.objectives)
    return intake


def intake_first_gate(intake: IntakeRequest) -> Gate:
    """The gate the request is (or will be) reviewed at: a draft or a returned request is
    submitted under the workflow in force now (as intake_submit does), so its checklist is that
    workflow's; a request under review or decided keeps the version it was submitted under."""
    editable = intake.state in (IntakeState.DRAFT, IntakeState.RETURNED)
    version = (not editable and intake.workflow_version) or workflow_for(
        portfolio_id=intake.portfolio_id, category=intake.category, budget=intake.cost_estimate
    )
    gate = version.gates.order_by("order").first()
    if gate is None:
        raise DomainError("The workflow for this request has no gate: ask the PMO.")
    return gate


def intake_submit(
    *, intake: IntakeRequest, by, expected_version: int, now: datetime | None = None
) -> Review:
    """Send the request into the first gate of its workflow."""
    if intake.requested_by_id != by.pk:
        raise DomainError("Only the person who made the request submits it.")
    if intake.state not in (IntakeState.DRAFT, IntakeState.RETURNED):
        raise DomainError("The request is under review already.")
    now = now or timezone.now()
    with transaction.atomic(), acting_as(by, reason="Intake request submitted"):
        # A returned request is reviewed again under the workflow in force now.
        intake.workflow_version = workflow_for(
            portfolio_id=intake.portfolio_id, category=intake.category, budget=intake.cost_estimate
        )
        gate = intake.workflow_version.gates.order_by("order").first()
        if gate is None:
            raise DomainError("The workflow for this request has no gate: ask the PMO.")
        lines = checklist(intake, gate)
        _check_complete(lines)
        intake.state, intake.submitted_at = IntakeState.IN_REVIEW, now
        save_versioned(
            intake,
            expected_version=expected_version,
            fields=("state", "submitted_at", "workflow_version"),
        )
        return _open_review(
            kind=ReviewKind.INTAKE,
            panel=gate,
            title=f"Intake: {intake.title}",
            portfolio=intake.portfolio,
            by=by,
            checklist=_freeze(lines),
            now=now,
            intake=intake,
            gate=gate,
            workflow_version=intake.workflow_version,
        )


def intake_withdraw(*, intake: IntakeRequest, by, expected_version: int) -> None:
    if intake.requested_by_id != by.pk:
        raise DomainError("Only the person who made the request withdraws it.")
    if intake.state in (IntakeState.APPROVED, IntakeState.WITHDRAWN):
        raise DomainError("The request is decided: it cannot be withdrawn.")
    with transaction.atomic(), acting_as(by, reason="Intake request withdrawn"):
        Review.objects.filter(intake=intake, state="open").update(
            state="withdrawn", decided_at=timezone.now()
        )
        intake.state = IntakeState.WITHDRAWN
        save_versioned(intake, expected_version=expected_version, fields=("state",))


def intake_create_project(*, intake: IntakeRequest, gate: Gate, by, reason: str):
    """The approved request becomes a project: proposed, then through its first gate (to
    approved unless the gate says otherwise), under the request's workflow version."""
    manager = intake.proposed_manager
    if manager is None:
        raise DomainError(
            "The request names no project manager, so it cannot be approved: reject it with a "
            "comment asking the requester to name one (they edit it and submit it again).",
            field="proposed_manager",
        )
    start = intake.desired_start
    finish = add_months(start, intake.duration_months) - timedelta(days=1)
    project = project_create(
        by=by,
        portfolio=intake.portfolio,
        code=f"IR-{intake.pk}",
        name=intake.title,
        manager=manager,
        category=intake.category,
        baseline_start=start,
        baseline_finish=max(finish, start),
        budget_at_completion=intake.cost_estimate,
        description=f"{intake.problem}\n\nProposed solution: {intake.solution}",
        approved_by_review=True,
    )
    project.objectives.set(intake.objectives.all())
    project_pass_gate(
        project=project,
        gate=gate.name,
        phase=gate.phase,
        to=gate.state_after or S.APPROVED,
        by=by,
        expected_version=project.version,
        reason=f"Passed {gate.name}: {reason}",
    )
    nxt = gate.workflow_version.gates.filter(order__gt=gate.order).order_by("order").first()
    ProjectWorkflow.objects.create(
        project=project, workflow_version=gate.workflow_version, next_gate=nxt
    )
    intake.state, intake.decided_at, intake.project = IntakeState.APPROVED, timezone.now(), project
    save_versioned(
        intake, expected_version=intake.version, fields=("state", "decided_at", "project")
    )
    return project
