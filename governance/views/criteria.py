"""Scoring criteria: the PMO defines them (name, weight, scale, direction, active);
directors and executives read them, with the share each weight carries and who changed what."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.access import may_manage_criteria, may_read_criteria
from governance.forms import CriterionForm
from governance.selectors.criteria import criteria_history, criteria_overview
from governance.services import criterion_create, criterion_update
from portfolio.models import ScoringCriterion
from ppm.params import parse_int
from projects.services import ConflictError, DomainError
from projects.views.common import call_service

FORM = "governance/criterion_form.html"


def _require_pmo(request: HttpRequest) -> None:
    if not may_manage_criteria(request.user):
        raise PermissionDenied("Only the PMO defines scoring criteria.")


def _criterion(pk: int) -> ScoringCriterion:
    try:
        return ScoringCriterion.objects.get(pk=pk)
    except ScoringCriterion.DoesNotExist:
        raise Http404("No such criterion.") from None


@require_GET
@login_required
def criteria_list(request: HttpRequest) -> HttpResponse:
    """Every criterion with its weight's share, its scale and how many projects use it."""
    if not may_read_criteria(request.user):
        raise PermissionDenied("Scoring criteria are for the PMO, directors and executives.")
    lines = criteria_overview()
    return render(
        request,
        "governance/criteria.html",
        {
            "lines": lines,
            "history": criteria_history(lines),
            "can_manage": may_manage_criteria(request.user),
            "active_count": sum(1 for line in lines if line.criterion.active),
        },
    )


def _impact_message(criterion: ScoringCriterion, marked: int) -> str:
    if not marked:
        return f"Criterion “{criterion.name}” saved."
    return (
        f"Criterion “{criterion.name}” saved: the priority scores of {marked} "
        f"project{'s' if marked != 1 else ''} are being recomputed."
    )


@require_http_methods(["GET", "POST"])
@login_required
def criterion_add(request: HttpRequest) -> HttpResponse:
    _require_pmo(request)
    form = CriterionForm(data=request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        created, _ = call_service(form, lambda: criterion_create(by=request.user, **form.values()))
        if created is not None:
            messages.success(request, f"Criterion “{created.name}” added.")
            return redirect("governance:criteria")
    return render(request, FORM, {"form": form, "heading": "Add a scoring criterion"})


@require_http_methods(["GET", "POST"])
@login_required
def criterion_edit(request: HttpRequest, criterion_pk: int) -> HttpResponse:
    _require_pmo(request)
    criterion = _criterion(criterion_pk)
    form = CriterionForm.for_criterion(
        criterion, data=request.POST if request.method == "POST" else None
    )
    conflict = None
    if form.is_bound and form.is_valid():
        result, conflict = call_service(
            form,
            lambda: criterion_update(
                criterion=criterion,
                expected_version=form.cleaned_data["version"],
                by=request.user,
                **form.values(),
            ),
        )
        if result is not None:
            updated, marked = result
            messages.success(request, _impact_message(updated, marked))
            return redirect("governance:criteria")
    scored = criterion.scores.values("project").distinct().count()
    return render(
        request,
        FORM,
        {
            "form": form,
            "criterion": criterion,
            "conflict": conflict,
            "heading": f"Edit “{criterion.name}”",
            "scored": scored,
        },
    )


@require_POST
@login_required
def criterion_active(request: HttpRequest, criterion_pk: int) -> HttpResponse:
    """Deactivate or reactivate a criterion from the list (a button with the row's version)."""
    _require_pmo(request)
    criterion = _criterion(criterion_pk)
    active = request.POST.get("active")
    version = parse_int(request.POST.get("version"), min_value=0)
    if active not in ("0", "1") or version is None:
        messages.error(request, "That request was incomplete; nothing changed.")
        return redirect("governance:criteria")
    try:
        updated, marked = criterion_update(
            criterion=criterion,
            expected_version=version,
            by=request.user,
            active=active == "1",
        )
    except ConflictError:
        messages.error(
            request,
            f"“{criterion.name}” was changed by someone else meanwhile; nothing changed. "
            "Check the list and try again.",
        )
    except DomainError as error:
        messages.error(request, f"“{criterion.name}”: {error.message}")
    else:
        state = "reactivated" if updated.active else "deactivated"
        text = _impact_message(updated, marked).replace("saved", state, 1)
        messages.success(request, text)
    return redirect(reverse("governance:criteria"))


urlpatterns = [
    path("criteria/", criteria_list, name="criteria"),
    path("criteria/new/", criterion_add, name="criterion-add"),
    path("criteria/<int:criterion_pk>/edit/", criterion_edit, name="criterion-edit"),
    path("criteria/<int:criterion_pk>/active/", criterion_active, name="criterion-active"),
]
