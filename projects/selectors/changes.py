"""Reads behind the change-request page: the requests with their decisions, the preview of
what approving each pending one would do, and the totals already approved."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Max, Q, Sum, When

from projects.choices import ChangeRequestState
from projects.models import ChangeRequest, Project
from projects.services.changes import ChangeOutcome, change_request_outcome

PAGE_SIZE = 25
ZERO = Decimal("0")


@dataclass(frozen=True)
class ChangeRow:
    request: ChangeRequest
    outcome: ChangeOutcome | None  # what approval would do; only for requests awaiting one

    @property
    def pending(self) -> bool:
        return self.request.state == ChangeRequestState.SUBMITTED


@dataclass(frozen=True)
class ChangeSummary:
    """Counts by state and the schedule and cost impact of everything approved so far."""

    pending: int
    approved: int
    rejected: int
    approved_days: int
    approved_cost: Decimal


@dataclass
class ChangeLog:
    page: Page
    rows: list[ChangeRow]
    total: int
    summary: ChangeSummary

    @property
    def page_numbers(self) -> list[int | str]:
        return list(self.page.paginator.get_elided_page_range(self.page.number, on_ends=1))


def change_summary(*, project: Project) -> ChangeSummary:
    """One aggregate query."""
    approved = Q(state=ChangeRequestState.APPROVED)
    row = ChangeRequest.objects.filter(project=project).aggregate(
        pending=Count("pk", filter=Q(state=ChangeRequestState.SUBMITTED)),
        approved=Count("pk", filter=approved),
        rejected=Count("pk", filter=Q(state=ChangeRequestState.REJECTED)),
        approved_days=Sum("schedule_impact_days", filter=approved),
        approved_cost=Sum("cost_impact", filter=approved),
    )
    return ChangeSummary(
        pending=row["pending"],
        approved=row["approved"],
        rejected=row["rejected"],
        approved_days=row["approved_days"] or 0,
        approved_cost=row["approved_cost"] or ZERO,
    )


def change_log(*, project: Project, page: str = "1", page_size: int = PAGE_SIZE) -> ChangeLog:
    """Requests awaiting a decision first, then the newest; three queries (count, rows,
    summary). The project must carry its current plan: previews are computed from it.

    Each row carries `review_pk`, its latest governance review (the open one while it waits
    for a decision; none for a change decided before the gate engine): read through the
    reverse relation's name, so projects imports nothing of governance."""
    qs = (
        ChangeRequest.objects.filter(project=project)
        .select_related("raised_by", "decided_by")
        .annotate(review_pk=Max("reviews__pk"))
        .order_by(
            # Awaiting a decision first: that is where someone has to act.
            Case(
                When(state=ChangeRequestState.SUBMITTED, then=0),
                default=1,
                output_field=IntegerField(),
            ),
            "-created_at",
            "-pk",
        )
    )
    paginator = Paginator(qs, page_size)
    current = paginator.get_page(page)
    rows = [
        ChangeRow(
            request=request,
            outcome=(
                change_request_outcome(project=project, request=request)
                if request.state == ChangeRequestState.SUBMITTED
                else None
            ),
        )
        for request in current
    ]
    return ChangeLog(
        page=current, rows=rows, total=paginator.count, summary=change_summary(project=project)
    )
