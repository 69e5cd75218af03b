"""Reviews for the cross-app sweeps (tests/test_odd_input.py): an open change review on a
project and a decided one, and a delegation, as URL kwargs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from governance.models import Delegation
from governance.services.reviews import review_decide
from projects.services import change_request_raise


def review_ids(project, pm, director) -> dict[str, list[int]]:
    """`review_pk`: an open change review and a decided one (the portfolio's director holds
    a seat in both); `delegation_pk`: the director's delegation to `pm`, starting tomorrow."""

    def raised(title: str):
        change = change_request_raise(
            project=project, by=pm, title=title, description="d", cost_impact=Decimal("1000")
        )
        return change.reviews.get()

    open_review, decided = raised("Open change"), raised("Decided change")
    review_decide(review=decided, by=director, verdict="approve", comment="Yes")
    tomorrow = timezone.localdate() + timedelta(days=1)
    delegation = Delegation.objects.create(
        holder=director, delegate=pm, starts=tomorrow, ends=tomorrow + timedelta(days=3)
    )
    return {"review_pk": [open_review.pk, decided.pk], "delegation_pk": [delegation.pk]}
