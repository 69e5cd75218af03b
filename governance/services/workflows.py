"""The workflow builder's writes (PMO only; the views check the role): workflows, their draft
versions, gates with criteria and approvers, publishing, selection rules, and moving projects
from one version to another with a preview of what changes.

Only a draft is edited. `draft_for` opens one, copied from the published version, so editing
a published workflow always makes a new version; publishing supersedes the old version for
new projects, while projects under way keep theirs until `projects_migrate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from governance.choices import ReviewState, RuleKind, VersionState
from governance.models import (
    Gate,
    GateCriterion,
    ProjectWorkflow,
    Review,
    Workflow,
    WorkflowRule,
    WorkflowVersion,
)
from ppm.audit import acting_as
from projects.services.common import DomainError, save_versioned

MAX_GATES = 20
MAX_CRITERIA = 30


def workflow_create(*, by, name: str, description: str = "") -> Workflow:
    name = name.strip()
    if not name:
        raise DomainError("Name the workflow.", field="name")
    if Workflow.objects.filter(name__iexact=name).exists():
        raise DomainError(f"A workflow named “{name}” exists already.", field="name")
    with transaction.atomic(), acting_as(by, reason=f"Workflow created: {name}"):
        workflow = Workflow.objects.create(
            name=name,
            description=description.strip(),
            is_default=not Workflow.objects.filter(is_default=True).exists(),
        )
        WorkflowVersion.objects.create(workflow=workflow, number=1, created_by=by)
    return workflow


def workflow_make_default(*, workflow: Workflow, by) -> None:
    if not workflow.versions.filter(state=VersionState.PUBLISHED).exists():
        # The default answers when no rule matches: without a published version it could not.
        raise DomainError(f"Publish a version of “{workflow.name}” before making it the default.")
    with transaction.atomic(), acting_as(by, reason=f"Default workflow: {workflow.name}"):
        Workflow.objects.filter(is_default=True).exclude(pk=workflow.pk).update(is_default=False)
        Workflow.objects.filter(pk=workflow.pk).update(is_default=True)


def _copy_gates(source: WorkflowVersion, target: WorkflowVersion) -> None:
    for gate in source.gates.prefetch_related("criteria", "approver_groups", "approver_users"):
        criteria = list(gate.criteria.all())
        groups, users = list(gate.approver_groups.all()), list(gate.approver_users.all())
        gate.pk, gate.id, gate.workflow_version = None, None, target
        gate._state.adding = True
        gate.save()
        gate.approver_groups.set(groups)
        gate.approver_users.set(users)
        GateCriterion.objects.bulk_create(
            GateCriterion(
                gate=gate, order=c.order, text=c.text, evidence_required=c.evidence_required
            )
            for c in criteria
        )


def draft_for(*, workflow: Workflow, by) -> WorkflowVersion:
    """The workflow's draft, opened from its published version when there is none."""
    with transaction.atomic(), acting_as(by, reason=f"New draft of {workflow.name}"):
        Workflow.objects.select_for_update().get(pk=workflow.pk)
        draft = workflow.versions.filter(state=VersionState.DRAFT).first()
        if draft:
            return draft
        latest = workflow.versions.order_by("-number").first()
        draft = WorkflowVersion.objects.create(
            workflow=workflow,
            number=(latest.number if latest else 0) + 1,
            created_by=by,
        )
        if latest:
            _copy_gates(latest, draft)
    return draft


def _touch(version: WorkflowVersion) -> None:
    """A change to a draft's gates is a change to the draft: its row version moves, so a
    publish based on what someone saw before it is refused (ConflictError), not made blind."""
    WorkflowVersion.objects.filter(pk=version.pk).update(version=F("version") + 1)


def _require_draft(version: WorkflowVersion) -> None:
    if version.state != VersionState.DRAFT:
        raise DomainError(
            f"Version {version.number} is {version.get_state_display().lower()}: "
            "edit the draft instead (editing opens one)."
        )


@dataclass
class GateInput:
    name: str
    phase: str
    state_after: str = ""
    rule: str = RuleKind.ANY
    rule_m: int = 1
    sla_days: int = 5
    portfolio_director: bool = False
    approver_groups: Sequence[Group] = ()
    approver_users: Sequence = ()
    veto_group: Group | None = None
    # (text, evidence required) in order
    criteria: Sequence[tuple[str, bool]] = field(default_factory=list)


def check_panel(data, *, seats: int) -> None:
    """The rules every panel (a gate's, a change rule's) obeys; DomainError names the field."""
    if seats < 1:
        raise DomainError(
            "Give at least one approver: a group, a person or the portfolio's director.",
            field="approver_users",
        )
    if data.rule == RuleKind.M_OF_N and not 1 <= data.rule_m <= seats:
        raise DomainError(
            f"M must be between 1 and the number of approver seats ({seats}).", field="rule_m"
        )
    if not 1 <= data.sla_days <= 365:
        raise DomainError("The SLA is between 1 and 365 days.", field="sla_days")


def gate_save(
    *,
    version: WorkflowVersion,
    by,
    data: GateInput,
    gate: Gate | None = None,
    expected_draft_version: int | None = None,
) -> Gate:
    """Add a gate to a draft (at the end) or change one of its gates."""
    _require_draft(version)
    name, phase = data.name.strip(), data.phase.strip()
    if not name:
        raise DomainError("Name the gate.", field="name")
    if not phase:
        raise DomainError("Name the phase a project enters when it passes.", field="phase")
    seats = len(set(data.approver_groups)) + len(set(data.approver_users))
    seats += 1 if data.portfolio_director else 0
    check_panel(data, seats=seats)
    criteria = [(t.strip(), bool(e)) for t, e in data.criteria if t.strip()]
    if len(criteria) > MAX_CRITERIA:
        raise DomainError(f"A gate has at most {MAX_CRITERIA} criteria.", field="criteria")
    if any(len(t) > 300 for t, _ in criteria):
        raise DomainError("Keep each criterion under 300 characters.", field="criteria")
    clash = version.gates.filter(name__iexact=name)
    if gate is not None:
        clash = clash.exclude(pk=gate.pk)
    if clash.exists():
        raise DomainError(f"This version has a gate named “{name}” already.", field="name")
    with transaction.atomic(), acting_as(by, reason=f"Gate saved: {name} ({version})"):
        current = WorkflowVersion.objects.select_for_update().get(pk=version.pk)
        if expected_draft_version is not None and current.version != expected_draft_version:
            raise DomainError(
                "Someone else changed this draft since you opened the form: your input is kept "
                "below; look at the draft's gates, then save again if it still applies.",
                field="draft_version",
            )
        if gate is None:
            if version.gates.count() >= MAX_GATES:
                raise DomainError(f"A workflow has at most {MAX_GATES} gates.")
            last = version.gates.aggregate(m=Max("order"))["m"] or 0
            gate = Gate(workflow_version=version, order=last + 1)
        gate.name, gate.phase, gate.state_after = name, phase, data.state_after
        gate.rule = data.rule
        gate.rule_m = data.rule_m if data.rule == RuleKind.M_OF_N else 1
        gate.sla_days, gate.portfolio_director = data.sla_days, data.portfolio_director
        gate.veto_group = data.veto_group
        try:
            with transaction.atomic():
                gate.save()
        except IntegrityError:
            # Two PMO members adding a gate of one name (or at one place) at the same instant:
            # the unique constraints decide, and the second is told, not shown a 500.
            raise DomainError(
                f"Someone else saved a gate named “{name}” (or at this place) just now: "
                "reload the draft.",
                field="name",
            ) from None
        gate.approver_groups.set(data.approver_groups)
        gate.approver_users.set(data.approver_users)
        gate.criteria.all().delete()
        GateCriterion.objects.bulk_create(
            GateCriterion(gate=gate, order=i, text=t, evidence_required=e)
            for i, (t, e) in enumerate(criteria, start=1)
        )
        _touch(version)
    return gate


def gate_delete(*, gate: Gate, by) -> None:
    _require_draft(gate.workflow_version)
    with transaction.atomic(), acting_as(by, reason=f"Gate removed: {gate.name}"):
        version = gate.workflow_version
        gate.delete()
        _renumber(version, list(version.gates.order_by("order")))
        _touch(version)


def gate_move(*, gate: Gate, by, up: bool) -> None:
    _require_draft(gate.workflow_version)
    gates = list(gate.workflow_version.gates.order_by("order"))
    i = gates.index(gate)
    j = i - 1 if up else i + 1
    if not 0 <= j < len(gates):
        return
    gates[i], gates[j] = gates[j], gates[i]
    with transaction.atomic(), acting_as(by, reason=f"Gate moved: {gate.name}"):
        _renumber(gate.workflow_version, gates)
        _touch(gate.workflow_version)


def _renumber(version: WorkflowVersion, gates: list[Gate]) -> None:
    # Two passes keep the unique (version, order) constraint satisfied at every statement.
    offset = 1000
    for i, g in enumerate(gates, start=1):
        Gate.objects.filter(pk=g.pk).update(order=offset + i)
    for i, g in enumerate(gates, start=1):
        Gate.objects.filter(pk=g.pk).update(order=i)


def version_publish(*, version: WorkflowVersion, by, expected_version: int, note: str = "") -> None:
    _require_draft(version)
    if not version.gates.exists():
        raise DomainError("Add at least one gate before publishing.")
    version.state, version.published_by, version.published_at = (
        VersionState.PUBLISHED,
        by,
        timezone.now(),
    )
    version.note = note.strip()[:300]
    with transaction.atomic(), acting_as(by, reason=f"Published {version}"):
        WorkflowVersion.objects.filter(
            workflow_id=version.workflow_id, state=VersionState.PUBLISHED
        ).update(state=VersionState.SUPERSEDED)
        save_versioned(
            version,
            expected_version=expected_version,
            fields=("state", "published_by", "published_at", "note"),
        )


def current_version(workflow: Workflow) -> WorkflowVersion | None:
    return workflow.versions.filter(state=VersionState.PUBLISHED).first()


# --- Selection rules ------------------------------------------------------------------------


def workflow_for(*, portfolio_id: int, category: str, budget: Decimal) -> WorkflowVersion:
    """The published version a new project or intake request follows: the first selection
    rule (by priority) whose conditions all hold, else the default workflow."""
    for rule in WorkflowRule.objects.select_related("workflow").order_by("priority"):
        if rule.portfolio_id is not None and rule.portfolio_id != portfolio_id:
            continue
        if rule.category and rule.category != category:
            continue
        if rule.min_budget is not None and budget < rule.min_budget:
            continue
        version = current_version(rule.workflow)
        if version is not None:
            return version
    default = Workflow.objects.filter(is_default=True).first()
    version = current_version(default) if default else None
    if version is None:
        raise DomainError(
            "No published workflow applies: the PMO publishes one (Governance → Workflows)."
        )
    return version


STALE = (
    "Someone else changed this {what} since you opened it: your input is kept below; look at "
    "the {what} as it is now, then save again if yours still applies."
)


def claim_version(row, expected: int | None, *, what: str) -> None:
    """Lock `row` (a rule being edited) and refuse the save when it moved past `expected`, the
    version the editor's page showed; on success its version moves on with the save. Raises
    DomainError(field="version") naming the row's current version in `row.version`."""
    if row.pk is None:
        return
    current = type(row).objects.select_for_update().values_list("version", flat=True).get(pk=row.pk)
    if expected is not None and current != expected:
        row.version = current
        raise DomainError(STALE.format(what=what), field="version")
    row.version = current + 1


def rule_save(
    *,
    by,
    workflow: Workflow,
    priority: int,
    portfolio=None,
    category: str = "",
    min_budget: Decimal | None = None,
    rule: WorkflowRule | None = None,
    expected_version: int | None = None,
) -> WorkflowRule:
    if portfolio is None and not category and min_budget is None:
        raise DomainError(
            "Give the rule at least one condition (portfolio, category or budget); the "
            "default workflow covers everything else.",
            field="category",
        )
    rule = rule or WorkflowRule()
    rule.workflow, rule.priority, rule.portfolio = workflow, priority, portfolio
    rule.category, rule.min_budget = category, min_budget
    try:
        with transaction.atomic(), acting_as(by, reason="Workflow selection rule saved"):
            claim_version(rule, expected_version, what="rule")
            rule.save()
    except IntegrityError:
        if WorkflowRule.objects.filter(priority=priority).exclude(pk=rule.pk).exists():
            raise DomainError(f"Another rule has priority {priority}.", field="priority") from None
        raise
    return rule


def rule_delete(*, rule: WorkflowRule, by) -> None:
    with transaction.atomic(), acting_as(by, reason="Workflow selection rule removed"):
        rule.delete()


# --- Migration between versions -------------------------------------------------------------


@dataclass(frozen=True)
class GateChange:
    name: str
    change: str  # "added", "removed", "changed", "same"
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectMove:
    project_workflow: ProjectWorkflow
    next_gate_before: str
    next_gate_after: str
    blocked: str = ""  # why it cannot move (an open review)


@dataclass(frozen=True)
class MigrationPreview:
    source: WorkflowVersion
    target: WorkflowVersion
    gates: tuple[GateChange, ...]
    projects: tuple[ProjectMove, ...]


def _describe(gate: Gate) -> dict[str, str]:
    groups = ", ".join(sorted(g.name for g in gate.approver_groups.all()))
    users = ", ".join(sorted(u.get_full_name() or u.username for u in gate.approver_users.all()))
    return {
        "order": str(gate.order),
        "phase": gate.phase,
        "state after": gate.get_state_after_display() or "—",
        "rule": gate.get_rule_display()
        + (f" (M = {gate.rule_m})" if gate.rule == "m_of_n" else ""),
        "SLA": f"{gate.sla_days} days",
        "approver groups": groups or "—",
        "named approvers": users or "—",
        "portfolio director": "yes" if gate.portfolio_director else "no",
        "veto": gate.veto_group.name if gate.veto_group else "—",
        "criteria": "; ".join(
            c.text + (" (evidence)" if c.evidence_required else "") for c in gate.criteria.all()
        )
        or "—",
    }


def _gates(version: WorkflowVersion) -> list[Gate]:
    return list(
        version.gates.select_related("veto_group").prefetch_related(
            "approver_groups", "approver_users", "criteria"
        )
    )


def _map_gate(gate: Gate | None, source: list[Gate], target: list[Gate]) -> Gate | None:
    """Where a project whose next gate is `gate` stands in the target version: the gate of the
    same name; else the gate that follows, in the target, the last earlier gate the target
    kept by name (else the target's first gate); past the end, None. So a removed gate leads
    to the next gate kept and a renamed one to the gate in its place, and a project is never
    sent past a gate it cannot be shown to have passed (matching by order number did that
    once an earlier gate was removed). Gates are matched by name only: a renamed gate that a
    project had passed may have to be passed again; the preview shows it."""
    if gate is None:
        return None
    by_name = {g.name.lower(): g for g in target}
    if gate.name.lower() in by_name:
        return by_name[gate.name.lower()]
    kept = [g for g in source if g.order < gate.order and g.name.lower() in by_name]
    if not kept:
        return target[0] if target else None
    anchor = by_name[kept[-1].name.lower()]
    return next((g for g in target if g.order > anchor.order), None)


def gate_changes(before: list[Gate], after: list[Gate]) -> list[GateChange]:
    """Gate by gate (matched by name), what `after` adds, changes or removes from `before`;
    both lists as `_gates` reads them."""
    old = {g.name.lower(): g for g in before}
    new = {g.name.lower(): g for g in after}
    changes = []
    for g in after:
        if g.name.lower() not in old:
            changes.append(GateChange(g.name, "added"))
            continue
        a, b = _describe(old[g.name.lower()]), _describe(g)
        diff = tuple(f"{k}: {a[k]} → {b[k]}" for k in a if a[k] != b[k])
        changes.append(GateChange(g.name, "changed" if diff else "same", diff))
    changes += [GateChange(g.name, "removed") for g in before if g.name.lower() not in new]
    return changes


def migration_preview(*, source: WorkflowVersion, target: WorkflowVersion) -> MigrationPreview:
    if source.workflow_id != target.workflow_id or source.pk == target.pk:
        raise DomainError("Projects move between two versions of the same workflow.")
    if target.state != VersionState.PUBLISHED:
        raise DomainError("Projects move to the published version only.")
    before, after = _gates(source), _gates(target)
    changes = gate_changes(before, after)
    moves = []
    open_reviews = set(
        source.projects.filter(project__reviews__state="open").values_list("pk", flat=True)
    )
    for pw in source.projects.select_related("project", "next_gate").order_by("project__code"):
        mapped = _map_gate(pw.next_gate, before, after)
        moves.append(
            ProjectMove(
                pw,
                pw.next_gate.name if pw.next_gate else "all gates passed",
                mapped.name if mapped else "all gates passed",
                "a review is under way: it finishes under its own version first"
                if pw.pk in open_reviews
                else "",
            )
        )
    return MigrationPreview(source, target, tuple(changes), tuple(moves))


def projects_migrate(
    *, source: WorkflowVersion, target: WorkflowVersion, by, project_ids: Iterable[int]
) -> int:
    """Move the chosen projects from `source` to `target`, each to the gate the preview
    showed. Projects with a review under way are left where they are. Returns how many moved."""
    preview = migration_preview(source=source, target=target)
    chosen = set(project_ids)
    before, after = _gates(source), _gates(target)
    moved = 0
    with transaction.atomic(), acting_as(by, reason=f"Migrated from {source} to {target}"):
        # Lock the rows first: review_request locks the same row, so a review requested since
        # the preview is seen here (and stays under its version) rather than moved under it.
        ids = [m.project_workflow.pk for m in preview.projects if not m.blocked]
        list(ProjectWorkflow.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
        busy = set(
            Review.objects.filter(
                project__workflow__pk__in=ids, state=ReviewState.OPEN
            ).values_list("project_id", flat=True)
        )
        for move in preview.projects:
            pw = move.project_workflow
            if pw.project_id not in chosen or move.blocked or pw.project_id in busy:
                continue
            updated = ProjectWorkflow.objects.filter(pk=pw.pk, version=pw.version).update(
                workflow_version=target,
                next_gate=_map_gate(pw.next_gate, before, after),
                version=pw.version + 1,
            )
            if updated != 1:
                raise DomainError(
                    f"{pw.project.code} changed while you were looking: preview again."
                )
            moved += 1
    return moved
