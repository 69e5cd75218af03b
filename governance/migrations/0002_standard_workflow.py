"""A published "Standard" workflow, so intake and gate reviews work on a new installation
before the PMO builds its own (editing it makes version 2; nothing depends on this one).

Idea → Business case → Plan → Build → Go-live → Close, decided by the portfolio's director,
with the PMO joining at the business case and go-live gates.
"""

from django.db import migrations
from django.utils import timezone

GATES = [
    # name, phase, state after, PMO seat, rule, SLA days, criteria (text, evidence required)
    ("Idea", "Business case", "", False, "any", 5, [("Problem and benefits stated", False)]),
    (
        "Business case",
        "Planning",
        "approved",
        True,
        "all",
        10,
        [("Business case document", True), ("Cost estimate reviewed by finance", False)],
    ),
    (
        "Plan",
        "Build",
        "active",
        False,
        "any",
        5,
        [("Schedule baselined", True), ("Risks logged", False), ("Team staffed", False)],
    ),
    ("Build", "Go-live", "", False, "any", 5, [("Acceptance tests passed", True)]),
    (
        "Go-live",
        "Run",
        "",
        True,
        "all",
        5,
        [("Operations sign-off", True), ("Rollback plan", False)],
    ),
    ("Close", "Closed", "closed", False, "any", 10, [("Lessons learned recorded", False)]),
]


def create(apps, schema_editor):
    Workflow = apps.get_model("governance", "Workflow")
    WorkflowVersion = apps.get_model("governance", "WorkflowVersion")
    Gate = apps.get_model("governance", "Gate")
    GateCriterion = apps.get_model("governance", "GateCriterion")
    Group = apps.get_model("auth", "Group")
    if Workflow.objects.exists():
        return
    pmo = Group.objects.filter(name="PMO").first()
    workflow = Workflow.objects.create(
        name="Standard",
        description="Six gates from idea to closure; the PMO's starting point.",
        is_default=True,
    )
    version = WorkflowVersion.objects.create(
        workflow=workflow,
        number=1,
        state="published",
        note="Installed with Conductor",
        published_at=timezone.now(),
    )
    for order, (name, phase, after, with_pmo, rule, sla, criteria) in enumerate(GATES, start=1):
        gate = Gate.objects.create(
            workflow_version=version,
            order=order,
            name=name,
            phase=phase,
            state_after=after,
            portfolio_director=True,
            rule=rule if with_pmo and pmo else "any",
            sla_days=sla,
        )
        if with_pmo and pmo:
            gate.approver_groups.add(pmo)
        GateCriterion.objects.bulk_create(
            GateCriterion(gate=gate, order=i, text=text, evidence_required=evidence)
            for i, (text, evidence) in enumerate(criteria, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial"), ("ppm", "0001_roles")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
