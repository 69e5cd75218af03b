"""What the portfolio prioritisation pages share: loading the portfolio in scope, the
portfolio's section links, and the fiscal year asked for."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse

from portfolio.models import Portfolio
from portfolio.selectors import current_fiscal_year
from ppm.access import can_change, require_portfolio_reader
from ppm.params import int_param

SECTIONS = (
    ("overview", "Overview", "reporting:portfolio-detail"),
    ("scores", "Scores", "governance:scores"),
    ("ranking", "Ranking & what-if", "governance:ranking"),
)


def load_portfolio(request: HttpRequest, pk: int) -> Portfolio:
    """The portfolio with its director, or 404 / 403 (a role and scope check)."""
    portfolio = get_object_or_404(Portfolio.objects.select_related("director"), pk=pk)
    require_portfolio_reader(request.user, portfolio)
    return portfolio


def portfolio_context(request: HttpRequest, portfolio: Portfolio, active: str) -> dict[str, Any]:
    return {
        "portfolio": portfolio,
        "currency": portfolio.currency,
        "can_steer": can_change(request.user, portfolio),
        "sections": [
            {
                "key": key,
                "label": label,
                "url": reverse(name, args=[portfolio.pk]),
                "active": key == active,
            }
            for key, label, name in SECTIONS
        ],
    }


def fiscal_year_from(request: HttpRequest) -> int:
    """The `fy` asked for, or the current fiscal year; a malformed year is a precise 400."""
    query = request.GET if request.GET.get("fy") else request.POST
    year = int_param(
        query,
        "fy",
        min_value=2000,
        max_value=2100,
        error="fy must be a fiscal year between 2000 and 2100.",
    )
    return current_fiscal_year() if year is None else year
