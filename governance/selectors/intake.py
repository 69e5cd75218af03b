"""Reads of the intake pages: who may see which request, the lists, one request with its
reviews and their decisions.

Who sees a request: the person who made it; once it has been submitted, the PMO and the
executives (every request: executives read everything) and the director of its portfolio;
and anyone who holds a seat on one of its reviews. A draft never submitted is its author's
alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from governance.choices import IntakeState, ReviewKind, ReviewState
from governance.models import IntakeRequest, Review, ReviewDecision, ReviewSeat
from ppm.roles import Role, has_role

PAGE_SIZE = 25


def _reads_every_submitted(user) -> bool:
    return user.is_superuser or has_role(user, Role.PMO, Role.EXECUTIVE)


def visible_intakes(user) -> QuerySet[IntakeRequest]:
    """The requests `user` may open."""
    requests = IntakeRequest.objects.all()
    if not user.is_authenticated or not user.is_active:
        return requests.none()
    own = Q(requested_by=user)
    submitted = Q(submitted_at__isnull=False)
    if _reads_every_submitted(user):
        return requests.filter(own | submitted)
    seat = ReviewSeat.objects.filter(review__intake=OuterRef("pk"), holders__contains=[user.pk])
    visible = own | Q(Exists(seat))
    if has_role(user, Role.DIRECTOR):
        visible |= submitted & Q(portfolio__director=user)
    return requests.filter(visible)


def may_review_requests(user) -> bool:
    """Whether the list page shows `user` the requests of their scope besides their own."""
    return _reads_every_submitted(user) or has_role(user, Role.DIRECTOR)


def _with_list_columns(requests: QuerySet[IntakeRequest]) -> QuerySet[IntakeRequest]:
    open_review = Review.objects.filter(
        intake=OuterRef("pk"), kind=ReviewKind.INTAKE, state=ReviewState.OPEN
    )
    return requests.select_related("portfolio", "requested_by", "proposed_manager").annotate(
        review_due=Subquery(open_review.values("due_at")[:1])
    )


def my_intakes(user) -> list[IntakeRequest]:
    """The user's own requests, newest first (one query)."""
    return list(
        _with_list_columns(IntakeRequest.objects.filter(requested_by=user)).order_by(
            "-created_at", "-pk"
        )
    )


@dataclass(frozen=True)
class ScopeList:
    page: Page
    state: str

    @property
    def page_numbers(self) -> list[int | str]:
        return list(self.page.paginator.get_elided_page_range(self.page.number))


def intakes_in_scope(user, *, state: str = "", page: int | str | None = 1) -> ScopeList:
    """Submitted requests the PMO (all) or a director (their portfolios) reviews, filtered by
    state; two queries (count and page)."""
    requests = IntakeRequest.objects.filter(submitted_at__isnull=False)
    if not _reads_every_submitted(user):
        requests = requests.filter(portfolio__director=user)
    if state in IntakeState.values:
        requests = requests.filter(state=state)
    else:
        state = ""
    requests = _with_list_columns(requests).order_by("-submitted_at", "-pk")
    return ScopeList(Paginator(requests, PAGE_SIZE).get_page(page), state)


def intake_for_page(*, pk: int, user) -> IntakeRequest:
    """One request the user may see, with what its page shows. Raises DoesNotExist."""
    return (
        visible_intakes(user)
        .select_related(
            "portfolio__director",
            "requested_by",
            "proposed_manager",
            "workflow_version__workflow",
            "project",
        )
        .prefetch_related("objectives")
        .get(pk=pk)
    )


def intake_reviews(intake: IntakeRequest) -> list[Review]:
    """The request's reviews, oldest first, with their seats and decisions (three queries)."""
    decisions = ReviewDecision.objects.select_related("person", "on_behalf_of").order_by("at")
    return list(
        Review.objects.filter(intake=intake, kind=ReviewKind.INTAKE)
        .select_related("gate")
        .prefetch_related("seats", Prefetch("decisions", queryset=decisions))
        .order_by("requested_at", "pk")
    )
