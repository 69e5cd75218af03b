"""Exports of filtered lists (PDF reports arrive with the reporting issue)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET

from portfolio.models import Portfolio
from ppm.access import require_view, scope
from ppm.htmx import HtmxHttpRequest
from ppm.roles import Role, has_role
from projects.models import Project
from projects.selectors import ProjectListParams, filtered_projects
from reporting.exports import export_about, to_csv, to_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_reader(request: HtmxHttpRequest, fmt: str) -> None:
    if fmt not in ("csv", "xlsx"):
        raise Http404("Exports are CSV or Excel.")
    if not has_role(request.user, Role.DIRECTOR, Role.PMO, Role.EXECUTIVE):
        raise PermissionDenied("Portfolios are for directors, PMO and executives.")


@require_GET
@login_required
def portfolio_projects_export(request: HtmxHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The portfolio page's project list as filtered and sorted, every page of it."""
    _require_reader(request, fmt)
    portfolio = get_object_or_404(Portfolio, pk=pk)
    require_view(request.user, portfolio)
    projects = scope(Project.objects.filter(portfolio=portfolio), request.user)
    return _export(request, projects, f"{portfolio.code}-projects", fmt)


@require_GET
@login_required
def projects_export(request: HtmxHttpRequest, fmt: str) -> HttpResponse:
    """The cross-portfolio list (every project the user may see) as filtered and sorted."""
    _require_reader(request, fmt)
    return _export(request, scope(Project.objects.all(), request.user), "projects", fmt)


def _export(request: HtmxHttpRequest, projects, name: str, fmt: str) -> HttpResponse:
    params = ProjectListParams.from_query(request.GET)
    projects = filtered_projects(projects=projects, params=params)
    stem = f"{name}-{timezone.localdate():%Y-%m-%d}"
    if fmt == "csv":
        # A streamed file has sent its 200 before the first row is read: a query that failed
        # then would cut the download short with no error anyone sees. The filters run once
        # here first (EXISTS, no rows), so such a failure is an error page instead. (Not the
        # first chunk of rows: a streaming cursor left open by an unread response would hold
        # the connection.)
        projects.exists()
        response = StreamingHttpResponse(
            to_csv(projects.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
    about = export_about(projects, params, exported_by=request.user)
    response = HttpResponse(
        to_xlsx(projects.iterator(chunk_size=2000), about=about), content_type=XLSX
    )
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return response
