"""Change requests: raised by the project, decided by the portfolio's director (or PMO).

An approved change applies its schedule and cost impact through `project_replan`, the same
service a normal edit uses, so the audit trail and the stale mark behave identically.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ppm.audit import acting_as
from ppm.roles import Role, has_role
from projects.choices import ChangeRequestState
from projects.models import ChangeRequest, Milestone, Project
from projects.services.common import DomainError, mark_rollup_stale, save_versioned
from projects.services.milestones import milestone_rebaseline, milestone_reforecast
from projects.services.project import project_replan
from projects.signals import change_request_submitted


def change_request_raise(
    *,
    project: Project,
    by,
    title: str,
    description: str,
    scope_impact: str = "",
    schedule_impact_days: int = 0,
    cost_impact: Decimal = Decimal("0"),
    submit: bool = True,
) -> ChangeRequest:
    if not title.strip():
        raise DomainError("A title is required.", field="title")
    if not description.strip():
        raise DomainError("Describe the change.", field="description")
    if not scope_impact.strip() and schedule_impact_days == 0 and cost_impact == 0:
        raise DomainError(
            "State at least one impact: scope, schedule or cost.", field="scope_impact"
        )
    if project.budget_at_completion + cost_impact < 0:
        raise DomainError("The cost impact would make the budget negative.", field="cost_impact")
    now = timezone.now()
    request = ChangeRequest(
        project=project,
        title=title.strip(),
        description=description,
        scope_impact=scope_impact,
        schedule_impact_days=schedule_impact_days,
        cost_impact=cost_impact,
        raised_by=by,
        state=ChangeRequestState.SUBMITTED if submit else ChangeRequestState.DRAFT,
        submitted_at=now if submit else None,
    )
    with transaction.atomic(), acting_as(by):
        request.save()
        mark_rollup_stale(project.pk)
        if submit:
            change_request_submitted.send(sender=ChangeRequest, change_request=request)
    return request


def may_decide_change_request(user, project: Project) -> bool:
    """The portfolio's director and the PMO decide change requests (never the project's
    manager, who raised them). Needs the project's portfolio loaded; no query of its own
    beyond the user's (cached) roles."""
    return user.is_authenticated and (
        user.is_superuser
        or has_role(user, Role.PMO)
        or (has_role(user, Role.DIRECTOR) and project.portfolio.director_id == user.pk)
    )


def _may_decide(user, request: ChangeRequest) -> bool:
    return may_decide_change_request(user, request.project)


@dataclass(frozen=True)
class ChangeOutcome:
    """What approving a change does to the project's plan: the forecast finish and BAC after."""

    forecast_finish: date | None
    budget_at_completion: Decimal
    finish_moves: bool
    budget_moves: bool
    # The open milestones the schedule impact can move: (milestone, forecast after).
    milestones: tuple[tuple[Milestone, date], ...] = ()


def change_request_outcome(
    *, project: Project, request: ChangeRequest, with_milestones: bool = False
) -> ChangeOutcome:
    """The plan approval would leave: the one definition used by the decision and its preview.

    The schedule impact moves the current forecast finish (the baseline finish while there
    is no forecast yet) and, `with_milestones` (one query), lists the open milestones whose
    forecast it would move by as many days (the decider picks which); the cost impact moves
    the budget at completion.
    """
    finish = project.forecast_finish or project.baseline_finish
    days = request.schedule_impact_days
    open_milestones = (
        Milestone.objects.filter(project=project, actual_date__isnull=True).order_by(
            "forecast_date", "pk"
        )
        if days and with_milestones
        else []
    )
    return ChangeOutcome(
        forecast_finish=finish + timedelta(days=days) if days else project.forecast_finish,
        budget_at_completion=project.budget_at_completion + request.cost_impact,
        finish_moves=bool(days),
        budget_moves=bool(request.cost_impact),
        milestones=tuple((m, m.forecast_date + timedelta(days=days)) for m in open_milestones),
    )


def change_request_decide(
    *,
    request: ChangeRequest,
    expected_version: int,
    by,
    approve: bool,
    comment: str,
    move_milestones: Iterable[int] = (),
    rebaseline: bool = False,
    approved_by_review: bool = False,
) -> ChangeRequest:
    """Approve or reject a submitted change; approval applies its schedule and cost impact,
    and moves the forecast of each open milestone in `move_milestones` by the schedule
    impact (a reforecast with the change as its reason, kept in the milestone's history), so
    the lists, the dashboard and the overview show the same slip afterwards.

    Governance's change review calls this with `approved_by_review` once its panel has
    decided: the panel's rule, not the deciding person's role, is the authority then.

    With `rebaseline`, the approved days move the baselines too (those milestones' and the
    project's finish): the change is part of the plan, so the slip each had stays what it
    was rather than growing by the approved delay."""
    if request.state != ChangeRequestState.SUBMITTED:
        raise DomainError("Only a submitted change request can be decided.")
    if not approved_by_review and not _may_decide(by, request):
        raise DomainError("Only the portfolio's director or the PMO decides change requests.")
    if not approve and not comment.strip():
        raise DomainError("Say why the change is rejected.", field="decision_comment")
    request.state = ChangeRequestState.APPROVED if approve else ChangeRequestState.REJECTED
    request.decided_by, request.decided_at = by, timezone.now()
    request.decision_comment = comment.strip()
    with transaction.atomic(), acting_as(by, reason=f"Change request decided: {request.title}"):
        save_versioned(
            request,
            expected_version=expected_version,
            fields=("state", "decided_by", "decided_at", "decision_comment"),
        )
        if approve:
            project = Project.objects.select_for_update().get(pk=request.project_id)
            outcome = change_request_outcome(
                project=project, request=request, with_milestones=bool(move_milestones)
            )
            project_replan(
                project=project,
                expected_version=project.version,
                by=by,
                reason=f"Approved change request: {request.title}",
                forecast_finish=outcome.forecast_finish if outcome.finish_moves else None,
                budget_at_completion=(
                    outcome.budget_at_completion if outcome.budget_moves else None
                ),
                baseline_finish=(
                    project.baseline_finish + timedelta(days=request.schedule_impact_days)
                    if rebaseline and outcome.finish_moves
                    else None
                ),
            )
            chosen = set(move_milestones)
            for milestone, moved_to in outcome.milestones:
                if milestone.pk not in chosen:
                    continue
                reason = f"Approved change request: {request.title}"
                if rebaseline:
                    milestone_rebaseline(
                        milestone=milestone,
                        expected_version=milestone.version,
                        baseline_date=milestone.baseline_date
                        + timedelta(days=request.schedule_impact_days),
                        by=by,
                        reason=reason,
                    )
                milestone_reforecast(
                    milestone=milestone,
                    expected_version=milestone.version,
                    forecast_date=moved_to,
                    by=by,
                    reason=reason,
                )
        mark_rollup_stale(request.project_id)
    return request
