"""Project pages: "My projects", where a project manager starts, and the project page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ppm.access import require_view
from ppm.htmx import HtmxHttpRequest, render_page
from ppm.roles import Role, has_role
from projects.choices import Category, LifecycleState
from projects.metrics import DEFAULT_THRESHOLDS
from projects.models import Project
from projects.selectors import (
    ProjectListParams,
    portfolios_with,
    project_for_page,
    project_overview,
    project_table,
    projects_of,
)

MY_PROJECTS_ROLES = (Role.PROJECT_MANAGER, Role.DIRECTOR, Role.PMO)


@require_GET
@login_required
def my_projects(request: HtmxHttpRequest) -> HttpResponse:
    """The projects the user is responsible for, i.e. may change (`scope(..., write=True)`).

    A project manager sees the projects they manage or are delegated on; a director every
    project in the portfolios they direct; PMO all projects. Executives change nothing, so
    this page is not theirs (403): they start from the portfolios.
    """
    if not has_role(request.user, *MY_PROJECTS_ROLES):
        raise PermissionDenied("My projects is for project managers, directors and PMO.")
    params = ProjectListParams.from_query(request.GET)
    projects = projects_of(user=request.user)
    table = project_table(projects=projects, params=params)
    table.portfolios = portfolios_with(projects)
    return render_page(
        request,
        "projects/mine.html",
        {
            "table": table,
            "params": params,
            "states": LifecycleState.choices,
            "categories": Category.choices,
            "as_of": timezone.localtime(),
        },
        partial="project-table",
    )


@require_GET
@login_required
def project_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One project's overview: facts, latest status, milestones, costs, risks and changes."""
    try:
        project = project_for_page(pk=pk)
    except Project.DoesNotExist:
        raise Http404("No such project.") from None
    require_view(request.user, project)
    overview = project_overview(project=project)
    user = request.user
    # Only a portfolio reader gets a link to the portfolio; the check needs no query.
    can_open_portfolio = has_role(user, Role.PMO, Role.EXECUTIVE) or (
        has_role(user, Role.DIRECTOR) and project.portfolio.director_id == user.pk
    )
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            "overview": overview,
            "currency": project.portfolio.currency,
            "can_open_portfolio": can_open_portfolio,
            "risk_amber_score": DEFAULT_THRESHOLDS.risk_amber_score,
            "risk_red_score": DEFAULT_THRESHOLDS.risk_red_score,
            "as_of": timezone.localtime(),
        },
    )
