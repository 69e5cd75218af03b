"""Project section: moving a project through its lifecycle (approve, start, put on hold,
resume, close, cancel) — a page with the moves the project's state allows, each made by
projects.services.lifecycle. The portfolio's director and the PMO decide; everyone who may see
the project sees its state and where it can go."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from ppm.access import can_change
from ppm.htmx import HtmxHttpRequest
from projects.choices import LifecycleState
from projects.services.lifecycle import MAX_REASON, moves_from, project_transition
from projects.views.common import VersionedForm, call_service, load_project, section_context


class TransitionForm(VersionedForm):
    to = forms.ChoiceField(
        label="Move the project to",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed to put a project on hold, close or cancel it; kept in its history.",
    )

    def __init__(self, *args, state: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [
            (to, f"{move.label} — {move.effect}") for to, move in moves_from(state)
        ]


@require_http_methods(["GET", "POST"])
@login_required
def lifecycle(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    project = load_project(request, pk)
    # The portfolio's director and the PMO (they change the portfolio), never its manager.
    allowed = can_change(request.user, project.portfolio)
    if request.method == "POST" and not allowed:
        raise PermissionDenied("Only the portfolio's director or the PMO moves a project.")
    form = TransitionForm(
        request.POST if request.method == "POST" else None,
        initial={"version": project.version},
        state=project.state,
    )
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["to"]
        call_service(
            form,
            lambda: project_transition(
                project=project,
                to=to,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            ),
        )
        if not form.errors:
            messages.success(request, f"{project.code} is now {LifecycleState(to).label.lower()}.")
            return HttpResponseRedirect(reverse("projects:detail", args=[project.pk]))
    return render(
        request,
        "projects/lifecycle.html",
        {
            **section_context(request, project, "overview"),
            "form": form,
            "may_move": allowed,
            "moves": moves_from(project.state),
            "states": LifecycleState.choices,
        },
    )


urlpatterns = [path("<int:pk>/lifecycle/", lifecycle, name="lifecycle")]
