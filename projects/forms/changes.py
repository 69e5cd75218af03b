"""The form of the change-request page: raising a change (it is decided in its governance
review)."""

from __future__ import annotations

from django import forms

from projects.forms.raid import MoneyField

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
