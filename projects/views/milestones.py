"""Project section: milestones — the table with slip and status, the milestone trend chart,
and the actions: add, edit, reforecast (with a reason), mark achieved, re-baseline.

Each action has its own URL. With htmx its form opens in a panel above the table and a
successful save swaps the whole board (table and chart) so slip and trend update together;
without JavaScript the same URL is a page of its own and a save redirects to the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from ppm.charts import compact, render_svg
from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from projects import services
from projects.forms.milestones import (
    AchieveForm,
    MilestoneCreateForm,
    MilestoneEditForm,
    RebaselineForm,
    ReforecastForm,
)
from projects.models import Milestone, Project
from projects.selectors.milestones import (
    OVERDUE,
    SLIPPING,
    MilestoneLine,
    milestone_line,
    milestone_lines,
    milestone_trend_chart,
)
from projects.views.common import call_service, load_project, section_context

LIST_TEMPLATE = "projects/milestones/list.html"
ACTION_TEMPLATE = "projects/milestones/action.html"


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _days(value: int) -> str:
    return f"{value:+d} day{'s' if abs(value) != 1 else ''}"


# --- The board: table and chart ----------------------------------------------------------------


def _board_context(
    request: HtmxHttpRequest, project: Project, *, notice: str = ""
) -> dict[str, Any]:
    today = timezone.localdate()
    lines = milestone_lines(project=project, today=today)
    chart = milestone_trend_chart(lines=lines, today=today, project=project)
    return {
        **section_context(request, project, "milestones"),
        "lines": lines,
        "slipping_count": sum(1 for line in lines if line.status == SLIPPING),
        "overdue_count": sum(1 for line in lines if line.status == OVERDUE),
        # render_svg escapes every text it draws (ppm.charts.svg). A phone gets the same chart
        # drawn narrower, so its labels stay legible instead of shrinking with the drawing.
        "chart_svg": mark_safe(render_svg(chart)),  # noqa: S308
        "chart_svg_compact": mark_safe(render_svg(compact(chart))),  # noqa: S308
        "notice": notice,
        "today": today,
        "as_of": timezone.localtime(),
    }


@require_GET
@login_required
def milestone_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Milestones with baseline, forecast, actual, slip and status, and the trend chart."""
    project = load_project(request, pk)
    return render_page(request, LIST_TEMPLATE, _board_context(request, project), partial="board")


@require_GET
@login_required
def milestone_chart(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The milestone trend chart alone, as an SVG file (to download or embed elsewhere)."""
    project = load_project(request, pk)
    today = timezone.localdate()
    chart = milestone_trend_chart(
        lines=milestone_lines(project=project, today=today), today=today, project=project
    )
    response = HttpResponse(render_svg(chart), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{project.code}-milestone-trend.svg"'
    return response


def _saved(request: HtmxHttpRequest, project: Project, notice: str) -> HttpResponse:
    """After a successful action: the refreshed board for htmx, a redirect otherwise."""
    if wants_fragment(request):
        context = _board_context(request, project, notice=notice)
        response = render_page(request, LIST_TEMPLATE, context, partial="board")
        return reswap(retarget(response, "#milestone-board"), "outerHTML")
    messages.success(request, notice)
    return redirect("projects:milestones", project.pk)


# --- Actions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One action on a milestone: its form, how the form starts, the service call, and the
    sentence that confirms it."""

    key: str
    title: str
    form: type[forms.Form]
    initial: Callable[[Milestone, date], dict[str, Any]]
    call: Callable[[Milestone, dict[str, Any], Any], Milestone]
    done: Callable[[Milestone], str]


def _edit(m: Milestone, data: dict[str, Any], user) -> Milestone:
    return services.milestone_update(
        milestone=m,
        expected_version=data["version"],
        by=user,
        name=data["name"],
        description=data["description"],
        is_key=data["is_key"],
        weight=data["weight"],
    )


def _reforecast(m: Milestone, data: dict[str, Any], user) -> Milestone:
    return services.milestone_reforecast(
        milestone=m,
        expected_version=data["version"],
        forecast_date=data["forecast_date"],
        reason=data["reason"],
        by=user,
    )


def _achieve(m: Milestone, data: dict[str, Any], user) -> Milestone:
    return services.milestone_achieve(
        milestone=m, expected_version=data["version"], actual_date=data["actual_date"], by=user
    )


def _rebaseline(m: Milestone, data: dict[str, Any], user) -> Milestone:
    return services.milestone_rebaseline(
        milestone=m,
        expected_version=data["version"],
        baseline_date=data["baseline_date"],
        reason=data["reason"],
        by=user,
    )


ACTIONS = {
    "edit": Action(
        key="edit",
        title="Edit milestone",
        form=MilestoneEditForm,
        initial=lambda m, today: {
            "version": m.version,
            "name": m.name,
            "description": m.description,
            "is_key": m.is_key,
            "weight": m.weight,
        },
        call=_edit,
        done=lambda m: f"“{m.name}” saved.",
    ),
    "reforecast": Action(
        key="reforecast",
        title="Reforecast",
        form=ReforecastForm,
        initial=lambda m, today: {"version": m.version, "forecast_date": m.forecast_date},
        call=_reforecast,
        done=lambda m: (
            f"“{m.name}” is now forecast for {_day(m.forecast_date)}: slip "
            f"{_days((m.forecast_date - m.baseline_date).days)}."
        ),
    ),
    "achieve": Action(
        key="achieve",
        title="Mark achieved",
        form=AchieveForm,
        initial=lambda m, today: {"version": m.version, "actual_date": min(today, m.forecast_date)},
        call=_achieve,
        done=lambda m: f"“{m.name}” achieved on {_day(m.actual_date)}.",
    ),
    "rebaseline": Action(
        key="rebaseline",
        title="Re-baseline",
        form=RebaselineForm,
        initial=lambda m, today: {"version": m.version, "baseline_date": m.forecast_date},
        call=_rebaseline,
        done=lambda m: f"“{m.name}” re-baselined to {_day(m.baseline_date)}.",
    ),
}


def _line_or_404(project: Project, pk: int) -> MilestoneLine:
    try:
        return milestone_line(project=project, pk=pk, today=timezone.localdate())
    except Milestone.DoesNotExist:
        raise Http404("No such milestone.") from None


def _action_page(
    request: HtmxHttpRequest, project: Project, context: dict[str, Any]
) -> HttpResponse:
    context = {
        **section_context(request, project, "milestones"),
        # A panel opened inside the board posts with htmx; the page of its own posts plainly.
        "in_board": wants_fragment(request),
        "form_url": request.path,
        "as_of": timezone.localtime(),
        **context,
    }
    return render_page(request, ACTION_TEMPLATE, context, partial="panel")


@require_http_methods(["GET", "POST"])
@login_required
def milestone_action(
    request: HtmxHttpRequest, pk: int, milestone_pk: int, action: str
) -> HttpResponse:
    """Edit, reforecast, mark achieved or re-baseline one milestone."""
    project = load_project(request, pk, write=True)
    spec = ACTIONS[action]
    line = _line_or_404(project, milestone_pk)
    conflict = None
    if request.method == "POST":
        form = spec.form(request.POST)
        if form.is_valid():
            result, conflict = call_service(
                form, lambda: spec.call(line.milestone, form.cleaned_data, request.user)
            )
            if result is not None:
                return _saved(request, project, spec.done(result))
            # The service may have changed the object before refusing: show it as stored.
            line = _line_or_404(project, milestone_pk)
    else:
        form = spec.form(initial=spec.initial(line.milestone, timezone.localdate()))
    return _action_page(
        request,
        project,
        {
            "action_key": spec.key,
            "action_title": spec.title,
            "line": line,
            "form": form,
            "conflict": conflict,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def milestone_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Plan a new milestone."""
    project = load_project(request, pk, write=True)
    if request.method == "POST":
        form = MilestoneCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            milestone, _ = call_service(
                form,
                lambda: services.milestone_create(
                    project=project,
                    name=data["name"],
                    baseline_date=data["baseline_date"],
                    forecast_date=data["forecast_date"],
                    is_key=data["is_key"],
                    weight=data["weight"],
                    description=data["description"],
                    by=request.user,
                ),
            )
            if milestone is not None:
                return _saved(
                    request,
                    project,
                    f"“{milestone.name}” added for {_day(milestone.baseline_date)}.",
                )
    else:
        form = MilestoneCreateForm()
    return _action_page(
        request,
        project,
        {"action_key": "add", "action_title": "Add milestone", "line": None, "form": form},
    )


def _action_url(action: str) -> Any:
    return path(
        f"<int:pk>/milestones/<int:milestone_pk>/{action}/",
        milestone_action,
        {"action": action},
        name=f"milestone-{action}",
    )


urlpatterns = [
    path("<int:pk>/milestones/", milestone_list, name="milestones"),
    path("<int:pk>/milestones/chart.svg", milestone_chart, name="milestone-chart"),
    path("<int:pk>/milestones/add/", milestone_add, name="milestone-add"),
    *(_action_url(action) for action in ACTIONS),
]
