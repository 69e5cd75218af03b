"""Reads behind the workflow builder: the list of workflows, one workflow with its versions
and gates, the selection rules and the change rules — each in a fixed number of queries,
whatever the number of workflows, versions, gates, criteria or projects."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, QuerySet

from governance.choices import VersionState
from governance.forms_workflows import BY_NAME
from governance.models import ChangeRule, Gate, ProjectWorkflow, Workflow, WorkflowRule
from governance.models import WorkflowVersion as Version
from governance.services.workflows import GateChange, gate_changes


def _counts(model, field_name: str, **filters) -> dict[int, int]:
    rows = model.objects.filter(**filters).values(field_name).annotate(n=Count("pk"))
    return {row[field_name]: row["n"] for row in rows.order_by()}


def _with_counts(versions: list[Version]) -> list[Version]:
    """Each version with `project_count` and `gate_count`: two queries for them all."""
    ids = [v.pk for v in versions]
    projects = _counts(ProjectWorkflow, "workflow_version", workflow_version__in=ids)
    gates = _counts(Gate, "workflow_version", workflow_version__in=ids)
    for v in versions:
        v.project_count = projects.get(v.pk, 0)
        v.gate_count = gates.get(v.pk, 0)
    return versions


@dataclass
class WorkflowLine:
    """A row of the workflow list."""

    workflow: Workflow
    versions: list[Version]  # newest first, each with project_count and gate_count
    published: Version | None = None
    draft: Version | None = None

    def __post_init__(self) -> None:
        for v in self.versions:
            if v.state == VersionState.PUBLISHED:
                self.published = v
            elif v.state == VersionState.DRAFT:
                self.draft = v

    @property
    def gate_count(self) -> int:
        shown = self.published or self.draft
        return shown.gate_count if shown else 0

    @property
    def followed(self) -> list[Version]:
        """The versions projects follow, newest first."""
        return [v for v in self.versions if v.project_count]


def workflow_lines() -> list[WorkflowLine]:
    """Every workflow with its versions and their counts: three queries."""
    workflows = list(
        Workflow.objects.prefetch_related(
            Prefetch("versions", queryset=Version.objects.order_by("-number"))
        ).order_by("name")
    )
    _with_counts([v for w in workflows for v in w.versions.all()])
    return [WorkflowLine(w, list(w.versions.all())) for w in workflows]


def _seats(panels: list) -> list:
    """Each panel with `seat_count`: how many seats vote (groups, people, the director)."""
    for p in panels:
        p.seat_count = (
            len(p.approver_groups.all()) + len(p.approver_users.all()) + p.portfolio_director
        )
    return panels


def gates_of(version: Version) -> list[Gate]:
    """A version's gates in order, with everything the page shows of them: four queries."""
    return _seats(
        list(
            version.gates.select_related("veto_group")
            .prefetch_related(
                "approver_groups",
                Prefetch("approver_users", queryset=_people()),
                "criteria",
            )
            .order_by("order")
        )
    )


def _people() -> QuerySet:
    return get_user_model().objects.order_by(*BY_NAME)


@dataclass
class WorkflowPage:
    workflow: Workflow
    versions: list[Version]  # newest first, with counts
    shown: Version | None  # the draft, else the published version
    gates: list[Gate]
    changes: list[GateChange] = field(default_factory=list)  # the draft against the published

    @property
    def draft(self) -> Version | None:
        return self.shown if self.shown and self.shown.state == VersionState.DRAFT else None

    @property
    def published(self) -> Version | None:
        return next((v for v in self.versions if v.state == VersionState.PUBLISHED), None)

    @property
    def next_number(self) -> int:
        return (self.versions[0].number if self.versions else 0) + 1


def workflow_page(workflow: Workflow, *, with_draft: bool = True) -> WorkflowPage:
    """A workflow's versions (with counts) and the gates of its draft (for the PMO, who edits
    it; `with_draft`), else of its published version; with a draft and a published version,
    what the draft changes. Eleven queries at most, whatever the number of gates."""
    versions = _with_counts(
        list(workflow.versions.select_related("published_by", "created_by").order_by("-number"))
    )
    draft = (
        next((v for v in versions if v.state == VersionState.DRAFT), None) if with_draft else None
    )
    published = next((v for v in versions if v.state == VersionState.PUBLISHED), None)
    shown = draft or published
    gates = gates_of(shown) if shown else []
    changes = []
    if draft and published:
        changes = [c for c in gate_changes(gates_of(published), gates) if c.change != "same"]
    return WorkflowPage(workflow, versions, shown, gates, changes)


def selection_rules() -> list[WorkflowRule]:
    """The rules by priority, each knowing whether its workflow has a published version (a
    rule whose workflow has none is passed over): two queries."""
    rules = list(WorkflowRule.objects.select_related("workflow", "portfolio").order_by("priority"))
    published = set(
        Version.objects.filter(state=VersionState.PUBLISHED).values_list("workflow_id", flat=True)
    )
    for rule in rules:
        rule.workflow_published = rule.workflow_id in published
    return rules


def change_rules() -> list[ChangeRule]:
    """The change rules by priority with their panels: four queries."""
    return _seats(
        list(
            ChangeRule.objects.select_related("veto_group")
            .prefetch_related("approver_groups", Prefetch("approver_users", queryset=_people()))
            .order_by("priority")
        )
    )
