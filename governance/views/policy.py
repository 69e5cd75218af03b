"""The figures policy page: the PMO edits the health thresholds and risk bands, each
portfolio's earned-value method and its envelopes for this and next fiscal year; directors
and executives read it. Every change is audited and listed; what changes computed figures
marks them stale, and the page says how many projects are being recomputed."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET
from pghistory.models import Events

from governance.access import may_manage_criteria, may_read_criteria
from governance.forms import EnvelopeForm, EvMethodForm, HealthPolicyForm
from governance.services.policy import (
    FISCAL_YEARS,
    envelope_set,
    health_policy_update,
    portfolio_ev_method_set,
)
from portfolio.choices import EvMethod
from portfolio.models import HealthPolicy, Portfolio, PortfolioBudget
from portfolio.selectors import current_fiscal_year
from ppm.access import scope
from ppm.audit import entries_from_events, history_for
from projects.models import Project, RollupState
from projects.views.common import call_service

PAGE = "governance/policy.html"


def _require_reader(request: HttpRequest) -> None:
    if not may_read_criteria(request.user):
        raise PermissionDenied("The figures policy is for the PMO, directors and executives.")


def _require_pmo(request: HttpRequest) -> None:
    if not may_manage_criteria(request.user):
        raise PermissionDenied("Only the PMO changes the figures policy.")


def _portfolio(request: HttpRequest, pk: int) -> Portfolio:
    try:
        return scope(Portfolio.objects.all(), request.user).get(pk=pk)
    except Portfolio.DoesNotExist:
        raise Http404("No such portfolio.") from None


def _history(policy: HealthPolicy, portfolios: list[Portfolio], limit: int = 20) -> list:
    """The policy's changes, newest first: thresholds, the portfolios' methods and their
    envelopes (including removed ones), each with who made it and what it changed."""
    entries = history_for(policy, limit=limit)
    if portfolios:
        entries += [
            e
            for e in history_for(*portfolios, limit=limit)
            if e.reason.startswith("earned value method")
        ]
        budget_events = Events.objects.filter(
            pgh_obj_model=PortfolioBudget._meta.label,
            pgh_data__portfolio_id__in=[p.pk for p in portfolios],
        ).order_by("-pgh_created_at", "-pgh_id")[:limit]
        entries += entries_from_events(list(budget_events))
    return sorted(entries, key=lambda e: e.when, reverse=True)[:limit]


def _is(form, prefix: str) -> bool:
    return form is not None and form.prefix == prefix


def _render(request: HttpRequest, *, policy_form=None, ev_form=None, env_form=None):
    """The page; a form that failed is passed in bound, so its input and errors show."""
    policy = HealthPolicy.current()
    portfolios = list(scope(Portfolio.objects.all(), request.user).order_by("name", "pk"))
    year = current_fiscal_year()
    years = [year, year + 1]
    budgets = {
        (b.portfolio_id, b.fiscal_year): b
        for b in PortfolioBudget.objects.filter(portfolio__in=portfolios, fiscal_year__in=years)
    }
    overrides = dict(
        Project.objects.filter(portfolio__in=portfolios)
        .exclude(ev_method="")
        .values_list("portfolio")
        .annotate(n=Count("pk"))
    )
    rows = []
    for p in portfolios:
        envelopes = []
        for fy in years:
            budget = budgets.get((p.pk, fy))
            form = env_form if _is(env_form, f"env-{p.pk}-{fy}") else None
            envelopes.append(
                (fy, form or EnvelopeForm.for_envelope(p, fy, budget.amount if budget else None))
            )
        method = ev_form if _is(ev_form, f"ev-{p.pk}") else None
        rows.append(
            {
                "portfolio": p,
                "ev_form": method or EvMethodForm.for_portfolio(p),
                "envelopes": envelopes,
                "overrides": overrides.get(p.pk, 0),
            }
        )
    return render(
        request,
        PAGE,
        {
            "policy": policy,
            "policy_form": policy_form or HealthPolicyForm.for_policy(policy),
            "rows": rows,
            "years": years,
            "methods": EvMethod.choices,
            "can_edit": may_manage_criteria(request.user),
            "stale": RollupState.objects.filter(stale_since__isnull=False).count(),
            "history": _history(policy, portfolios),
        },
    )


@require_GET
@login_required
def policy_page(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    return _render(request)


def _pmo_post(view):
    """Who before how: anyone but the PMO gets 403 whatever the method (the permission
    matrix holds every route to that); the PMO gets 405 for anything but POST."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        _require_pmo(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, *args, **kwargs)

    return wrapper


@_pmo_post
def policy_health(request: HttpRequest) -> HttpResponse:
    form = HealthPolicyForm.for_policy(HealthPolicy.current(), data=request.POST)
    if form.is_valid():
        result, _conflict = call_service(
            form,
            lambda: health_policy_update(
                by=request.user,
                expected_version=form.cleaned_data["version"],
                **form.values(),
            ),
        )
        if result is not None:
            _policy, marked = result
            messages.success(
                request,
                f"Health policy saved: {marked} project{'s' if marked != 1 else ''} are being "
                "recomputed by the new thresholds."
                if marked
                else "Health policy unchanged.",
            )
            return redirect("governance:policy")
    return _render(request, policy_form=form)


@_pmo_post
def policy_ev_method(request: HttpRequest, pk: int) -> HttpResponse:
    portfolio = _portfolio(request, pk)
    form = EvMethodForm.for_portfolio(portfolio, data=request.POST)
    if form.is_valid():
        marked, _conflict = call_service(
            form,
            lambda: portfolio_ev_method_set(
                by=request.user,
                portfolio=portfolio,
                method=form.cleaned_data["ev_method"],
                seen=form.cleaned_data["seen"],
            ),
        )
        if marked is not None:
            messages.success(
                request,
                f"{portfolio.name} now earns value by “{EvMethod(portfolio.ev_method).label}”"
                + (f": {marked} projects are being recomputed." if marked else "."),
            )
            return redirect("governance:policy")
    return _render(request, ev_form=form)


@_pmo_post
def policy_envelope(request: HttpRequest, pk: int, fiscal_year: int) -> HttpResponse:
    portfolio = _portfolio(request, pk)
    if not FISCAL_YEARS[0] <= fiscal_year <= FISCAL_YEARS[1]:
        return HttpResponseBadRequest(
            f"Fiscal years run from {FISCAL_YEARS[0]} to {FISCAL_YEARS[1]}.",
            content_type="text/plain",
        )
    current = PortfolioBudget.objects.filter(portfolio=portfolio, fiscal_year=fiscal_year).first()
    form = EnvelopeForm.for_envelope(
        portfolio, fiscal_year, current.amount if current else None, data=request.POST
    )
    if form.is_valid():
        _result, _conflict = call_service(
            form,
            lambda: envelope_set(
                by=request.user,
                portfolio=portfolio,
                fiscal_year=fiscal_year,
                amount=form.cleaned_data["amount"],
                seen=form.cleaned_data["seen"],
            ),
        )
        if not form.errors:
            messages.success(request, f"Envelope of {portfolio.name} saved.")
            return redirect("governance:policy")
    return _render(request, env_form=form)


urlpatterns = [
    path("policy/", policy_page, name="policy"),
    path("policy/health/", policy_health, name="policy-health"),
    path("policy/<int:pk>/ev-method/", policy_ev_method, name="policy-ev-method"),
    path("policy/<int:pk>/envelope/<int:fiscal_year>/", policy_envelope, name="policy-envelope"),
]
