"""Reads behind the review page and its printable record: the review with its subject, seats,
decisions and frozen checklist; who may see it and who may still decide; the subject
project's live figures and latest status; for a change request, what approval would do.

Governance does not import reporting (DESIGN.md §2): the project's figures are its live EVM
by the pure definitions in `projects.health`, not the stored rollup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from governance import decision_rule
from governance.choices import ReviewKind, ReviewState, Verdict
from governance.models import Delegation, Review, ReviewDecision, ReviewSeat
from governance.selectors.approvals import (
    PAST,
    open_to,
    progress_in_words,
    rule_in_words,
)
from governance.services.reviews import delegations_in_force, evaluate, may_decide
from ppm.access import can_view
from ppm.roles import Role, has_role
from projects import metrics
from projects.choices import ChangeRequestState
from projects.health import project_evm
from projects.models import ChangeRequest, Project, StatusReport
from projects.selectors import latest_submitted_report
from projects.services.changes import ChangeOutcome, change_request_outcome

User = get_user_model()


def load_review(pk: int) -> Review:
    """The review with everything its page shows about it, or 404."""
    try:
        return (
            Review.objects.select_related(
                "portfolio",
                "project__portfolio",
                "project__manager",
                "intake__requested_by",
                "change_request__project__portfolio",
                "change_request__raised_by",
                "gate",
                "change_rule",
                "workflow_version__workflow",
                "requested_by",
            )
            .prefetch_related(
                Prefetch("seats", queryset=ReviewSeat.objects.order_by("is_veto", "pk")),
                Prefetch(
                    "decisions",
                    queryset=ReviewDecision.objects.select_related(
                        "person", "on_behalf_of", "seat"
                    ).order_by("at", "pk"),
                ),
            )
            .get(pk=pk)
        )
    except Review.DoesNotExist:
        raise Http404("No such review.") from None


def subject_project(review: Review) -> Project | None:
    """The project a review is about: its own, a change request's, or none for a proposal."""
    if review.change_request_id:
        return review.change_request.project
    return review.project


@dataclass(frozen=True)
class SeatLine:
    seat: ReviewSeat
    holders: tuple[str, ...]
    decision: ReviewDecision | None  # the decision that filled it
    vetoed: bool = False


@dataclass(frozen=True)
class EvidenceLine:
    id: int
    name: str
    link: str
    size: int
    uploaded_at: str
    sha256: str = ""


@dataclass(frozen=True)
class CheckLine:
    text: str
    met: bool
    note: str
    evidence_required: bool
    evidence: tuple[EvidenceLine, ...]


@dataclass
class ReviewFacts:
    """Everything the page and the record show, read in a fixed number of queries."""

    review: Review
    seats: list[ReviewSeat]
    decisions: list[ReviewDecision]
    outcome: decision_rule.Outcome
    rule: str
    progress: str
    overdue: bool
    seat_lines: list[SeatLine]
    checklist: list[CheckLine]
    project: Project | None
    change: ChangeRequest | None
    may_decide: bool  # holds a seat (or stands in for someone who does) of this open review
    holds_seat: bool  # the same, whatever the review's state
    open_verdicts: set[str]  # what this person may still decide (approve/reject), empty once done
    my_decisions: list[ReviewDecision]
    delegations: list[decision_rule.Delegation] = field(repr=False, default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.review.state == ReviewState.OPEN

    @property
    def can_decide_now(self) -> bool:
        return self.is_open and self.may_decide and bool(self.open_verdicts)

    @property
    def evidence_cited(self) -> list[EvidenceLine]:
        return [e for line in self.checklist for e in line.evidence]

    @property
    def veto_decision(self) -> ReviewDecision | None:
        return next((d for d in self.decisions if d.vetoed), None)


def _checklist(review: Review) -> list[CheckLine]:
    lines = []
    for item in review.checklist or []:
        lines.append(
            CheckLine(
                text=item.get("text", ""),
                met=bool(item.get("met")),
                note=item.get("note", ""),
                evidence_required=bool(item.get("evidence_required")),
                evidence=tuple(
                    EvidenceLine(
                        id=e["id"],
                        name=e.get("name", ""),
                        link=e.get("link", ""),
                        size=e.get("size", 0),
                        uploaded_at=e.get("uploaded_at", ""),
                        sha256=e.get("sha256", ""),
                    )
                    for e in item.get("evidence", [])
                ),
            )
        )
    return lines


def review_facts(review: Review, user, *, now: datetime | None = None) -> ReviewFacts:
    """The review as `user` sees it: two queries beyond `load_review` (the holders' names and
    the delegations of everyone holding a seat)."""
    now = now or timezone.now()
    seats = list(review.seats.all())
    decisions = list(review.decisions.all())
    for d in decisions:
        d.past = PAST[d.verdict]
    held = {h for s in seats for h in s.holders}
    delegations = delegations_in_force(Delegation.objects.filter(holder_id__in=held))
    outcome = evaluate(review, seats, decisions, delegations)
    names = {
        u.pk: u.get_full_name() or u.username
        for u in User.objects.filter(pk__in=held).only("pk", "username", "first_name", "last_name")
    }
    filled = {d.seat_id: d for d in decisions if d.seat_id and d.verdict != Verdict.DEFER}
    seat_lines = [
        SeatLine(
            seat=s,
            holders=tuple(sorted(names.get(h, f"#{h}") for h in s.holders)),
            decision=filled.get(s.pk),
            vetoed=outcome.vetoed_by == s.pk,
        )
        for s in seats
    ]
    holds = may_decide(user, review, seats, delegations, at=now)
    deciding = review.state == ReviewState.OPEN and holds
    change = review.change_request if review.change_request_id else None
    return ReviewFacts(
        review=review,
        seats=seats,
        decisions=decisions,
        outcome=outcome,
        rule=rule_in_words(review, seats),
        progress=progress_in_words(outcome),
        overdue=review.state == ReviewState.OPEN and review.due_at < now,
        seat_lines=seat_lines,
        checklist=_checklist(review),
        project=subject_project(review),
        change=change,
        may_decide=deciding,
        holds_seat=holds,
        open_verdicts=(
            open_to(user.pk, review, seats, decisions, delegations, now=now) if deciding else set()
        ),
        my_decisions=[d for d in decisions if d.person_id == user.pk],
        delegations=delegations,
    )


def may_view_review(user, facts: ReviewFacts, *, now: datetime | None = None) -> bool:
    """Anyone who may see the subject project; for a proposal, its requester, the PMO and the
    portfolio's director. Seat holders, whoever stands in for one now, and everyone who
    decided on it see it whatever the subject (they must, to decide)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or has_role(user, Role.PMO):
        return True
    review = facts.review
    now = now or timezone.now()
    held = {h for s in facts.seats for h in s.holders}
    if user.pk in held or any(d.person_id == user.pk for d in facts.decisions):
        return True
    if any(
        d.delegate == user.pk and d.holder in held and d.starts <= now < d.ends
        for d in facts.delegations
    ):
        return True
    if review.kind == ReviewKind.INTAKE:
        return user.pk in (review.requested_by_id, review.portfolio.director_id)
    project = facts.project
    return project is not None and can_view(user, project)


@dataclass(frozen=True)
class ProjectPicture:
    """The subject project's live figures and latest status, for the reviewer."""

    evm: metrics.EVM
    report: StatusReport | None
    currency: str
    as_of: date


def project_picture(project: Project) -> ProjectPicture:
    """Live EVM by the engine's definitions and the latest current submitted report."""
    today = timezone.localdate()
    report = latest_submitted_report(project)
    return ProjectPicture(
        evm=project_evm(project=project, as_of=today),
        report=report,
        currency=project.portfolio.currency,
        as_of=today,
    )


def change_preview(facts: ReviewFacts) -> ChangeOutcome | None:
    """What approving the change would do to the plan, with the open milestones it can move
    (only while the change waits for its decision)."""
    change = facts.change
    if change is None or change.state != ChangeRequestState.SUBMITTED:
        return None
    return change_request_outcome(project=change.project, request=change, with_milestones=True)
