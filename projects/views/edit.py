"""Creating a project and editing its details and plan: the PMO and the portfolio's director
(issue 10, item 3). A new project is proposed; the lifecycle page moves it on."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from portfolio.models import Portfolio
from ppm.access import can_change, scope
from ppm.htmx import HtmxHttpRequest
from ppm.params import parse_id
from projects import services
from projects.forms.project import ProjectCreateForm, ProjectEditForm
from projects.services.project import DETAIL_FIELDS
from projects.views.common import call_service, load_project, section_context


@require_http_methods(["GET", "POST"])
@login_required
def project_new(request: HtmxHttpRequest) -> HttpResponse:
    # The portfolios the user may change: the PMO's all, a director's own, nobody else's.
    portfolios = scope(Portfolio.objects.order_by("name"), request.user, write=True)
    if not portfolios.exists():
        raise PermissionDenied("Only the PMO or a portfolio's director creates projects.")
    initial = {"portfolio": parse_id(request.GET.get("portfolio", ""))}
    form = ProjectCreateForm(
        request.POST if request.method == "POST" else None, initial=initial, portfolios=portfolios
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        project, _conflict = call_service(
            form,
            lambda: services.project_create(
                by=request.user,
                portfolio=data["portfolio"],
                code=data["code"],
                name=data["name"],
                description=data["description"],
                category=data["category"],
                delivery_method=data["delivery_method"],
                manager=data["manager"],
                sponsor=data["sponsor"],
                baseline_start=data["baseline_start"],
                baseline_finish=data["baseline_finish"],
                budget_at_completion=data["budget_at_completion"] or 0,
                ev_method=data["ev_method"],
            ),
        )
        if project is not None:
            messages.success(request, f"{project.code} created, proposed.")
            return HttpResponseRedirect(reverse("projects:detail", args=[project.pk]))
    return render(request, "projects/project_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
@login_required
def project_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    project = load_project(request, pk)
    if not can_change(request.user, project.portfolio):
        raise PermissionDenied("Only the PMO or the portfolio's director edits this project.")
    initial = {
        "name": project.name,
        "description": project.description,
        "category": project.category,
        "delivery_method": project.delivery_method,
        "manager": project.manager_id,
        "sponsor": project.sponsor_id,
        "budget_at_completion": f"{project.budget_at_completion:,.2f}",
        "forecast_finish": project.forecast_finish,
        "version": project.version,
    }
    form = ProjectEditForm(request.POST if request.method == "POST" else None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved, conflict = call_service(
            form,
            lambda: services.project_edit(
                project=project,
                by=request.user,
                expected_version=data["version"],
                reason=data["reason"],
                budget_at_completion=data["budget_at_completion"],
                forecast_finish=data["forecast_finish"],
                **{name: data[name] for name in DETAIL_FIELDS},
            ),
        )
        if saved is not None:
            messages.success(request, f"{project.code} saved.")
            return HttpResponseRedirect(reverse("projects:detail", args=[project.pk]))
    return render(
        request,
        "projects/project_form.html",
        {
            **section_context(request, project, "overview"),
            "form": form,
            "conflict": conflict,
            "creating": False,
        },
    )


urlpatterns = [
    path("new/", project_new, name="new"),
    path("<int:pk>/edit/", project_edit, name="edit"),
]
