"""Builders for gate-engine tests: a published workflow of named gates, in one call."""

from __future__ import annotations

from django.contrib.auth.models import Group

from governance.models import Workflow
from governance.services.workflows import GateInput, draft_for, gate_save, version_publish


def published_workflow(
    by, gates: list[dict], *, name: str = "Gates under test", default: bool = True
):
    """A workflow whose first version is published with `gates` (GateInput fields; approver
    groups may be given by name). Returns the published version."""
    workflow = Workflow.objects.filter(name=name).first()
    if workflow is None:
        from governance.services.workflows import workflow_create

        workflow = workflow_create(by=by, name=name)
    if default:
        Workflow.objects.exclude(pk=workflow.pk).update(is_default=False)
        Workflow.objects.filter(pk=workflow.pk).update(is_default=True)
    draft = draft_for(workflow=workflow, by=by)
    for spec in gates:
        spec = dict(spec)
        spec["approver_groups"] = [
            Group.objects.get(name=g) if isinstance(g, str) else g
            for g in spec.get("approver_groups", ())
        ]
        gate_save(version=draft, by=by, data=GateInput(**spec))
    draft.refresh_from_db()
    version_publish(version=draft, by=by, expected_version=draft.version)
    draft.refresh_from_db()
    return draft
