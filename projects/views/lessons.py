"""Lessons learned: captured on the project (the page prompts for them once a project is
closed) and searchable across every project the user may see (`/projects/lessons/`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_http_methods

from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from ppm.roles import ALL_ROLES, has_role
from projects.choices import LifecycleState
from projects.forms.lessons import LessonForm
from projects.models import LessonLearned
from projects.selectors.lessons import (
    LessonParams,
    lesson_categories,
    lesson_search,
    project_lessons,
)
from projects.services.lessons import lesson_record
from projects.views.common import call_service, load_project, section_context

PAGE = "projects/lessons/page.html"
SEARCH = "projects/lessons/search.html"


# --- On the project --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def lessons(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A project's lessons and the form to record one (readers see the list only)."""
    project = load_project(request, pk, write=request.method == "POST")
    form = LessonForm(data=request.POST if request.method == "POST" else None)
    flash = ""
    if form.is_bound and form.is_valid():
        lesson, _ = call_service(
            form, lambda: lesson_record(project=project, by=request.user, **form.cleaned_data)
        )
        if lesson is not None:
            flash = f"Lesson “{lesson.title}” recorded."
            if not wants_fragment(request):
                messages.success(request, flash)
                return redirect("projects:lessons", pk=project.pk)
            form = LessonForm()
    context = {
        **section_context(request, project, "lessons"),
        "as_of": timezone.localtime(),
        "form": form,
        "lessons": project_lessons(project=project),
        "categories": lesson_categories(user=request.user) if project.user_can_change else [],
        "closed": project.state in (LifecycleState.CLOSED, LifecycleState.CANCELLED),
        "flash": flash,
    }
    return render_page(request, PAGE, context, partial="project-lessons")


# --- Across projects -------------------------------------------------------------------------


def highlight(text: str, terms: list[str], *, limit: int | None = None) -> SafeString:
    """`text` escaped, each search term wrapped in <mark> (case-insensitive)."""
    if limit is not None:
        text = Truncator(text).chars(limit)
    if not terms:
        return format_html("{}", text)
    pattern = re.compile("(" + "|".join(re.escape(t) for t in terms) + ")", re.IGNORECASE)
    # re.split with one group alternates plain text and matches: odd positions are matches.
    parts = pattern.split(text)
    return format_html_join(
        "",
        "{}",
        (
            (format_html("<mark>{}</mark>", part) if i % 2 else part,)
            for i, part in enumerate(parts)
        ),
    )


@dataclass(frozen=True)
class LessonHit:
    lesson: LessonLearned
    title: SafeString
    what_happened: SafeString
    recommendation: SafeString


@require_GET
@login_required
def lessons_search(request: HtmxHttpRequest) -> HttpResponse:
    """Search every lesson of the projects the user may see, by words and category."""
    if not has_role(request.user, *ALL_ROLES):
        raise PermissionDenied("Lessons learned are for people with a role in Conductor.")
    params = LessonParams.from_query(request.GET)
    results = lesson_search(user=request.user, params=params)
    terms = params.terms
    hits = [
        LessonHit(
            lesson=lesson,
            title=highlight(lesson.title, terms),
            what_happened=highlight(lesson.what_happened, terms, limit=400),
            recommendation=highlight(lesson.recommendation, terms, limit=400),
        )
        for lesson in results.page
    ]
    return render_page(
        request,
        SEARCH,
        {
            "params": params,
            "results": results,
            "hits": hits,
            "categories": lesson_categories(user=request.user),
            "as_of": timezone.localtime(),
        },
        partial="lesson-results",
    )


urlpatterns = [
    path("<int:pk>/lessons/", lessons, name="lessons"),
    # No clash with the "<int:pk>/" project paths: "lessons" is not an integer.
    path("lessons/", lessons_search, name="lessons-search"),
]
