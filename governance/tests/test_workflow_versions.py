"""Workflow versions through the services: editing a published workflow makes a new version
and leaves the old one (and its projects) alone; migration moves the chosen projects to the
mapped gates and never a project whose review is under way; publishing is refused when
stale or empty; change rules are validated like a gate's panel."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from governance.choices import VersionState
from governance.models import ChangeRule, ProjectWorkflow, Workflow
from governance.services import reviews
from governance.services import workflows as wf
from governance.services.change_rules import (
    ChangeRuleInput,
    change_rule_delete,
    change_rule_save,
)
from governance.tests.gates import published_workflow
from ppm.roles import Role
from projects.services.common import ConflictError, DomainError
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _spec(name: str, **extra) -> dict:
    return {"name": name, "phase": f"After {name}", "portfolio_director": True, **extra}


@pytest.fixture
def v1(pmo, director):
    return published_workflow(
        pmo,
        [
            _spec("Idea"),
            _spec(
                "Plan",
                approver_users=[director],
                approver_groups=[Role.PMO],
                rule="m_of_n",
                rule_m=2,
                criteria=[("Schedule baselined", True), ("Risks logged", False)],
            ),
            _spec("Build"),
            _spec("Go-live"),
        ],
    )


def _enrol(version, gate_name: str | None, by, **project):
    project = ProjectFactory(**project)
    gate = version.gates.get(name=gate_name) if gate_name else None
    reviews.project_enrol(project=project, version=version, next_gate=gate, by=by)
    return project


def _names(version) -> list[str]:
    return list(version.gates.order_by("order").values_list("name", flat=True))


def test_editing_a_published_workflow_opens_a_new_version_copied_from_it(v1, pmo, director):
    draft = wf.draft_for(workflow=v1.workflow, by=pmo)
    assert (draft.number, draft.state) == (2, VersionState.DRAFT)
    assert wf.draft_for(workflow=v1.workflow, by=pmo) == draft  # one draft at a time
    assert _names(draft) == _names(v1)
    plan = draft.gates.get(name="Plan")
    assert (plan.rule, plan.rule_m) == ("m_of_n", 2)
    assert list(plan.approver_users.all()) == [director]
    assert [g.name for g in plan.approver_groups.all()] == [Role.PMO]
    assert list(plan.criteria.values_list("text", "evidence_required")) == [
        ("Schedule baselined", True),
        ("Risks logged", False),
    ]

    wf.gate_save(
        version=draft,
        by=pmo,
        gate=plan,
        data=wf.GateInput(name="Plan", phase="Build", portfolio_director=True),
    )
    wf.gate_delete(gate=draft.gates.get(name="Idea"), by=pmo)
    # The published version is untouched, and refuses edits itself.
    assert _names(v1) == ["Idea", "Plan", "Build", "Go-live"]
    assert v1.gates.get(name="Plan").criteria.count() == 2
    with pytest.raises(DomainError, match="edit the draft instead"):
        wf.gate_delete(gate=v1.gates.get(name="Idea"), by=pmo)


def test_projects_keep_their_version_when_the_next_is_published(v1, pmo):
    project = _enrol(v1, "Plan", pmo)
    draft = wf.draft_for(workflow=v1.workflow, by=pmo)
    draft.refresh_from_db()
    wf.version_publish(version=draft, by=pmo, expected_version=draft.version, note="Same")
    v1.refresh_from_db()
    assert v1.state == VersionState.SUPERSEDED
    kept = ProjectWorkflow.objects.get(project=project)
    assert (kept.workflow_version, kept.next_gate.name) == (v1, "Plan")
    assert wf.workflow_for(portfolio_id=project.portfolio_id, category="erp", budget=0) == draft


def test_migration_moves_the_chosen_projects_to_the_mapped_gates(v1, pmo):
    at_plan = _enrol(v1, "Plan", pmo, code="P-PLAN")
    at_build = _enrol(v1, "Build", pmo, code="P-BUILD")
    at_idea = _enrol(v1, "Idea", pmo, code="P-IDEA")
    done = _enrol(v1, None, pmo, code="P-DONE")
    left_alone = _enrol(v1, "Go-live", pmo, code="P-STAY")

    draft = wf.draft_for(workflow=v1.workflow, by=pmo)
    # Idea removed, Plan renamed, Build removed, a Review gate added at the end.
    wf.gate_delete(gate=draft.gates.get(name="Idea"), by=pmo)
    wf.gate_save(
        version=draft,
        by=pmo,
        gate=draft.gates.get(name="Plan"),
        data=wf.GateInput(name="Detailed plan", phase="Build", portfolio_director=True),
    )
    wf.gate_delete(gate=draft.gates.get(name="Build"), by=pmo)
    wf.gate_save(
        version=draft,
        by=pmo,
        data=wf.GateInput(name="Review", phase="Closed", portfolio_director=True),
    )
    draft.refresh_from_db()
    wf.version_publish(version=draft, by=pmo, expected_version=draft.version, note="Leaner")
    assert _names(draft) == ["Detailed plan", "Go-live", "Review"]

    preview = wf.migration_preview(source=v1, target=draft)
    changes = {c.name: c.change for c in preview.gates}
    assert changes == {
        "Detailed plan": "added",
        "Go-live": "changed",  # its position moved
        "Review": "added",
        "Idea": "removed",
        "Plan": "removed",
        "Build": "removed",
    }
    moves = {
        m.project_workflow.project.code: (m.next_gate_before, m.next_gate_after)
        for m in preview.projects
    }
    assert moves == {
        "P-PLAN": ("Plan", "Detailed plan"),  # renamed in place, not skipped
        # Nothing before Build is kept by name (Idea removed, Plan renamed): it cannot be shown
        # to have passed "Detailed plan", so it starts there rather than skip it.
        "P-BUILD": ("Build", "Detailed plan"),
        "P-IDEA": ("Idea", "Detailed plan"),  # removed first gate: the new first gate
        "P-DONE": ("all gates passed", "all gates passed"),
        "P-STAY": ("Go-live", "Go-live"),
    }

    chosen = [p.pk for p in (at_plan, at_build, at_idea, done)]
    assert wf.projects_migrate(source=v1, target=draft, by=pmo, project_ids=chosen) == 4
    where = {
        pw.project.code: (pw.workflow_version.number, pw.next_gate.name if pw.next_gate else None)
        for pw in ProjectWorkflow.objects.select_related("project", "next_gate", "workflow_version")
    }
    assert where == {
        "P-PLAN": (2, "Detailed plan"),
        "P-BUILD": (2, "Detailed plan"),
        "P-IDEA": (2, "Detailed plan"),
        "P-DONE": (2, None),
        "P-STAY": (1, "Go-live"),  # not chosen: stays
    }
    assert left_alone.workflow.workflow_version == v1


def test_a_project_at_a_removed_gate_moves_to_the_next_gate_kept(v1, pmo):
    at_build = _enrol(v1, "Build", pmo)
    draft = wf.draft_for(workflow=v1.workflow, by=pmo)
    wf.gate_delete(gate=draft.gates.get(name="Build"), by=pmo)
    draft.refresh_from_db()
    wf.version_publish(version=draft, by=pmo, expected_version=draft.version)
    (move,) = wf.migration_preview(source=v1, target=draft).projects
    assert (move.next_gate_before, move.next_gate_after) == ("Build", "Go-live")
    wf.projects_migrate(source=v1, target=draft, by=pmo, project_ids=[at_build.pk])
    assert ProjectWorkflow.objects.get(project=at_build).next_gate == draft.gates.get(
        name="Go-live"
    )


def test_a_project_with_a_review_under_way_is_not_moved(pmo, pm):
    v1 = published_workflow(
        pmo, [_spec("Go", approver_groups=[Role.PMO], portfolio_director=False)]
    )
    project = _enrol(v1, "Go", pmo, manager=pm)
    reviews.review_request(project=project, by=pm)
    draft = wf.draft_for(workflow=v1.workflow, by=pmo)
    draft.refresh_from_db()
    wf.version_publish(version=draft, by=pmo, expected_version=draft.version)

    (move,) = wf.migration_preview(source=v1, target=draft).projects
    assert "review is under way" in move.blocked
    assert wf.projects_migrate(source=v1, target=draft, by=pmo, project_ids=[project.pk]) == 0
    assert ProjectWorkflow.objects.get(project=project).workflow_version == v1


def test_a_stale_or_empty_publish_is_refused(pmo):
    workflow = wf.workflow_create(by=pmo, name="Empty")
    draft = workflow.versions.get()
    with pytest.raises(DomainError, match="at least one gate"):
        draft.refresh_from_db()
        wf.version_publish(version=draft, by=pmo, expected_version=draft.version)
    wf.gate_save(
        version=draft, by=pmo, data=wf.GateInput(name="Go", phase="Run", portfolio_director=True)
    )
    # The page the PMO publishes from was read before that gate was added: a gate change
    # moves the draft's version, so publishing what they saw is refused.
    with pytest.raises(ConflictError):
        wf.version_publish(version=draft, by=pmo, expected_version=draft.version)
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT
    assert not Workflow.objects.get(pk=workflow.pk).versions.filter(state="published").exists()


# --- Change rules ----------------------------------------------------------------------------


def test_a_change_rule_is_validated_like_a_panel(pmo, director):
    pmo_group = Group.objects.get(name=Role.PMO)
    with pytest.raises(DomainError) as error:
        change_rule_save(by=pmo, data=ChangeRuleInput(name="Big", priority=1))
    assert error.value.field == "approver_users"
    with pytest.raises(DomainError) as error:
        change_rule_save(
            by=pmo,
            data=ChangeRuleInput(
                name="Big", priority=1, approver_users=[director], rule="m_of_n", rule_m=2
            ),
        )
    assert error.value.field == "rule_m"
    with pytest.raises(DomainError) as error:
        change_rule_save(
            by=pmo,
            data=ChangeRuleInput(
                name="Big", priority=1, portfolio_director=True, min_cost_impact=Decimal("-1")
            ),
        )
    assert error.value.field == "min_cost_impact"
    with pytest.raises(DomainError) as error:
        change_rule_save(
            by=pmo, data=ChangeRuleInput(name=" ", priority=1, portfolio_director=True)
        )
    assert error.value.field == "name"
    assert not ChangeRule.objects.exists()

    rule = change_rule_save(
        by=pmo,
        data=ChangeRuleInput(
            name="Big",
            priority=1,
            min_cost_impact=Decimal("50000"),
            approver_groups=[pmo_group],
            portfolio_director=True,
            rule="all",
            rule_m=7,  # ignored unless M of N
        ),
    )
    assert (rule.rule, rule.rule_m, list(rule.approver_groups.all())) == ("all", 1, [pmo_group])
    with pytest.raises(DomainError) as error:
        change_rule_save(
            by=pmo, data=ChangeRuleInput(name="big", priority=2, portfolio_director=True)
        )
    assert error.value.field == "name"
    with pytest.raises(DomainError) as error:
        change_rule_save(
            by=pmo, data=ChangeRuleInput(name="Other", priority=1, portfolio_director=True)
        )
    assert error.value.field == "priority"

    change_rule_save(
        by=pmo,
        rule=rule,
        data=ChangeRuleInput(name="Big", priority=1, approver_users=[director]),
    )
    rule.refresh_from_db()
    assert list(rule.approver_users.all()) == [director] and not rule.approver_groups.exists()
    change_rule_delete(rule=rule, by=pmo)
    assert not ChangeRule.objects.exists()
