"""Forms of the prioritisation pages: a scoring criterion, one project's row of scores, and
the confirmation of a rebalance."""

from __future__ import annotations

import calendar
from decimal import Decimal

from django import forms

from governance.selectors.scores import ScoreRow
from governance.services.criteria import MAX_WEIGHT, SCALE_CEILING, SCALE_FLOOR
from governance.services.scores import MAX_COMMENT, ScoreInput, comment_field, score_field
from portfolio.choices import EvMethod
from portfolio.models import ScoringCriterion

DIRECTIONS = [("higher", "Higher is better"), ("lower", "Lower is better")]


class CriterionForm(forms.Form):
    """A scoring criterion as the PMO defines it."""

    name = forms.CharField(max_length=120)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What a director should look at when scoring; shown next to the score.",
    )
    weight = forms.DecimalField(
        min_value=Decimal("0"),
        max_value=MAX_WEIGHT,
        max_digits=5,
        decimal_places=2,
        help_text="Relative importance. A project's priority divides by the weights of the "
        "criteria it is scored on, so weights need not add up to 100.",
    )
    scale_min = forms.IntegerField(
        min_value=SCALE_FLOOR, max_value=SCALE_CEILING, initial=1, label="Scale from"
    )
    scale_max = forms.IntegerField(
        min_value=SCALE_FLOOR, max_value=SCALE_CEILING, initial=5, label="Scale to"
    )
    direction = forms.ChoiceField(
        choices=DIRECTIONS,
        initial="higher",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        help_text="“Lower is better” suits criteria such as risk or complexity.",
    )
    active = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Inactive criteria keep their scores but no longer count.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # An edit must say which version it was based on; a new criterion has none.
        self.fields["version"].required = editing

    @classmethod
    def for_criterion(cls, criterion: ScoringCriterion, data=None) -> CriterionForm:
        return cls(
            data=data,
            editing=True,
            initial={
                "name": criterion.name,
                "description": criterion.description,
                "weight": criterion.weight,
                "scale_min": criterion.scale_min,
                "scale_max": criterion.scale_max,
                "direction": "higher" if criterion.higher_is_better else "lower",
                "active": criterion.active,
                "version": criterion.version,
            },
        )

    def clean(self) -> dict:
        data = super().clean()
        low, high = data.get("scale_min"), data.get("scale_max")
        if low is not None and high is not None and high <= low:
            self.add_error("scale_max", "The top of the scale must be above its bottom.")
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "weight": data["weight"],
            "scale_min": data["scale_min"],
            "scale_max": data["scale_max"],
            "higher_is_better": data["direction"] == "higher",
            "active": data["active"],
        }


class ScoreRowForm(forms.Form):
    """One project's scores on the active criteria, saved as a whole. Field names carry the
    criterion id (score_<id>, comment_<id>); the prefix carries the project, so every row of
    the grid has its own ids."""

    stamp = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, row: ScoreRow, criteria: list[ScoringCriterion], **kwargs) -> None:
        kwargs.setdefault("prefix", f"p{row.project.pk}")
        if not kwargs.get("data"):
            initial = {"stamp": row.stamp}
            for c in criteria:
                stored = row.scores.get(c.pk)
                initial[score_field(c.pk)] = stored.score if stored else None
                initial[comment_field(c.pk)] = stored.comment if stored else ""
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.row = row
        self.criteria = criteria
        for c in criteria:
            self.fields[score_field(c.pk)] = forms.IntegerField(
                label=c.name,
                required=False,
                min_value=c.scale_min,
                max_value=c.scale_max,
                error_messages={
                    "min_value": f"From {c.scale_min} to {c.scale_max}.",
                    "max_value": f"From {c.scale_min} to {c.scale_max}.",
                    "invalid": f"A whole number from {c.scale_min} to {c.scale_max}.",
                },
                widget=forms.NumberInput(
                    attrs={"step": 1, "inputmode": "numeric", "form": self.form_id}
                ),
            )
            self.fields[comment_field(c.pk)] = forms.CharField(
                label=f"Comment on {c.name}",
                required=False,
                max_length=MAX_COMMENT,
                widget=forms.Textarea(attrs={"rows": 2, "form": self.form_id}),
            )
        self.fields["stamp"].widget.attrs["form"] = self.form_id

    @property
    def form_id(self) -> str:
        """The id of the row's <form>: the inputs sit in table cells and point to it."""
        return f"score-form-{self.row.project.pk}"

    def cells(self) -> list[tuple[ScoringCriterion, forms.BoundField, forms.BoundField, object]]:
        """(criterion, score field, comment field, stored score or None) per active criterion."""
        return [
            (c, self[score_field(c.pk)], self[comment_field(c.pk)], self.row.scores.get(c.pk))
            for c in self.criteria
        ]

    @property
    def has_comment_errors(self) -> bool:
        return any(self[comment_field(c.pk)].errors for c in self.criteria)

    def values(self) -> dict[int, ScoreInput]:
        """The row's input by criterion. A criterion whose input was not on the page (added by
        the PMO after it was loaded) is left out, so it is not cleared by accident."""
        data = self.cleaned_data
        return {
            c.pk: ScoreInput(data.get(score_field(c.pk)), data.get(comment_field(c.pk)) or "")
            for c in self.criteria
            if self.add_prefix(score_field(c.pk)) in self.data
        }


class ApplyForm(forms.Form):
    """The last step of a rebalance: the reason recorded with every project's change."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Why the portfolio is rebalanced; recorded in each project's history.",
        error_messages={"required": "Give the reason for this rebalance; it goes on record."},
    )


def _threshold(label: str, help_text: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0.001"),
        max_value=Decimal("2"),
        max_digits=5,
        decimal_places=3,
        help_text=help_text,
    )


class HealthPolicyForm(forms.Form):
    """The PMO's health thresholds and risk bands (portfolio.models.HealthPolicy)."""

    cpi_amber = _threshold("CPI amber below", "A CPI below this is amber.")
    cpi_red = _threshold("CPI red below", "A CPI below this is red.")
    spi_amber = _threshold("SPI amber below", "An SPI below this is amber.")
    spi_red = _threshold("SPI red below", "An SPI below this is red.")
    slip_amber_days = forms.IntegerField(
        label="Slip amber from (days)", min_value=0, max_value=3650
    )
    slip_red_days = forms.IntegerField(label="Slip red from (days)", min_value=0, max_value=3650)
    risk_amber_score = forms.IntegerField(
        label="Risk amber from (score)", min_value=1, max_value=25
    )
    risk_red_score = forms.IntegerField(
        label="Risk red from (score)",
        min_value=1,
        max_value=25,
        help_text="Also the line for “high” risks on the dashboard.",
    )
    fiscal_year_start_month = forms.TypedChoiceField(
        label="Fiscal year starts in",
        choices=[(n, calendar.month_name[n]) for n in range(1, 13)],
        coerce=int,
        help_text="Fiscal year N runs from this month of year N for twelve months (FY2026/27 "
        "when not January): envelopes, the envelope share, the ranking and capacity use it.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def for_policy(cls, policy, data=None) -> HealthPolicyForm:
        initial = {name: getattr(policy, name) for name in cls.base_fields}
        return cls(data=data, initial=initial, prefix="policy")

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class EvMethodForm(forms.Form):
    """One portfolio's earned-value method, with the method the PMO saw."""

    ev_method = forms.ChoiceField(label="Earned value method", choices=EvMethod.choices)
    seen = forms.ChoiceField(choices=EvMethod.choices, widget=forms.HiddenInput)

    @classmethod
    def for_portfolio(cls, portfolio, data=None) -> EvMethodForm:
        initial = {"ev_method": portfolio.ev_method, "seen": portfolio.ev_method}
        return cls(data=data, initial=initial, prefix=f"ev-{portfolio.pk}")


class EnvelopeForm(forms.Form):
    """One portfolio's envelope for one fiscal year (blank removes it)."""

    amount = forms.DecimalField(
        label="Envelope",
        required=False,
        min_value=Decimal("0"),
        max_digits=16,
        decimal_places=2,
    )
    seen = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=16)

    @classmethod
    def for_envelope(cls, portfolio, fiscal_year: int, amount, data=None) -> EnvelopeForm:
        return cls(
            data=data,
            initial={"amount": amount, "seen": amount},
            prefix=f"env-{portfolio.pk}-{fiscal_year}",
        )
