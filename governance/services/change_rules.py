"""Change rules (PMO only; the views check the role): who decides a change request whose cost
or schedule impact reaches a threshold. The panel obeys the same rules as a gate's
(`workflows.check_panel`); when no rule matches, `reviews.DefaultChangePanel` decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from governance.choices import RuleKind
from governance.models import ChangeRule
from governance.services.workflows import check_panel, claim_version
from ppm.audit import acting_as
from projects.services.common import DomainError

MAX_COST = Decimal("99999999999999.99")  # what numeric(16, 2) holds
MAX_SCHEDULE_DAYS = 3650
MAX_PRIORITY = 32767


@dataclass
class ChangeRuleInput:
    name: str
    priority: int
    min_cost_impact: Decimal | None = None
    min_schedule_days: int | None = None
    rule: str = RuleKind.ANY
    rule_m: int = 1
    sla_days: int = 5
    portfolio_director: bool = False
    approver_groups: Sequence[Group] = ()
    approver_users: Sequence = ()
    veto_group: Group | None = None


def _check(data: ChangeRuleInput, rule: ChangeRule | None) -> str:
    name = data.name.strip()
    if not name:
        raise DomainError("Name the rule.", field="name")
    if len(name) > 100:
        raise DomainError("Keep the name under 100 characters.", field="name")
    clash = ChangeRule.objects.filter(name__iexact=name)
    if rule is not None:
        clash = clash.exclude(pk=rule.pk)
    if clash.exists():
        raise DomainError(f"A change rule named “{name}” exists already.", field="name")
    if not 1 <= data.priority <= MAX_PRIORITY:
        raise DomainError(f"The priority is between 1 and {MAX_PRIORITY}.", field="priority")
    clash = ChangeRule.objects.filter(priority=data.priority)
    if rule is not None:
        clash = clash.exclude(pk=rule.pk)
    if clash.exists():
        raise DomainError(f"Another rule has priority {data.priority}.", field="priority")
    cost = data.min_cost_impact
    if cost is not None and not Decimal(0) <= cost <= MAX_COST:
        raise DomainError("The cost impact is zero or more.", field="min_cost_impact")
    days = data.min_schedule_days
    if days is not None and not 0 <= days <= MAX_SCHEDULE_DAYS:
        raise DomainError(
            f"The schedule impact is between 0 and {MAX_SCHEDULE_DAYS} days.",
            field="min_schedule_days",
        )
    seats = len(set(data.approver_groups)) + len(set(data.approver_users))
    seats += 1 if data.portfolio_director else 0
    check_panel(data, seats=seats)
    return name


def change_rule_save(
    *,
    by,
    data: ChangeRuleInput,
    rule: ChangeRule | None = None,
    expected_version: int | None = None,
) -> ChangeRule:
    """Add a change rule or change one. Reviews already opened keep the panel they froze."""
    name = _check(data, rule)
    rule = rule or ChangeRule()
    rule.name, rule.priority = name, data.priority
    rule.min_cost_impact, rule.min_schedule_days = data.min_cost_impact, data.min_schedule_days
    rule.rule = data.rule
    rule.rule_m = data.rule_m if data.rule == RuleKind.M_OF_N else 1
    rule.sla_days, rule.portfolio_director = data.sla_days, data.portfolio_director
    rule.veto_group = data.veto_group
    try:
        with transaction.atomic(), acting_as(by, reason=f"Change rule saved: {name}"):
            claim_version(rule, expected_version, what="rule")
            rule.save()
            rule.approver_groups.set(data.approver_groups)
            rule.approver_users.set(data.approver_users)
    except IntegrityError:
        # Two PMO members saving the same name or priority at once: the constraint decides.
        if rule._state.adding:
            rule.pk = None
        if ChangeRule.objects.filter(priority=data.priority).exclude(pk=rule.pk).exists():
            raise DomainError(
                f"Another rule has priority {data.priority}.", field="priority"
            ) from None
        if ChangeRule.objects.filter(name__iexact=name).exclude(pk=rule.pk).exists():
            raise DomainError(
                f"A change rule named “{name}” exists already.", field="name"
            ) from None
        raise
    return rule


def change_rule_delete(*, rule: ChangeRule, by) -> None:
    try:
        with transaction.atomic(), acting_as(by, reason=f"Change rule removed: {rule.name}"):
            rule.delete()
    except ProtectedError:
        raise DomainError(
            f"Change requests were reviewed under “{rule.name}”: it stays with their decision "
            "records. Change its thresholds or approvers instead."
        ) from None
