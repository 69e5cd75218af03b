"""The ranking of a portfolio's projects with its budget cut line and capacity, the what-if
(defer, cancel or resume projects and see money and capacity move; nothing is saved), and the
confirmation step that applies a what-if as one rebalance.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from governance.forms import ApplyForm
from governance.lifecycle import DONE, RebalanceAction
from governance.selectors.ranking import (
    Ranking,
    WhatIf,
    build_ranking,
    ranking_data,
)
from governance.services import (
    RebalanceChange,
    RebalanceConflict,
    RebalanceRefused,
    portfolio_rebalance,
)
from governance.views.common import fiscal_year_from, load_portfolio, portfolio_context
from portfolio.models import Portfolio
from portfolio.selectors import current_fiscal_year
from ppm.access import can_change
from ppm.htmx import HtmxHttpRequest, render_page
from projects.services import ConflictError, DomainError

PAGE = "governance/ranking.html"
APPLY = "governance/apply.html"


def _ranking(portfolio: Portfolio, fiscal_year: int, whatif: WhatIf) -> Ranking:
    data = ranking_data(portfolio=portfolio, fiscal_year=fiscal_year, today=timezone.localdate())
    return build_ranking(data, whatif)


def _years(ranking: Ranking) -> list[int]:
    current = current_fiscal_year(start_month=ranking.data.fy_start)
    return sorted({current - 1, current, current + 1, *ranking.data.budget_years})


def _context(request: HtmxHttpRequest, portfolio: Portfolio, ranking: Ranking) -> dict[str, Any]:
    fiscal_year = ranking.data.fiscal_year
    ranking_url = reverse("governance:ranking", args=[portfolio.pk])
    return {
        **portfolio_context(request, portfolio, "ranking"),
        "ranking": ranking,
        "fiscal_year": fiscal_year,
        "years": _years(ranking),
        "ranking_url": ranking_url,
        "reset_url": f"{ranking_url}?fy={fiscal_year}",
        "apply_url": (
            reverse("governance:ranking-apply", args=[portfolio.pk]) + "?" + ranking.apply_query()
        ),
        "as_of": timezone.localtime(),
        "fy_start": ranking.data.fy_start,
    }


@require_GET
@login_required
def ranking(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The ranked list and cut line; with `act-<id>` toggles, the what-if beside it."""
    portfolio = load_portfolio(request, pk)
    fiscal_year = fiscal_year_from(request)
    result = _ranking(portfolio, fiscal_year, WhatIf.from_query(request.GET))
    return render_page(request, PAGE, _context(request, portfolio, result), partial="whatif")


def _changes_from(post) -> list[RebalanceChange]:
    """The changes carried by the confirmation form: act-<id> with its v-<id>."""
    whatif = WhatIf.from_query(post)
    changes = []
    for pk, action in sorted(whatif.actions.items()):
        if pk not in whatif.versions:
            raise DomainError("The confirmation lost a project's version: go back to the what-if.")
        changes.append(RebalanceChange(pk, action, whatif.versions[pk]))
    return changes


@require_http_methods(["GET", "POST"])
@login_required
def ranking_apply(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: what applying the what-if will change, with a reason to give. POST: apply it."""
    portfolio = load_portfolio(request, pk)
    if not can_change(request.user, portfolio):
        raise PermissionDenied("Only the portfolio's director or the PMO rebalances it.")
    fiscal_year = fiscal_year_from(request)
    source = request.POST if request.method == "POST" else request.GET
    whatif = WhatIf.from_query(source)
    result = _ranking(portfolio, fiscal_year, whatif)
    back_url = (
        reverse("governance:ranking", args=[portfolio.pk]) + "?" + whatif.query(fy=fiscal_year)
    )
    if request.method == "GET" and not result.changes and not any(r.refused for r in result.rows):
        messages.info(request, "Choose a project to defer, cancel or resume first.")
        return redirect(back_url)
    form = ApplyForm(data=request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            changed = portfolio_rebalance(
                portfolio=portfolio,
                changes=_changes_from(request.POST),
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except RebalanceConflict as error:
            form.add_error(None, str(error))
            status = 409
        except ConflictError as error:
            form.add_error(None, str(error))
            status = 409
        except RebalanceRefused as error:
            form.add_error(None, error.message)
            status = 400
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = 400
        else:
            actions = {c.project_id: c.action for c in _changes_from(request.POST)}
            moved = "; ".join(f"{p.code} {DONE[actions[p.pk]]}" for p in changed)
            messages.success(request, f"Portfolio rebalanced: {moved}.")
            return redirect(
                reverse("governance:ranking", args=[portfolio.pk]) + f"?fy={fiscal_year}"
            )
    elif form.is_bound:
        status = 400
    context = {
        **_context(request, portfolio, result),
        "form": form,
        "back_url": back_url,
        "rebuild_url": (
            reverse("governance:ranking", args=[portfolio.pk])
            + "?"
            + WhatIf(actions=whatif.actions).query(fy=fiscal_year)
        ),
        "refused": [r for r in result.rows if r.refused],
        "actions": RebalanceAction,
    }
    return render_page(request, APPLY, context, partial="apply", status=status)


urlpatterns = [
    path("portfolios/<int:pk>/ranking/", ranking, name="ranking"),
    path("portfolios/<int:pk>/ranking/apply/", ranking_apply, name="ranking-apply"),
]
