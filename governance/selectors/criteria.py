"""The criteria list the PMO manages and directors and executives read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q

from governance.lifecycle import LIVE_STATES
from portfolio.models import ScoringCriterion
from ppm.audit import AuditEntry, history_for


@dataclass
class CriterionLine:
    criterion: ScoringCriterion
    share: Decimal | None  # of the active criteria's total weight, %; None when inactive
    projects_scored: int  # live projects with a score on it


def criteria_overview() -> list[CriterionLine]:
    """Every criterion, active first, with its share of the weight and its use (one query)."""
    criteria = list(
        ScoringCriterion.objects.annotate(
            projects_scored=Count(
                "scores__project",
                filter=Q(scores__project__state__in=LIVE_STATES),
                distinct=True,
            )
        ).order_by("-active", "-weight", "name", "pk")
    )
    total = sum((c.weight for c in criteria if c.active), Decimal("0"))
    return [
        CriterionLine(
            criterion=c,
            share=(c.weight * 100 / total).quantize(Decimal("0.1")) if c.active and total else None,
            projects_scored=c.projects_scored,
        )
        for c in criteria
    ]


def criteria_history(lines: list[CriterionLine], limit: int = 15) -> list[tuple[AuditEntry, str]]:
    """The latest changes to the criteria, each with the criterion's name: who changed which
    weight or scale, when, and why (two queries)."""
    if not lines:
        return []
    names = {str(line.criterion.pk): line.criterion.name for line in lines}
    entries = history_for(*(line.criterion for line in lines), limit=limit)
    return [(entry, names.get(entry.object_id, "a criterion")) for entry in entries]
