"""The PMO's report definitions: the list with each schedule in words and its next run, the
form (weekly, monthly or crontab schedule, previewed; a stale save shows both versions and
keeps the input), and "Run now". The library and the runs are reporting/views/reports.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ppm.audit import history_for
from ppm.htmx import HtmxHttpRequest, wants_fragment
from projects.services.common import ConflictError, DomainError
from reporting.choices import ReportKind, RunStatus
from reporting.forms import DefinitionForm, schedule_words
from reporting.models import ReportDefinition, ReportRun
from reporting.services.reports import (
    audiences,
)
from reporting.services.schedules import (
    definition_run_now,
    definition_save,
    organisation_zone,
)
from reporting.views.reports import require_pmo

# --- Definitions (PMO) ----------------------------------------------------------------------


@require_GET
@login_required
def definitions(request: HttpRequest) -> HttpResponse:
    require_pmo(request.user)
    last_run = ReportRun.objects.filter(definition=OuterRef("pk")).order_by("-created_at", "-pk")
    rows = list(
        ReportDefinition.objects.select_related("schedule", "project")
        .prefetch_related("portfolios")
        .annotate(
            recipient_count=Count("recipients", distinct=True),
            group_count=Count("recipient_groups", distinct=True),
            last_run_pk=Subquery(last_run.values("pk")[:1]),
            last_run_status=Subquery(last_run.values("status")[:1]),
            last_run_at=Subquery(last_run.values("created_at")[:1]),
        )
        .order_by("name", "pk")
    )
    for row in rows:
        schedule = getattr(row, "schedule", None)
        row.schedule_words = schedule_words(schedule.cadence, schedule.cron) if schedule else ""
        row.last_run_label = RunStatus(row.last_run_status).label if row.last_run_status else ""
    return render(
        request,
        "reporting/reports/definitions.html",
        {"rows": rows, "zone": organisation_zone().key},
    )


@dataclass
class DefinitionConflict:
    """Another PMO saved the definition while this one edited it: theirs against yours."""

    who: str
    when: object
    differences: list[tuple[str, str, str]]


def _names(items) -> str:
    return ", ".join(sorted(str(i) for i in items)) or "—"


def _describe_conflict(current: ReportDefinition, form: DefinitionForm) -> DefinitionConflict:
    data = form.cleaned_data
    schedule = getattr(current, "schedule", None)
    theirs_yours = [
        ("Name", current.name, data["name"]),
        ("Report", ReportKind(current.kind).label, ReportKind(data["kind"]).label),
        ("Portfolios", _names(current.portfolios.all()), _names(data["portfolios"])),
        ("Project", str(current.project or "—"), str(data["project"] or "—")),
        (
            "Recipients",
            _names(u.get_full_name() or u.username for u in current.recipients.all()),
            _names(u.get_full_name() or u.username for u in data["recipients"]),
        ),
        (
            "Recipient groups",
            _names(current.recipient_groups.all()),
            _names(data["recipient_groups"]),
        ),
        (
            "Budget change threshold",
            f"{current.budget_change_pct} %",
            f"{data['budget_change_pct']} %",
        ),
        ("Enabled", "yes" if current.enabled else "no", "yes" if data["enabled"] else "no"),
        (
            "Schedule",
            schedule_words(schedule.cadence, schedule.cron) if schedule else "—",
            schedule_words(data["cadence"], data["cron_text"]),
        ),
    ]
    latest = history_for(current, limit=1)
    return DefinitionConflict(
        who=latest[0].user_name if latest else "Someone",
        when=latest[0].when if latest else None,
        differences=[(label, t, y) for label, t, y in theirs_yours if t != y],
    )


def _definition_for(pk: int) -> ReportDefinition:
    return get_object_or_404(
        ReportDefinition.objects.select_related("schedule", "project").prefetch_related(
            "portfolios", "recipients", "recipient_groups"
        ),
        pk=pk,
    )


def _definition_form(request: HtmxHttpRequest, definition: ReportDefinition | None):
    """GET shows the form (an htmx GET with ?preview=1 only the schedule's next firings, of
    the schedule as typed); POST saves it through the service."""
    editing = definition is not None
    if request.method == "GET" and request.GET.get("preview") and wants_fragment(request):
        form = DefinitionForm(request.GET, editing=False)
        firings, why = form.schedule_preview()
        return render(
            request,
            "reporting/reports/definition_form.html#schedule-preview",
            {"firings": firings, "why_none": why, "zone": organisation_zone().key},
        )
    conflict = None
    if request.method == "POST":
        form = DefinitionForm(request.POST, editing=editing)
        if form.is_valid():
            try:
                saved = definition_save(
                    data=form.to_input(),
                    by=request.user,
                    definition=definition,
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)
            except ConflictError as error:
                current = _definition_for(error.current.pk)
                conflict = _describe_conflict(current, form)
                # Saving again applies the user's input over theirs, deliberately.
                data = form.data.copy()
                data["version"] = str(current.version)
                form.data = data
                form.add_error(None, "Someone else saved this report while you edited it.")
            else:
                verb = "saved" if editing else "created"
                messages.success(request, f"Report “{saved.name}” {verb}.")
                return redirect("reporting:definition-edit", pk=saved.pk)
    elif editing:
        form = DefinitionForm(initial=DefinitionForm.initial_for(definition), editing=True)
    else:
        form = DefinitionForm()
    firings, why = form.schedule_preview()
    receives_nothing = []
    runs = []
    if editing:
        _groups, receives_nothing = audiences(definition)
        runs = list(definition.runs.order_by("-created_at", "-pk")[:5])
    return render(
        request,
        "reporting/reports/definition_form.html",
        {
            "form": form,
            "definition": definition,
            "conflict": conflict,
            "firings": firings,
            "why_none": why,
            "zone": organisation_zone().key,
            "receives_nothing": receives_nothing,
            "runs": runs,
            "preview_url": request.path,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def definition_new(request: HtmxHttpRequest) -> HttpResponse:
    require_pmo(request.user)
    return _definition_form(request, None)


@require_http_methods(["GET", "POST"])
@login_required
def definition_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require_pmo(request.user)
    return _definition_form(request, _definition_for(pk))


@require_POST
@login_required
def definition_run_now_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Render and send the definition now, outside its schedule."""
    require_pmo(request.user)
    definition = get_object_or_404(ReportDefinition, pk=pk)
    runs = definition_run_now(definition=definition, by=request.user)
    library_url = f"{reverse('reporting:library')}?definition={definition.pk}"
    if runs:
        messages.success(
            request,
            format_html(
                '“{}” is being rendered: {} run{} queued. <a href="{}">Follow them in the '
                "report library</a>.",
                definition.name,
                len(runs),
                "" if len(runs) == 1 else "s",
                library_url,
            ),
        )
    else:
        messages.warning(
            request,
            f"Nothing was queued: no recipient of “{definition.name}” may see any of its "
            "portfolios.",
        )
    return redirect(library_url)


urlpatterns = [
    path("reports/definitions/", definitions, name="definitions"),
    path("reports/definitions/new/", definition_new, name="definition-new"),
    path("reports/definitions/<int:pk>/", definition_edit, name="definition-edit"),
    path(
        "reports/definitions/<int:pk>/run/",
        definition_run_now_view,
        name="definition-run-now",
    ),
]
