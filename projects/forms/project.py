"""Forms to create a project and to edit its details and plan (PMO and portfolio director).

Which values are allowed (a free code, a project manager as manager, dates in the calendar, a
reason for a new budget) are business rules: the services check them and their messages land
next to the field (projects.views.common.call_service)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from portfolio.choices import EvMethod
from ppm.roles import Role
from projects.choices import Category, DeliveryMethod
from projects.services import DomainError
from projects.services.costs import parse_amount
from projects.views.common import VersionedForm

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _people(role: Role | None = None) -> QuerySet:
    users = get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name")
    return users.filter(groups__name=role.value) if role else users


class _Person(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class _Money(forms.CharField):
    """Money as people type it ('1,200,000', '€1.2m' is refused with a message)."""

    def clean(self, value):
        text = super().clean(value)
        if text in ("", None):
            return None
        try:
            return parse_amount(text, field_name="budget_at_completion")
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class _Details(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ChoiceField(choices=Category.choices)
    delivery_method = forms.ChoiceField(choices=DeliveryMethod.choices)
    manager = _Person(queryset=_people(Role.PROJECT_MANAGER), label="Project manager")
    sponsor = _Person(queryset=_people(), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Evaluated per form, so people added since start-up are offered.
        self.fields["manager"].queryset = _people(Role.PROJECT_MANAGER)
        self.fields["sponsor"].queryset = _people()


class ProjectCreateForm(_Details):
    portfolio = forms.ModelChoiceField(queryset=None, empty_label=None)
    code = forms.CharField(max_length=20, help_text="2–20 capital letters, digits and hyphens.")
    baseline_start = forms.DateField(label="Start", widget=DATE_INPUT)
    baseline_finish = forms.DateField(label="Finish", widget=DATE_INPUT)
    budget_at_completion = _Money(label="Budget at completion", max_length=40)
    ev_method = forms.ChoiceField(
        label="Earned value method",
        required=False,
        choices=[("", "The portfolio's method"), *EvMethod.choices],
    )
    field_order = ["portfolio", "code", "name"]

    def __init__(self, *args, portfolios: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["portfolio"].queryset = portfolios


class ProjectEditForm(_Details, VersionedForm):
    budget_at_completion = _Money(
        label="Budget at completion",
        max_length=40,
        help_text="A new budget is a re-baseline from this month: progress made keeps its value.",
    )
    forecast_finish = forms.DateField(label="Forecast finish", required=False, widget=DATE_INPUT)
    reason = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the budget or the forecast finish changes; kept in the history.",
    )
