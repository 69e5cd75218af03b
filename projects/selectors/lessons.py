"""Reads behind lessons learned: a project's own lessons, and the search across every project
the user may see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from ppm.access import scope
from projects.models import LessonLearned, Project

PAGE_SIZE = 20
MAX_TERMS = 6
CATEGORY_LIMIT = 100


@dataclass(frozen=True)
class LessonParams:
    """The search as asked: words (each must appear in the title, what happened or the
    recommendation), a category, a page."""

    search: str = ""
    category: str = ""
    page: str = "1"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> LessonParams:
        return cls(
            search=" ".join(query.get("q", "").split())[:200],
            category=query.get("category", "").strip()[:60],
            page=query.get("page", "1"),
        )

    @property
    def terms(self) -> list[str]:
        """Distinct words of the search, longest first (at most MAX_TERMS)."""
        words = dict.fromkeys(word.lower() for word in self.search.split() if word)
        return sorted(words, key=len, reverse=True)[:MAX_TERMS]

    @property
    def is_filtered(self) -> bool:
        return bool(self.search or self.category)


@dataclass
class LessonResults:
    page: Page
    total: int

    @property
    def page_numbers(self) -> list[int | str]:
        return list(self.page.paginator.get_elided_page_range(self.page.number, on_ends=1))


def visible_lessons(*, user: AbstractBaseUser) -> QuerySet[LessonLearned]:
    """Every lesson of a project the user may see (ppm.access.scope)."""
    return scope(LessonLearned.objects.all(), user)


def lesson_search(
    *, user: AbstractBaseUser, params: LessonParams, page_size: int = PAGE_SIZE
) -> LessonResults:
    """Lessons matching every word (case-insensitive, anywhere in title, what happened or
    recommendation) and the category, newest first: two queries (count and page)."""
    qs = visible_lessons(user=user)
    for term in params.terms:
        qs = qs.filter(
            Q(title__icontains=term)
            | Q(what_happened__icontains=term)
            | Q(recommendation__icontains=term)
        )
    if params.category:
        qs = qs.filter(category__iexact=params.category)
    qs = qs.select_related("project", "recorded_by").order_by("-created_at", "-pk")
    paginator = Paginator(qs, page_size)
    return LessonResults(page=paginator.get_page(params.page), total=paginator.count)


def lesson_categories(*, user: AbstractBaseUser) -> list[str]:
    """The categories in use among the lessons the user may see, for the filter (one query)."""
    return list(
        visible_lessons(user=user)
        .exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()[:CATEGORY_LIMIT]
    )


def project_lessons(*, project: Project) -> list[LessonLearned]:
    """A project's lessons, newest first (one query)."""
    return list(
        LessonLearned.objects.filter(project=project)
        .select_related("recorded_by")
        .order_by("-created_at", "-pk")
    )
