"""What waits for a person's decision: every open review (of a gate, an intake request or a
change request) where they hold a seat, or stand in for someone who does under a delegation
in force now — oldest due first, with the rule's progress and whether they decided already.

A fixed number of queries whatever the number of reviews: the person's delegations, the
reviews (found through the GIN index on `ReviewSeat.holders`), their decisions, the seats of
the page shown and of the reviews someone decided on, and the delegations of everyone holding
those seats (the rule counts a delegate's decision for the holder). The rule itself is
`governance.decision_rule`, asked in memory. The list is paged (50 a page); its counts are
over every review.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from governance import decision_rule
from governance.choices import ReviewKind, ReviewState, RuleKind, Verdict
from governance.models import Delegation, Review, ReviewDecision, ReviewSeat
from governance.services.reviews import _window, delegations_in_force, evaluate


def standing_in_for(user, *, now: datetime) -> list[Delegation]:
    """The delegations under which `user` decides for someone else right now (one query)."""
    today = timezone.localdate(now)
    rows = Delegation.objects.filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=now),
        delegate=user,
        starts__lte=today,
        ends__gte=today,
    ).select_related("holder")
    return [d for d in rows if _window(d)[0] <= now < _window(d)[1]]


def rule_in_words(review: Review, seats: Sequence[ReviewSeat | SeatRow]) -> str:
    """“2 of 3 approvers”, “Any one of 2 approvers”, “All 3 approvers”, with the veto."""
    voting = [s for s in seats if not s.is_veto]
    n = len(voting)
    if review.rule == RuleKind.ANY:
        words = "Any one approver" if n == 1 else f"Any one of {n} approvers"
    elif review.rule == RuleKind.ALL:
        words = "The one approver" if n == 1 else f"All {n} approvers"
    else:
        words = f"{review.rule_m} of {n} approvers"
    vetoes = [s.label.removeprefix("Veto: ") for s in seats if s.is_veto]
    if vetoes:
        words += "; veto: " + ", ".join(vetoes)
    return words


def progress_in_words(outcome: decision_rule.Outcome) -> str:
    noun = "approval" if outcome.needed == 1 else "approvals"
    text = f"{outcome.approvals} of {outcome.needed} {noun}"
    if outcome.rejections:
        text += f" · {outcome.rejections} rejection{'s' if outcome.rejections != 1 else ''}"
    return text


def open_to(
    user_pk: int,
    review: Review,
    seats: Sequence[ReviewSeat | SeatRow],
    decisions: Sequence[ReviewDecision | DecisionRow],
    delegations: list[decision_rule.Delegation],
    *,
    now: datetime,
    before: decision_rule.Outcome | None = None,
) -> set[str]:
    """The verdicts `user_pk` could still give that would count: "approve" and "reject" when
    their decision would fill a seat (as themselves or for someone they stand in for), only
    "reject" when all they hold is a veto. Empty once they have decided every seat they
    could fill (a deferral fills none, so the deferrer may still decide)."""
    if not decisions:
        # Nobody has decided: every seat the person (or whoever they stand in for) holds is
        # free. The rule's own answer, without asking it.
        me = {user_pk} | {
            d.holder for d in delegations if d.delegate == user_pk and d.starts <= now < d.ends
        }
        if any(me.intersection(s.holders) for s in seats if not s.is_veto):
            return {str(Verdict.APPROVE), str(Verdict.REJECT)}
        return {str(Verdict.REJECT)} if any(me.intersection(s.holders) for s in seats) else set()
    before = before or evaluate(review, seats, decisions, delegations)
    for verdict in (Verdict.APPROVE, Verdict.REJECT):
        trial = DecisionRow(user_pk, verdict, now)
        after = evaluate(review, seats, [*decisions, trial], delegations)
        if len(after.counted) > len(before.counted):
            # A seat an approval fills, a rejection fills too; a rejection alone: a veto.
            return (
                {str(Verdict.APPROVE), str(Verdict.REJECT)}
                if verdict == Verdict.APPROVE
                else {str(Verdict.REJECT)}
            )
    return set()


PAST = {Verdict.APPROVE: "Approved", Verdict.REJECT: "Rejected", Verdict.DEFER: "Deferred"}


class ReviewRow(NamedTuple):
    """An open review as the list shows it and the rule reads it (no model instances: a
    reviewer may have hundreds)."""

    pk: int
    kind: str
    title: str
    rule: str
    rule_m: int
    requested_at: datetime
    due_at: datetime
    portfolio: str
    project_code: str | None
    intake_title: str | None
    gate_name: str | None
    change_title: str | None
    change_project_code: str | None
    change_request_id: int | None

    def get_kind_display(self) -> str:
        return ReviewKind(self.kind).label

    @property
    def subject(self) -> tuple[str, str]:
        """(what is decided, the project's code or "Proposal")."""
        if self.kind == ReviewKind.CHANGE:
            return self.change_title or self.title, self.change_project_code or ""
        if self.kind == ReviewKind.INTAKE:
            return self.intake_title or self.title, "Proposal"
        return (f"{self.gate_name} gate" if self.gate_name else self.title), self.project_code or ""


@dataclass(frozen=True)
class Waiting:
    review: ReviewRow
    outcome: decision_rule.Outcome
    rule: str
    overdue: bool
    decided: bool  # nothing left for this person to decide on it
    my_verdict: str  # their latest verdict (“Approved”…), "" when none
    for_whom: tuple[str, ...]  # the holders they stand in for here, by name
    subject: str  # the gate, the proposal's or the change's title
    subject_code: str  # the project's code, or "Proposal"
    url: str
    requested_on: str  # "3 Dec 2026", in the organisation's zone
    due_on: str

    @property
    def progress(self) -> str:
        return progress_in_words(self.outcome)


_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(moment: datetime, zone) -> str:
    """“3 Dec 2026” (the template filter `date:"j M Y"`; formatting in Python costs a tenth
    as much, and the list formats two dates a row)."""
    local = moment.astimezone(zone)
    return f"{local.day} {_MONTHS[local.month]} {local.year}"


def _open_reviews(ids: list[int]):
    """The open reviews where one of `ids` holds a seat (the GIN index on `holders`)."""
    seat_match = (
        Q(holders__contains=[ids[0]])
        if len(ids) == 1
        else Q(holders__contains=[ids[0]]) | Q(holders__overlap=ids[1:])
    )
    return Review.objects.filter(
        state=ReviewState.OPEN,
        pk__in=ReviewSeat.objects.filter(seat_match).values("review_id"),
    )


def _rows(reviews) -> list[ReviewRow]:
    rows = reviews.order_by("due_at", "pk").values_list(
        "pk",
        "kind",
        "title",
        "rule",
        "rule_m",
        "requested_at",
        "due_at",
        "portfolio__name",
        "project__code",
        "intake__title",
        "gate__name",
        "change_request__title",
        "change_request__project__code",
        "change_request_id",
    )
    return [ReviewRow(*row) for row in rows]


class SeatRow(NamedTuple):
    """A seat as the rule reads it (the list reads hundreds: no model instances)."""

    pk: int
    label: str
    is_veto: bool
    holders: list[int]


class DecisionRow(NamedTuple):
    person_id: int
    verdict: str
    at: datetime


def _decisions(reviews) -> dict[int, list[DecisionRow]]:
    """Each open review's decisions, in one query (the reviews as a subquery: a list of
    hundreds of ids costs more to send than the rows)."""
    decisions: dict[int, list[DecisionRow]] = defaultdict(list)
    for review_id, *row in (
        ReviewDecision.objects.filter(review__in=reviews.values("pk"))
        .order_by("review_id", "at", "pk")
        .values_list("review_id", "person_id", "verdict", "at")
    ):
        decisions[review_id].append(DecisionRow(*row))
    return decisions


def _seats(reviews, only: Iterable[int] | None = None) -> dict[int, list[SeatRow]]:
    """The seats of the open reviews (of those in `only`, when given), in one query."""
    wanted = (
        ReviewSeat.objects.filter(review__in=reviews.values("pk"))
        if only is None
        else ReviewSeat.objects.filter(review_id__in=sorted(set(only)))
    )
    seats: dict[int, list[SeatRow]] = defaultdict(list)
    for review_id, *row in wanted.order_by("review_id", "is_veto", "pk").values_list(
        "review_id", "pk", "label", "is_veto", "holders"
    ):
        seats[review_id].append(SeatRow(*row))
    return seats


@dataclass(frozen=True)
class Approvals:
    """One page of what waits for a person, and the counts over all of it."""

    rows: list[Waiting]  # the page shown, soonest due first
    total: int  # open reviews where they hold (or stand in for) a seat
    pending: int  # of those, where they still have a decision to make
    overdue: int  # of the pending, past their SLA
    page: int
    pages: int


PAGE_SIZE = 50


def approvals_for(
    user, *, now: datetime | None = None, page: int = 1, per_page: int | None = PAGE_SIZE
) -> Approvals:
    """The open reviews `user` may decide on: the counts over all of them, and the rows of
    `page` (every row when `per_page` is None). Five queries whatever the number.

    A reviewer may hold hundreds: whether each still waits for them is worked out for all
    (a review nobody has decided on yet waits for every seat holder, with no rule to ask),
    the rule's progress and the rest of a row only for the page shown."""
    if not user.is_authenticated:
        return Approvals([], 0, 0, 0, 1, 1)
    now = now or timezone.now()
    mine = standing_in_for(user, now=now)
    holders_of = {d.holder_id: d.holder for d in mine}
    open_reviews = _open_reviews([user.pk, *holders_of])
    reviews = _rows(open_reviews)
    if not reviews:
        return Approvals([], 0, 0, 0, 1, 1)
    pages = 1 if per_page is None else max(1, -(-len(reviews) // per_page))
    page = min(max(page, 1), pages)
    shown = reviews if per_page is None else reviews[(page - 1) * per_page : page * per_page]
    shown_ids = {r.pk for r in shown}
    # Decisions of all; seats only where the answer needs them: the page, and the reviews
    # someone has decided on (whether the person still may decide depends on who did).
    decisions_of = _decisions(open_reviews)
    seats_of = _seats(open_reviews, None if per_page is None else shown_ids | set(decisions_of))
    everyone = {h for seats in seats_of.values() for s in seats for h in s.holders}
    delegations = delegations_in_force(Delegation.objects.filter(holder_id__in=everyone))
    pending = overdue = 0
    rows = []
    # One reverse for the whole list (a reverse per row costs more than the row's rule).
    url_prefix = reverse("governance:review", args=[0]).removesuffix("0/")
    zone = timezone.get_current_timezone()
    for review in reviews:
        decisions = decisions_of.get(review.pk, [])
        seats = seats_of.get(review.pk, [])
        if review.pk not in shown_ids:
            # Not on the page: only whether it waits for them. Found through their seat, a
            # review nobody decided on waits for them.
            waits = not decisions or bool(
                open_to(user.pk, review, seats, decisions, delegations, now=now)
            )
            pending += waits
            overdue += waits and review.due_at < now
            continue
        outcome = evaluate(review, seats, decisions, delegations)
        decided = not open_to(
            user.pk, review, seats, decisions, delegations, now=now, before=outcome
        )
        pending += not decided
        overdue += (not decided) and review.due_at < now
        held = {h for s in seats for h in s.holders}
        mine_here = [d for d in decisions if d.person_id == user.pk]
        subject, code = review.subject
        rows.append(
            Waiting(
                review=review,
                outcome=outcome,
                rule=rule_in_words(review, seats),
                overdue=review.due_at < now,
                decided=decided,
                my_verdict=PAST[mine_here[-1].verdict] if mine_here else "",
                for_whom=tuple(
                    h.get_full_name() or h.username
                    for pk, h in holders_of.items()
                    if pk in held and user.pk not in held
                ),
                subject=subject,
                subject_code=code,
                url=f"{url_prefix}{review.pk}/",
                requested_on=_day(review.requested_at, zone),
                due_on=_day(review.due_at, zone),
            )
        )
    return Approvals(rows, len(reviews), pending, overdue, page, pages)


def decisions_waiting(user, *, now: datetime | None = None) -> list[Waiting]:
    """Every open review `user` may decide on, oldest due first (every row)."""
    return approvals_for(user, now=now, per_page=None).rows


@dataclass(frozen=True)
class WaitingCounts:
    waiting: int  # open reviews where the person still has a decision to make
    overdue: int  # of those, past their SLA


def waiting_counts(user, *, now: datetime | None = None) -> WaitingCounts:
    """The same counts as My approvals' (one page's worth of rows is built with them)."""
    found = approvals_for(user, now=now, per_page=1)
    return WaitingCounts(found.pending, found.overdue)
