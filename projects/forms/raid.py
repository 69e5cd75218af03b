"""Forms of the RAID log: one per register for adding and editing, and the reopen form.

The forms check types and required input; the business rules (scores 1–5, a resolution to
close, a dependency on a visible project and its own milestones) live in
projects.services.raid, whose DomainError lands next to the field it names.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from projects.choices import Priority, RaidStatus, RiskResponse
from projects.models import Dependency, Milestone, Project
from projects.selectors.raid import (
    IMPACT_LABELS,
    PROBABILITY_LABELS,
    milestones_of,
    visible_project_by_code,
)
from projects.views.common import VersionedForm

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OPEN_STATES = [(RaidStatus.OPEN, "Open"), (RaidStatus.IN_PROGRESS, "In progress")]


# Grid column of each field in the form (Bootstrap classes); unlisted fields take a full row.
COLUMNS = {
    "probability": "col-sm-6 col-lg-3",
    "impact": "col-sm-6 col-lg-3",
    "cost_impact": "col-sm-6 col-lg-3",
    "response": "col-sm-6 col-lg-3",
    "priority": "col-sm-6 col-lg-3",
    "owner": "col-sm-6 col-lg-4",
    "due_date": "col-sm-6 col-lg-4",
    "status": "col-sm-6 col-lg-4",
    "milestone": "col-lg-4",
    "depends_on": "col-sm-6 col-lg-4",
    "depends_on_milestone": "col-sm-6 col-lg-4",
}


def person_name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


class UserChoiceField(forms.ChoiceField):
    """A select of users loaded once by the view; cleans to the user (or None), no query."""

    def __init__(self, *, users: list, **kwargs: Any) -> None:
        self.users = {str(user.pk): user for user in users}
        choices = [
            ("", "— Nobody yet —"),
            *((key, person_name(u)) for key, u in self.users.items()),
        ]
        super().__init__(choices=choices, required=False, **kwargs)

    def clean(self, value: Any):
        key = super().clean(value)
        return self.users.get(key) if key else None

    def prepare_value(self, value: Any) -> Any:
        return getattr(value, "pk", value)


class MoneyField(forms.DecimalField):
    """An amount typed the way people type money: '45,000', '€ 1 200.50', '-20000'.

    A text input (with a decimal keypad on phones): a number input would refuse the commas.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = "".join(value.split()).replace(",", "")
            sign = "-" if value.startswith(("-", "−")) else ""
            value = sign + value.lstrip("-−").lstrip("€£$")
        return super().to_python(value)


class RaidItemForm(forms.Form):
    """What every register shares. `editing` adds the closed state and the resolution: an
    edit that chooses "Closed" closes the item (services.raid_close) with its resolution."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner = forms.ChoiceField(required=False)  # replaced per project in __init__
    due_date = forms.DateField(required=False, widget=DATE_INPUT)
    status = forms.ChoiceField(choices=OPEN_STATES, initial=RaidStatus.OPEN)

    # Fields that are not written to the item itself.
    NOT_ITEM_FIELDS = frozenset({"version", "resolution"})

    def __init__(
        self,
        *args: Any,
        project: Project,
        user: AbstractBaseUser,
        owners: list,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.project, self.user, self.editing = project, user, editing
        self.fields["owner"] = UserChoiceField(users=owners, label="Owner")
        self.order_fields(self.field_order_names())
        if editing:
            self.fields["status"].choices = [*OPEN_STATES, (RaidStatus.CLOSED, "Closed")]
            self.fields["resolution"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 3}),
                required=False,
                help_text="Needed to close the item: how did it end?",
            )
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
        # Each field's grid column, read by the template as field.field.column.
        for name, field in self.fields.items():
            field.column = COLUMNS.get(name, "col-12")

    def field_order_names(self) -> list[str]:
        return ["title", "description", "owner", "due_date", "status"]

    @property
    def closing(self) -> bool:
        return self.editing and self.cleaned_data.get("status") == RaidStatus.CLOSED

    def values(self) -> dict[str, Any]:
        """The item fields for the service (status is left out when closing)."""
        values = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.NOT_ITEM_FIELDS
        }
        values["title"] = values["title"].strip()
        if self.closing:
            values.pop("status")
        return values


class RiskForm(RaidItemForm):
    probability = forms.TypedChoiceField(
        choices=[(p, f"{p} · {label}") for p, label in PROBABILITY_LABELS.items()],
        coerce=int,
        initial=3,
    )
    impact = forms.TypedChoiceField(
        choices=[(i, f"{i} · {label}") for i, label in IMPACT_LABELS.items()],
        coerce=int,
        initial=3,
    )
    cost_impact = MoneyField(
        max_digits=14,
        decimal_places=2,
        required=False,
        min_value=Decimal("0"),
        label="Cost impact",
        help_text="Cost if the risk occurs. EMV = probability share × cost impact.",
    )
    response = forms.ChoiceField(
        choices=RiskResponse.choices, initial=RiskResponse.MITIGATE, label="Response strategy"
    )
    response_plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Response plan"
    )

    def field_order_names(self) -> list[str]:
        return [
            "title",
            "description",
            "probability",
            "impact",
            "cost_impact",
            "response",
            "response_plan",
            "owner",
            "due_date",
            "status",
        ]


class IssueForm(RaidItemForm):
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.MEDIUM)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Four short fields share one row.
        for name in ("priority", "owner", "due_date", "status"):
            self.fields[name].column = "col-sm-6 col-lg-3"

    def field_order_names(self) -> list[str]:
        return ["title", "description", "priority", "owner", "due_date", "status"]


class AssumptionForm(RaidItemForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_date"].label = "Confirm by"


class DependencyForm(RaidItemForm):
    """Project → project, optionally milestone → milestone.

    The project depended on is typed as its code (suggestions come from the projects the user
    may see), so the form never loads every project into a select. Its milestones fill the
    second select once the project is known.
    """

    milestone = forms.ChoiceField(
        required=False,
        label="Our milestone",
        help_text="The milestone of this project that waits (optional).",
    )
    depends_on = forms.CharField(
        max_length=20,
        label="Waits on project",
        help_text="Type a project code or name and pick from the suggestions.",
    )
    depends_on_milestone = forms.ChoiceField(
        required=False,
        label="Their milestone",
        help_text="The milestone of that project we wait for (optional).",
    )

    def __init__(
        self,
        *args: Any,
        milestones: list[Milestone],
        saved: Dependency | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.own_milestones = {str(m.pk): m for m in milestones}
        self.fields["milestone"].choices = [
            ("", "— None —"),
            *((key, milestone_label(m)) for key, m in self.own_milestones.items()),
        ]
        self.fields["depends_on"].widget.attrs.update(
            {"list": "dependency-projects", "autocomplete": "off", "spellcheck": "false"}
        )
        # Their milestones are those of the project named in the input (or the saved one).
        code = self.data.get(self.add_prefix("depends_on")) if self.is_bound else None
        if code is None:
            code = self.initial.get("depends_on") or ""
        self.target = visible_project_by_code(user=self.user, code=code)
        if self.target is not None:
            their = milestones_of(project_id=self.target.pk)
        elif saved is not None and code.strip().lower() == saved.depends_on.code.lower():
            # The saved link points at a project out of the user's sight (someone else made
            # it): it may stay as it is, but its other milestones are not shown.
            self.target = saved.depends_on
            their = [saved.depends_on_milestone] if saved.depends_on_milestone else []
        else:
            their = []
        self.their_milestones = {str(m.pk): m for m in their}
        self.fields["depends_on_milestone"].choices = [
            ("", "— None —"),
            *((key, milestone_label(m)) for key, m in self.their_milestones.items()),
        ]

    def field_order_names(self) -> list[str]:
        return [
            "title",
            "description",
            "milestone",
            "depends_on",
            "depends_on_milestone",
            "owner",
            "due_date",
            "status",
        ]

    def clean_milestone(self) -> Milestone | None:
        key = self.cleaned_data.get("milestone")
        return self.own_milestones.get(key) if key else None

    def clean_depends_on(self) -> Project:
        if self.target is None:
            raise forms.ValidationError("No project with that code that you can see.")
        return self.target

    def clean_depends_on_milestone(self) -> Milestone | None:
        key = self.cleaned_data.get("depends_on_milestone")
        return self.their_milestones.get(key) if key else None


def milestone_label(milestone: Milestone) -> str:
    return f"{milestone.name} · {milestone.forecast_date:%-d %b %Y}"


FORMS: dict[str, type[RaidItemForm]] = {
    "risks": RiskForm,
    "issues": IssueForm,
    "assumptions": AssumptionForm,
    "dependencies": DependencyForm,
}


def initial_for(item, kind: str) -> dict[str, Any]:
    """The edit form's starting values from a saved item."""
    names = ["title", "description", "due_date", "status", "version", "resolution"]
    initial = {name: getattr(item, name) for name in names}
    initial["owner"] = item.owner_id or ""
    if kind == "risks":
        for name in ("probability", "impact", "cost_impact", "response", "response_plan"):
            initial[name] = getattr(item, name)
    elif kind == "issues":
        initial["priority"] = item.priority
    elif kind == "dependencies":
        initial["milestone"] = item.milestone_id or ""
        initial["depends_on"] = item.depends_on.code
        initial["depends_on_milestone"] = item.depends_on_milestone_id or ""
    return initial


class ReopenForm(VersionedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why is it reopened?",
        help_text="Kept in the item's history.",
    )
