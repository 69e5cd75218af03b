"""Gate metrics (the KPI catalogue's gate entries): a page per selection of portfolios, by gate
and month by month, and the list of reviews behind every figure on it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from ppm.access import require_portfolio_reader
from ppm.htmx import HtmxHttpRequest
from ppm.params import parse_id
from reporting import gate_metrics as gm
from reporting.dashboard import select_portfolios

MONTHS = 12


def _periods() -> tuple[list[gm.Period], gm.Period]:
    periods = gm.months(MONTHS)
    return periods, gm.whole(periods)


def _period_key(period: gm.Period) -> str:
    return "all" if "–" in period.label else f"{period.start:%Y-%m}"


@require_GET
@login_required
def gate_metrics(request: HtmxHttpRequest) -> HttpResponse:
    require_portfolio_reader(request.user)
    selection = select_portfolios(
        user=request.user, portfolio_id=parse_id(request.GET.get("portfolio", ""))
    )
    periods, whole = _periods()
    items = gm.rows(portfolio_ids=selection.ids, since=whole.start)
    base = {"portfolio": selection.portfolio.pk} if selection.portfolio else {}

    def link(key: str, period: gm.Period, gate: str = "") -> str:
        query = {**base, "kpi": key, "period": _period_key(period)}
        if gate:
            query["gate"] = gate
        return f"reviews/?{urlencode(query)}"

    gates = [
        {
            "gate": line.gate,
            "cells": [
                (k, line.figures[k.key], link(k.key, whole, line.gate)) for k in gm.GATE_KPIS
            ],
        }
        for line in gm.by_gate(items, whole)
    ]
    months = [
        {
            "period": p,
            "cells": [(k, figures[k.key], link(k.key, p)) for k in gm.GATE_KPIS],
        }
        for p, figures in reversed(gm.series(items, periods))
    ]
    totals = [(k, gm.figure(k.key, items, whole), link(k.key, whole)) for k in gm.GATE_KPIS]
    return render(
        request,
        "reporting/gates.html",
        {
            "selection": selection,
            "kpis": gm.GATE_KPIS,
            "gates": gates,
            "months": months,
            "totals": totals,
            "whole": whole,
        },
    )


@require_GET
@login_required
def gate_metric_reviews(request: HtmxHttpRequest) -> HttpResponse:
    """The reviews one gate figure counts, and the figure made from them (its footer)."""
    require_portfolio_reader(request.user)
    kpi = gm.BY_KEY.get(request.GET.get("kpi", ""))
    if kpi is None:
        raise Http404("No such gate figure.")
    selection = select_portfolios(
        user=request.user, portfolio_id=parse_id(request.GET.get("portfolio", ""))
    )
    periods, whole = _periods()
    wanted = request.GET.get("period", "all")
    period = whole
    if wanted != "all":
        period = next((p for p in periods if _period_key(p) == wanted), None)
        if period is None:
            raise Http404("Gate figures cover the last twelve months.")
    gate = request.GET.get("gate", "")[:100]
    items = gm.rows(portfolio_ids=selection.ids, since=whole.start)
    if gate:
        items = [r for r in items if r.gate == gate]
    listed = gm.counted(kpi.key, items, period)
    return render(
        request,
        "reporting/gate_reviews.html",
        {
            "selection": selection,
            "kpi": kpi,
            "period": period,
            "gate": gate,
            "reviews": listed,
            "value": gm.value(kpi.key, listed),
            "back": "../" + (f"?portfolio={selection.portfolio.pk}" if selection.portfolio else ""),
        },
    )


urlpatterns = [
    path("portfolios/gates/", gate_metrics, name="gate-metrics"),
    path("portfolios/gates/reviews/", gate_metric_reviews, name="gate-metric-reviews"),
]
