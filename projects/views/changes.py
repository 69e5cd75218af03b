"""Project section: change requests — raise one with its scope, schedule and cost impact. It
is decided in its governance review (opened when it is submitted; its approvers are the change
rule's, by default the portfolio's director or the PMO): each pending row links to that review
by URL name, and approval applies the impact through project_replan.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from projects.forms.changes import ChangeRequestForm
from projects.models import Project
from projects.selectors.changes import change_log
from projects.services import change_request_raise
from projects.services.changes import may_decide_change_request
from projects.views.common import call_service, load_project, section_context

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


urlpatterns = [
    path("<int:pk>/changes/", changes, name="changes"),
    path("<int:pk>/changes/new/", change_raise, name="change-raise"),
]
