"""The pages that show figures: the portfolio list every director, PMO and executive starts
from, one portfolio, the directors' dashboard and the cross-portfolio project list it drills into.

They moved here from `portfolio` (which holds core data and imports no project code); their
paths under /portfolios/ are unchanged, their names are in the `reporting` namespace.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from portfolio.models import Portfolio
from ppm.access import require_portfolio_reader, require_view, scope
from ppm.charts import compact, render_svg
from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from ppm.params import parse_id
from projects.choices import Category, LifecycleState
from projects.models import Project
from projects.selectors import (
    REPORTED_FILTERS,
    RULE_HEALTH_FILTERS,
    ProjectListParams,
    filtered_projects,
    portfolios_with,
    project_table,
)
from reporting import figure_cache, kpis
from reporting.dashboard import freshness, portfolio_dashboard, select_portfolios
from reporting.dashboard_charts import bubble_chart, capacity_heatmap, s_curve
from reporting.figures import FIELD_LABELS, drill_query, explain, list_figures
from reporting.selectors import computed_range, portfolio_summaries


@require_GET
@login_required
def portfolio_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every portfolio the user may see, with its health, money and risk at a glance."""
    require_portfolio_reader(request.user)
    summaries = portfolio_summaries(user=request.user)
    computed = [s.computed_at for s in summaries if s.computed_at is not None]
    return render(
        request,
        "reporting/list.html",
        {
            "summaries": summaries,
            # Each figure's "as of" is its computation time: the oldest and the newest.
            "computed_oldest": min(computed, default=None),
            "computed_newest": max(computed, default=None),
        },
    )


def _list_figure(request, projects, params: ProjectListParams) -> dict | None:
    """The catalogue figure a dashboard tile promised (?kpi=<key>), over exactly the
    projects this list shows, with the measure columns the list adds for it."""
    kpi = kpis.get(request.GET.get("kpi", ""))
    if kpi is None:
        return None
    shown = {"bac", "exposure", "slip_days"}  # columns the table always has
    return {
        "kpi": kpi,
        "figures": list_figures(filtered_projects(projects=projects, params=params), kpi),
        "columns": [(f, FIELD_LABELS[f]) for f in kpi.measure if f not in shown],
    }


@require_GET
@login_required
def portfolio_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One portfolio: its figures and its projects (filter, sort and page on the server)."""
    require_portfolio_reader(request.user)
    portfolio = get_object_or_404(Portfolio, pk=pk)
    require_view(request.user, portfolio)
    (summary,) = portfolio_summaries(user=request.user, pk=portfolio.pk)
    params = ProjectListParams.from_query(request.GET)
    projects = scope(Project.objects.filter(portfolio=portfolio), request.user)
    table = project_table(projects=projects, params=params)
    return render_page(
        request,
        "reporting/detail.html",
        {
            "portfolio": summary.portfolio,
            "summary": summary,
            "table": table,
            "params": params,
            "states": LifecycleState.choices,
            "categories": Category.choices,
            "rule_health_filters": RULE_HEALTH_FILTERS,
            "reported_filters": REPORTED_FILTERS,
            "show_figures": True,
            "figure": _list_figure(request, projects, params),
            "explain_portfolio": portfolio.pk,
            "export_urls": {
                fmt: reverse("reporting:portfolio-projects-export", args=[portfolio.pk, fmt])
                for fmt in ("csv", "xlsx")
            },
            "computed_oldest": summary.computed_at,
            "computed_newest": summary.computed_at,
        },
        partial="project-table",
    )


def _svg(chart) -> str:
    # render_svg escapes every text it draws (ppm.charts.svg).
    return mark_safe(render_svg(chart))  # noqa: S308


# The dashboard's charts, by the name the page and the phone request use.
CHARTS = {"s_curve": s_curve, "bubbles": bubble_chart, "capacity": capacity_heatmap}


@require_GET
@login_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """The directors' dashboard over one portfolio (?portfolio=<pk>) or all the user's.

    Read-only for every role; reads rollup tables only, in a fixed number of queries, and
    keeps the rendered body (and a phone's drawings) in reporting.figure_cache until a figure
    can have changed. While any figure is being recomputed the body polls itself (htmx) until
    it is current, and is never served from the cache.
    """
    require_portfolio_reader(request.user)
    # Read before any figure, so a body never outlives the generation it was drawn from.
    generation = figure_cache.generation()
    # Anything but a portfolio id shows all the user's portfolios, as no parameter does.
    portfolio_id = parse_id(request.GET.get("portfolio", ""))
    selection = select_portfolios(user=request.user, portfolio_id=portfolio_id)
    today = timezone.localdate()
    fresh = freshness(selection)
    key = None
    if generation is not None and not fresh.recomputing:
        key = figure_cache.body_key(
            generation=generation,
            portfolio_ids=selection.ids,
            path=request.get_full_path(),
            today=today,
        )
    compact_charts = request.GET.get("charts") == "compact"
    body = figure_cache.get(key)
    if body is None:
        data = portfolio_dashboard(selection=selection, today=today, fresh=fresh)
        body = _compact_charts(request, data) if compact_charts else _body(request, selection, data)
        figure_cache.put(key, body)
    if compact_charts or wants_fragment(request):
        response = HttpResponse(body)
        patch_vary_headers(response, ("HX-Request",))
        return response
    return render_page(
        request,
        "reporting/dashboard.html",
        {"body": mark_safe(body), "selection": selection},  # noqa: S308 - rendered by us
        partial=None,
    )


def _list_url(selection) -> str:
    if selection.portfolio is not None:
        return reverse("reporting:portfolio-detail", args=[selection.portfolio.pk])
    return reverse("reporting:projects")


def _compact_charts(request: HtmxHttpRequest, data) -> str:
    # A phone asks for its own drawings (laid out for a narrow screen, so their text stays
    # legible) once the page shows them; a desktop never pays for them.
    names = [name for name in CHARTS if name != "s_curve" or data.currency is not None]
    drawings = [
        (f"{name.replace('_', '-')}-compact", _svg(compact(CHARTS[name](data)))) for name in names
    ]
    return render_to_string(
        "reporting/dashboard.html#compact-charts",
        {"compact": {"main": drawings[0][1], "others": drawings[1:]}},
        request=request,
    )


def _body(request: HtmxHttpRequest, selection, data) -> str:
    list_url = _list_url(selection)
    explain_suffix = f"?portfolio={selection.portfolio.pk}" if selection.portfolio else ""
    tiles = {
        kpi.key: {
            "href": f"{list_url}?{drill_query(kpi).urlencode()}",
            "explain": reverse("reporting:kpi-explain", args=[kpi.key]) + explain_suffix,
        }
        for kpi in kpis.CATALOGUE
    }
    return render_to_string(
        "reporting/dashboard.html#dashboard-body",
        {
            "d": data,
            "tiles": tiles,
            "selection": selection,
            "list_url": list_url,
            "charts": {name: {"wide": _svg(build(data))} for name, build in CHARTS.items()},
            "fy_start": selection.fy_start,
        },
        request=request,
    )


@require_GET
@login_required
def project_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every project the user may see across portfolios, filtered as a dashboard tile asked
    (the drill-down target of "all my portfolios")."""
    require_portfolio_reader(request.user)
    projects = scope(Project.objects.all(), request.user)
    params = ProjectListParams.from_query(request.GET)
    oldest, newest = computed_range(projects)
    return render_page(
        request,
        "reporting/projects.html",
        {
            "table": project_table(projects=projects, params=params),
            "params": params,
            "figure": _list_figure(request, projects, params),
            "portfolios": portfolios_with(projects),
            "states": LifecycleState.choices,
            "categories": Category.choices,
            "rule_health_filters": RULE_HEALTH_FILTERS,
            "reported_filters": REPORTED_FILTERS,
            "show_figures": True,
            "export_urls": {
                fmt: reverse("reporting:projects-export", args=[fmt]) for fmt in ("csv", "xlsx")
            },
            "computed_oldest": oldest,
            "computed_newest": newest,
        },
        partial="project-table",
    )


@require_GET
@login_required
def kpi_explain(request: HtmxHttpRequest, key: str) -> HttpResponse:
    """ "How is this computed?" for one dashboard figure: its formula, the projects it counts,
    its inputs with the times they were computed, and the PMO thresholds it is judged by."""
    require_portfolio_reader(request.user)
    kpi = kpis.get(key)
    if kpi is None:
        raise Http404("No such figure.")
    portfolio_id = parse_id(request.GET.get("portfolio", ""))
    selection = select_portfolios(user=request.user, portfolio_id=portfolio_id)
    data = portfolio_dashboard(selection=selection)
    list_url = _list_url(selection)
    if selection.portfolio is not None:
        dashboard_url = f"{reverse('reporting:dashboard')}?portfolio={selection.portfolio.pk}"
    else:
        dashboard_url = reverse("reporting:dashboard")
    return render(
        request,
        "reporting/explain.html",
        {
            "x": explain(data, kpi),
            "selection": selection,
            "list_url": f"{list_url}?{drill_query(kpi).urlencode()}",
            "dashboard_url": dashboard_url,
        },
    )
