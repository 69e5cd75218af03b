"""The workflow builder (issue 10): the PMO creates workflows, edits a draft's gates (criteria,
approvers, rule, veto, SLA), publishes it as a new version and moves projects from an older
version with a preview. Directors and executives read the workflows; everyone else gets 403.

Editing a published workflow opens a draft (`draft_for`): a published version is never
changed, and projects under way keep theirs until the PMO migrates them. Every write goes
through `governance.services.workflows`; a DomainError shows next to its field with what was
typed kept, a ConflictError (a stale publish) shows what changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from governance.choices import VersionState
from governance.forms_workflows import (
    GateForm,
    PublishForm,
    WorkflowForm,
    criteria_formset,
    criteria_values,
)
from governance.models import Gate, Workflow, WorkflowVersion
from governance.selectors.workflows import workflow_lines, workflow_page
from governance.services import workflows as service
from governance.views import workflow_rules
from governance.views.builder import may_build, pmo_form, pmo_post, require_reader
from ppm.params import parse_id
from projects.services import DomainError
from projects.views.common import call_service


def _page_url(workflow_id: int) -> str:
    return reverse("governance:workflow", args=[workflow_id])


# --- The list and a new workflow -------------------------------------------------------------


@require_GET
@login_required
def workflow_list(request: HttpRequest) -> HttpResponse:
    require_reader(request)
    return render(
        request,
        "governance/workflows/list.html",
        {
            "lines": workflow_lines(),
            "can_build": may_build(request.user),
            "form": WorkflowForm() if may_build(request.user) else None,
        },
    )


@pmo_form
def workflow_add(request: HttpRequest) -> HttpResponse:
    form = WorkflowForm(data=request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        created, _ = call_service(
            form,
            lambda: service.workflow_create(
                by=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            ),
        )
        if created is not None:
            messages.success(
                request,
                f"Workflow “{created.name}” created: add its gates, then publish version 1.",
            )
            return redirect(_page_url(created.pk))
    return render(request, "governance/workflows/workflow_form.html", {"form": form})


@pmo_post
def workflow_default(request: HttpRequest, workflow_pk: int) -> HttpResponse:
    workflow = get_object_or_404(Workflow, pk=workflow_pk)
    try:
        service.workflow_make_default(workflow=workflow, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"“{workflow.name}” is the default: it applies when no selection rule matches.",
        )
    if request.POST.get("next") == "list":
        return redirect("governance:workflows")
    return redirect(_page_url(workflow.pk))


# --- One workflow: versions, gates, publishing -----------------------------------------------


def _render_workflow(
    request: HttpRequest, workflow: Workflow, *, publish_form=None, conflict=None, status=200
) -> HttpResponse:
    page = workflow_page(workflow, with_draft=may_build(request.user))
    draft = page.draft
    if publish_form is None and draft is not None:
        publish_form = PublishForm(
            initial={
                "version": draft.version,
                "note": "" if page.published else "First version",
            }
        )
    return render(
        request,
        "governance/workflows/detail.html",
        {
            "page": page,
            "workflow": workflow,
            "can_build": may_build(request.user),
            "publish_form": publish_form,
            "conflict": conflict,
        },
        status=status,
    )


@require_GET
@login_required
def workflow_detail(request: HttpRequest, workflow_pk: int) -> HttpResponse:
    require_reader(request)
    return _render_workflow(request, get_object_or_404(Workflow, pk=workflow_pk))


@pmo_post
def workflow_draft(request: HttpRequest, workflow_pk: int) -> HttpResponse:
    """“Edit” on a published workflow: open its draft (a copy of the published version)."""
    workflow = get_object_or_404(Workflow, pk=workflow_pk)
    had_draft = workflow.versions.filter(state=VersionState.DRAFT).exists()
    draft = service.draft_for(workflow=workflow, by=request.user)
    if not had_draft:
        messages.success(
            request,
            f"Draft version {draft.number} opened as a copy of the published one: change its "
            "gates, then publish it. Projects keep their version until you migrate them.",
        )
    return redirect(_page_url(workflow.pk))


@pmo_post
def version_publish(request: HttpRequest, version_pk: int) -> HttpResponse:
    version = get_object_or_404(WorkflowVersion.objects.select_related("workflow"), pk=version_pk)
    form = PublishForm(data=request.POST)
    conflict = None
    if form.is_valid():
        _, conflict = call_service(
            form,
            lambda: service.version_publish(
                version=version,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                note=form.cleaned_data["note"],
            ),
        )
        if not form.errors:
            messages.success(
                request,
                f"Version {version.number} of “{version.workflow.name}” published: new projects "
                "follow it; projects under way keep their version until you migrate them.",
            )
            return redirect(_page_url(version.workflow_id))
    return _render_workflow(request, version.workflow, publish_form=form, conflict=conflict)


# --- Gates -----------------------------------------------------------------------------------


def _draft_or_redirect(request: HttpRequest, version: WorkflowVersion) -> HttpResponse | None:
    if version.state == VersionState.DRAFT:
        return None
    messages.info(
        request,
        f"Version {version.number} is {version.get_state_display().lower()} and stays as it "
        "is: “Edit” opens a draft to change.",
    )
    return redirect(_page_url(version.workflow_id))


def _gate_form_page(request: HttpRequest, version: WorkflowVersion, gate: Gate | None):
    posted = request.method == "POST"
    form = GateForm.for_gate(
        gate, data=request.POST if posted else None, draft_version=version.version
    )
    criteria = criteria_formset(gate, data=request.POST if posted else None)
    criteria_error = ""
    if posted and form.is_valid() and criteria.is_valid():
        try:
            saved = service.gate_save(
                version=version,
                by=request.user,
                data=form.to_input(criteria_values(criteria)),
                gate=gate,
                expected_draft_version=form.cleaned_data.get("draft_version"),
            )
        except DomainError as error:
            if error.field == "draft_version":
                # Show the draft as it is now on the next save; what was typed stays.
                form.data = form.data.copy()
                form.data[form.add_prefix("draft_version")] = str(
                    WorkflowVersion.objects.get(pk=version.pk).version
                )
                error.field = None
            if error.field == "criteria":
                criteria_error = error.message
            else:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Gate “{saved.name}” saved.")
            if "more" in request.POST:
                return redirect("governance:gate-edit", gate_pk=saved.pk)
            return redirect(_page_url(version.workflow_id))
    return render(
        request,
        "governance/workflows/gate_form.html",
        {
            "form": form,
            "criteria": criteria,
            "criteria_error": criteria_error,
            "version": version,
            "workflow": version.workflow,
            "gate": gate,
            "heading": f"Edit gate “{gate.name}”" if gate else "Add a gate",
        },
    )


@pmo_form
def gate_add(request: HttpRequest, version_pk: int) -> HttpResponse:
    version = get_object_or_404(WorkflowVersion.objects.select_related("workflow"), pk=version_pk)
    return _draft_or_redirect(request, version) or _gate_form_page(request, version, None)


@pmo_form
def gate_edit(request: HttpRequest, gate_pk: int) -> HttpResponse:
    gate = get_object_or_404(
        Gate.objects.select_related("workflow_version__workflow", "veto_group").prefetch_related(
            "approver_groups", "approver_users", "criteria"
        ),
        pk=gate_pk,
    )
    version = gate.workflow_version
    return _draft_or_redirect(request, version) or _gate_form_page(request, version, gate)


def _gate(gate_pk: int) -> Gate:
    return get_object_or_404(Gate.objects.select_related("workflow_version__workflow"), pk=gate_pk)


@pmo_post
def gate_delete(request: HttpRequest, gate_pk: int) -> HttpResponse:
    gate = _gate(gate_pk)
    try:
        service.gate_delete(gate=gate, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Gate “{gate.name}” removed from the draft.")
    return redirect(_page_url(gate.workflow_version.workflow_id))


@pmo_post
def gate_move(request: HttpRequest, gate_pk: int) -> HttpResponse:
    gate = _gate(gate_pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, "Move a gate up or down; nothing changed.")
    else:
        try:
            service.gate_move(gate=gate, by=request.user, up=direction == "up")
        except DomainError as error:
            messages.error(request, error.message)
    return redirect(f"{_page_url(gate.workflow_version.workflow_id)}#gate-{gate.pk}")


# --- Moving projects between versions --------------------------------------------------------


@pmo_form
def workflow_migrate(request: HttpRequest, workflow_pk: int) -> HttpResponse:
    """The preview of moving a superseded version's projects to the published one, and the
    move itself for the projects ticked (all but the blocked ones, by default)."""
    workflow = get_object_or_404(Workflow, pk=workflow_pk)
    source_pk = parse_id(request.GET.get("from") or request.POST.get("from"))
    source = get_object_or_404(workflow.versions.all(), pk=source_pk) if source_pk else None
    target = service.current_version(workflow)
    if source is None or target is None:
        messages.error(
            request,
            "Choose a superseded version with projects (its “Migrate” link)."
            if target
            else "The workflow has no published version to move projects to.",
        )
        return redirect(_page_url(workflow.pk))
    try:
        preview = service.migration_preview(source=source, target=target)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_page_url(workflow.pk))
    chosen: set[int] | None = None
    if request.method == "POST":
        chosen = {i for i in map(parse_id, request.POST.getlist("project")) if i}
        if not chosen:
            messages.error(request, "Tick at least one project to move.")
        else:
            try:
                moved = service.projects_migrate(
                    source=source, target=target, by=request.user, project_ids=chosen
                )
            except DomainError as error:
                messages.error(request, error.message)
                preview = service.migration_preview(source=source, target=target)
            else:
                left = source.projects.count()
                messages.success(
                    request,
                    f"{moved} project{'s' if moved != 1 else ''} moved from version "
                    f"{source.number} to version {target.number}"
                    + (f"; {left} stay on version {source.number}." if left else "."),
                )
                return redirect(_page_url(workflow.pk))
    return render(
        request,
        "governance/workflows/migrate.html",
        {
            "workflow": workflow,
            "preview": preview,
            "source": source,
            "target": target,
            "chosen": chosen,
            "movable": sum(1 for m in preview.projects if not m.blocked),
        },
    )


urlpatterns = [
    path("workflows/", workflow_list, name="workflows"),
    path("workflows/new/", workflow_add, name="workflow-add"),
    path("workflows/<int:workflow_pk>/", workflow_detail, name="workflow"),
    path("workflows/<int:workflow_pk>/default/", workflow_default, name="workflow-default"),
    path("workflows/<int:workflow_pk>/draft/", workflow_draft, name="workflow-draft"),
    path("workflows/<int:workflow_pk>/migrate/", workflow_migrate, name="workflow-migrate"),
    path("workflows/versions/<int:version_pk>/publish/", version_publish, name="version-publish"),
    path("workflows/versions/<int:version_pk>/gates/new/", gate_add, name="gate-add"),
    path("workflows/gates/<int:gate_pk>/edit/", gate_edit, name="gate-edit"),
    path("workflows/gates/<int:gate_pk>/delete/", gate_delete, name="gate-delete"),
    path("workflows/gates/<int:gate_pk>/move/", gate_move, name="gate-move"),
    *workflow_rules.urlpatterns,
]
