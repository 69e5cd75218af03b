"""Forms of intake requests and of the gate checklists (a project's gate page and an intake
request share the checklist and evidence forms).

The forms read types (money, dates, whole numbers, a file); which values are allowed is the
services' business (governance.services.intake, governance.services.reviews), whose messages
land next to the field through projects.views.common.call_service.
"""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from governance.models import Gate
from governance.services.intake import MAX_TEXT, IntakeInput
from governance.services.reviews import ALLOWED_EXTENSIONS, MAX_COMMENT
from portfolio.models import Portfolio, StrategicObjective
from ppm.roles import Role
from projects.choices import Category
from projects.services import DomainError
from projects.services.costs import parse_amount
from projects.services.dates import EARLIEST, LATEST

DATE_INPUT = forms.DateInput(
    attrs={"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()},
    format="%Y-%m-%d",
)


def _text(label: str, help_text: str, rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_TEXT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": "This is needed to decide on the request."},
    )


class MoneyField(forms.CharField):
    """Money as people type it ('250,000', '€250000.50'); a Decimal, or a message."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self, value):
        text = super().clean(value)
        if text in ("", None):
            return None
        try:
            return parse_amount(text, field_name=self.label or "amount")
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def project_managers() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.PROJECT_MANAGER.value)
        .order_by("first_name", "last_name", "username")
    )


class IntakeForm(forms.Form):
    """A request for a new project, as its author writes it."""

    title = forms.CharField(
        max_length=200, error_messages={"required": "Give the request a title."}
    )
    portfolio = forms.ModelChoiceField(
        queryset=Portfolio.objects.order_by("name"),
        empty_label="Choose a portfolio…",
        help_text="The portfolio the project would belong to; its director reviews the request.",
        error_messages={
            "required": "Choose the portfolio the project would belong to.",
            "invalid_choice": "Choose a portfolio from the list.",
        },
    )
    category = forms.ChoiceField(
        choices=[("", "Choose a category…"), *Category.choices],
        error_messages={
            "required": "Choose a category.",
            "invalid_choice": "Choose a category from the list.",
        },
    )
    problem = _text("Problem", "What goes wrong today, for whom, and what it costs.")
    solution = _text("Proposed solution", "What the project would deliver.")
    benefits = _text("Benefits", "What improves, and by how much where you can say.")
    risks = _text("Main risks", "What could stop it or make it cost more.", rows=3)
    cost_estimate = MoneyField(
        label="Cost estimate",
        help_text="The whole project, in the portfolio's currency: 250,000 or 250000.00.",
        error_messages={"required": "Give a cost estimate (a rough figure is fine)."},
    )
    desired_start = forms.DateField(
        label="Desired start",
        widget=DATE_INPUT,
        error_messages={
            "required": "Give the month you would like it to start.",
            "invalid": "Enter a date such as 2027-01-15.",
        },
    )
    duration_months = forms.IntegerField(
        label="Duration (months)",
        min_value=1,
        max_value=120,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
        error_messages={
            "required": "Give a duration in months.",
            "invalid": "A whole number of months, 1 to 120.",
            "min_value": "The duration is 1 to 120 months.",
            "max_value": "The duration is 1 to 120 months.",
        },
    )
    objectives = forms.ModelMultipleChoiceField(
        label="Strategic objectives",
        queryset=StrategicObjective.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the project serves: the organisation's objectives and the chosen "
        "portfolio's.",
        error_messages={"invalid_choice": "Choose objectives from the list."},
    )
    proposed_manager = PersonField(
        label="Proposed project manager",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Not named yet",
        help_text="Optional while you draft; a request is approved only with a project manager.",
        error_messages={"invalid_choice": "Choose a project manager from the list."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Evaluated per form, so objectives and people added since start-up are offered.
        self.fields["objectives"].queryset = StrategicObjective.objects.select_related(
            "portfolio"
        ).order_by("portfolio__name", "name")
        self.fields["proposed_manager"].queryset = project_managers()
        self.fields["version"].required = editing

    def objective_groups(self) -> list[tuple[str, str, list[tuple[StrategicObjective, bool]]]]:
        """(heading, portfolio id or "" for the organisation's, [(objective, ticked)]) for the
        template: the organisation-wide objectives first, then each portfolio's."""
        chosen = {str(v) for v in (self["objectives"].value() or ())}
        groups: dict[Portfolio | None, list] = defaultdict(list)
        for objective in self.fields["objectives"].queryset:
            groups[objective.portfolio].append((objective, str(objective.pk) in chosen))
        shared = groups.pop(None, [])
        return ([("Organisation-wide", "", shared)] if shared else []) + [
            (portfolio.name, str(portfolio.pk), objectives)
            for portfolio, objectives in groups.items()
        ]

    def to_input(self) -> IntakeInput:
        data = self.cleaned_data
        return IntakeInput(
            title=data["title"],
            portfolio=data["portfolio"],
            category=data["category"],
            problem=data["problem"],
            solution=data["solution"],
            benefits=data["benefits"],
            risks=data["risks"],
            cost_estimate=data["cost_estimate"],
            desired_start=data["desired_start"],
            duration_months=data["duration_months"],
            objectives=tuple(data["objectives"]),
            proposed_manager=data["proposed_manager"],
        )

    @staticmethod
    def initial_for(intake) -> dict:
        return {
            "title": intake.title,
            "portfolio": intake.portfolio_id,
            "category": intake.category,
            "problem": intake.problem,
            "solution": intake.solution,
            "benefits": intake.benefits,
            "risks": intake.risks,
            "cost_estimate": f"{intake.cost_estimate:,.2f}",
            "desired_start": intake.desired_start,
            "duration_months": intake.duration_months,
            "objectives": [o.pk for o in intake.objectives.all()],
            "proposed_manager": intake.proposed_manager_id,
            "version": intake.version,
        }


class VersionForm(forms.Form):
    """A button acting on a versioned row (submit, withdraw): the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# --- Checklists and evidence -----------------------------------------------------------------


class CheckForm(forms.Form):
    """One criterion ticked (or not), with a note."""

    met = forms.BooleanField(label="Met", required=False)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=1000,
        help_text="Where to find it, or what is still open.",
    )


class EvidenceForm(forms.Form):
    """A document or a link attached to a criterion."""

    file = forms.FileField(
        label="File",
        required=False,
        allow_empty_file=True,  # the service says what is wrong with an empty file
    )
    link = forms.CharField(
        label="Or a link",
        required=False,
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://…", "inputmode": "url"}),
    )
    name = forms.CharField(
        label="Title",
        required=False,
        max_length=200,
        help_text="Optional: the file's name or the link is used otherwise.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(ALLOWED_EXTENSIONS)
        limit = settings.EVIDENCE_MAX_BYTES / 1_048_576
        self.fields["file"].help_text = (
            "PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG or text; "
            f"at most {limit:.0f} MB."
        )


class ReviewRequestForm(forms.Form):
    note = forms.CharField(
        label="Note to the reviewers",
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: what changed since the last review, what to look at first.",
    )


class EnrolForm(forms.Form):
    """The PMO puts a project under a published workflow version, at the gate it passes next."""

    next_gate = forms.TypedChoiceField(
        label="Next gate",
        coerce=int,
        help_text="The gate the project passes next, in the published workflow it will follow; "
        "the gates before it count as passed.",
        error_messages={"required": "Choose the gate the project passes next."},
    )

    def __init__(self, *args, gates: list[Gate], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gates = {g.pk: g for g in gates}
        grouped: dict[str, list] = defaultdict(list)
        for gate in gates:
            grouped[str(gate.workflow_version)].append((gate.pk, f"{gate.order}. {gate.name}"))
        self.fields["next_gate"].choices = [("", "Choose a gate…"), *grouped.items()]

    def gate(self) -> Gate:
        return self.gates[self.cleaned_data["next_gate"]]
