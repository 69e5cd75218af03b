"""Pure helpers of project scoring, shared by the score grid, the ranking and the services.

`priority` applies the one definition of the priority score (projects.metrics.priority_score)
to a project's scores; `stamp` fingerprints a project's scores so that a save based on what
someone saw earlier can tell whether the scores changed in between.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from projects.metrics import CriterionScore, priority_score


@dataclass(frozen=True)
class CriterionFacts:
    """What the score formula needs of a criterion."""

    id: int
    weight: Decimal
    scale_min: int
    scale_max: int
    higher_is_better: bool


@dataclass(frozen=True)
class ScoreFacts:
    """One stored score, as read for the grid, the ranking or the stamp."""

    criterion_id: int
    score: int
    comment: str
    scored_at: datetime | None
    scored_by: str = ""


def priority(
    scores: Iterable[ScoreFacts], criteria: Mapping[int, CriterionFacts]
) -> tuple[Decimal | None, int]:
    """(priority score 0–100 or None, number of active criteria scored) of one project.

    Only active criteria count (`criteria` holds the active ones), as in the rollup engine.
    """
    terms = []
    for s in scores:
        c = criteria.get(s.criterion_id)
        if c is None:
            continue
        terms.append(
            CriterionScore(
                score=s.score,
                weight=c.weight,
                scale_min=c.scale_min,
                scale_max=c.scale_max,
                higher_is_better=c.higher_is_better,
            )
        )
    return priority_score(terms), len(terms)


def stamp(scores: Iterable[ScoreFacts]) -> str:
    """A short fingerprint of a project's stored scores (every criterion, values and times).

    Any save, deletion or addition changes it; the same scores always give the same stamp.
    """
    parts = sorted(
        f"{s.criterion_id}:{s.score}:{s.scored_at.isoformat() if s.scored_at else ''}:"
        f"{hashlib.sha256(s.comment.encode()).hexdigest()[:12]}"
        for s in scores
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]
