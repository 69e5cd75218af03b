"""The workflow builder through the Django test client: the PMO creates a workflow, adds gates
with criteria, reorders and publishes; editing the published workflow makes version 2 while
projects stay on version 1 until migrated (with a preview); selection rules and their
tester; change rules; every refusal shown next to its field with nothing saved; who may do
what; and the workflow page in a constant number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.choices import VersionState
from governance.models import (
    ChangeRule,
    Gate,
    ProjectWorkflow,
    Review,
    Workflow,
    WorkflowRule,
)
from governance.services import reviews
from governance.services import workflows as wf_service
from governance.services.change_rules import ChangeRuleInput, change_rule_save
from governance.tests.gates import published_workflow
from governance.views import workflows as builder_views
from portfolio.tests.factories import make_user
from ppm.navigation import items_for
from ppm.roles import Role
from projects.models import ChangeRequest
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _builder_routes() -> list[tuple[str, list[str]]]:
    """Every URL of the builder, read from its URL patterns (a new one is covered the day it
    is added)."""
    return [(f"governance:{p.name}", list(p.pattern.converters)) for p in builder_views.urlpatterns]


READ_PAGES = {
    "governance:workflows",
    "governance:workflow",
    "governance:workflow-rules",
    "governance:change-rules",
}


def gate_data(name: str, phase: str = "Build", *, criteria=(), blank_rows: int = 3, **panel):
    """What the gate form posts: the gate, its panel and the criteria rows (text, evidence)."""
    data = {
        "name": name,
        "phase": phase,
        "state_after": panel.pop("state_after", ""),
        "rule": panel.pop("rule", "any"),
        "rule_m": panel.pop("rule_m", 1),
        "sla_days": panel.pop("sla_days", 5),
        "veto_group": panel.pop("veto_group", ""),
        "approver_groups": [g.pk for g in panel.pop("groups", ())],
        "approver_users": [u.pk for u in panel.pop("users", ())],
    }
    if panel.pop("director", False):
        data["portfolio_director"] = "on"
    assert not panel, panel
    rows = [*criteria, *([("", False)] * blank_rows)]
    data |= {
        "criteria-TOTAL_FORMS": len(rows),
        "criteria-INITIAL_FORMS": 0,
        "criteria-MIN_NUM_FORMS": 0,
        "criteria-MAX_NUM_FORMS": 30,
    }
    for i, (text, evidence) in enumerate(rows):
        data[f"criteria-{i}-text"] = text
        if evidence:
            data[f"criteria-{i}-evidence_required"] = "on"
    return data


def page_url(workflow) -> str:
    return reverse("governance:workflow", args=[workflow.pk])


@pytest.fixture
def pmo_group(db):
    return Group.objects.get(name=Role.PMO)


@pytest.fixture
def builder(client, pmo):
    client.force_login(pmo)
    return client


def _add_gate(client, version, data):
    response = client.post(reverse("governance:gate-add", args=[version.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def _publish(client, version, note="First version"):
    version.refresh_from_db()
    response = client.post(
        reverse("governance:version-publish", args=[version.pk]),
        {"note": note, "version": version.version},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


# --- Building, publishing, versioning, migrating ----------------------------------------------


def test_the_pmo_builds_publishes_and_edits_a_workflow_and_migrates_a_project(
    builder, pmo, director, pmo_group, project
):
    had_default = Workflow.objects.filter(is_default=True).exists()  # the installed one
    response = builder.post(
        reverse("governance:workflow-add"), {"name": "Delivery", "description": "Most projects"}
    )
    workflow = Workflow.objects.get(name="Delivery")
    assert response["Location"] == page_url(workflow)
    assert workflow.is_default is not had_default  # the first workflow becomes the default
    v1 = workflow.versions.get()
    assert (v1.number, v1.state) == (1, VersionState.DRAFT)

    _add_gate(
        builder,
        v1,
        gate_data(
            "Business case",
            "Planning",
            director=True,
            state_after="approved",
            criteria=[("Benefits quantified", False), ("Sponsor named", False)],
        ),
    )
    _add_gate(
        builder,
        v1,
        gate_data(
            "Plan",
            "Build",
            groups=[pmo_group],
            users=[director],
            rule="m_of_n",
            rule_m=2,
            criteria=[("Schedule baselined", True)],
        ),
    )
    _add_gate(builder, v1, gate_data("Go-live", "Run", groups=[pmo_group], rule="all"))
    go_live = v1.gates.get(name="Go-live")
    builder.post(reverse("governance:gate-move", args=[go_live.pk]), {"direction": "up"})
    assert list(v1.gates.order_by("order").values_list("name", flat=True)) == [
        "Business case",
        "Go-live",
        "Plan",
    ]
    builder.post(reverse("governance:gate-move", args=[go_live.pk]), {"direction": "down"})

    page = builder.get(page_url(workflow)).text
    assert "Draft version 1" in page and "3 gates" in page
    assert page.index("Business case") < page.index("Plan") < page.index("Go-live")
    assert "Schedule baselined" in page and "Evidence required" in page
    assert "2 of 2 seats" in page and "Dora Director" in page and "Any of PMO" in page

    _publish(builder, v1)
    v1.refresh_from_db()
    assert v1.state == VersionState.PUBLISHED and v1.published_by == pmo

    reviews.project_enrol(project=project, version=v1, next_gate=v1.gates.get(name="Plan"), by=pmo)

    # "Edit" on the published workflow opens draft version 2, a copy.
    builder.post(reverse("governance:workflow-draft", args=[workflow.pk]))
    v2 = workflow.versions.get(state=VersionState.DRAFT)
    assert v2.number == 2 and v2.gates.count() == 3
    plan2 = v2.gates.get(name="Plan")
    assert list(plan2.criteria.values_list("text", "evidence_required")) == [
        ("Schedule baselined", True)
    ]
    assert set(plan2.approver_users.all()) == {director}
    page = builder.get(page_url(workflow)).text
    assert "Draft version 2" in page

    # Change v2: rename "Plan" to "Detailed plan" (its projects map by position), drop a
    # criterion, remove "Business case".
    builder.post(
        reverse("governance:gate-edit", args=[plan2.pk]),
        gate_data(
            "Detailed plan", "Build", groups=[pmo_group], criteria=[("Budget agreed", False)]
        ),
    )
    builder.post(reverse("governance:gate-delete", args=[v2.gates.get(name="Business case").pk]))
    page = builder.get(page_url(workflow)).text
    assert "Changes from version 1" in page and "removed" in page

    _publish(builder, v2, note="Plan renamed; business case dropped")
    v1.refresh_from_db()
    assert v1.state == VersionState.SUPERSEDED
    assert list(v1.gates.values_list("name", flat=True)) == ["Business case", "Plan", "Go-live"]
    assert ProjectWorkflow.objects.get(project=project).workflow_version == v1  # stays

    page = builder.get(page_url(workflow)).text
    migrate = f"{reverse('governance:workflow-migrate', args=[workflow.pk])}?from={v1.pk}"
    assert f'href="{migrate}"' in page

    preview = builder.get(migrate).text
    assert "Business case" in preview and "Removed" in preview
    assert "Detailed plan" in preview and project.code in preview
    assert f'name="project" value="{project.pk}"' in preview and "checked" in preview

    response = builder.post(migrate, {"from": v1.pk, "project": [project.pk]}, follow=True)
    assert "1 project moved from version 1 to version 2" in response.text
    moved = ProjectWorkflow.objects.get(project=project)
    assert moved.workflow_version == v2
    assert moved.next_gate == v2.gates.get(name="Detailed plan")


def test_the_workflow_list_shows_versions_drafts_gates_and_projects(builder, pmo, project):
    v1 = published_workflow(pmo, [{"name": "Go", "phase": "Run", "portfolio_director": True}])
    reviews.project_enrol(project=project, version=v1, next_gate=None, by=pmo)
    builder.post(reverse("governance:workflow-draft", args=[v1.workflow_id]))
    published_workflow(
        pmo,
        [{"name": "Fast", "phase": "Run", "portfolio_director": True}],
        name="Fast track",
        default=False,
    )
    page = builder.get(reverse("governance:workflows")).text
    assert "Gates under test" in page and "Fast track" in page
    assert "v1: 1" in page  # one project follows version 1 of "Gates under test"
    assert "Version 2" in page  # its draft
    # Every published workflow but the default (Fast track, the installed Standard if there).
    assert page.count("Make default") == Workflow.objects.filter(is_default=False).count()

    builder.post(
        reverse("governance:workflow-default", args=[Workflow.objects.get(name="Fast track").pk])
    )
    assert Workflow.objects.get(is_default=True).name == "Fast track"

    # A workflow with nothing published cannot be the default: it could not answer.
    empty = Workflow.objects.create(name="Empty")
    empty.versions.create(number=1)
    response = builder.post(reverse("governance:workflow-default", args=[empty.pk]), follow=True)
    assert "Publish a version of “Empty” before making it the default" in response.text
    assert Workflow.objects.get(is_default=True).name == "Fast track"


def test_a_workflow_name_is_refused_next_to_the_field_when_taken(builder, pmo):
    published_workflow(pmo, [{"name": "Go", "phase": "Run", "portfolio_director": True}])
    before = Workflow.objects.count()
    response = builder.post(reverse("governance:workflow-add"), {"name": "gates UNDER test"})
    assert response.status_code == 200
    assert 'id="id_name_error"' in response.text and "exists already" in response.text
    assert 'value="gates UNDER test"' in response.text
    assert Workflow.objects.count() == before


def test_a_refused_gate_shows_the_error_next_to_its_field_and_keeps_the_input(
    builder, pmo, director
):
    workflow = Workflow.objects.create(name="Delivery")
    draft = workflow.versions.create(number=1)
    data = gate_data(
        "Plan",
        "Build",
        users=[director],
        rule="m_of_n",
        rule_m=3,
        criteria=[("Schedule baselined", True), ("Risks logged", False)],
    )
    response = builder.post(reverse("governance:gate-add", args=[draft.pk]), data)
    assert response.status_code == 200
    text = response.text
    assert (
        'id="id_rule_m_error"' in text and "between 1 and the number of approver seats (1)" in text
    )
    assert 'value="Schedule baselined"' in text and 'value="Risks logged"' in text
    assert 'value="Plan"' in text
    assert re.search(
        f'value="{director.pk}" class="form-check-input" id="id_approver_users_[0-9]+" checked',
        text,
    )
    assert not draft.gates.exists()

    # No approver at all: the error sits with the named approvers.
    response = builder.post(reverse("governance:gate-add", args=[draft.pk]), gate_data("Plan"))
    assert 'id="id_approver_users_error"' in response.text
    assert not draft.gates.exists()

    # Too many criteria: the error sits with the checklist.
    many = [(f"Criterion {i}", False) for i in range(31)]
    response = builder.post(
        reverse("governance:gate-add", args=[draft.pk]),
        gate_data("Plan", users=[director], criteria=many, blank_rows=0),
    )
    assert 'id="criteria_error"' in response.text and "at most 30 criteria" in response.text
    assert not draft.gates.exists()


def test_the_gate_form_shows_the_gate_with_blank_rows_and_save_and_more_returns_to_it(
    builder, pmo, director
):
    workflow = Workflow.objects.create(name="Delivery")
    draft = workflow.versions.create(number=1)
    response = builder.post(
        reverse("governance:gate-add", args=[draft.pk]),
        gate_data("Plan", users=[director], criteria=[("One", True)]) | {"more": "1"},
    )
    gate = draft.gates.get()
    assert response["Location"] == reverse("governance:gate-edit", args=[gate.pk])
    form = builder.get(response["Location"]).text
    assert 'value="One"' in form
    assert 'name="criteria-TOTAL_FORMS" value="4"' in form  # the criterion and three blank rows
    assert "id_criteria-0-evidence_required" in form and "checked" in form


def test_a_published_version_is_never_edited(builder, pmo):
    v1 = published_workflow(pmo, [{"name": "Go", "phase": "Run", "portfolio_director": True}])
    gate = v1.gates.get()
    response = builder.get(reverse("governance:gate-edit", args=[gate.pk]), follow=True)
    assert response.redirect_chain[-1][0] == page_url(v1.workflow)
    assert "Version 1 is published and stays as it is" in response.text
    response = builder.post(reverse("governance:gate-delete", args=[gate.pk]), follow=True)
    assert "edit the draft instead" in response.text
    assert Gate.objects.filter(pk=gate.pk).exists()
    response = builder.post(
        reverse("governance:gate-add", args=[v1.pk]), gate_data("New", director=True)
    )
    assert response.status_code == 302 and v1.gates.count() == 1


def test_a_stale_publish_shows_the_conflict_and_publishes_nothing(builder, pmo):
    workflow = Workflow.objects.create(name="Delivery")
    draft = workflow.versions.create(number=1)
    Gate.objects.create(
        workflow_version=draft, order=1, name="Go", phase="Run", portfolio_director=True
    )
    response = builder.post(
        reverse("governance:version-publish", args=[draft.pk]),
        {"note": "Mine", "version": draft.version + 5},
    )
    assert response.status_code == 200
    assert 'data-testid="conflict"' in response.text and "Nothing was saved" in response.text
    assert 'value="Mine"' in response.text  # the note typed is kept
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT

    # A publish without a note is refused next to the note.
    response = builder.post(
        reverse("governance:version-publish", args=[draft.pk]), {"version": draft.version}
    )
    assert 'id="id_note_error"' in response.text


# --- Migration -------------------------------------------------------------------------------


def test_a_project_with_a_review_under_way_stays_and_is_explained(builder, pmo, pm, project):
    v1 = published_workflow(pmo, [{"name": "Go", "phase": "Run", "approver_groups": [Role.PMO]}])
    other = ProjectFactory(portfolio=project.portfolio, code="CRM-02")
    gate = v1.gates.get()
    reviews.project_enrol(project=project, version=v1, next_gate=gate, by=pmo)
    reviews.project_enrol(project=other, version=v1, next_gate=gate, by=pmo)
    reviews.review_request(project=project, by=pm)
    builder.post(reverse("governance:workflow-draft", args=[v1.workflow_id]))
    v2 = v1.workflow.versions.get(state=VersionState.DRAFT)
    _publish(builder, v2, note="Same gates")

    url = f"{reverse('governance:workflow-migrate', args=[v1.workflow_id])}?from={v1.pk}"
    page = builder.get(url).text
    assert 'data-testid="blocked"' in page and "a review is under way" in page
    assert f'value="{project.pk}" id="move-{project.pk}"\n                    disabled' in page

    # Even ticked by hand, the project under review is not moved.
    response = builder.post(url, {"from": v1.pk, "project": [project.pk, other.pk]}, follow=True)
    assert "1 project moved" in response.text and "1 stay on version 1" in response.text
    assert ProjectWorkflow.objects.get(project=project).workflow_version == v1
    assert ProjectWorkflow.objects.get(project=other).workflow_version == v2


def test_the_migration_page_refuses_a_wrong_version(builder, pmo):
    v1 = published_workflow(pmo, [{"name": "Go", "phase": "Run", "portfolio_director": True}])
    url = reverse("governance:workflow-migrate", args=[v1.workflow_id])
    response = builder.get(f"{url}?from={v1.pk}", follow=True)
    assert "Projects move between two versions of the same workflow" in response.text
    assert builder.get(f"{url}?from=abc").status_code == 302
    other = published_workflow(
        pmo, [{"name": "Go", "phase": "Run", "portfolio_director": True}], name="Other"
    )
    assert builder.get(f"{url}?from={other.pk}").status_code == 404
    response = builder.post(url, {"from": v1.pk}, follow=True)
    assert response.status_code == 200


# --- Selection rules -------------------------------------------------------------------------


def test_selection_rules_are_added_edited_deleted_and_tried(builder, pmo, portfolio):
    standard = published_workflow(pmo, [{"name": "Go", "phase": "Run", "portfolio_director": True}])
    heavy = published_workflow(
        pmo,
        [{"name": "Board", "phase": "Run", "portfolio_director": True}],
        name="Heavy",
        default=False,
    )
    add = reverse("governance:workflow-rule-add")

    # No condition: refused next to the category, nothing saved, input kept.
    response = builder.post(add, {"priority": 10, "workflow": heavy.workflow_id})
    assert 'id="id_category_error"' in response.text and 'value="10"' in response.text
    assert not WorkflowRule.objects.exists()

    builder.post(add, {"priority": 10, "workflow": heavy.workflow_id, "min_budget": "1000000"})
    rule = WorkflowRule.objects.get()
    response = builder.post(add, {"priority": 10, "workflow": heavy.workflow_id, "category": "erp"})
    assert (
        'id="id_priority_error"' in response.text
        and "Another rule has priority 10" in response.text
    )
    assert WorkflowRule.objects.count() == 1

    rules = reverse("governance:workflow-rules")
    page = builder.get(rules).text
    assert "Heavy" in page and "1,000,000" in page and "Gates under test" in page  # default

    tried = builder.get(
        rules, {"portfolio": portfolio.pk, "category": "software", "budget": "2000000"}
    ).text
    assert "Heavy</a>, version 1" in tried
    tried = builder.get(
        rules, {"portfolio": portfolio.pk, "category": "software", "budget": "5000"}
    ).text
    assert "Gates under test</a>, version 1" in tried

    builder.post(
        reverse("governance:workflow-rule-edit", args=[rule.pk]),
        {"priority": 5, "workflow": heavy.workflow_id, "category": "software"},
    )
    rule.refresh_from_db()
    assert (rule.priority, rule.category, rule.min_budget) == (5, "software", None)

    builder.post(reverse("governance:workflow-rule-delete", args=[rule.pk]))
    assert not WorkflowRule.objects.exists()
    assert standard.workflow.is_default


def test_the_rule_tester_says_when_no_workflow_applies(builder, portfolio):
    Workflow.objects.update(is_default=False)
    page = builder.get(
        reverse("governance:workflow-rules"),
        {"portfolio": portfolio.pk, "category": "software", "budget": "10"},
    ).text
    assert "No published workflow applies" in page
    page = builder.get(
        reverse("governance:workflow-rules"),
        {"portfolio": portfolio.pk, "category": "software", "budget": "-1"},
    ).text
    assert 'id="id_budget_error"' in page


# --- Change rules ----------------------------------------------------------------------------


def test_change_rules_are_added_edited_and_deleted_with_errors_next_to_fields(
    builder, pmo, director, pmo_group, settings
):
    settings.CHANGE_REQUEST_DECISION_DAYS = 7
    url = reverse("governance:change-rules")
    page = builder.get(url).text
    assert "The portfolio's director or any PMO member, any one, SLA = 7 days." in page

    add = reverse("governance:change-rule-add")
    base = {"name": "Large cost", "priority": 10, "min_cost_impact": "50000", "sla_days": 5}
    response = builder.post(add, base | {"rule": "any"})
    assert 'id="id_approver_users_error"' in response.text
    assert 'value="Large cost"' in response.text and 'value="50000"' in response.text
    assert not ChangeRule.objects.exists()

    response = builder.post(
        add,
        base
        | {
            "rule": "m_of_n",
            "rule_m": 3,
            "portfolio_director": "on",
            "approver_groups": [pmo_group.pk],
        },
    )
    assert 'id="id_rule_m_error"' in response.text and "(2)" in response.text
    assert not ChangeRule.objects.exists()

    response = builder.post(
        add, base | {"rule": "any", "min_schedule_days": "-3", "portfolio_director": "on"}
    )
    assert 'id="id_min_schedule_days_error"' in response.text
    assert not ChangeRule.objects.exists()

    builder.post(
        add,
        base
        | {
            "rule": "all",
            "portfolio_director": "on",
            "approver_groups": [pmo_group.pk],
            "veto_group": pmo_group.pk,
        },
    )
    rule = ChangeRule.objects.get()
    assert (rule.rule, rule.portfolio_director, rule.veto_group) == ("all", True, pmo_group)
    assert list(rule.approver_groups.all()) == [pmo_group]

    response = builder.post(
        add,
        base | {"name": "large COST", "priority": 11, "portfolio_director": "on", "rule": "any"},
    )
    assert 'id="id_name_error"' in response.text and "exists already" in response.text
    response = builder.post(
        add, base | {"name": "Other", "portfolio_director": "on", "rule": "any"}
    )
    assert 'id="id_priority_error"' in response.text
    assert ChangeRule.objects.count() == 1

    page = builder.get(url).text
    assert "Large cost" in page and "the cost impact is at least 50,000" in page
    assert "All 2 seats" in page and "Any of PMO" in page

    edit = reverse("governance:change-rule-edit", args=[rule.pk])
    form = builder.get(edit).text
    assert 'value="Large cost"' in form
    builder.post(
        edit,
        {
            "name": "Large cost",
            "priority": 20,
            "min_schedule_days": 30,
            "sla_days": 3,
            "rule": "any",
            "approver_users": [director.pk],
        },
    )
    rule.refresh_from_db()
    assert (rule.priority, rule.min_cost_impact, rule.min_schedule_days, rule.sla_days) == (
        20,
        None,
        30,
        3,
    )
    assert list(rule.approver_users.all()) == [director] and not rule.approver_groups.exists()

    builder.post(reverse("governance:change-rule-delete", args=[rule.pk]))
    assert not ChangeRule.objects.exists()


def test_a_change_rule_a_review_used_stays(builder, pmo, director, project):
    rule = change_rule_save(
        by=pmo, data=ChangeRuleInput(name="Any change", priority=1, approver_users=[director])
    )
    now = timezone.now()
    change = ChangeRequest.objects.create(
        project=project, title="More scope", description="Payroll", state="submitted"
    )
    Review.objects.create(
        kind="change",
        portfolio=project.portfolio,
        project=project,
        change_request=change,
        change_rule=rule,
        title="More scope",
        rule="any",
        sla_days=5,
        requested_by=pmo,
        requested_at=now,
        due_at=now + timedelta(days=5),
    )
    url = reverse("governance:change-rule-delete", args=[rule.pk])
    response = builder.post(url, follow=True)
    assert "it stays with their decision records" in response.text
    assert ChangeRule.objects.filter(pk=rule.pk).exists()


# --- Who may do what -------------------------------------------------------------------------


def _urls(objects) -> list[tuple[str, str]]:
    urls = []
    for name, params in _builder_routes():
        kwargs = {p: objects[p] for p in params}
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


@pytest.fixture
def objects(pmo, director):
    v1 = published_workflow(pmo, [{"name": "Go", "phase": "Run", "portfolio_director": True}])
    rule = WorkflowRule.objects.create(workflow=v1.workflow, priority=1, category="erp")
    change_rule = change_rule_save(
        by=pmo, data=ChangeRuleInput(name="Any", priority=1, portfolio_director=True)
    )
    return {
        "workflow_pk": v1.workflow_id,
        "version_pk": v1.pk,
        "gate_pk": v1.gates.get().pk,
        "rule_pk": rule.pk,
        "change_rule_pk": change_rule.pk,
    }


def test_the_builder_routes_are_all_checked():
    names = {name for name, _ in _builder_routes()}
    assert len(names) == 19, sorted(names)


@pytest.mark.parametrize("persona", ["director", "executive"])
def test_directors_and_executives_read_but_every_write_is_refused(
    client, request, objects, persona
):
    client.force_login(request.getfixturevalue(persona))
    for name, url in _urls(objects):
        if name in READ_PAGES:
            assert client.get(url).status_code == 200, name
            assert client.post(url, {}).status_code == 405, name
            continue
        assert client.get(url).status_code == 403, name
        assert client.post(url, {}).status_code == 403, name


@pytest.mark.parametrize("persona", ["pm", "outsider"])
def test_everyone_else_gets_403_everywhere(client, request, objects, persona):
    client.force_login(request.getfixturevalue(persona))
    for name, url in _urls(objects):
        assert client.get(url).status_code == 403, name
        assert client.post(url, {}).status_code in (403, 405), name


def test_the_pmo_never_gets_an_error_and_anonymous_users_sign_in(client, pmo, objects):
    for name, url in _urls(objects):
        response = client.get(url)
        assert response.status_code in (302, 405), name
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), name
    client.force_login(pmo)
    for name, url in _urls(objects):
        assert client.get(url).status_code in (200, 302, 405), name
        assert client.post(url, {}).status_code in (200, 302, 405), name


@pytest.mark.parametrize(("persona", "shown"), [("pmo", True), ("director", False), ("pm", False)])
def test_workflows_are_in_the_pmo_navigation(request, persona, shown):
    labels = [item.label for item in items_for(request.getfixturevalue(persona))]
    assert ("Workflows" in labels) is shown


# --- Queries ---------------------------------------------------------------------------------


def _workflow_with(pmo, n: int, name: str):
    approvers = [make_user(f"{name}-a{i}", Role.DIRECTOR) for i in range(2)]
    v1 = published_workflow(
        pmo,
        [
            {
                "name": f"Gate {i}",
                "phase": f"Phase {i}",
                "approver_users": approvers,
                "approver_groups": [Role.PMO],
                "veto_group": Group.objects.get(name=Role.EXECUTIVE),
                "rule": "m_of_n",
                "rule_m": 2,
                "criteria": [(f"Criterion {i}.{j}", j % 2 == 0) for j in range(3)],
            }
            for i in range(n)
        ],
        name=name,
        default=False,
    )
    return v1


@pytest.mark.parametrize("draft", [False, True])
def test_the_workflow_page_runs_in_a_constant_number_of_queries(
    client, pmo, django_assert_num_queries, draft
):
    small, large = _workflow_with(pmo, 1, "Small"), _workflow_with(pmo, 6, "Large")
    for v in (small, large):
        ProjectWorkflow.objects.create(project=ProjectFactory(), workflow_version=v)
        if draft:
            client.force_login(pmo)
            client.post(reverse("governance:workflow-draft", args=[v.workflow_id]))
    client.force_login(pmo)
    small_url, large_url = page_url(small.workflow), page_url(large.workflow)
    with CaptureQueriesContext(connection) as small_queries:
        assert client.get(small_url).status_code == 200
    # session, user, roles, workflow, versions, their project and gate counts, the gates with
    # groups, people and criteria; with a draft, the published version's gates again (4) to
    # say what the draft changes.
    expected = 15 if draft else 11
    assert len(small_queries) == expected, [q["sql"][:120] for q in small_queries]
    with django_assert_num_queries(expected):
        page = client.get(large_url)
    assert page.text.count('data-testid="gate"') == 6


def test_a_director_reads_the_published_version_not_the_pmos_draft(client, pmo, director):
    v1 = published_workflow(pmo, [{"name": "Go", "phase": "Run", "portfolio_director": True}])
    draft = wf_service.draft_for(workflow=v1.workflow, by=pmo)
    wf_service.gate_save(
        version=draft,
        by=pmo,
        data=wf_service.GateInput(name="Extra check", phase="Run", portfolio_director=True),
    )
    client.force_login(director)
    page = client.get(page_url(v1.workflow)).text
    assert "Version 1, published" in page and "Extra check" not in page
    for action in ("add-gate", "publish-button", "open-draft", "make-default"):
        assert f'data-testid="{action}"' not in page, action
    client.force_login(pmo)
    page = client.get(page_url(v1.workflow)).text
    assert "Draft version 2" in page and "Extra check" in page


def test_two_pmo_members_editing_one_draft_do_not_overwrite_each_other(builder, pmo, director):
    """Both open the Plan gate's form; the first saves; the second's save, made from the page
    as it was, is refused with their input kept, and goes through once they save again."""
    workflow = Workflow.objects.create(name="Delivery")
    draft = workflow.versions.create(number=1)
    _add_gate(builder, draft, gate_data("Plan", "Build", users=[director]))
    gate = draft.gates.get()
    draft.refresh_from_db()
    seen = draft.version
    url = reverse("governance:gate-edit", args=[gate.pk])
    first = gate_data("Plan", "Build", users=[director], sla_days=7)
    assert builder.post(url, {**first, "draft_version": seen}).status_code == 302
    second = gate_data("Plan", "Delivery", users=[director], sla_days=3)
    response = builder.post(url, {**second, "draft_version": seen})
    assert response.status_code == 200
    assert "Someone else changed this draft" in response.text
    assert 'value="Delivery"' in response.text  # what they typed is still there
    gate.refresh_from_db()
    assert (gate.phase, gate.sla_days) == ("Build", 7)  # the first save stands
    draft.refresh_from_db()
    assert f'name="draft_version" value="{draft.version}"' in response.text
    assert builder.post(url, {**second, "draft_version": draft.version}).status_code == 302
    gate.refresh_from_db()
    assert (gate.phase, gate.sla_days) == ("Delivery", 3)


def test_a_rule_edited_by_two_people_keeps_the_first_save_and_the_seconds_input(
    builder, pmo, director
):
    heavy = published_workflow(
        pmo, [{"name": "Board", "phase": "Run", "portfolio_director": True}], name="Heavy"
    )
    rule = WorkflowRule.objects.create(workflow=heavy.workflow, priority=10, min_budget=1000)
    url = reverse("governance:workflow-rule-edit", args=[rule.pk])
    base = {"priority": 10, "workflow": heavy.workflow_id, "version": 1}
    assert builder.post(url, base | {"min_budget": "5000"}).status_code == 302
    response = builder.post(url, base | {"category": "erp", "min_budget": ""})
    assert response.status_code == 200 and "Someone else changed this rule" in response.text
    assert 'name="version" value="2"' in response.text
    rule.refresh_from_db()
    assert (rule.min_budget, rule.category, rule.version) == (5000, "", 2)
    assert builder.post(url, base | {"category": "erp", "version": 2}).status_code == 302
    rule.refresh_from_db()
    assert (rule.min_budget, rule.category, rule.version) == (None, "erp", 3)

    change = ChangeRule.objects.create(name="Large", priority=1, portfolio_director=True)
    url = reverse("governance:change-rule-edit", args=[change.pk])
    data = {"name": "Large", "priority": 1, "rule": "any", "sla_days": 5}
    data |= {"portfolio_director": "on", "version": 1}
    assert builder.post(url, data | {"min_cost_impact": "50000"}).status_code == 302
    response = builder.post(url, data | {"min_cost_impact": "80000"})
    assert "Someone else changed this rule" in response.text and 'value="80000"' in response.text
    change.refresh_from_db()
    assert (change.min_cost_impact, change.version) == (50000, 2)
