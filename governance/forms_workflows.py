"""Forms of the workflow builder: a workflow, a gate with its criteria checklist, publishing a
draft, a selection rule and its tester, and a change rule. The panel fields (approvers, rule,
veto, SLA) are shared by a gate and a change rule (`PanelForm`). The rules themselves are the
services' (`governance.services.workflows`, `governance.services.change_rules`): these forms
only parse what was typed."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q, Value
from django.db.models.functions import Coalesce, Lower, NullIf

from governance.choices import RuleKind
from governance.models import ChangeRule, Gate, Workflow, WorkflowRule
from governance.models.workflow import MAX_SLA_DAYS
from governance.services.change_rules import MAX_PRIORITY, MAX_SCHEDULE_DAYS, ChangeRuleInput
from governance.services.workflows import MAX_CRITERIA, GateInput
from portfolio.models import Portfolio
from ppm.roles import Role
from projects.choices import Category

# People by the name shown (the first name, else the username), then surname.
BY_NAME = (
    Lower(Coalesce(NullIf("first_name", Value("")), "username")),
    Lower("last_name"),
    "username",
)
APPROVER_ROLES = (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE, Role.PROJECT_MANAGER)
ROLE_NAMES = {r.value for r in APPROVER_ROLES}
MONEY = {"max_digits": 16, "decimal_places": 2, "min_value": Decimal("0")}


class PersonChoices(forms.ModelMultipleChoiceField):
    """People by name, each with the roles they hold (their groups, prefetched)."""

    def label_from_instance(self, user) -> str:
        name = user.get_full_name() or user.username
        if not user.is_active:
            return f"{name} (deactivated)"
        roles = sorted(g.name for g in user.groups.all() if g.name in ROLE_NAMES)
        return f"{name} · {', '.join(roles)}" if roles else name


def approver_people(keep=()) -> object:
    """Active users holding a role that decides (ordered by name), plus the ones a panel names
    already (`keep`), so saving a gate never drops a person silently."""
    users = get_user_model().objects.filter(
        Q(is_active=True, groups__name__in=[r.value for r in APPROVER_ROLES]) | Q(pk__in=keep)
    )
    return users.distinct().order_by(*BY_NAME).prefetch_related("groups")


class PanelForm(forms.Form):
    """Who decides and by which rule: the fields a gate and a change rule share."""

    approver_groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label="Approver groups",
        help_text="Each group is one seat: any one of its members fills it.",
    )
    approver_users = PersonChoices(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label="Named approvers",
        help_text="Each person is one seat.",
    )
    portfolio_director = forms.BooleanField(
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        label="The portfolio's director",
        help_text="The director of the project's portfolio has a seat.",
    )
    rule = forms.ChoiceField(
        choices=RuleKind.choices,
        initial=RuleKind.ANY,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        label="Decision rule",
    )
    rule_m = forms.IntegerField(
        min_value=1,
        max_value=50,
        required=False,
        initial=1,
        label="M (approvals needed)",
        help_text="Only for “M of N”: how many seats must approve.",
    )
    veto_group = forms.ModelChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        empty_label="No veto",
        label="Veto group",
        help_text="A rejection by any member rejects outright.",
    )
    sla_days = forms.IntegerField(
        min_value=1,
        max_value=MAX_SLA_DAYS,
        initial=5,
        label="SLA (days)",
        help_text="A review still open after this many days is flagged overdue.",
    )

    def __init__(self, *args, keep_people=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["approver_users"].queryset = approver_people(keep_people)

    def panel_values(self) -> dict:
        data = self.cleaned_data
        return {
            "approver_groups": list(data["approver_groups"]),
            "approver_users": list(data["approver_users"]),
            "portfolio_director": data["portfolio_director"],
            "rule": data["rule"],
            "rule_m": data["rule_m"] or 1,
            "veto_group": data["veto_group"],
            "sla_days": data["sla_days"],
        }

    @staticmethod
    def panel_initial(panel) -> dict:
        return {
            "approver_groups": list(panel.approver_groups.all()),
            "approver_users": list(panel.approver_users.all()),
            "portfolio_director": panel.portfolio_director,
            "rule": panel.rule,
            "rule_m": panel.rule_m,
            "veto_group": panel.veto_group_id,
            "sla_days": panel.sla_days,
        }


class WorkflowForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        help_text="When it applies, for the people who follow it.",
    )


STATE_AFTER = [("", "Keep its state"), *Gate._meta.get_field("state_after").choices]


class GateForm(PanelForm):
    # The draft as the form was opened: any gate change moves it, so a save made from an older
    # page is refused rather than overwriting a colleague's change.
    draft_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    name = forms.CharField(max_length=100, label="Gate name", help_text="For example “Plan”.")
    phase = forms.CharField(
        max_length=100,
        label="Phase after the gate",
        help_text="The phase a project enters when it passes, for example “Build”.",
    )
    state_after = forms.ChoiceField(
        choices=STATE_AFTER,
        required=False,
        label="Project state after",
        help_text="Passing the gate also moves the project to this state.",
    )

    field_order = ["name", "phase", "state_after"]

    @classmethod
    def for_gate(cls, gate: Gate | None, data=None, *, draft_version: int = 1) -> GateForm:
        if gate is None:
            return cls(data=data, initial={"draft_version": draft_version})
        initial = {
            "name": gate.name,
            "phase": gate.phase,
            "state_after": gate.state_after,
            "draft_version": draft_version,
        }
        initial |= cls.panel_initial(gate)
        keep = [u.pk for u in initial["approver_users"]]
        return cls(data=data, initial=initial, keep_people=keep)

    def to_input(self, criteria: list[tuple[str, bool]]) -> GateInput:
        data = self.cleaned_data
        return GateInput(
            name=data["name"],
            phase=data["phase"],
            state_after=data["state_after"],
            criteria=criteria,
            **self.panel_values(),
        )


class CriterionRowForm(forms.Form):
    text = forms.CharField(max_length=300, required=False, label="Criterion")
    evidence_required = forms.BooleanField(
        required=False,
        label="Evidence required",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


CriteriaFormSet = forms.formset_factory(
    CriterionRowForm, extra=3, max_num=MAX_CRITERIA, absolute_max=MAX_CRITERIA + 3
)


def criteria_formset(gate: Gate | None, data=None) -> forms.BaseFormSet:
    """The gate's criteria as rows, plus three blank rows (a blank row is ignored)."""
    initial = (
        [{"text": c.text, "evidence_required": c.evidence_required} for c in gate.criteria.all()]
        if gate is not None
        else []
    )
    return CriteriaFormSet(data=data, initial=initial, prefix="criteria")


def criteria_values(formset: forms.BaseFormSet) -> list[tuple[str, bool]]:
    return [
        (f.cleaned_data.get("text", ""), f.cleaned_data.get("evidence_required", False))
        for f in formset.forms
        if f.cleaned_data.get("text", "").strip()
    ]


class PublishForm(forms.Form):
    note = forms.CharField(
        max_length=300,
        label="What changed",
        help_text="Kept with the version, for whoever migrates projects to it.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class WorkflowRuleForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    priority = forms.IntegerField(
        min_value=1,
        max_value=MAX_PRIORITY,
        help_text="Rules are tried from the lowest number up; the first that matches chooses.",
    )
    workflow = forms.ModelChoiceField(queryset=Workflow.objects.order_by("name"), label="Workflow")
    portfolio = forms.ModelChoiceField(
        queryset=Portfolio.objects.order_by("name"),
        required=False,
        empty_label="Any portfolio",
    )
    category = forms.ChoiceField(choices=[("", "Any category"), *Category.choices], required=False)
    min_budget = forms.DecimalField(
        required=False,
        label="Budget at least",
        help_text="The budget at completion asked for; leave empty for any budget.",
        **MONEY,
    )

    @classmethod
    def for_rule(cls, rule: WorkflowRule | None, data=None) -> WorkflowRuleForm:
        if rule is None:
            return cls(data=data)
        return cls(
            data=data,
            initial={
                "priority": rule.priority,
                "workflow": rule.workflow_id,
                "portfolio": rule.portfolio_id,
                "category": rule.category,
                "min_budget": rule.min_budget,
                "version": rule.version,
            },
        )


class RuleTesterForm(forms.Form):
    portfolio = forms.ModelChoiceField(queryset=Portfolio.objects.none())
    category = forms.ChoiceField(choices=Category.choices)
    budget = forms.DecimalField(label="Budget at completion", **MONEY)

    def __init__(self, *args, portfolios, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["portfolio"].queryset = portfolios


class ChangeRuleForm(PanelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    name = forms.CharField(max_length=100)
    priority = forms.IntegerField(
        min_value=1,
        max_value=MAX_PRIORITY,
        help_text="When several rules match, the highest number decides: give the stricter "
        "rules the higher numbers.",
    )
    min_cost_impact = forms.DecimalField(
        required=False,
        label="Cost impact at least",
        help_text="The change's cost impact, up or down; leave empty for any.",
        **MONEY,
    )
    min_schedule_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_SCHEDULE_DAYS,
        label="Schedule impact at least (days)",
        help_text="Days earlier or later; leave empty for any.",
    )

    field_order = ["name", "priority", "min_cost_impact", "min_schedule_days"]

    @classmethod
    def for_rule(cls, rule: ChangeRule | None, data=None) -> ChangeRuleForm:
        if rule is None:
            return cls(data=data)
        initial = {
            "name": rule.name,
            "priority": rule.priority,
            "min_cost_impact": rule.min_cost_impact,
            "min_schedule_days": rule.min_schedule_days,
            "version": rule.version,
        } | cls.panel_initial(rule)
        keep = [u.pk for u in initial["approver_users"]]
        return cls(data=data, initial=initial, keep_people=keep)

    def to_input(self) -> ChangeRuleInput:
        data = self.cleaned_data
        return ChangeRuleInput(
            name=data["name"],
            priority=data["priority"],
            min_cost_impact=data["min_cost_impact"],
            min_schedule_days=data["min_schedule_days"],
            **self.panel_values(),
        )
