"""Scoring a project: a director (or the PMO) sets its scores on the PMO's active criteria.

One project's row is saved as a whole, in one transaction: either every score and comment of
the row is written or none is. A save based on scores that changed since the user loaded them
is refused (ScoresChanged), so two directors never overwrite each other unknowingly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from governance.lifecycle import LIVE_STATES
from governance.scoring import ScoreFacts, stamp
from portfolio.models import ScoringCriterion
from ppm.access import can_change
from ppm.audit import acting_as
from projects.models import Project, ProjectScore
from projects.services.common import DomainError, mark_rollup_stale

MAX_COMMENT = 2000


@dataclass(frozen=True)
class ScoreInput:
    """What the user entered for one criterion: a score (None clears it) and a comment."""

    score: int | None
    comment: str = ""


@dataclass
class ScoresChanged(Exception):
    """Someone changed the project's scores after the user loaded them."""

    project: Project
    current: list[ScoreFacts]
    stamp: str
    who: str = "someone"
    when: datetime | None = None

    def __str__(self) -> str:
        return (
            f"The scores of {self.project.code} were changed by {self.who} while you were "
            "editing. Your input is kept: save again to apply it over theirs."
        )


@dataclass
class ScoresSaved:
    """The outcome of a save: how many scores changed and the row's new stamp."""

    changed: int
    stamp: str
    scores: list[ScoreFacts] = field(default_factory=list)


def score_field(criterion_id: int) -> str:
    """The input a DomainError about this criterion's score names."""
    return f"score_{criterion_id}"


def comment_field(criterion_id: int) -> str:
    return f"comment_{criterion_id}"


def _facts(rows: list[ProjectScore]) -> list[ScoreFacts]:
    return [
        ScoreFacts(
            criterion_id=r.criterion_id,
            score=r.score,
            comment=r.comment,
            scored_at=r.scored_at,
            scored_by=(r.scored_by.get_full_name() or r.scored_by.username) if r.scored_by else "",
        )
        for r in rows
    ]


def _validate(
    scores: Mapping[int, ScoreInput], criteria: dict[int, ScoringCriterion]
) -> dict[int, ScoreInput]:
    cleaned = {}
    for criterion_id, entry in scores.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise DomainError(
                "A criterion of this row is no longer in use (the PMO changed the criteria): "
                "reload the page to score on the current ones.",
                field=score_field(criterion_id),
            )
        comment = entry.comment.strip()
        if entry.score is None:
            if comment:
                raise DomainError(
                    "A comment explains a score: enter the score too, or clear the comment.",
                    field=comment_field(criterion_id),
                )
        elif not criterion.scale_min <= entry.score <= criterion.scale_max:
            raise DomainError(
                f"Score {criterion.name} from {criterion.scale_min} to {criterion.scale_max}.",
                field=score_field(criterion_id),
            )
        if len(comment) > MAX_COMMENT:
            raise DomainError(
                f"Keep the comment under {MAX_COMMENT} characters.",
                field=comment_field(criterion_id),
            )
        cleaned[criterion_id] = ScoreInput(entry.score, comment)
    return cleaned


def _read(project_id: int) -> list[ProjectScore]:
    return list(
        ProjectScore.objects.filter(project_id=project_id)
        .select_related("scored_by")
        .order_by("criterion_id")
    )


def project_scores_set(
    *, project: Project, scores: Mapping[int, ScoreInput], expected_stamp: str, by
) -> ScoresSaved:
    """Set a project's scores on the given active criteria (None clears a score).

    `expected_stamp` is the stamp (governance.scoring.stamp) of the scores the user saw;
    criteria not in `scores` are left as they are. Marks the project's rollup stale, since
    its priority score changes.
    """
    if not can_change(by, project.portfolio):
        raise DomainError("Only the portfolio's director or the PMO scores its projects.")
    criteria = {c.pk: c for c in ScoringCriterion.objects.filter(active=True)}
    wanted = _validate(scores, criteria)
    with transaction.atomic(), acting_as(by, reason=f"Scores of {project.code}"):
        # The project row lock serialises saves of this project's scores, so the stamp check
        # and the writes below see the same scores.
        state = (
            Project.objects.select_for_update().values_list("state", flat=True).get(pk=project.pk)
        )
        if state not in LIVE_STATES:
            raise DomainError(
                f"{project.code} is {state.replace('_', ' ')}: only live projects are scored."
            )
        rows = _read(project.pk)
        current = _facts(rows)
        current_stamp = stamp(current)
        if current_stamp != expected_stamp:
            latest = max(
                (s for s in current if s.scored_at), key=lambda s: s.scored_at, default=None
            )
            raise ScoresChanged(
                project=project,
                current=current,
                stamp=current_stamp,
                who=(latest.scored_by or "someone") if latest else "someone",
                when=latest.scored_at if latest else None,
            )
        existing = {r.criterion_id: r for r in rows}
        now = timezone.now()
        create, update, delete = [], [], []
        for criterion_id, entry in wanted.items():
            row = existing.get(criterion_id)
            if entry.score is None:
                if row is not None:
                    delete.append(row.pk)
            elif row is None:
                create.append(
                    ProjectScore(
                        project_id=project.pk,
                        criterion_id=criterion_id,
                        score=entry.score,
                        comment=entry.comment,
                        scored_by=by,
                        scored_at=now,
                    )
                )
            elif (row.score, row.comment) != (entry.score, entry.comment):
                row.score, row.comment, row.scored_by, row.scored_at = (
                    entry.score,
                    entry.comment,
                    by,
                    now,
                )
                update.append(row)
        changed = len(create) + len(update) + len(delete)
        if not changed:
            return ScoresSaved(changed=0, stamp=current_stamp, scores=current)
        if delete:
            ProjectScore.objects.filter(pk__in=delete).delete()
        if update:
            ProjectScore.objects.bulk_update(update, ["score", "comment", "scored_by", "scored_at"])
        if create:
            ProjectScore.objects.bulk_create(create)
        mark_rollup_stale(project.pk)
        after = _facts(_read(project.pk))
    return ScoresSaved(changed=changed, stamp=stamp(after), scores=after)
