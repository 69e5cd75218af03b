"""The review page — everything needed to decide on one page, and the decision itself — its
printable decision record, and delegation while away.

Who sees a review: anyone who may see its project; for a proposal (intake), its requester,
the PMO and the portfolio's director; seat holders and whoever stands in for one, whatever
the subject. Everyone else gets a 404, as for a review that does not exist. Who decides:
`services.reviews.may_decide` (a seat, or a delegation in force now); the rule and what the
decision carries out are the service's (`review_decide`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.choices import ReviewKind, ReviewState, Verdict
from governance.models import Delegation, Review
from governance.selectors.reviews import (
    ReviewFacts,
    change_preview,
    load_review,
    may_view_review,
    project_picture,
    review_facts,
)
from governance.services.reviews import (
    MAX_COMMENT,
    ChangeOptions,
    delegation_create,
    delegation_revoke,
    review_decide,
)
from ppm.roles import ALL_ROLES, has_role
from ppm.templatetags.conductor import format_money
from projects.models import Project
from projects.services import DomainError
from projects.views.common import call_service

User = get_user_model()
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- Forms ----------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    """Approve, reject or defer (the button pressed), with a comment; for a change request
    with a schedule impact, the milestones to move and how the approved days land."""

    # Set by the button pressed (name="verdict"), so it is not rendered as an input.
    verdict = forms.ChoiceField(choices=Verdict.choices, required=False)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=MAX_COMMENT,
        label="Comment",
        help_text="Needed to reject or defer; recorded with your decision.",
    )
    move_milestones = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    schedule_lands = forms.ChoiceField(
        choices=[
            ("forecast", "Move their forecasts: the delay shows as slip"),
            ("rebaseline", "Re-baseline: baselines move too, the slip stays as it was"),
        ],
        initial="forecast",
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, milestones=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["move_milestones"].choices = [(m.pk, m.name) for m, _moved in milestones]

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("verdict"):
            raise forms.ValidationError("Choose Approve, Reject or Defer.")
        return data

    def change_options(self) -> ChangeOptions:
        data = self.cleaned_data
        return ChangeOptions(
            move_milestones=tuple(data.get("move_milestones") or ()),
            rebaseline=data.get("schedule_lands") == "rebaseline",
        )


def _people_with_a_role():
    return (
        User.objects.filter(is_active=True, groups__name__in=[r.value for r in ALL_ROLES])
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class DelegationForm(forms.Form):
    delegate = PersonChoiceField(
        queryset=User.objects.none(),
        label="Who decides for you",
        help_text="They decide on your reviews while you are away; their decision counts for "
        "your seat and the record names you both.",
    )
    starts = forms.DateField(label="First day away", widget=DATE_INPUT)
    ends = forms.DateField(label="Last day away", widget=DATE_INPUT)
    reason = forms.CharField(
        max_length=200, required=False, label="Reason", help_text="For example: annual leave."
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = _people_with_a_role().exclude(pk=user.pk)
        for name in ("starts", "ends"):
            self.fields[name].column = "col-sm-6"


# --- The review page ------------------------------------------------------------------------


def _facts_for(request: HttpRequest, pk: int) -> ReviewFacts:
    facts = review_facts(load_review(pk), request.user)
    if not may_view_review(request.user, facts):
        raise Http404("No such review.")
    return facts


def _plan_of(project: Project | None) -> Project | None:
    if project is None:
        return None
    return Project.objects.select_related("portfolio").get(pk=project.pk)


def _plan_moves(before: Project | None, after: Project | None) -> str:
    """“forecast finish 18 Dec 2026 → 28 Dec 2026; BAC €250,000 → €295,000”, or ""."""
    if before is None or after is None:
        return ""
    parts = []
    if before.forecast_finish != after.forecast_finish:
        was = before.forecast_finish or before.baseline_finish
        parts.append(f"forecast finish {was:%-d %b %Y} → {after.forecast_finish:%-d %b %Y}")
    if before.budget_at_completion != after.budget_at_completion:
        currency = after.portfolio.currency
        parts.append(
            f"BAC {format_money(before.budget_at_completion, currency)} → "
            f"{format_money(after.budget_at_completion, currency)}"
        )
    return "; ".join(parts)


def _decided_message(review: Review, verdict: str, moves: str = "") -> str:
    done = {
        Verdict.APPROVE: "approved",
        Verdict.REJECT: "rejected",
        Verdict.DEFER: "deferred",
    }[Verdict(verdict)]
    if review.state == ReviewState.OPEN:
        if verdict == Verdict.DEFER:
            return f"You deferred “{review.title}”: it stays open, and the requester is told why."
        return (
            f"Your decision is recorded: you {done} “{review.title}”. It stays open until the "
            "rule is met."
        )
    if review.state == ReviewState.APPROVED:
        consequence = {
            ReviewKind.GATE: f"the project passed {review.gate.name if review.gate_id else ''}",
            ReviewKind.INTAKE: "the proposal became a project",
            ReviewKind.CHANGE: "the change is applied to the plan",
        }[ReviewKind(review.kind)]
        if moves:
            consequence += f" ({moves})"
        return f"You {done} “{review.title}”. The rule is met: approved, and {consequence}."
    return f"You {done} “{review.title}”. The review is rejected; the requester is told why."


def _page_context(request: HttpRequest, facts: ReviewFacts, form=None) -> dict[str, Any]:
    preview = change_preview(facts) if facts.is_open else None
    if form is None and facts.can_decide_now:
        form = DecisionForm(
            milestones=preview.milestones if preview else (),
            initial={"move_milestones": [m.pk for m, _ in preview.milestones] if preview else []},
        )
    project = facts.project
    return {
        "facts": facts,
        "review": facts.review,
        "project": project,
        "picture": project_picture(project) if project is not None else None,
        "preview": preview,
        "form": form,
        "currency": (project.portfolio if project else facts.review.portfolio).currency,
        "max_comment": MAX_COMMENT,
    }


@require_http_methods(["GET", "POST"])
@login_required
def review_detail(request: HttpRequest, review_pk: int) -> HttpResponse:
    """The review, its subject and the subject's current figures, the seats and what each
    decided, the frozen checklist with its evidence; the decision form for an approver who
    has not decided yet, the decision record once decided."""
    facts = _facts_for(request, review_pk)
    form = None
    if request.method == "POST":
        if not facts.holds_seat:
            raise PermissionDenied("You are not an approver of this review.")
        if not facts.is_open:
            messages.error(
                request,
                f"This review was {facts.review.get_state_display().lower()} already: "
                "nothing more can be decided on it.",
            )
            return redirect("governance:review", review_pk=review_pk)
        preview = change_preview(facts)
        form = DecisionForm(request.POST, milestones=preview.milestones if preview else ())
        if form.is_valid():
            verdict = form.cleaned_data["verdict"]
            before = _plan_of(facts.project) if facts.change else None
            decided, _conflict = call_service(
                form,
                lambda: review_decide(
                    review=facts.review,
                    by=request.user,
                    verdict=verdict,
                    comment=form.cleaned_data["comment"],
                    change_options=form.change_options(),
                ),
            )
            if decided is not None:
                moves = _plan_moves(before, _plan_of(facts.project) if before else None)
                messages.success(request, _decided_message(decided, verdict, moves))
                return redirect("governance:review", review_pk=review_pk)
    return render(request, "governance/reviews/detail.html", _page_context(request, facts, form))


@require_GET
@login_required
def review_record(request: HttpRequest, review_pk: int) -> HttpResponse:
    """The decision record on a clean page, ready to print."""
    facts = _facts_for(request, review_pk)
    return render(
        request,
        "governance/reviews/record.html",
        {"facts": facts, "review": facts.review, "printed_at": timezone.localtime()},
    )


# --- Delegation -----------------------------------------------------------------------------


def _require_a_role(request: HttpRequest) -> None:
    if not has_role(request.user, *ALL_ROLES):
        raise PermissionDenied("Delegation is for people with a role in Conductor.")


def _delegation_state(d: Delegation, today) -> str:
    if d.revoked_at is not None:
        return "ended"
    if d.ends < today:
        return "past"
    if d.starts > today:
        return "upcoming"
    return "active"


@require_http_methods(["GET", "POST"])
@login_required
def delegations(request: HttpRequest) -> HttpResponse:
    """Who decides for me while I am away (and when), and for whom I decide."""
    _require_a_role(request)
    user = request.user
    form = DelegationForm(request.POST if request.method == "POST" else None, user=user)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        created, _ = call_service(
            form,
            lambda: delegation_create(
                holder=user,
                delegate=data["delegate"],
                starts=data["starts"],
                ends=data["ends"],
                reason=data["reason"],
            ),
        )
        if created is not None:
            who = created.delegate.get_full_name() or created.delegate.username
            messages.success(
                request,
                f"{who} decides for you from {created.starts:%-d %b %Y} to "
                f"{created.ends:%-d %b %Y}.",
            )
            return redirect("governance:delegations")
    today = timezone.localdate()
    mine = list(Delegation.objects.filter(holder=user).select_related("delegate")[:100])
    return render(
        request,
        "governance/reviews/delegations.html",
        {
            "form": form,
            "rows": [(d, _delegation_state(d, today)) for d in mine],
            "for_me": [
                (d, _delegation_state(d, today))
                for d in Delegation.objects.filter(
                    delegate=user, revoked_at__isnull=True, ends__gte=today
                ).select_related("holder")
            ],
        },
    )


@require_POST
@login_required
def delegation_end(request: HttpRequest, delegation_pk: int) -> HttpResponse:
    """End a delegation early (or withdraw one not started yet): only the person who made it."""
    _require_a_role(request)
    try:
        delegation = Delegation.objects.select_related("delegate").get(
            pk=delegation_pk, holder=request.user
        )
    except Delegation.DoesNotExist:
        raise Http404("No such delegation of yours.") from None
    try:
        delegation_revoke(delegation=delegation, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        who = delegation.delegate.get_full_name() or delegation.delegate.username
        messages.success(request, f"Ended: {who} no longer decides for you.")
    return redirect("governance:delegations")


urlpatterns = [
    path("reviews/<int:review_pk>/", review_detail, name="review"),
    path("reviews/<int:review_pk>/record/", review_record, name="review-record"),
    path("delegations/", delegations, name="delegations"),
    path("delegations/<int:delegation_pk>/end/", delegation_end, name="delegation-end"),
]
