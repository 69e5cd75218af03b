"""Rows for sweeps over every URL of the workflow builder (the odd-input test): a workflow
whose version 1 a project still follows, a published version 2, a draft version 3, a
selection rule and a change rule."""

from __future__ import annotations

from governance.models import WorkflowRule
from governance.services import reviews
from governance.services import workflows as wf
from governance.services.change_rules import ChangeRuleInput, change_rule_save
from governance.tests.gates import published_workflow
from portfolio.tests.factories import make_user
from ppm.roles import Role
from projects.tests.factories import ProjectFactory


def builder_ids() -> dict[str, list[int]]:
    """Every id worth trying for each parameter of the builder's URLs."""
    pmo = make_user("builder.world.pmo", Role.PMO)
    v1 = published_workflow(
        pmo,
        [
            {"name": "Idea", "phase": "Plan", "portfolio_director": True},
            {"name": "Plan", "phase": "Build", "portfolio_director": True},
        ],
        name="Builder world",
        default=False,
    )
    reviews.project_enrol(
        project=ProjectFactory(), version=v1, next_gate=v1.gates.get(name="Plan"), by=pmo
    )
    v2 = wf.draft_for(workflow=v1.workflow, by=pmo)
    v2.refresh_from_db()
    wf.version_publish(version=v2, by=pmo, expected_version=v2.version, note="Same")
    v3 = wf.draft_for(workflow=v1.workflow, by=pmo)
    rule = WorkflowRule.objects.create(workflow=v1.workflow, priority=900, category="erp")
    change_rule = change_rule_save(
        by=pmo,
        data=ChangeRuleInput(name="Builder world", priority=900, portfolio_director=True),
    )
    return {
        "workflow_pk": [v1.workflow_id],
        "version_pk": [v2.pk, v3.pk],
        "gate_pk": [v2.gates.first().pk, v3.gates.first().pk],
        "rule_pk": [rule.pk],
        "change_rule_pk": [change_rule.pk],
    }
