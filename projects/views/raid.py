"""Project section: the RAID log — risks (scored, with the 5×5 heat map and exposure), issues,
assumptions and dependencies (both directions); add, edit, close with a resolution, reopen
with a reason.

One page (`projects:raid`) shows one register at a time (`?kind=`), filtered by status
(`?status=open|overdue|closed|all`) and, for risks, drilled down to one heat-map cell
(`?p=&i=`). The forms have their own URLs: opened from the page they load into a panel above
the register and post with htmx (a success swaps the refreshed register in); opened directly
they are ordinary full pages that post and redirect.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from portfolio.models import HealthPolicy
from ppm.access import scope
from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from projects.choices import RaidStatus
from projects.forms.raid import FORMS, RaidItemForm, ReopenForm, initial_for
from projects.models import Project
from projects.selectors.raid import (
    IMPACT_LABELS,
    KINDS,
    STATUS_FILTERS,
    RaidKind,
    RaidParams,
    dependable_projects,
    dependents_of,
    milestones_of,
    owner_choices,
    raid_counts,
    raid_register,
    risk_heat_map,
    visible_project_by_code,
)
from projects.services import raid_close, raid_create, raid_reopen, raid_update
from projects.views.common import Conflict, call_service, load_project, section_context

PAGE = "projects/raid/page.html"
FORM = "projects/raid/form.html"


def _kind(slug: str) -> RaidKind:
    try:
        return KINDS[slug]
    except KeyError:
        raise Http404("No such register.") from None


def _item(spec: RaidKind, project: Project, item_pk: int) -> Model:
    related = ["owner", "project"]
    if spec.slug == "dependencies":
        related += ["depends_on", "milestone", "depends_on_milestone"]
    try:
        return spec.model.objects.select_related(*related).get(pk=item_pk, project=project)
    except spec.model.DoesNotExist:
        raise Http404(f"No such {spec.singular} in this project.") from None


def _log_url(project: Project, params: RaidParams | None = None, kind: str = "risks") -> str:
    query = params.query() if params else f"?kind={kind}"
    return reverse("projects:raid", args=[project.pk]) + query


# --- The page --------------------------------------------------------------------------------


def _log_context(
    request: HtmxHttpRequest, project: Project, params: RaidParams, *, flash: str = ""
) -> dict[str, Any]:
    today = timezone.localdate()
    policy = HealthPolicy.current()
    register = raid_register(project=project, params=params, today=today, policy=policy)
    context: dict[str, Any] = {
        **section_context(request, project, "raid"),
        "as_of": timezone.localtime(),
        "params": params,
        "spec": params.spec,
        "kinds": [
            {"count": count, "url": f"?kind={count.kind.slug}", "active": count.kind == params.spec}
            for count in raid_counts(project=project, today=today)
        ],
        "status_filters": [
            {
                "label": label,
                "url": params.query(status=value),
                "active": value == params.status,
            }
            for value, label in STATUS_FILTERS
        ],
        "register": register,
        "policy": policy,
        "flash": flash,
    }
    if params.kind == "risks":
        context["heat"] = risk_heat_map(project=project, policy=policy, params=params)
        context["impact_labels"] = IMPACT_LABELS
        context["undrill_url"] = params.query(probability=None, impact=None)
    if params.kind == "dependencies":
        context["dependents"] = dependents_of(
            project=project, user=request.user, params=params, today=today
        )
        # Which of the projects we wait on the user may open (one query for the page).
        targets = {row.item.depends_on_id for row in register.rows}
        context["openable"] = set(
            scope(Project.objects.filter(pk__in=targets), request.user).values_list("pk", flat=True)
        )
    return context


@require_GET
@login_required
def raid_log(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The RAID log of a project: one register at a time, filtered, risks with a heat map."""
    project = load_project(request, pk)
    params = RaidParams.from_query(request.GET)
    return render_page(request, PAGE, _log_context(request, project, params), partial="raid-log")


# --- Forms -----------------------------------------------------------------------------------


def _form_kwargs(
    request: HtmxHttpRequest, project: Project, spec: RaidKind, *, item: Model | None = None
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "project": project,
        "user": request.user,
        "owners": owner_choices(
            project=project, include=[item.owner_id] if item else [request.user.pk]
        ),
    }
    if spec.slug == "dependencies":
        kwargs["milestones"] = milestones_of(project_id=project.pk)
        kwargs["saved"] = item
    return kwargs


def _wire(form: RaidItemForm, project: Project) -> None:
    """Suggestions for the project depended on, and its milestones once it is known (htmx)."""
    if "depends_on" not in form.fields:
        return
    form.fields["depends_on"].widget.attrs.update(
        {
            "hx-get": reverse("projects:raid-project-options", args=[project.pk]),
            "hx-trigger": "input changed delay:250ms, focus once",
            "hx-target": "#dependency-projects",
            "hx-swap": "innerHTML",
            "hx-push-url": "false",
            "hx-sync": "this:replace",
        }
    )
    form.fields["depends_on_milestone"].widget.attrs.update(
        {
            "hx-get": reverse("projects:raid-milestone-options", args=[project.pk]),
            "hx-trigger": (
                "change from:#id_depends_on, input changed delay:500ms from:#id_depends_on"
            ),
            "hx-include": "#id_depends_on",
            "hx-target": "this",
            "hx-swap": "innerHTML",
            "hx-push-url": "false",
        }
    )


def _render_form(
    request: HtmxHttpRequest,
    project: Project,
    spec: RaidKind,
    form,
    *,
    heading: str,
    submit: str,
    item: Model | None = None,
    conflict: Conflict | None = None,
) -> HttpResponse:
    if isinstance(form, RaidItemForm):
        _wire(form, project)
    context = {
        **section_context(request, project, "raid"),
        "as_of": timezone.localtime(),
        "spec": spec,
        "form": form,
        "item": item,
        "heading": heading,
        "submit": submit,
        "conflict": conflict,
        "action": request.path,
        "back_url": _log_url(project, kind=spec.slug),
        "fragment": wants_fragment(request),
    }
    return render_page(request, FORM, context, partial="raid-form")


def _current_params(request: HtmxHttpRequest, project: Project, spec: RaidKind) -> RaidParams:
    """The filters of the page the htmx form was posted from, so the refreshed register is
    the one the user was looking at (forced to the item's register)."""
    current = urlsplit(request.htmx.current_url or "")
    query = (
        QueryDict(current.query)
        if current.path == reverse("projects:raid", args=[project.pk])
        else {}
    )
    return RaidParams.from_query(query, kind=spec.slug)


def _saved(
    request: HtmxHttpRequest, project: Project, spec: RaidKind, message: str
) -> HttpResponse:
    """After a successful save: the refreshed register (htmx) or a redirect with a message."""
    if wants_fragment(request):
        params = _current_params(request, project, spec)
        response = render_page(
            request, PAGE, _log_context(request, project, params, flash=message), partial="raid-log"
        )
        response["HX-Retarget"] = "#raid-log"
        response["HX-Reswap"] = "outerHTML"
        return response
    messages.success(request, message)
    return redirect(_log_url(project, kind=spec.slug))


@require_http_methods(["GET", "POST"])
@login_required
def raid_add(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    """Log a new risk, issue, assumption or dependency."""
    project = load_project(request, pk, write=True)
    spec = _kind(kind)
    data = request.POST if request.method == "POST" else None
    # Whoever logs an item usually owns it first; the select offers everyone else.
    form = FORMS[kind](
        data=data, initial={"owner": request.user.pk}, **_form_kwargs(request, project, spec)
    )
    if form.is_bound and form.is_valid():
        item, _ = call_service(
            form,
            lambda: raid_create(
                model=spec.model, project=project, by=request.user, **form.values()
            ),
        )
        if item is not None:
            return _saved(
                request, project, spec, f"{spec.singular.capitalize()} “{item.title}” added."
            )
    return _render_form(
        request, project, spec, form, heading=f"New {spec.singular}", submit=f"Add {spec.singular}"
    )


@require_http_methods(["GET", "POST"])
@login_required
def raid_edit(request: HtmxHttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    """Edit an open item; choosing "Closed" closes it with its resolution (raid_close)."""
    project = load_project(request, pk, write=True)
    spec = _kind(kind)
    item = _item(spec, project, item_pk)
    if item.status == RaidStatus.CLOSED and request.method == "GET":
        return redirect("projects:raid-reopen", pk=project.pk, kind=kind, item_pk=item.pk)
    initial = initial_for(item, kind)
    if request.GET.get("close") == "1":
        initial["status"] = RaidStatus.CLOSED
    data = request.POST if request.method == "POST" else None
    form = FORMS[kind](
        data=data, initial=initial, editing=True, **_form_kwargs(request, project, spec, item=item)
    )
    conflict = None
    if form.is_bound and form.is_valid():
        version = form.cleaned_data["version"]
        if form.closing:

            def call() -> Model:
                return raid_close(
                    item=item,
                    expected_version=version,
                    by=request.user,
                    resolution=form.cleaned_data["resolution"],
                    changes=form.values(),
                )
        else:

            def call() -> Model:
                return raid_update(
                    item=item, expected_version=version, by=request.user, **form.values()
                )

        closing = form.closing
        saved, conflict = call_service(form, call)
        if saved is not None:
            verb = "closed" if closing else "saved"
            return _saved(
                request, project, spec, f"{spec.singular.capitalize()} “{saved.title}” {verb}."
            )
    closing_now = (
        form.data.get("status") if form.is_bound else initial["status"]
    ) == RaidStatus.CLOSED
    return _render_form(
        request,
        project,
        spec,
        form,
        heading=f"{'Close' if closing_now else 'Edit'} {spec.singular}: {item.title}",
        submit="Save",
        item=item,
        conflict=conflict,
    )


@require_http_methods(["GET", "POST"])
@login_required
def raid_reopen_view(request: HtmxHttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    """Reopen a closed item, saying why."""
    project = load_project(request, pk, write=True)
    spec = _kind(kind)
    item = _item(spec, project, item_pk)
    data = request.POST if request.method == "POST" else None
    form = ReopenForm(data=data, initial={"version": item.version})
    conflict = None
    if form.is_bound and form.is_valid():
        saved, conflict = call_service(
            form,
            lambda: raid_reopen(
                item=item,
                expected_version=form.cleaned_data["version"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            ),
        )
        if saved is not None:
            return _saved(
                request, project, spec, f"{spec.singular.capitalize()} “{saved.title}” reopened."
            )
    return _render_form(
        request,
        project,
        spec,
        form,
        heading=f"Reopen {spec.singular}: {item.title}",
        submit=f"Reopen {spec.singular}",
        item=item,
        conflict=conflict,
    )


# --- htmx helpers for the dependency form ----------------------------------------------------


@require_GET
@login_required
def project_options(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """<option>s of the projects the user may see matching what they typed (at most 20)."""
    project = load_project(request, pk, write=True)
    projects = dependable_projects(
        project=project, user=request.user, term=request.GET.get("depends_on", "")
    )
    return render(request, "projects/raid/project_options.html", {"projects": projects})


@require_GET
@login_required
def milestone_options(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """<option>s of the milestones of the project named by its code, if the user may see it."""
    load_project(request, pk, write=True)
    target = visible_project_by_code(user=request.user, code=request.GET.get("depends_on", ""))
    milestones = milestones_of(project_id=target.pk if target else None)
    return render(request, "projects/raid/milestone_options.html", {"milestones": milestones})


KIND = "<slug:kind>"
urlpatterns = [
    path("<int:pk>/raid/", raid_log, name="raid"),
    path(f"<int:pk>/raid/{KIND}/add/", raid_add, name="raid-add"),
    path(f"<int:pk>/raid/{KIND}/<int:item_pk>/edit/", raid_edit, name="raid-edit"),
    path(f"<int:pk>/raid/{KIND}/<int:item_pk>/reopen/", raid_reopen_view, name="raid-reopen"),
    path("<int:pk>/raid/project-options/", project_options, name="raid-project-options"),
    path("<int:pk>/raid/milestone-options/", milestone_options, name="raid-milestone-options"),
]
