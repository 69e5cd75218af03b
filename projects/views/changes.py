"""Project section: change requests — raise one with its scope, schedule and cost impact; the
portfolio's director (or the PMO) approves or rejects it with a comment. Approval applies the
impact through project_replan, and the page shows the forecast finish and BAC it leaves.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from ppm.templatetags.conductor import format_money
from projects.choices import ChangeRequestState
from projects.forms.changes import ChangeRequestForm, DecisionForm
from projects.models import ChangeRequest, Project
from projects.selectors.changes import change_log
from projects.services import change_request_decide, change_request_raise
from projects.services.changes import change_request_outcome, may_decide_change_request
from projects.views.common import Conflict, call_service, load_project, section_context

PAGE = "projects/changes/page.html"
FORM = "projects/changes/form.html"


def _context(request: HtmxHttpRequest, project: Project, *, flash: str = "") -> dict[str, Any]:
    return {
        **section_context(request, project, "changes"),
        "as_of": timezone.localtime(),
        "log": change_log(project=project, page=request.GET.get("page", "1")),
        "can_decide": may_decide_change_request(request.user, project),
        "flash": flash,
    }


@require_GET
@login_required
def changes(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The project's change requests with their impacts and decisions."""
    project = load_project(request, pk)
    return render_page(request, PAGE, _context(request, project), partial="change-log")


def _saved(request: HtmxHttpRequest, project: Project, message: str) -> HttpResponse:
    if wants_fragment(request):
        response = render_page(
            request, PAGE, _context(request, project, flash=message), partial="change-log"
        )
        response["HX-Retarget"] = "#change-log"
        response["HX-Reswap"] = "outerHTML"
        return response
    messages.success(request, message)
    return redirect("projects:changes", pk=project.pk)


def _render_form(request: HtmxHttpRequest, project: Project, form, **extra: Any) -> HttpResponse:
    context = {
        **section_context(request, project, "changes"),
        "as_of": timezone.localtime(),
        "form": form,
        "action": request.path,
        "back_url": reverse("projects:changes", args=[project.pk]),
        "fragment": wants_fragment(request),
        **extra,
    }
    return render_page(request, FORM, context, partial="change-form")


@require_http_methods(["GET", "POST"])
@login_required
def change_raise(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Raise a change request; it is submitted for decision at once."""
    project = load_project(request, pk, write=True)
    form = ChangeRequestForm(data=request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        raised, _ = call_service(
            form,
            lambda: change_request_raise(project=project, by=request.user, **form.values()),
        )
        if raised is not None:
            return _saved(request, project, f"Change request “{raised.title}” raised for decision.")
    return _render_form(request, project, form, mode="raise", heading="Raise a change request")


def _decided_message(before: Project, after: Project, request: ChangeRequest) -> str:
    if request.state == ChangeRequestState.REJECTED:
        return f"Change request “{request.title}” rejected; the plan is unchanged."
    currency = after.portfolio.currency
    parts = []
    if before.forecast_finish != after.forecast_finish:
        was = before.forecast_finish or before.baseline_finish
        parts.append(f"forecast finish {was:%-d %b %Y} → {after.forecast_finish:%-d %b %Y}")
    if before.budget_at_completion != after.budget_at_completion:
        parts.append(
            f"BAC {format_money(before.budget_at_completion, currency)} → "
            f"{format_money(after.budget_at_completion, currency)}"
        )
    applied = "; ".join(parts) if parts else "no change to the plan"
    return f"Change request “{request.title}” approved: {applied}."


@require_http_methods(["GET", "POST"])
@login_required
def change_decide(request: HtmxHttpRequest, pk: int, change_pk: int) -> HttpResponse:
    """Approve or reject a submitted change: the portfolio's director or the PMO only (a
    project manager may raise changes but never decide them: 403)."""
    project = load_project(request, pk)
    if not may_decide_change_request(request.user, project):
        raise PermissionDenied("Only the portfolio's director or the PMO decides changes.")
    try:
        change = ChangeRequest.objects.select_related("raised_by", "project__portfolio").get(
            pk=change_pk, project=project
        )
    except ChangeRequest.DoesNotExist:
        raise Http404("No such change request in this project.") from None
    outcome = change_request_outcome(project=project, request=change, with_milestones=True)
    form = DecisionForm(
        data=request.POST if request.method == "POST" else None,
        initial={
            "version": change.version,
            "move_milestones": [m.pk for m, _moved in outcome.milestones],
        },
    )
    form.fields["move_milestones"].choices = [(m.pk, m.name) for m, _moved in outcome.milestones]
    conflict: Conflict | None = None
    if form.is_bound and form.is_valid():
        before = Project(
            forecast_finish=project.forecast_finish,
            baseline_finish=project.baseline_finish,
            budget_at_completion=project.budget_at_completion,
        )
        decided, conflict = call_service(
            form,
            lambda: change_request_decide(
                request=change,
                expected_version=form.cleaned_data["version"],
                by=request.user,
                approve=form.approve,
                comment=form.cleaned_data["decision_comment"],
                move_milestones=form.cleaned_data["move_milestones"],
                rebaseline=form.cleaned_data["schedule_lands"] == "rebaseline",
            ),
        )
        if decided is not None:
            project.refresh_from_db(fields=["forecast_finish", "budget_at_completion", "version"])
            return _saved(request, project, _decided_message(before, project, decided))
    return _render_form(
        request,
        project,
        form,
        mode="decide",
        heading=f"Decide: {change.title}",
        change=change,
        outcome=outcome,
        conflict=conflict,
    )


urlpatterns = [
    path("<int:pk>/changes/", changes, name="changes"),
    path("<int:pk>/changes/new/", change_raise, name="change-raise"),
    path("<int:pk>/changes/<int:change_pk>/decide/", change_decide, name="change-decide"),
]
