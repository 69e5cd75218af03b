"""The report pages: the library of rendered reports, one run's progress and its PDF, the
"Download PDF" request, and the PMO's report definitions with their schedules.

Rendering never happens here: a request queues a run (reporting.services.reports) and the
run page shows its status, polling itself with htmx until a report worker has finished it.
Who sees which run is the service's rule (`runs_visible_to`, `may_open`); a run someone may
not open is absent (404), never "forbidden", so its id leaks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.models import Review
from governance.selectors.reviews import load_review, may_view_review, review_facts
from portfolio.models import Portfolio
from ppm.audit import history_for
from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from ppm.params import parse_id
from ppm.roles import ALL_ROLES, Role, has_role
from projects.models import Project
from projects.services.common import ConflictError, DomainError
from reporting.choices import DeliveryStatus, ReportKind, RunStatus
from reporting.forms import DefinitionForm, LibraryFilters, schedule_words
from reporting.models import ReportDefinition, ReportDelivery, ReportRun
from reporting.services.reports import (
    ReportError,
    audiences,
    download_request,
    may_open,
    run_retry,
    runs_visible_to,
)
from reporting.services.schedules import (
    definition_run_now,
    definition_save,
    organisation_zone,
)

PAGE_SIZE = 50


def _is_pmo(user) -> bool:
    # has_role answers True for a superuser too.
    return has_role(user, Role.PMO)


def _require_a_role(user) -> None:
    if not has_role(user, *ALL_ROLES):
        raise PermissionDenied("Reports are for people with a role in Conductor.")


def _require_pmo(user) -> None:
    if not _is_pmo(user):
        raise PermissionDenied("Report definitions are the PMO's.")


def _problem(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    """A refusal or a missing file, with the sentence saying why (the generic 403 and 404
    pages say nothing specific)."""
    return render(
        request,
        "reporting/reports/problem.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


# --- The library ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Library:
    page: Page
    filters: LibraryFilters
    definitions: list[tuple[int, str]]

    @property
    def page_numbers(self) -> list[int | str]:
        return list(self.page.paginator.get_elided_page_range(self.page.number, on_ends=1))


def _count(rows: QuerySet, key: str) -> Coalesce:
    """How many of `rows` (already narrowed to the outer run by `key`), as a subquery."""
    counted = rows.order_by().values(key).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def library_runs(user: User, filters: LibraryFilters) -> QuerySet[ReportRun]:
    """The runs `user` may see, filtered, newest first, with what a row shows: readers and
    deliveries counted in the same query (the readers' names, for the PMO, in one more)."""
    visible = runs_visible_to(user)
    runs = ReportRun.objects.all() if _is_pmo(user) else ReportRun.objects.filter(pk__in=visible)
    if filters.definition:
        runs = runs.filter(definition_id=filters.definition)
    if filters.status:
        runs = runs.filter(status=filters.status)
    if filters.kind:
        runs = runs.filter(kind=filters.kind)
    # Counted in subqueries, not joins: a run for a whole group has many readers and as many
    # deliveries, and joining both would multiply them row by row.
    readers = ReportRun.readers.through.objects.filter(reportrun_id=OuterRef("pk"))
    deliveries = ReportDelivery.objects.filter(run_id=OuterRef("pk"))
    runs = runs.select_related("definition", "requested_by").annotate(
        reader_count=_count(readers, "reportrun_id"),
        sent_count=_count(deliveries.filter(status=DeliveryStatus.SENT), "run_id"),
        failed_count=_count(deliveries.filter(status=DeliveryStatus.FAILED), "run_id"),
        delivery_count=_count(deliveries, "run_id"),
    )
    if _is_pmo(user):
        runs = runs.prefetch_related("readers")
    return runs.order_by("-created_at", "-pk")


def _definition_choices(user: User) -> list[tuple[int, str]]:
    definitions = ReportDefinition.objects.all()
    if not _is_pmo(user):
        definitions = definitions.filter(runs__in=runs_visible_to(user)).distinct()
    return list(definitions.order_by("name").values_list("pk", "name"))


@require_GET
@login_required
def library(request: HtmxHttpRequest) -> HttpResponse:
    """Every report the user may open: scheduled, run now or downloaded; 50 a page."""
    _require_a_role(request.user)
    filters = LibraryFilters(request.GET)
    runs = library_runs(request.user, filters)
    found = Library(
        page=Paginator(runs, PAGE_SIZE).get_page(filters.page),
        filters=filters,
        definitions=_definition_choices(request.user),
    )
    user = request.user
    for run in found.page.object_list:
        # The error is the PMO's business and the requester's (a download that failed).
        run.shows_error = bool(run.error) and (_is_pmo(user) or run.requested_by_id == user.pk)
    return render_page(
        request,
        "reporting/reports/library.html",
        {
            "found": found,
            "filters": filters,
            "is_pmo": _is_pmo(user),
            "statuses": RunStatus.choices,
            "kinds": ReportKind.choices,
        },
        partial="library-table",
    )


# --- One run --------------------------------------------------------------------------------


def _run_for(user: User, pk: int) -> ReportRun:
    run = (
        ReportRun.objects.select_related("definition", "requested_by", "project", "review")
        .filter(pk=pk)
        .first()
    )
    if run is None or not may_open(user, run):
        raise Http404("No such report.")
    return run


@require_GET
@login_required
def run_page(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One run: its status and stage (the fragment polls itself every second until the run
    is finished), its PDF once done, and for the PMO its mailing and "Try again"."""
    run = _run_for(request.user, pk)
    is_pmo = _is_pmo(request.user)
    deliveries = (
        list(ReportDelivery.objects.filter(run=run).select_related("recipient")) if is_pmo else []
    )
    return render_page(
        request,
        "reporting/reports/run.html",
        {
            "run": run,
            "is_pmo": is_pmo,
            "deliveries": deliveries,
            "shows_error": bool(run.error) and (is_pmo or run.requested_by_id == request.user.pk),
            "reader_count": run.readers.count(),
        },
        partial="run-status",
    )


@require_POST
@login_required
def run_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_pmo(request.user)
    run = _run_for(request.user, pk)
    if run_retry(run=run, by=request.user):
        messages.success(request, "Queued again: a report worker will render it shortly.")
    else:
        messages.info(request, "This run is not failed any more: nothing to try again.")
    return redirect("reporting:run", pk=run.pk)


def pdf_filename(run: ReportRun) -> str:
    day = timezone.localtime(run.as_of or run.finished_at or run.created_at).date()
    return f"{run.kind.replace('_', '-')}-{day:%Y-%m-%d}.pdf"


@require_GET
@login_required
def run_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's PDF, as a download. A file gone from storage is a 404 that says so."""
    run = _run_for(request.user, pk)
    if run.status != RunStatus.DONE or not run.file:
        raise Http404("This report has no PDF yet.")
    try:
        handle = run.file.storage.open(run.file.name, "rb")
    except (FileNotFoundError, OSError):
        return _problem(
            request,
            status=404,
            title="The PDF of this report is missing",
            message="Its file is no longer in storage. "
            + (
                "Use “Run now” on its definition, or download the report again."
                if _is_pmo(request.user)
                else "Download the report again, or ask your PMO team to run it again."
            ),
        )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=pdf_filename(run),
        content_type="application/pdf",
    )


# --- Download PDF ---------------------------------------------------------------------------


def _posted_id(request: HttpRequest, name: str) -> int | None:
    """An optional id from the form: absent or empty is None; anything else must be an id."""
    raw = request.POST.get(name, "")
    if raw == "":
        return None
    value = parse_id(raw)
    if value is None:
        raise BadRequest(f"{name} must be the id of a row.")
    return value


@require_POST
@login_required
def download(request: HttpRequest) -> HttpResponse:
    """A PDF of what the user is looking at, rendered for them alone by a report worker; the
    answer is the run's page, which shows it appear."""
    kind = request.POST.get("kind", "")
    if kind not in ReportKind.values:
        raise BadRequest("kind must be summary, pack, project or gate_record.")
    portfolio_id = _posted_id(request, "portfolio")
    project_id = _posted_id(request, "project")
    review_id = _posted_id(request, "review")
    portfolio = project = review = None
    if kind in (ReportKind.SUMMARY, ReportKind.PACK) and portfolio_id is not None:
        # One the user may not see is refused by the service, like one that does not exist.
        portfolio = Portfolio.objects.filter(pk=portfolio_id).first()
        if portfolio is None:
            return _refused(request, "There is no portfolio you may see in this report.")
    elif kind == ReportKind.PROJECT:
        if project_id is None:
            raise BadRequest("A project one-pager needs project=<id>.")
        project = Project.objects.filter(pk=project_id).first()
        if project is None:
            return _refused(request, "This project is not one you may see.")
    elif kind == ReportKind.GATE_RECORD:
        if review_id is None:
            raise BadRequest("A decision record needs review=<id>.")
        review = _review_for(request, review_id)
    try:
        run = download_request(
            user=request.user, kind=kind, portfolio=portfolio, project=project, review=review
        )
    except ReportError as error:
        return _refused(request, str(error))
    messages.info(request, "Your PDF is being made; it appears on this page when it is ready.")
    return redirect("reporting:run", pk=run.pk)


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return _problem(
        request, status=403, title="This report cannot be made for you", message=message
    )


def _review_for(request: HttpRequest, review_id: int) -> Review:
    """The review, by governance's rule of who may see it (a review someone may not see
    does not exist for them: 404, as on its own page)."""
    facts = review_facts(load_review(review_id), request.user)
    if not may_view_review(request.user, facts):
        raise Http404("No such review.")
    return facts.review


# --- Definitions (PMO) ----------------------------------------------------------------------


@require_GET
@login_required
def definitions(request: HttpRequest) -> HttpResponse:
    _require_pmo(request.user)
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
    _require_pmo(request.user)
    return _definition_form(request, None)


@require_http_methods(["GET", "POST"])
@login_required
def definition_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _require_pmo(request.user)
    return _definition_form(request, _definition_for(pk))


@require_POST
@login_required
def definition_run_now_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Render and send the definition now, outside its schedule."""
    _require_pmo(request.user)
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
    path("reports/", library, name="library"),
    path("reports/runs/<int:pk>/", run_page, name="run"),
    path("reports/runs/<int:pk>/pdf", run_pdf, name="run-pdf"),
    path("reports/runs/<int:pk>/retry/", run_retry_view, name="run-retry"),
    path("reports/download/", download, name="download"),
    path("reports/definitions/", definitions, name="definitions"),
    path("reports/definitions/new/", definition_new, name="definition-new"),
    path("reports/definitions/<int:pk>/", definition_edit, name="definition-edit"),
    path(
        "reports/definitions/<int:pk>/run/",
        definition_run_now_view,
        name="definition-run-now",
    ),
]
