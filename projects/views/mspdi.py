"""Project section: milestones — importing a Microsoft Project plan (saved as XML).

Upload → preview → apply, as the cost import does it. The upload is read and checked against
the project's milestones (projects.imports.mspdi) and the preview shown row by row; a preview
without row errors that changes something is kept on the server behind a token, and "Apply"
posts only that token, which writes every row or none. Only those who may change the project
reach these pages (load_project(write=True), as on the milestone edit pages).
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ppm.htmx import HtmxHttpRequest
from projects.forms.mspdi import MilestoneImportApplyForm, MilestoneImportForm
from projects.imports.mspdi import (
    MilestonePreview,
    MilestoneRow,
    RowAction,
    apply_milestones,
    parse_mspdi,
    plan_milestones,
)
from projects.imports.mspdi.kept import (
    MilestoneImportKept,
    milestone_import_forget,
    milestone_import_keep,
    milestone_import_take,
)
from projects.models import Project
from projects.services import DomainError
from projects.views.common import load_project, section_context

UPLOAD_TEMPLATE = "projects/milestones/import.html"
PREVIEW_TEMPLATE = "projects/milestones/import_preview.html"


def _today() -> date:
    """The organisation's day: a milestone completed after it is an error of the plan."""
    return timezone.localdate()


def _upload_page(
    request: HtmxHttpRequest,
    project: Project,
    form: MilestoneImportForm,
    *,
    warning: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {**section_context(request, project, "milestones"), "form": form, "warning": warning}
    return render(request, UPLOAD_TEMPLATE, context, status=status)


def _preview_page(
    request: HtmxHttpRequest,
    project: Project,
    preview: MilestonePreview,
    *,
    data: bytes,
    summaries_as_milestones: bool,
    file_name: str,
    warning: str = "",
) -> HttpResponse:
    """The preview; one that can be applied is kept behind a token (the page carries only
    the token), and any earlier check of this user's for the project is dropped."""
    counts = {action.value: preview.count(action) for action in RowAction}
    writes = counts["create"] + counts["update"]
    token = ""
    if preview.ok and writes:
        token = milestone_import_keep(
            project=project,
            user=request.user,
            preview=preview,
            data=data,
            summaries_as_milestones=summaries_as_milestones,
            file_name=file_name,
        )
    else:
        milestone_import_forget(project=project, user=request.user)
    context = {
        **section_context(request, project, "milestones"),
        "preview": preview,
        "lines": [(row, _next_to_the_row(row)) for row in preview.rows],
        "counts": counts,
        "writes": writes,
        "error_rows": sum(1 for row in preview.rows if row.errors),
        "token": token,
        "file_name": file_name,
        "summaries_as_milestones": summaries_as_milestones,
        "warning": warning,
    }
    return render(request, PREVIEW_TEMPLATE, context)


def _next_to_the_row(row: MilestoneRow) -> list[str]:
    """The row's errors as shown next to it: without the task's name each starts with (the
    row names the task), so "Task 3 ‘Sign-off’: its % complete…" reads "Its % complete…"."""
    labels = (f"{row.task_label}: ", f"{row.task_label.removesuffix(' (phase end)')}: ")
    shown = []
    for error in row.errors:
        for label in labels:
            if error.startswith(label):
                error = error.removeprefix(label)
                error = error[:1].upper() + error[1:]
                break
        shown.append(error)
    return shown


def _check(project: Project, data: bytes, *, summaries_as_milestones: bool) -> MilestonePreview:
    """The plan in `data` against the project's milestones as they are now (DomainError when
    the file cannot be read)."""
    return plan_milestones(
        parse_mspdi(data),
        project,
        summaries_as_milestones=summaries_as_milestones,
        today=_today(),
    )


@require_http_methods(["GET", "POST"])
@login_required
def milestone_import(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Upload a plan; see what importing it would do, row by row, before deciding."""
    project = load_project(request, pk, write=True)
    if request.method != "POST":
        return _upload_page(request, project, MilestoneImportForm())
    form = MilestoneImportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data["file"]
        summaries = form.cleaned_data["summaries_as_milestones"]
        try:
            preview = _check(project, data, summaries_as_milestones=summaries)
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            return _preview_page(
                request,
                project,
                preview,
                data=data,
                summaries_as_milestones=summaries,
                file_name=form.file_name,
            )
    return _upload_page(request, project, form)


@require_POST
@login_required
def milestone_import_apply(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Apply a checked plan, named by its token: every row or none. A milestone changed since
    the preview is not overwritten: the plan is checked again and the new preview shown.
    A token of another user or project is refused (403); an expired or used one asks for
    the plan again."""
    project = load_project(request, pk, write=True)
    form = MilestoneImportApplyForm(request.POST)
    if not form.is_valid():
        warning = "There is no checked plan to import, so nothing was imported. Upload the plan."
        return _upload_page(request, project, MilestoneImportForm(), warning=warning, status=400)
    try:
        kept = milestone_import_take(
            token=form.cleaned_data["token"], project=project, user=request.user
        )
    except PermissionDenied as error:
        return _upload_page(request, project, MilestoneImportForm(), warning=str(error), status=403)
    except DomainError as error:
        return _upload_page(request, project, MilestoneImportForm(), warning=error.message)
    try:
        count = apply_milestones(kept.preview, project, by=request.user)
    except DomainError as error:
        return _checked_again(request, project, kept, error.message)
    name = kept.preview.plan_name
    plan = f" from the plan “{name}”" if name else ""
    messages.success(request, f"{count} milestone{'s' if count != 1 else ''} imported{plan}.")
    return redirect("projects:milestones", project.pk)


def _checked_again(
    request: HtmxHttpRequest, project: Project, kept: MilestoneImportKept, refusal: str
) -> HttpResponse:
    """After a refused apply: the same plan against the milestones as they are now."""
    summaries = kept.summaries_as_milestones
    try:
        preview = _check(project, kept.data, summaries_as_milestones=summaries)
    except DomainError as error:  # read before; only a lowered limit refuses it now
        return _upload_page(
            request, project, MilestoneImportForm(), warning=f"{refusal} {error.message}"
        )
    return _preview_page(
        request,
        project,
        preview,
        data=kept.data,
        summaries_as_milestones=summaries,
        file_name=kept.file_name,
        warning=(
            f"{refusal} Below, the plan is checked again against the milestones as they are "
            "now: import it if it is still right."
        ),
    )


urlpatterns = [
    path("<int:pk>/milestones/import/", milestone_import, name="milestone-import"),
    path(
        "<int:pk>/milestones/import/apply/",
        milestone_import_apply,
        name="milestone-import-apply",
    ),
]
