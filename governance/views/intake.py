"""Intake (demand): anyone signed in asks for a new project — problem, proposed solution,
benefits, cost and duration, objectives served, main risks — fills the checklist of the first
gate of the workflow that matches it, and submits it for review. Approval makes it a project;
a rejection returns it with the reviewers' comments, to be revised and submitted again.

Who sees what (governance.selectors.intake): the author their own requests; the PMO every
submitted request; a director the submitted requests of their portfolios; seat holders the
requests they review. Anyone else gets a 404 for a request, as if it did not exist. Only the
author edits, submits and withdraws (a 403 for the others who may see it).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.choices import IntakeState, ReviewState, Verdict
from governance.forms_intake import IntakeForm, VersionForm
from governance.models import Evidence, GateCriterion, IntakeRequest, Review
from governance.selectors.gates import cited_evidence
from governance.selectors.intake import (
    intake_for_page,
    intake_reviews,
    intakes_in_scope,
    may_review_requests,
    my_intakes,
)
from governance.services.intake import (
    intake_first_gate,
    intake_save,
    intake_submit,
    intake_withdraw,
)
from governance.services.reviews import checklist
from governance.views.gates import (
    Bound,
    answer,
    check_submit,
    checklist_rows,
    evidence_submit,
    remove_submit,
    review_url,
)
from ppm.htmx import HtmxHttpRequest, render_page
from ppm.roles import Role, has_role
from projects.services import ConflictError, DomainError
from projects.views.common import call_service

LIST = "governance/intake/list.html"
FORM = "governance/intake/form.html"
DETAIL = "governance/intake/detail.html"
FRAGMENT = "intake-checklist"
EDITABLE = (IntakeState.DRAFT, IntakeState.RETURNED)


def _load(request: HtmxHttpRequest, pk: int) -> IntakeRequest:
    try:
        return intake_for_page(pk=pk, user=request.user)
    except IntakeRequest.DoesNotExist:
        raise Http404("No such request.") from None


def _require_author(request: HtmxHttpRequest, intake: IntakeRequest) -> None:
    if intake.requested_by_id != request.user.pk:
        raise PermissionDenied("Only the person who made the request changes it.")


def _detail_url(intake: IntakeRequest, anchor: str = "") -> str:
    url = reverse("governance:intake-detail", args=[intake.pk])
    return f"{url}#{anchor}" if anchor else url


# --- Lists -----------------------------------------------------------------------------------


@require_GET
@login_required
def intake_list(request: HtmxHttpRequest) -> HttpResponse:
    """The user's own requests; for the PMO and directors, the requests of their scope too."""
    user = request.user
    scope = None
    if may_review_requests(user):
        scope = intakes_in_scope(
            user, state=request.GET.get("state", ""), page=request.GET.get("page")
        )
    return render_page(
        request,
        LIST,
        {
            "mine": my_intakes(user),
            "scope": scope,
            "states": IntakeState.choices,
            "scope_title": "Submitted requests"
            if user.is_superuser or has_role(user, Role.PMO)
            else "Requests in your portfolios",
        },
        partial="intake-scope" if scope else None,
    )


# --- The form --------------------------------------------------------------------------------


def _submit_saved(request: HtmxHttpRequest, intake: IntakeRequest) -> HttpResponse:
    """Submit a request just saved; when it cannot go yet, it stays a draft and the page says
    why (the checklist, usually)."""
    try:
        intake_submit(intake=intake, by=request.user, expected_version=intake.version)
    except (DomainError, ConflictError) as error:
        messages.warning(request, f"Saved as a draft, not submitted yet: {error}")
    else:
        messages.success(request, f"“{intake.title}” submitted: the reviewers have been told.")
    return HttpResponseRedirect(_detail_url(intake))


@require_http_methods(["GET", "POST"])
@login_required
def intake_new(request: HtmxHttpRequest) -> HttpResponse:
    form = IntakeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        intake, _ = call_service(form, lambda: intake_save(by=request.user, data=form.to_input()))
        if intake is not None:
            if request.POST.get("action") == "submit":
                return _submit_saved(request, intake)
            messages.success(
                request,
                f"Draft “{intake.title}” saved. Fill its checklist, then submit it for review.",
            )
            return HttpResponseRedirect(_detail_url(intake))
    return render(request, FORM, {"form": form, "intake": None})


@require_http_methods(["GET", "POST"])
@login_required
def intake_edit(request: HtmxHttpRequest, intake_pk: int) -> HttpResponse:
    intake = _load(request, intake_pk)
    _require_author(request, intake)
    if intake.state not in EDITABLE:
        messages.info(
            request,
            f"The request is {intake.get_state_display().lower()}: it cannot be changed now.",
        )
        return HttpResponseRedirect(_detail_url(intake))
    form = IntakeForm(
        request.POST if request.method == "POST" else None,
        initial=IntakeForm.initial_for(intake),
        editing=True,
    )
    if form.is_bound and form.is_valid():
        try:
            intake_save(
                by=request.user,
                data=form.to_input(),
                intake=intake,
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except ConflictError as error:
            # Only the author edits: the other change is theirs, from another tab.
            data = form.data.copy()
            data["version"] = str(error.current.version)
            form.data = data
            form.add_error(
                None,
                "This request changed in another window while you were editing; nothing was "
                "saved. Your input is kept below: save again to apply it.",
            )
        else:
            if request.POST.get("action") == "submit":
                return _submit_saved(request, intake)
            messages.success(request, f"“{intake.title}” saved.")
            return HttpResponseRedirect(_detail_url(intake))
    return render(request, FORM, {"form": form, "intake": intake})


# --- One request -----------------------------------------------------------------------------


def _returned_comments(reviews: list[Review]) -> list:
    """The decisions (with comments) of the latest decided review: why it came back."""
    decided = [r for r in reviews if r.state not in (ReviewState.OPEN, ReviewState.WITHDRAWN)]
    if not decided:
        return []
    return [d for d in decided[-1].decisions.all() if d.comment or d.verdict == Verdict.REJECT]


def _render_detail(
    request: HtmxHttpRequest,
    intake: IntakeRequest,
    *,
    bound: Bound = None,
    flash: str = "",
    error: str = "",
) -> HttpResponse:
    user = request.user
    is_author = intake.requested_by_id == user.pk
    editable = is_author and intake.state in EDITABLE
    gate, lines, no_gate = None, [], ""
    try:
        gate = intake_first_gate(intake)
        lines = checklist(intake, gate)
    except DomainError as problem:
        no_gate = problem.message
    reviews = intake_reviews(intake)
    pk = intake.pk
    names = {
        "check": "governance:intake-check",
        "evidence": "governance:intake-evidence",
        "remove": "governance:intake-evidence-remove",
    }
    rows = checklist_rows(
        lines,
        editable=editable,
        cited=cited_evidence(reviews),
        url=lambda kind, item: reverse(names[kind], args=[pk, item]),
        bound=bound,
    )
    missing = [line for line in lines if line.missing]
    context = {
        "intake": intake,
        "is_author": is_author,
        "editable": editable,
        "may_withdraw": is_author
        and intake.state not in (IntakeState.APPROVED, IntakeState.WITHDRAWN),
        "gate": gate,
        "no_gate": no_gate,
        "rows": rows,
        "missing": missing,
        "may_submit": editable and gate is not None and not missing,
        "reviews": [(r, review_url(r.pk)) for r in reversed(reviews)],
        "returned_comments": _returned_comments(reviews)
        if intake.state == IntakeState.RETURNED
        else [],
        "currency": intake.portfolio.currency,
        "flash": flash,
        "error": error,
        "hx_target": "#intake-checklist",
    }
    return render_page(request, DETAIL, context, partial=FRAGMENT)


@require_GET
@login_required
def intake_detail(request: HtmxHttpRequest, intake_pk: int) -> HttpResponse:
    return _render_detail(request, _load(request, intake_pk))


def _versioned_action(request: HtmxHttpRequest, intake_pk: int, act, done: str) -> HttpResponse:
    intake = _load(request, intake_pk)
    _require_author(request, intake)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That request was incomplete; nothing changed. Try again.")
        return HttpResponseRedirect(_detail_url(intake))
    try:
        act(intake=intake, by=request.user, expected_version=form.cleaned_data["version"])
    except DomainError as error:
        messages.error(request, error.message)
    except ConflictError:
        messages.error(
            request,
            "The request changed in another window meanwhile; nothing was done. Check it below "
            "and try again.",
        )
    else:
        messages.success(request, done.format(title=intake.title))
    return HttpResponseRedirect(_detail_url(intake))


@require_POST
@login_required
def intake_submit_view(request: HtmxHttpRequest, intake_pk: int) -> HttpResponse:
    return _versioned_action(
        request,
        intake_pk,
        intake_submit,
        "“{title}” submitted for review: the reviewers have been told.",
    )


@require_POST
@login_required
def intake_withdraw_view(request: HtmxHttpRequest, intake_pk: int) -> HttpResponse:
    return _versioned_action(request, intake_pk, intake_withdraw, "“{title}” withdrawn.")


# --- The checklist of its first gate ---------------------------------------------------------


def _editable_intake(request: HtmxHttpRequest, intake_pk: int) -> IntakeRequest:
    intake = _load(request, intake_pk)
    _require_author(request, intake)
    return intake


def _criterion(intake: IntakeRequest, gate_criterion_pk: int) -> GateCriterion:
    try:
        gate = intake_first_gate(intake)
    except DomainError:
        raise Http404("The request has no checklist: no workflow applies.") from None
    criterion = GateCriterion.objects.filter(pk=gate_criterion_pk, gate=gate).first()
    if criterion is None:
        raise Http404("That criterion is not on the request's checklist.")
    return criterion


def _checklist_write(request: HtmxHttpRequest, intake_pk: int, gate_criterion_pk: int, submit):
    intake = _editable_intake(request, intake_pk)
    criterion = _criterion(intake, gate_criterion_pk)
    if intake.state in EDITABLE:
        flash, bound = submit(request, target=intake, criterion=criterion)
        error = ""
    else:
        flash, bound = "", None
        error = f"The request is {intake.get_state_display().lower()}: its checklist is frozen."
    return answer(
        request,
        flash=flash,
        error=error,
        bound=bound,
        redirect_to=_detail_url(intake, f"criterion-{criterion.pk}"),
        render=lambda **kw: _render_detail(request, intake, **kw),
    )


@require_POST
@login_required
def intake_check(request: HtmxHttpRequest, intake_pk: int, gate_criterion_pk: int):
    return _checklist_write(request, intake_pk, gate_criterion_pk, check_submit)


@require_POST
@login_required
def intake_evidence(request: HtmxHttpRequest, intake_pk: int, gate_criterion_pk: int):
    return _checklist_write(request, intake_pk, gate_criterion_pk, evidence_submit)


@require_POST
@login_required
def intake_evidence_remove(request: HtmxHttpRequest, intake_pk: int, evidence_pk: int):
    intake = _editable_intake(request, intake_pk)
    evidence = Evidence.objects.filter(pk=evidence_pk, intake=intake).first()
    if evidence is None:
        raise Http404("No such evidence on this request.")
    if intake.state in EDITABLE:
        flash, error = remove_submit(request, evidence)
    else:
        flash = ""
        error = f"The request is {intake.get_state_display().lower()}: its evidence stays."
    return answer(
        request,
        flash=flash,
        error=error,
        bound=None,
        redirect_to=_detail_url(intake, f"criterion-{evidence.criterion_id}"),
        render=lambda **kw: _render_detail(request, intake, **kw),
    )


urlpatterns = [
    path("intake/", intake_list, name="intake-list"),
    path("intake/new/", intake_new, name="intake-new"),
    path("intake/<int:intake_pk>/", intake_detail, name="intake-detail"),
    path("intake/<int:intake_pk>/edit/", intake_edit, name="intake-edit"),
    path("intake/<int:intake_pk>/submit/", intake_submit_view, name="intake-submit"),
    path("intake/<int:intake_pk>/withdraw/", intake_withdraw_view, name="intake-withdraw"),
    path(
        "intake/<int:intake_pk>/criteria/<int:gate_criterion_pk>/check/",
        intake_check,
        name="intake-check",
    ),
    path(
        "intake/<int:intake_pk>/criteria/<int:gate_criterion_pk>/evidence/",
        intake_evidence,
        name="intake-evidence",
    ),
    path(
        "intake/<int:intake_pk>/evidence/<int:evidence_pk>/remove/",
        intake_evidence_remove,
        name="intake-evidence-remove",
    ),
]
