"""Forms of the change-request page: raising a change and deciding it."""

from __future__ import annotations

from django import forms

from projects.forms.raid import MoneyField
from projects.views.common import VersionedForm

MAX_DAYS = 3650


class ChangeRequestForm(forms.Form):
    """Raise a change: what it is and its scope, schedule and cost impact."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="What changes, and why."
    )
    scope_impact = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Scope impact",
        help_text="What is added to or taken out of the scope.",
    )
    schedule_impact_days = forms.IntegerField(
        min_value=-MAX_DAYS,
        max_value=MAX_DAYS,
        required=False,
        initial=0,
        label="Schedule impact (days)",
        help_text="Days the forecast finish moves; negative brings it forward.",
    )
    cost_impact = MoneyField(
        max_digits=14,
        decimal_places=2,
        required=False,
        initial=0,
        label="Cost impact",
        help_text="Change to the budget at completion; negative reduces it.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("schedule_impact_days", "cost_impact"):
            self.fields[name].column = "col-sm-6"

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "scope_impact": data["scope_impact"].strip(),
            "schedule_impact_days": data["schedule_impact_days"] or 0,
            "cost_impact": data["cost_impact"] or 0,
        }


class DecisionForm(VersionedForm):
    """Approve or reject a submitted change, with a comment (needed to reject)."""

    # Set by the button pressed (name="decision"), so it is not rendered as an input.
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")], required=False
    )
    decision_comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Comment",
        help_text="Needed to reject; recorded with the decision.",
    )
    # The open milestones the schedule impact moves on approval (the view sets the choices
    # from the outcome's preview; all are ticked at first).
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

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("decision"):
            raise forms.ValidationError("Choose Approve or Reject.")
        return data

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"
