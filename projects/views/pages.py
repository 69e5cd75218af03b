"""Project pages: "My projects", where a project manager starts, and the project page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ppm.access import can_change
from ppm.htmx import HtmxHttpRequest, render_page
from ppm.roles import Role, has_role
from projects.choices import Category, LifecycleState
from projects.selectors import (
    REPORTED_FILTERS,
    RULE_HEALTH_FILTERS,
    ProjectListParams,
    last_submitted_period_end,
    portfolios_with,
    project_overview,
    project_table,
    projects_of,
)
from projects.selectors.status import report_flag
from projects.views.common import load_project, section_context

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
    table = project_table(
        projects=projects.annotate(last_report_end=last_submitted_period_end()), params=params
    )
    table.portfolios = portfolios_with(projects)
    today = timezone.localdate()
    for project in table.page:
        project.report_flag = report_flag(
            project=project, last_period_end=project.last_report_end, today=today
        )
    return render_page(
        request,
        "projects/mine.html",
        {
            "table": table,
            "params": params,
            "states": LifecycleState.choices,
            "categories": Category.choices,
            "rule_health_filters": RULE_HEALTH_FILTERS,
            "reported_filters": REPORTED_FILTERS,
            "as_of": timezone.localtime(),
        },
        partial="project-table",
    )


@require_GET
@login_required
def project_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One project's overview: facts, latest status, milestones, costs, risks and changes."""
    project = load_project(request, pk)
    overview = project_overview(project=project)
    return render(
        request,
        "projects/detail.html",
        {
            **section_context(request, project, "overview"),
            "overview": overview,
            "may_move": can_change(request.user, project.portfolio),
            "as_of": timezone.localtime(),
        },
    )
