"""The score grid of a portfolio: its live projects × the PMO's active criteria."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.paginator import Page, Paginator

from governance.lifecycle import LIVE_STATES
from governance.scoring import CriterionFacts, ScoreFacts, priority, stamp
from portfolio.models import Portfolio, ScoringCriterion
from projects.models import Project, ProjectScore

SHOW_CHOICES = (("all", "All live projects"), ("todo", "Not fully scored"))
PAGE_SIZE = 50


@dataclass
class ScoreRow:
    """One project's row: its scores by criterion, the stamp they carry, and its priority."""

    project: Project
    scores: dict[int, ScoreFacts]
    stamp: str
    priority: Decimal | None
    scored: int
    last_by: str = ""
    last_at: datetime | None = None


@dataclass
class ScoreGrid:
    criteria: list[ScoringCriterion]
    page: Page  # of ScoreRow
    total_weight: Decimal
    all_rows: int = 0
    complete: int = 0
    unscored: int = 0
    show: str = "all"
    search: str = ""

    @property
    def rows(self) -> list[ScoreRow]:
        return list(self.page.object_list)

    @property
    def page_numbers(self) -> list[int | str]:
        return list(self.page.paginator.get_elided_page_range(self.page.number, on_ends=1))


def active_criteria() -> list[ScoringCriterion]:
    """The active criteria, heaviest first: the columns of the grid."""
    return list(ScoringCriterion.objects.filter(active=True).order_by("-weight", "name", "pk"))


def row_for(
    project: Project, scores: list[ScoreFacts], criteria: list[ScoringCriterion]
) -> ScoreRow:
    facts = {
        c.pk: CriterionFacts(c.pk, c.weight, c.scale_min, c.scale_max, c.higher_is_better)
        for c in criteria
    }
    value, scored = priority(scores, facts)
    latest = max((s for s in scores if s.scored_at), key=lambda s: s.scored_at, default=None)
    return ScoreRow(
        project=project,
        scores={s.criterion_id: s for s in scores},
        stamp=stamp(scores),
        priority=value,
        scored=scored,
        last_by=latest.scored_by if latest else "",
        last_at=latest.scored_at if latest else None,
    )


def project_scores(project_ids: list[int]) -> dict[int, list[ScoreFacts]]:
    """Every stored score of the projects (all criteria: the stamp covers them all)."""
    result: dict[int, list[ScoreFacts]] = defaultdict(list)
    for s in (
        ProjectScore.objects.filter(project_id__in=project_ids)
        .select_related("scored_by")
        .order_by("project_id", "criterion_id")
    ):
        result[s.project_id].append(
            ScoreFacts(
                criterion_id=s.criterion_id,
                score=s.score,
                comment=s.comment,
                scored_at=s.scored_at,
                scored_by=(s.scored_by.get_full_name() or s.scored_by.username)
                if s.scored_by
                else "",
            )
        )
    return result


def score_grid(
    *,
    portfolio: Portfolio,
    show: str = "all",
    search: str = "",
    page: int | str = 1,
    page_size: int = PAGE_SIZE,
) -> ScoreGrid:
    """The grid in three queries (criteria, live projects, their scores), whatever the page:
    the counts above the grid cover every live project, the rows one page of them."""
    criteria = active_criteria()
    projects = list(
        Project.objects.filter(portfolio=portfolio, state__in=LIVE_STATES)
        .only("pk", "code", "name", "state", "portfolio_id")
        .order_by("code")
    )
    scores = project_scores([p.pk for p in projects])
    rows = [row_for(p, scores.get(p.pk, []), criteria) for p in projects]
    total = sum((c.weight for c in criteria), Decimal("0"))
    for c in criteria:  # each criterion's share of the total weight, %
        c.share = (c.weight * 100 / total).quantize(Decimal("0.1")) if total else None
    shown = rows
    if show == "todo":
        shown = [r for r in shown if r.scored < len(criteria)]
    needle = search.strip().casefold()
    if needle:
        shown = [
            r
            for r in shown
            if needle in r.project.code.casefold() or needle in r.project.name.casefold()
        ]
    return ScoreGrid(
        criteria=criteria,
        page=Paginator(shown, page_size).get_page(page),
        total_weight=total,
        all_rows=len(rows),
        complete=sum(1 for r in rows if criteria and r.scored == len(criteria)),
        unscored=sum(1 for r in rows if r.scored == 0),
        show=show,
        search=search.strip(),
    )


def score_row(*, project: Project, criteria: list[ScoringCriterion]) -> ScoreRow:
    """One project's row, re-read after a save (one query)."""
    return row_for(project, project_scores([project.pk]).get(project.pk, []), criteria)
