"""Reads of a project's gate page: its workflow version, every gate with its status, the next
gate's checklist and evidence, and the reviews behind them — nine queries however many gates,
criteria, evidence and reviews there are."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from governance.choices import ReviewKind, ReviewState, VersionState
from governance.models import Gate, ProjectWorkflow, Review
from governance.services.reviews import ChecklistLine, checklist
from projects.models import Project

PASSED, NEXT, LATER = "passed", "next", "later"


@dataclass(frozen=True)
class GateRow:
    gate: Gate
    status: str
    # passed: the review that approved it (None when it was passed before the project was
    # enrolled); next: the open review, if any.
    review: Review | None = None


@dataclass
class GatePage:
    workflow: ProjectWorkflow | None
    gates: list[GateRow] = field(default_factory=list)
    lines: list[ChecklistLine] = field(default_factory=list)
    open_review: Review | None = None
    # The latest decided review of the next gate (a rejection to act on, say).
    last_review: Review | None = None
    cited: frozenset[int] = frozenset()

    @property
    def next_gate(self) -> Gate | None:
        return self.workflow.next_gate if self.workflow else None

    @property
    def missing(self) -> list[ChecklistLine]:
        return [line for line in self.lines if line.missing]

    @property
    def complete(self) -> bool:
        return not self.missing


def cited_evidence(reviews: list[Review]) -> frozenset[int]:
    """Ids of the evidence some review froze in its checklist: it stays with the record."""
    return frozenset(
        item["id"]
        for review in reviews
        for line in review.checklist or ()
        for item in line.get("evidence", ())
        if isinstance(item, dict) and "id" in item
    )


def gate_page(project: Project) -> GatePage:
    workflow = (
        ProjectWorkflow.objects.select_related("workflow_version__workflow", "next_gate")
        .filter(project=project)
        .first()
    )
    if workflow is None:
        return GatePage(workflow=None)
    gates = list(
        Gate.objects.filter(workflow_version=workflow.workflow_version_id)
        .annotate(criteria_count=Count("criteria"))
        .order_by("order")
    )
    reviews = list(
        Review.objects.filter(project=project, kind=ReviewKind.GATE)
        .select_related("gate", "requested_by")
        .order_by("requested_at", "pk")
    )
    nxt = workflow.next_gate
    approved: dict[object, Review] = {}
    for review in reviews:
        if review.state == ReviewState.APPROVED:
            # By gate, and by name for gates passed under a version the project left.
            approved[review.gate_id] = review
            approved.setdefault(review.gate.name.lower(), review)
    page = GatePage(workflow=workflow, cited=cited_evidence(reviews))
    for gate in gates:
        if nxt is None or gate.order < nxt.order:
            review = approved.get(gate.pk) or approved.get(gate.name.lower())
            page.gates.append(GateRow(gate, PASSED, review))
        elif gate.pk == nxt.pk:
            page.open_review = next(
                (r for r in reviews if r.gate_id == gate.pk and r.state == ReviewState.OPEN), None
            )
            page.last_review = next(
                (
                    r
                    for r in reversed(reviews)
                    if r.gate_id == gate.pk and r.state != ReviewState.OPEN
                ),
                None,
            )
            page.gates.append(GateRow(gate, NEXT, page.open_review))
        else:
            page.gates.append(GateRow(gate, LATER))
    if nxt is not None:
        page.lines = checklist(project, nxt)
    return page


def enrolment_gates() -> list[Gate]:
    """Every gate of every published version, grouped by the caller (one query)."""
    return list(
        Gate.objects.filter(workflow_version__state=VersionState.PUBLISHED)
        .select_related("workflow_version__workflow")
        .order_by("workflow_version__workflow__name", "order")
    )
