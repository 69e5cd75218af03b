"""Forms of the milestones section: plan, edit, reforecast, achieve, re-baseline.

Whether a reason is present or a date is allowed are business rules: the services check them
and their messages land next to the field (projects.views.common.call_service)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from projects.views.common import VersionedForm

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _weight() -> forms.DecimalField:
    return forms.DecimalField(
        label="Weight",
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0"),
        initial=Decimal("1"),
        help_text="Its share of the project's progress, relative to the other milestones.",
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


def _is_key() -> forms.BooleanField:
    return forms.BooleanField(
        label="Key milestone",
        required=False,
        initial=True,
        help_text="Key milestones drive the project's schedule slip.",
    )


def _reason(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=2000,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MilestoneCreateForm(forms.Form):
    """A new milestone: its name and baseline; the forecast starts at the baseline."""

    name = forms.CharField(label="Name", max_length=200, required=False)
    baseline_date = forms.DateField(label="Baseline date", widget=DATE_INPUT)
    forecast_date = forms.DateField(
        label="Forecast date",
        required=False,
        widget=DATE_INPUT,
        help_text="Leave empty when the forecast is the baseline.",
    )
    is_key = _is_key()
    weight = _weight()
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MilestoneEditForm(VersionedForm):
    """A milestone's descriptive fields; its dates have their own audited actions."""

    name = forms.CharField(label="Name", max_length=200, required=False)
    is_key = _is_key()
    weight = _weight()
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReforecastForm(VersionedForm):
    """Move the forecast date, saying why (kept in the forecast series)."""

    forecast_date = forms.DateField(label="New forecast date", widget=DATE_INPUT)
    reason = _reason("Reason", "Why the date moves — kept with the forecast history.")


class AchieveForm(VersionedForm):
    """Record the day the milestone was met (today or earlier)."""

    actual_date = forms.DateField(label="Achieved on", widget=DATE_INPUT)


class RebaselineForm(VersionedForm):
    """Move the baseline itself: the plan of record changes and the slip resets."""

    baseline_date = forms.DateField(label="New baseline date", widget=DATE_INPUT)
    reason = _reason(
        "Reason", "Usually an approved change request, e.g. “CR-12 approved by the board”."
    )
