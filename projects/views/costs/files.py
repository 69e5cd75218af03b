"""The cost grid as files: CSV export and template, and a CSV or Excel upload that is
reviewed (row errors, the amounts that would change) before it is applied."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ppm.audit import history_for
from ppm.htmx import HtmxHttpRequest, render_page
from ppm.spreadsheets import csv_row
from projects.forms.costs import CostImportApplyForm, CostUploadForm
from projects.models import Project
from projects.selectors.costs import (
    ImportReview,
    cost_export_rows,
    cost_import_review,
    cost_template_rows,
)
from projects.services import ConflictError, DomainError
from projects.services.cost_files import cost_import_keep, cost_import_take
from projects.services.costs import (
    CSV_COLUMNS,
    cost_csv_preview,
    cost_import_apply,
)
from projects.views.common import load_project, section_context

IMPORT = "projects/costs/import.html"


def _csv_response(filename: str) -> tuple[HttpResponse, Any]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so spreadsheets open it as UTF-8
    return response, csv.writer(response)


def _today() -> date:
    """The organisation's day: which months can take actuals."""
    return timezone.localdate()


def _safe_code(project: Project) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in project.code)


@login_required
@require_GET
def cost_export(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every cost line as CSV, in the columns the import reads: edit it and upload it back."""
    project = load_project(request, pk)
    response, writer = _csv_response(f"{_safe_code(project)}-costs.csv")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(row) for row in cost_export_rows(project=project))
    return response


@login_required
@require_GET
def cost_template(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """An empty plan: every month of the baseline span × every expense type and category."""
    project = load_project(request, pk, write=True)
    response, writer = _csv_response(f"{_safe_code(project)}-costs-template.csv")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row((*row, "", "", "")) for row in cost_template_rows(project=project))
    return response


def _import_context(
    request: HtmxHttpRequest,
    project: Project,
    *,
    form: CostUploadForm,
    review: ImportReview | None = None,
    csv_text: str = "",
    warning: str = "",
) -> dict[str, Any]:
    """The page's context; a review that can be applied is kept on the server, and the page
    carries only its token (the file itself never makes the round trip)."""
    token = ""
    if review is not None and review.can_apply:
        token = cost_import_keep(
            project=project,
            user=request.user,
            csv_text=csv_text,
            seen_versions=review.seen_versions,
        )
    return {
        **section_context(request, project, "costs"),
        "form": form,
        "review": review,
        "token": token,
        "warning": warning,
        "as_of": timezone.localtime(),
    }


def _review(project: Project, csv_text: str) -> ImportReview:
    preview = cost_csv_preview(csv_text, project=project, today=_today())
    return cost_import_review(project=project, preview=preview)


@login_required
@require_http_methods(["GET", "POST"])
def cost_import(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Upload a CSV file; see every row error and every amount it would change before
    deciding to apply it."""
    project = load_project(request, pk, write=True)
    review = None
    csv_text = ""
    if request.method == "POST":
        form = CostUploadForm(request.POST, request.FILES)
        if form.is_valid():
            csv_text = form.cleaned_data["file"]
            review = _review(project, csv_text)
    else:
        form = CostUploadForm()
    context = _import_context(request, project, form=form, review=review, csv_text=csv_text)
    return render_page(request, IMPORT, context, partial="import-body")


@login_required
@require_POST
def cost_import_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Apply a checked file, named by its token: all its changes or none. A line changed by
    someone since the review is not overwritten: the review is shown again with the current
    values. Another user's token is a 403; an expired one asks for the file again."""
    project = load_project(request, pk, write=True)
    form = CostImportApplyForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("The checked file could not be found; upload it again.")
    try:
        checked = cost_import_take(
            token=form.cleaned_data["token"], project=project, user=request.user
        )
    except DomainError as exc:
        context = _import_context(request, project, form=CostUploadForm(), warning=exc.message)
        return render(request, IMPORT, context)
    review = _review(project, checked.csv_text)
    warning = ""
    if review.can_apply:
        seen = checked.seen_versions
        try:
            count = cost_import_apply(
                project=project,
                preview=review.changed_preview,
                by=request.user,
                seen_versions={k: seen.get(k) for k in review.seen_versions},
                reason="CSV import",
                today=_today(),
            )
        except ConflictError as exc:
            who = history_for(exc.current, limit=1)
            warning = (
                f"Nothing was imported: {who[0].user_name if who else 'someone'} changed the "
                "costs since your preview. This is the preview against the current values; "
                "apply it again if it is still right."
            )
        except DomainError as exc:
            warning = f"Nothing was imported: {exc.message}"
        else:
            messages.success(
                request, f"Imported {count} amount{'s' if count != 1 else ''} from the CSV file."
            )
            return redirect("projects:costs", pk=project.pk)
    else:
        warning = "Nothing was imported: the file has errors or changes nothing."
    context = _import_context(
        request,
        project,
        form=CostUploadForm(),
        review=review,
        csv_text=checked.csv_text,
        warning=warning,
    )
    return render(request, IMPORT, context)
