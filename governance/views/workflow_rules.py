"""The rules around the workflows: selection rules (which workflow a new project or intake
request follows, with a tester) and change rules (who decides a change request, by its
impact). The PMO edits them; directors and executives read them (governance/views/builder.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET

from governance.forms_workflows import ChangeRuleForm, RuleTesterForm, WorkflowRuleForm
from governance.models import ChangeRule, Workflow, WorkflowRule
from governance.selectors.workflows import change_rules, selection_rules
from governance.services import change_rules as change_service
from governance.services import workflows as service
from governance.views.builder import may_build, pmo_form, pmo_post, require_reader
from portfolio.models import Portfolio
from ppm.access import scope
from projects.services import DomainError
from projects.views.common import call_service

# --- Selection rules -------------------------------------------------------------------------


def _tester(request: HttpRequest) -> tuple[RuleTesterForm, object, str]:
    """The tester form (bound once any of its fields is in the query) and its answer: the
    version `workflow_for` returns, or its refusal."""
    portfolios = scope(Portfolio.objects.order_by("name"), request.user)
    asked = any(k in request.GET for k in ("portfolio", "category", "budget"))
    form = RuleTesterForm(data=request.GET if asked else None, portfolios=portfolios)
    if not (asked and form.is_valid()):
        return form, None, ""
    try:
        version = service.workflow_for(
            portfolio_id=form.cleaned_data["portfolio"].pk,
            category=form.cleaned_data["category"],
            budget=form.cleaned_data["budget"],
        )
    except DomainError as error:
        return form, None, error.message
    return form, version, ""


@require_GET
@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    require_reader(request)
    tester, answer, refusal = _tester(request)
    return render(
        request,
        "governance/workflows/rules.html",
        {
            "rules": selection_rules(),
            "default": Workflow.objects.filter(is_default=True).first(),
            "can_build": may_build(request.user),
            "tester": tester,
            "answer": answer,
            "refusal": refusal,
        },
    )


def _show_current_version(form, rule) -> None:
    """After a refused stale save, the form carries the rule's version as it is now, so the
    next save (of the input kept) goes through; the refusal is shown above the form."""
    if rule is None or "version" not in form.errors:
        return
    form.errors[NON_FIELD_ERRORS] = form.errors.pop("version")
    form.data = form.data.copy()
    form.data[form.add_prefix("version")] = str(rule.version)


def _rule_form_page(request: HttpRequest, rule: WorkflowRule | None) -> HttpResponse:
    form = WorkflowRuleForm.for_rule(rule, data=request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        values = dict(form.cleaned_data)
        seen = values.pop("version", None)
        saved, _ = call_service(
            form,
            lambda: service.rule_save(by=request.user, rule=rule, expected_version=seen, **values),
        )
        _show_current_version(form, rule)
        if saved is not None:
            messages.success(request, f"Selection rule {saved.priority} saved.")
            return redirect("governance:workflow-rules")
    return render(
        request,
        "governance/workflows/rule_form.html",
        {
            "form": form,
            "rule": rule,
            "heading": f"Edit selection rule {rule.priority}" if rule else "Add a selection rule",
        },
    )


@pmo_form
def rule_add(request: HttpRequest) -> HttpResponse:
    return _rule_form_page(request, None)


@pmo_form
def rule_edit(request: HttpRequest, rule_pk: int) -> HttpResponse:
    return _rule_form_page(request, get_object_or_404(WorkflowRule, pk=rule_pk))


@pmo_post
def rule_delete(request: HttpRequest, rule_pk: int) -> HttpResponse:
    rule = get_object_or_404(WorkflowRule, pk=rule_pk)
    service.rule_delete(rule=rule, by=request.user)
    messages.success(request, f"Selection rule {rule.priority} removed.")
    return redirect("governance:workflow-rules")


# --- Change rules ----------------------------------------------------------------------------


@require_GET
@login_required
def change_rule_list(request: HttpRequest) -> HttpResponse:
    require_reader(request)
    return render(
        request,
        "governance/workflows/change_rules.html",
        {
            "rules": change_rules(),
            "can_build": may_build(request.user),
            "default_sla": settings.CHANGE_REQUEST_DECISION_DAYS,
        },
    )


def _change_rule_form_page(request: HttpRequest, rule: ChangeRule | None) -> HttpResponse:
    form = ChangeRuleForm.for_rule(rule, data=request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        saved, _ = call_service(
            form,
            lambda: change_service.change_rule_save(
                by=request.user,
                data=form.to_input(),
                rule=rule,
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        _show_current_version(form, rule)
        if saved is not None:
            messages.success(request, f"Change rule “{saved.name}” saved.")
            return redirect("governance:change-rules")
    return render(
        request,
        "governance/workflows/change_rule_form.html",
        {
            "form": form,
            "rule": rule,
            "heading": f"Edit change rule “{rule.name}”" if rule else "Add a change rule",
        },
    )


@pmo_form
def change_rule_add(request: HttpRequest) -> HttpResponse:
    return _change_rule_form_page(request, None)


@pmo_form
def change_rule_edit(request: HttpRequest, change_rule_pk: int) -> HttpResponse:
    rule = get_object_or_404(
        ChangeRule.objects.prefetch_related("approver_groups", "approver_users"),
        pk=change_rule_pk,
    )
    return _change_rule_form_page(request, rule)


@pmo_post
def change_rule_delete(request: HttpRequest, change_rule_pk: int) -> HttpResponse:
    rule = get_object_or_404(ChangeRule, pk=change_rule_pk)
    try:
        change_service.change_rule_delete(rule=rule, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Change rule “{rule.name}” removed.")
    return redirect("governance:change-rules")


urlpatterns = [
    path("workflows/rules/", rule_list, name="workflow-rules"),
    path("workflows/rules/new/", rule_add, name="workflow-rule-add"),
    path("workflows/rules/<int:rule_pk>/edit/", rule_edit, name="workflow-rule-edit"),
    path("workflows/rules/<int:rule_pk>/delete/", rule_delete, name="workflow-rule-delete"),
    path("change-rules/", change_rule_list, name="change-rules"),
    path("change-rules/new/", change_rule_add, name="change-rule-add"),
    path("change-rules/<int:change_rule_pk>/edit/", change_rule_edit, name="change-rule-edit"),
    path(
        "change-rules/<int:change_rule_pk>/delete/",
        change_rule_delete,
        name="change-rule-delete",
    ),
]
