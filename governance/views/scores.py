"""Scoring a portfolio's projects: a grid of live projects × the PMO's active criteria.

Each row is saved on its own (htmx swaps the row; without JavaScript the form posts and the
page comes back), all of a row in one transaction, and refused if the row's scores changed
since the page was loaded. The portfolio's director and the PMO score; executives read.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from governance.forms import ScoreRowForm
from governance.lifecycle import LIVE_STATES
from governance.selectors.scores import SHOW_CHOICES, active_criteria, score_grid, score_row
from governance.services import ScoresChanged, project_scores_set
from governance.services.scores import MAX_COMMENT
from governance.views.common import load_portfolio, portfolio_context
from portfolio.models import Portfolio
from ppm.access import can_change
from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from ppm.params import id_param
from projects.models import Project
from projects.services import DomainError
from projects.views.common import Conflict

PAGE = "governance/scores.html"


def _show(request: HtmxHttpRequest) -> str:
    show = request.GET.get("show", "all")
    return show if show in dict(SHOW_CHOICES) else "all"


def _page(
    request: HtmxHttpRequest,
    portfolio: Portfolio,
    *,
    posted: ScoreRowForm | None = None,
    conflict: Conflict | None = None,
) -> HttpResponse:
    grid = score_grid(
        portfolio=portfolio,
        show=_show(request),
        search=request.GET.get("q", "")[:100],
        page=request.GET.get("page", 1),
    )
    forms = []
    for row in grid.rows:
        if posted is not None and row.project.pk == posted.row.project.pk:
            forms.append(posted)
        else:
            forms.append(ScoreRowForm(row=row, criteria=grid.criteria))
    context: dict[str, Any] = {
        **portfolio_context(request, portfolio, "scores"),
        "grid": grid,
        "forms": forms,
        "can_edit": can_change(request.user, portfolio),
        "show_choices": SHOW_CHOICES,
        "conflict": conflict,
        "conflict_project": posted.row.project.pk if conflict and posted else None,
        "max_comment": MAX_COMMENT,
        "as_of": timezone.localtime(),
    }
    return render_page(request, PAGE, context, partial="score-grid")


def _row_response(
    request: HtmxHttpRequest,
    portfolio: Portfolio,
    form: ScoreRowForm,
    *,
    saved: str = "",
    conflict: Conflict | None = None,
) -> HttpResponse:
    context = {
        **portfolio_context(request, portfolio, "scores"),
        "form": form,
        "criteria": form.criteria,
        "can_edit": True,
        "saved": saved,
        "conflict": conflict,
        "conflict_project": form.row.project.pk if conflict else None,
        "max_comment": MAX_COMMENT,
    }
    return render(request, f"{PAGE}#score-row", context)


def conflict_differences(error: ScoresChanged, form: ScoreRowForm) -> list[tuple[str, str, str]]:
    """(criterion, saved now, your input) for each score or comment that differs."""
    now = {s.criterion_id: s for s in error.current}
    differences = []
    for criterion in form.criteria:
        theirs = now.get(criterion.pk)
        yours = form.cleaned_data.get(f"score_{criterion.pk}")
        their_score = theirs.score if theirs else None
        if their_score != yours:
            differences.append(
                (
                    criterion.name,
                    "—" if their_score is None else str(their_score),
                    "—" if yours is None else str(yours),
                )
            )
        their_comment = theirs.comment if theirs else ""
        your_comment = form.cleaned_data.get(f"comment_{criterion.pk}") or ""
        if their_comment != your_comment.strip():
            differences.append(
                (f"{criterion.name} (comment)", their_comment or "—", your_comment or "—")
            )
    return differences


def _posted_project(request: HtmxHttpRequest, portfolio: Portfolio) -> Project:
    project_id = id_param(
        request.POST, "project", error="Say which project the scores are for (project=<id>)."
    )
    try:
        return Project.objects.select_related("portfolio").get(
            pk=project_id, portfolio=portfolio, state__in=LIVE_STATES
        )
    except Project.DoesNotExist:
        raise BadRequest("That project is not a live project of this portfolio.") from None


@require_http_methods(["GET", "POST"])
@login_required
def scores(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the grid. POST: save one project's row (project=<id> plus its fields)."""
    portfolio = load_portfolio(request, pk)
    if request.method == "GET":
        return _page(request, portfolio)
    if not can_change(request.user, portfolio):
        raise PermissionDenied("Only the portfolio's director or the PMO scores its projects.")
    project = _posted_project(request, portfolio)
    criteria = active_criteria()
    row = score_row(project=project, criteria=criteria)
    form = ScoreRowForm(data=request.POST, row=row, criteria=criteria)
    conflict = None
    if form.is_valid():
        try:
            saved = project_scores_set(
                project=project,
                scores=form.values(),
                expected_stamp=form.cleaned_data["stamp"],
                by=request.user,
            )
        except ScoresChanged as error:
            conflict = Conflict(
                who=error.who, when=error.when, differences=conflict_differences(error, form)
            )
            # Move the row's stamp forward: saving again applies the user's input on purpose.
            data = form.data.copy()
            data[form.add_prefix("stamp")] = error.stamp
            form.data = data
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            message = (
                f"Scores of {project.code} saved."
                if saved.changed
                else f"No change to the scores of {project.code}."
            )
            if wants_fragment(request):
                fresh = ScoreRowForm(
                    row=score_row(project=project, criteria=criteria), criteria=criteria
                )
                return _row_response(request, portfolio, fresh, saved=message)
            messages.success(request, message)
            url = reverse("governance:scores", args=[portfolio.pk])
            query = f"?{request.GET.urlencode()}" if request.GET else ""
            return redirect(f"{url}{query}#row-{project.pk}")
    if wants_fragment(request):
        return _row_response(request, portfolio, form, conflict=conflict)
    return _page(request, portfolio, posted=form, conflict=conflict)


urlpatterns = [
    path("portfolios/<int:pk>/scores/", scores, name="scores"),
]
