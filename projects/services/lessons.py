"""Lessons learned: what a project team would tell the next team, recorded with its author."""

from __future__ import annotations

from django.db import transaction

from ppm.audit import acting_as
from projects.models import LessonLearned, Project
from projects.services.common import DomainError

TITLE_MAX = LessonLearned._meta.get_field("title").max_length
CATEGORY_MAX = LessonLearned._meta.get_field("category").max_length


def lesson_record(
    *,
    project: Project,
    by,
    title: str,
    what_happened: str,
    recommendation: str,
    category: str = "",
) -> LessonLearned:
    """Record a lesson on a project (usually at closure; any time is allowed).

    A lesson feeds no rollup figure, so unlike the plan-changing services this one does not
    mark the project's rollup stale (that would only queue a recompute that changes nothing).
    """
    title, category = title.strip(), " ".join(category.split())
    what_happened, recommendation = what_happened.strip(), recommendation.strip()
    if not title:
        raise DomainError("A title is required.", field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(f"Keep the title under {TITLE_MAX} characters.", field="title")
    if len(category) > CATEGORY_MAX:
        raise DomainError(f"Keep the category under {CATEGORY_MAX} characters.", field="category")
    if not what_happened:
        raise DomainError("Say what happened.", field="what_happened")
    if not recommendation:
        raise DomainError("Say what the next team should do.", field="recommendation")
    lesson = LessonLearned(
        project=project,
        title=title,
        category=category,
        what_happened=what_happened,
        recommendation=recommendation,
        recorded_by=by,
    )
    with transaction.atomic(), acting_as(by):
        lesson.save()
    return lesson
