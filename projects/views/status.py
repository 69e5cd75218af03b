"""Project section: status reports — list, start a draft, edit and submit it, read it.

A draft is edited on the report's own page; once submitted the same URL shows it read-only
(the database refuses to change it). Every form works as a plain POST (redirect after
success) and through htmx (only the form fragment is swapped, or the client is redirected).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from ppm.markdown import render_markdown
from projects import services
from projects.choices import ReportState
from projects.forms.status import (
    TEXT_FIELDS,
    CorrectReportForm,
    DiscardReportForm,
    StartReportForm,
    StatusReportForm,
)
from projects.models import Project, StatusReport
from projects.selectors.status import (
    default_period,
    previous_report,
    report_dimensions,
    reporting_periods,
    rules_suggestion,
    status_report_of,
    status_reports,
)
from projects.services.status import MissingOverrideReasons, may_correct_status_report
from projects.views.common import Conflict, call_service, load_project, section_context

LIST_TEMPLATE = "projects/status/list.html"
REPORT_TEMPLATE = "projects/status/report.html"
DISCARD_TEMPLATE = "projects/status/discard.html"
CORRECT_TEMPLATE = "projects/status/correct.html"


def _done(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """After a successful POST: a client-side redirect for htmx, a 302 otherwise."""
    if wants_fragment(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _report_url(report: StatusReport) -> str:
    return reverse("projects:status-report", args=[report.project_id, report.pk])


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


# --- The list and "Start report" -----------------------------------------------------------


def _list_context(
    request: HtmxHttpRequest, project: Project, form: StartReportForm | None = None
) -> dict[str, Any]:
    reports = status_reports(project=project)
    today = timezone.localdate()
    periods = reporting_periods(project=project, reports=reports, today=today)
    if form is None:
        form = StartReportForm(
            initial={"period_end": default_period(periods, today=today)}, periods=periods
        )
    else:
        choices = [(d.isoformat(), t) for d, t in periods]
        typed = form.data.get("period_end", "")
        if typed and typed not in {value for value, _ in choices}:
            choices.insert(0, (typed, typed))  # what was sent stays selected beside its error
        form.fields["period_end"].widget.choices = choices
    return {
        **section_context(request, project, "status"),
        "reports": reports,
        "drafts": [r for r in reports if r.state == ReportState.DRAFT],
        "has_submitted": any(r.state == ReportState.SUBMITTED for r in reports),
        "start_form": form,
        "periods": periods,
        "as_of": timezone.localtime(),
    }


@require_GET
@login_required
def status_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The project's status reports, newest first, with the current draft and a start form."""
    project = load_project(request, pk)
    return render_page(request, LIST_TEMPLATE, _list_context(request, project), partial="start")


@require_POST
@login_required
def status_start(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Open a draft for a period (optionally copied from last period) and go to its editor."""
    project = load_project(request, pk, write=True)
    form = StartReportForm(request.POST)
    if form.is_valid():
        report, _ = call_service(
            form,
            lambda: services.status_report_start(
                project=project,
                period_end=form.cleaned_data["period_end"],
                copy_from_last=form.cleaned_data["copy_from_last"],
                by=request.user,
            ),
        )
        if report is not None:
            messages.success(
                request, f"Draft started for the period ending {_day(report.period_end)}."
            )
            return _done(request, _report_url(report))
    return render_page(
        request, LIST_TEMPLATE, _list_context(request, project, form), partial="start"
    )


# --- One report: editor for a draft, read-only page once submitted ---------------------------


def _report_context(
    request: HtmxHttpRequest,
    project: Project,
    report: StatusReport,
    *,
    form: StatusReportForm | None = None,
    conflict: Conflict | None = None,
    saved: bool = False,
) -> dict[str, Any]:
    editable = report.state == ReportState.DRAFT and project.user_can_change
    suggestion = rules_suggestion(report=report) if report.state == ReportState.DRAFT else None
    dimensions = report_dimensions(report=report, suggestion=suggestion)
    previous = previous_report(report=report)
    context = {
        **section_context(request, project, "status"),
        "report": report,
        "editable": editable,
        "superseded_by": getattr(report, "superseded_by", None),
        "may_correct": report.state == ReportState.SUBMITTED
        and may_correct_status_report(request.user),
        "dimensions": dimensions,
        "previous": previous,
        "previous_dimensions": report_dimensions(report=previous) if previous else [],
        "as_of": timezone.localtime(),
    }
    if editable:
        form = form or StatusReportForm.for_report(report)
        context.update(
            form=form,
            conflict=conflict,
            saved=saved,
            dimension_rows=[(d, form[f"{d.key}_rag"], form[f"{d.key}_reason"]) for d in dimensions],
            markdown_fields=[form[name] for name in TEXT_FIELDS],
        )
    return context


def _keep_version(form: StatusReportForm, version: int) -> None:
    """The draft was saved: a later save from this form builds on the new version."""
    data = form.data.copy()
    data[form.add_prefix("version")] = str(version)
    form.data = data


def _submit(
    form: StatusReportForm, report: StatusReport, user
) -> tuple[StatusReport | None, Conflict | None]:
    """Submit a just-saved draft. Every missing override reason goes next to its own field;
    any other refusal is shown as call_service shows it."""
    try:
        return services.status_report_submit(
            report=report, expected_version=report.version, by=user
        ), None
    except MissingOverrideReasons as error:
        for field, message in error.errors.items():
            form.add_error(field, message)
        return None, None
    except (services.DomainError, services.ConflictError) as error:
        refused = error

    def refuse() -> None:
        raise refused

    return call_service(form, refuse)


def _ready_to_submit(form: StatusReportForm, report: StatusReport) -> bool:
    """Whether the just-saved draft would be accepted on submit; if not, every reason it
    lacks is put next to its field (so the user fixes them before any confirmation)."""
    try:
        services.status_report_submit_check(report=report)
    except MissingOverrideReasons as error:
        for field, message in error.errors.items():
            form.add_error(field, message)
        return False
    except services.DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return False
    return True


@require_http_methods(["GET", "POST"])
@login_required
def status_report(request: HtmxHttpRequest, pk: int, report_pk: int) -> HttpResponse:
    """A draft's editor (Save draft, Submit) or a submitted report, read-only."""
    project = load_project(request, pk, write=request.method == "POST")
    try:
        report = status_report_of(project=project, pk=report_pk)
    except StatusReport.DoesNotExist:
        raise Http404("No such status report.") from None

    if request.method == "GET":
        context = _report_context(request, project, report)
        # Only an editable draft has the editor fragment; htmx asking for a read-only report
        # (a stale editor's refresh, a reader's link) gets the page everyone else gets.
        editor = "editor" if context["editable"] else None
        return render_page(request, REPORT_TEMPLATE, context, partial=editor)

    if report.state != ReportState.DRAFT:
        messages.error(request, "This report has been submitted and can no longer be changed.")
        return _done(request, _report_url(report))

    form = StatusReportForm(request.POST)
    conflict = None
    # "submit" checks the draft and asks for the final confirmation only when it would pass;
    # "confirm" (the button of that confirmation) submits.
    action = request.POST.get("action")
    submitting = action in ("submit", "confirm")
    if form.is_valid():
        saved, conflict = call_service(
            form,
            lambda: services.status_report_update(
                report=report,
                expected_version=form.cleaned_data["version"],
                by=request.user,
                **form.changes(),
            ),
        )
        if saved is not None:
            _keep_version(form, saved.version)
            if not submitting:
                if wants_fragment(request):
                    # Show the form in place as the server now holds it.
                    context = _report_context(request, project, saved, saved=True)
                    return render_page(request, REPORT_TEMPLATE, context, partial="editor")
                messages.success(request, "Draft saved.")
                return redirect(_report_url(report))
            if action == "submit":
                if _ready_to_submit(form, saved):
                    context = _report_context(request, project, saved, form=form)
                    context["confirm_submit"] = True
                    return render_page(request, REPORT_TEMPLATE, context, partial="editor")
                context = _report_context(request, project, report, form=form)
                return render_page(request, REPORT_TEMPLATE, context, partial="editor")
            submitted, conflict = _submit(form, saved, request.user)
            if submitted is not None:
                messages.success(
                    request,
                    f"Status report for the period ending {_day(report.period_end)} submitted.",
                )
                return _done(request, _report_url(report))
    context = _report_context(request, project, report, form=form, conflict=conflict)
    return render_page(request, REPORT_TEMPLATE, context, partial="editor")


def _draft_of(project: Project, report_pk: int) -> StatusReport:
    try:
        return status_report_of(project=project, pk=report_pk)
    except StatusReport.DoesNotExist:
        raise Http404("No such status report.") from None


@require_http_methods(["GET", "POST"])
@login_required
def status_discard(request: HtmxHttpRequest, pk: int, report_pk: int) -> HttpResponse:
    """Discard a draft: a page asking to confirm (GET), then the discard (POST)."""
    project = load_project(request, pk, write=True)
    report = _draft_of(project, report_pk)
    if report.state != ReportState.DRAFT:
        messages.error(request, "Only a draft can be discarded; this report has been submitted.")
        return _done(request, _report_url(report))
    form = DiscardReportForm(request.POST or None, initial={"version": report.version})
    if request.method == "POST" and form.is_valid():
        call_service(
            form,
            lambda: services.status_report_discard(
                report=report, expected_version=form.cleaned_data["version"], by=request.user
            ),
        )
        if not form.errors:
            messages.success(
                request, f"Draft for the period ending {_day(report.period_end)} discarded."
            )
            return _done(request, reverse("projects:status", args=[project.pk]))
    context = {
        **section_context(request, project, "status"),
        "report": report,
        "form": form,
        "as_of": timezone.localtime(),
    }
    return render(request, DISCARD_TEMPLATE, context)


@require_http_methods(["GET", "POST"])
@login_required
def status_correct(request: HtmxHttpRequest, pk: int, report_pk: int) -> HttpResponse:
    """The PMO's correction of a submitted report (403 for anyone else): the report's fields
    prefilled, a reason required; saving submits a new version that supersedes this one."""
    if not may_correct_status_report(request.user):
        raise PermissionDenied("Only the PMO corrects a submitted report.")
    project = load_project(request, pk)
    report = _draft_of(project, report_pk)
    if report.state != ReportState.SUBMITTED:
        return _done(request, _report_url(report))
    successor = getattr(report, "superseded_by", None)
    if successor is not None:
        messages.info(request, "This version has been corrected: this is the current one.")
        return _done(request, reverse("projects:status-correct", args=[pk, successor.pk]))
    if request.method == "POST":
        form = CorrectReportForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            correction, _ = call_service(
                form,
                lambda: services.status_report_correct(
                    report=report, by=request.user, reason=data["reason"], **form.changes()
                ),
            )
            if correction is not None:
                messages.success(
                    request,
                    f"Correction of the report for the period ending "
                    f"{_day(report.period_end)} submitted; the earlier version is kept.",
                )
                return _done(request, _report_url(correction))
    else:
        form = CorrectReportForm.for_report(report)
    dimensions = report_dimensions(report=report)
    context = {
        **section_context(request, project, "status"),
        "report": report,
        "form": form,
        "dimension_rows": [(d, form[f"{d.key}_rag"], form[f"{d.key}_reason"]) for d in dimensions],
        "markdown_fields": [form[name] for name in TEXT_FIELDS],
        "as_of": timezone.localtime(),
    }
    return render(request, CORRECT_TEMPLATE, context)


@require_POST
@login_required
def status_preview(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The Markdown preview of one text field of the editor, as it will be shown."""
    load_project(request, pk, write=True)
    field = request.GET.get("field", "")
    if field not in TEXT_FIELDS:
        return HttpResponseBadRequest(
            f"field must be one of: {', '.join(sorted(TEXT_FIELDS))}", content_type="text/plain"
        )
    html = render_markdown(request.POST.get(field, ""))
    return HttpResponse(html or '<p class="muted mb-0">Nothing to preview.</p>')


urlpatterns = [
    path("<int:pk>/status/", status_list, name="status"),
    path("<int:pk>/status/start/", status_start, name="status-start"),
    path("<int:pk>/status/preview/", status_preview, name="status-preview"),
    path("<int:pk>/status/<int:report_pk>/", status_report, name="status-report"),
    path("<int:pk>/status/<int:report_pk>/discard/", status_discard, name="status-discard"),
    path("<int:pk>/status/<int:report_pk>/correct/", status_correct, name="status-correct"),
]
