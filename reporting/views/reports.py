"""The report pages: the library of rendered reports, one run's progress and its PDF, and the
"Download PDF" request (the PMO's definitions: reporting/views/report_definitions.py).

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
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from governance.models import Review
from governance.selectors.reviews import load_review, may_view_review, review_facts
from portfolio.models import Portfolio
from ppm.htmx import HtmxHttpRequest, render_page
from ppm.params import parse_id
from ppm.roles import ALL_ROLES, Role, has_role
from projects.models import Project
from reporting.choices import DeliveryStatus, ReportKind, RunStatus
from reporting.forms import LibraryFilters
from reporting.models import ReportDefinition, ReportDelivery, ReportRun
from reporting.services.reports import (
    ReportError,
    download_request,
    may_open,
    run_retry,
    runs_visible_to,
)

PAGE_SIZE = 50


def _is_pmo(user) -> bool:
    # has_role answers True for a superuser too.
    return has_role(user, Role.PMO)


def _require_a_role(user) -> None:
    if not has_role(user, *ALL_ROLES):
        raise PermissionDenied("Reports are for people with a role in Conductor.")


def require_pmo(user) -> None:
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
    require_pmo(request.user)
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


urlpatterns = [
    path("reports/", library, name="library"),
    path("reports/runs/<int:pk>/", run_page, name="run"),
    path("reports/runs/<int:pk>/pdf", run_pdf, name="run-pdf"),
    path("reports/runs/<int:pk>/retry/", run_retry_view, name="run-retry"),
    path("reports/download/", download, name="download"),
]
