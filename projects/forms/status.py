"""Forms of the status section: start a report for a period, edit a draft."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from projects.choices import RAG
from projects.models import StatusReport
from projects.selectors.status import DIMENSION_LABELS
from projects.services.status import DIMENSIONS
from projects.views.common import VersionedForm

TEXT_FIELDS = ("narrative", "achievements", "next_steps")


class StartReportForm(forms.Form):
    """Open a draft for a reporting period, optionally from last period's report.

    Periods are months: the field offers the month ends of the reporting calendar that have
    no report yet (`periods`, as (date, label)); the service decides what is accepted, so a
    date typed by hand is snapped to its month end or refused next to the field."""

    period_end = forms.DateField(
        label="Period end",
        widget=forms.Select,
        help_text="Reports are monthly: the period ends on the month's last day.",
    )
    copy_from_last = forms.BooleanField(
        label="Copy from last period",
        required=False,
        help_text="Start from the last submitted report: RAG, narrative and percent complete; "
        "its next steps become this period's achievements.",
    )

    def __init__(self, *args: Any, periods: list[tuple[date, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period_end"].widget.choices = [(d.isoformat(), label) for d, label in periods]


class StatusReportForm(VersionedForm):
    """A draft report: the five RAG choices with their reasons, the texts, percent complete.

    Whether a reason is needed depends on the rules' suggestion; the service decides that on
    submit (a draft may be saved half-written)."""

    overall_rag = forms.ChoiceField(label="Overall", choices=RAG.choices)
    schedule_rag = forms.ChoiceField(label="Schedule", choices=RAG.choices)
    cost_rag = forms.ChoiceField(label="Cost", choices=RAG.choices)
    scope_rag = forms.ChoiceField(label="Scope", choices=RAG.choices)
    risk_rag = forms.ChoiceField(label="Risk", choices=RAG.choices)
    overall_reason = forms.CharField(required=False, max_length=2000)
    schedule_reason = forms.CharField(required=False, max_length=2000)
    cost_reason = forms.CharField(required=False, max_length=2000)
    scope_reason = forms.CharField(required=False, max_length=2000)
    risk_reason = forms.CharField(required=False, max_length=2000)
    percent_complete = forms.DecimalField(
        label="Percent complete",
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    narrative = forms.CharField(label="Narrative", required=False)
    achievements = forms.CharField(label="Achievements", required=False)
    next_steps = forms.CharField(label="Next steps", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for d in DIMENSIONS:
            self.fields[f"{d}_reason"].label = f"Why {DIMENSION_LABELS[d].lower()} differs"
            self.fields[f"{d}_reason"].widget = forms.Textarea(attrs={"rows": 2})
            self.fields[f"{d}_rag"].widget.attrs["data-dimension"] = d
        for name in TEXT_FIELDS:
            self.fields[name].widget = forms.Textarea(attrs={"rows": 5, "data-markdown": name})

    @classmethod
    def for_report(cls, report: StatusReport) -> StatusReportForm:
        """An unbound form showing the report as saved."""
        reasons = report.override_reasons or {}
        initial = {
            "version": report.version,
            # 62.5 rather than 62.50, 100 rather than 1E+2.
            "percent_complete": format(report.percent_complete.normalize(), "f"),
            **{name: getattr(report, name) for name in TEXT_FIELDS},
            **{f"{d}_rag": getattr(report, f"{d}_rag") for d in DIMENSIONS},
            **{f"{d}_reason": reasons.get(d, "") for d in DIMENSIONS},
        }
        return cls(initial=initial)

    def changes(self) -> dict[str, Any]:
        """The edit as keyword arguments of services.status_report_update."""
        data = self.cleaned_data
        return {
            **{f"{d}_rag": data[f"{d}_rag"] for d in DIMENSIONS},
            **{name: data[name] for name in TEXT_FIELDS},
            "percent_complete": data["percent_complete"],
            "override_reasons": {d: data[f"{d}_reason"] for d in DIMENSIONS},
        }

    def dimension_fields(self) -> dict[str, tuple[forms.BoundField, forms.BoundField]]:
        """(choice, reason) bound fields per dimension, for the template."""
        return {d: (self[f"{d}_rag"], self[f"{d}_reason"]) for d in DIMENSIONS}


class CorrectReportForm(StatusReportForm):
    """The PMO's correction of a submitted report: the same fields, and why it is corrected.

    No version: a correction is a new row, and a second correction of the same version is
    refused by the database (one-to-one on `supersedes`)."""

    reason = forms.CharField(
        label="Reason for the correction",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Kept with both versions in the project's history.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["version"]


class DiscardReportForm(VersionedForm):
    """Confirms discarding a draft, with the version the user saw (a draft saved meanwhile
    by someone else is not thrown away unseen)."""
