"""A plan's milestones against a project's: previewed row by row (create, update or leave
unchanged, with each row's problems), then applied all or nothing through the milestone
services.

Conductor has no task model, so a plan arrives as milestones: its milestone tasks and, when
asked, the end of each phase (a top-level summary task). Milestones are matched by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from ppm.access import can_change
from projects.imports.mspdi.plan import Plan, Task
from projects.models import Milestone, Project
from projects.services import (
    ConflictError,
    DomainError,
    milestone_achieve,
    milestone_create,
    milestone_rebaseline,
    milestone_reforecast,
    milestone_update,
)

# The milestone services' own date rule (within the project, not before its start): the
# preview applies it so that a row it shows as fine is one the services accept.
from projects.services.milestones import _check_within_project


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass
class MilestoneRow:
    """What importing one milestone task (or phase end) would do to the project."""

    action: RowAction
    name: str
    baseline_date: date | None
    forecast_date: date | None
    actual_date: date | None
    is_key: bool
    task_uid: int
    task_label: str
    phase_end: bool = False
    description: str = ""
    milestone_id: int | None = None
    milestone_version: int | None = None
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class MilestonePreview:
    """A dry run of a plan's import into a project's milestones; nothing is written."""

    project_id: int
    plan_name: str
    rows: list[MilestoneRow]
    notes: list[str]
    unsupported: list[str]

    @property
    def errors(self) -> list[str]:
        return [error for row in self.rows for error in row.errors]

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: RowAction) -> int:
        return sum(1 for row in self.rows if row.action == action)


def _key(name: str) -> str:
    """Milestones match by name, whatever its case and spacing."""
    return " ".join(name.split()).casefold()


def _day(value: date | None) -> str:
    return f"{value.day} {value:%b %Y}" if value else "none"


def plan_milestones(
    plan: Plan,
    project: Project,
    *,
    summaries_as_milestones: bool = False,
    today: date | None = None,
) -> MilestonePreview:
    """What importing `plan` would do to `project`'s milestones, row by row: its milestone
    tasks (flagged, or of zero duration) and, with `summaries_as_milestones`, the end of each
    top-level summary task (a phase). One query; nothing is written."""
    today = today or timezone.localdate()
    existing: dict[str, list[Milestone]] = {}
    for milestone in Milestone.objects.filter(project=project).order_by("pk"):
        existing.setdefault(_key(milestone.name), []).append(milestone)
    preview = MilestonePreview(
        project_id=project.pk,
        plan_name=plan.name,
        rows=[],
        notes=[],
        unsupported=list(plan.unsupported),
    )
    named: dict[str, str] = {}
    for task in plan.tasks:
        phase = task.summary and task.parent_uid is None
        if phase and summaries_as_milestones:
            row = _row(task, phase_end=True)
        elif not task.summary and (task.milestone or task.duration_days == 0):
            row = _row(task, phase_end=False)
        else:
            preview.notes.extend(
                f"{error} (It is not imported, so this does not hold the import up.)"
                for error in task.errors
            )
            continue
        if not task.active:
            preview.notes.append(f"{task.label} is inactive in the plan and is not imported.")
            continue
        _check_row(row, project, today)
        key = _key(row.name)
        if key in named:
            row.errors.append(
                f"{row.task_label}: {named[key]} has the same name; milestones are matched by "
                "name, so rename one of them in Project."
            )
        named.setdefault(key, row.task_label)
        _match(row, existing.get(key, []), preview.notes)
        preview.rows.append(row)
    if not preview.rows:
        preview.notes.append(
            "The plan has no milestone tasks (marked as milestones, or of zero duration)."
        )
    return preview


def _row(task: Task, *, phase_end: bool) -> MilestoneRow:
    done = task.finish if task.percent_complete == 100 else None
    return MilestoneRow(
        action=RowAction.CREATE,
        name=task.name.strip(),
        baseline_date=task.baseline_finish or task.finish,
        forecast_date=task.finish,
        actual_date=task.actual_finish or done,
        is_key=not phase_end,
        task_uid=task.uid,
        task_label=f"{task.label} (phase end)" if phase_end else task.label,
        phase_end=phase_end,
        description=task.notes,
        errors=list(task.errors),
    )


def _check_row(row: MilestoneRow, project: Project, today: date) -> None:
    label = row.task_label
    if not row.name:
        row.errors.append(f"{label}: it has no name; name it in Project.")
    limit = Milestone._meta.get_field("name").max_length
    if len(row.name) > limit:
        row.errors.append(
            f"{label}: its name is {len(row.name)} characters long; a milestone's name has at "
            f"most {limit}. Shorten it in Project."
        )
    if row.forecast_date is None:
        if not row.errors:  # an unreadable finish has its own error already
            row.errors.append(f"{label}: it has no finish date. Schedule it in Project.")
        return
    for value, what in (
        (row.baseline_date, "baseline date"),
        (row.forecast_date, "finish"),
        (row.actual_date, "actual finish"),
    ):
        if value is None:
            continue
        try:
            _check_within_project(project, value, what)
        except DomainError as error:
            row.errors.append(f"{label}: its {what} {_day(value)} does not fit: {error.message}")
    if row.actual_date and row.actual_date > today:
        row.errors.append(
            f"{label}: it is complete on {_day(row.actual_date)}, which is after today "
            f"({_day(today)}). Correct its actual finish or % complete in Project."
        )


def _match(row: MilestoneRow, candidates: list[Milestone], notes: list[str]) -> None:
    if len(candidates) > 1:
        row.errors.append(
            f"{row.task_label}: the project has {len(candidates)} milestones named "
            f"‘{candidates[0].name}’, so it is not clear which one the task is. Rename them "
            "in Conductor first."
        )
        return
    if not candidates:
        return
    milestone = candidates[0]
    row.milestone_id, row.milestone_version = milestone.pk, milestone.version
    row.changes = [text for _, text in _differences(milestone, row)]
    row.action = RowAction.UPDATE if row.changes else RowAction.UNCHANGED
    if milestone.actual_date and row.forecast_date != milestone.forecast_date:
        notes.append(
            f"‘{milestone.name}’ is already achieved in Conductor: its forecast stays "
            f"{_day(milestone.forecast_date)}."
        )
    if milestone.actual_date and row.actual_date is None:
        notes.append(
            f"‘{milestone.name}’ is achieved in Conductor but not complete in the plan; it "
            "stays achieved."
        )


def _differences(milestone: Milestone, row: MilestoneRow) -> list[tuple[str, str]]:
    """What the import changes on an existing milestone: (field, what the user reads).
    A forecast of an achieved milestone stays, and an import never un-achieves one."""
    changes = []
    if row.is_key != milestone.is_key:
        changes.append(("is_key", "becomes a key milestone" if row.is_key else "no longer key"))
    if row.baseline_date != milestone.baseline_date:
        changes.append(
            (
                "baseline_date",
                f"baseline {_day(milestone.baseline_date)} → {_day(row.baseline_date)}",
            )
        )
    if milestone.actual_date is None and row.forecast_date != milestone.forecast_date:
        changes.append(
            (
                "forecast_date",
                f"forecast {_day(milestone.forecast_date)} → {_day(row.forecast_date)}",
            )
        )
    if row.actual_date is not None and row.actual_date != milestone.actual_date:
        changes.append(("actual_date", f"achieved {_day(row.actual_date)}"))
    return changes


# --- Applying a preview ------------------------------------------------------------------------


def apply_milestones(preview: MilestonePreview, project: Project, *, by) -> int:
    """Write a checked preview in one transaction, all rows or none, through the milestone
    services (history, forecasts, the rollup's stale mark). Returns the rows written.

    Refused: a preview with any row error, one made for another project, a user who may not
    change the project (PermissionDenied), and a preview overtaken by another change to the
    project's milestones (check the plan again)."""
    if preview.project_id != project.pk:
        raise DomainError("This plan was checked against another project: check it again here.")
    if not can_change(by, project):
        raise PermissionDenied("You may view this project but not change it.")
    errors = preview.errors
    if errors:
        more = f" (and {len(errors) - 1:,} more)" if len(errors) > 1 else ""
        raise DomainError(
            f"Fix the plan first: {errors[0].rstrip('.')}{more}. Nothing was imported.",
            field="file",
        )
    reason = f"Imported from the Microsoft Project plan “{preview.plan_name[:100]}”"
    written = 0
    with transaction.atomic():
        # Two imports into one project wait for each other rather than both creating a row.
        Project.objects.select_for_update().filter(pk=project.pk).values_list("pk").first()
        current = {m.pk: m for m in Milestone.objects.select_for_update().filter(project=project)}
        names = {_key(m.name) for m in current.values()}
        for row in preview.rows:
            milestone = _current(row, current, names)
            if row.action == RowAction.UNCHANGED:
                continue
            try:
                _write(row, milestone, project, by=by, reason=reason)
            except DomainError as error:
                raise DomainError(
                    f"{row.task_label}: {error.message} Nothing was imported.", field="file"
                ) from None
            except ConflictError:  # cannot happen under the lock; kept all-or-nothing anyway
                raise DomainError(_overtaken(row), field="file") from None
            written += 1
    return written


def _overtaken(row: MilestoneRow) -> str:
    return (
        f"‘{row.name}’ was changed in Conductor after the plan was checked. Check the plan "
        "again to see the change; nothing was imported."
    )


def _current(row: MilestoneRow, current: dict[int, Milestone], names: set[str]) -> Milestone | None:
    """The row's milestone as locked now, if it is still as the preview saw it."""
    if row.milestone_id is None:
        if _key(row.name) in names:
            raise DomainError(_overtaken(row), field="file")
        return None
    milestone = current.get(row.milestone_id)
    if milestone is None or milestone.version != row.milestone_version:
        raise DomainError(_overtaken(row), field="file")
    return milestone


def _write(
    row: MilestoneRow, milestone: Milestone | None, project: Project, *, by, reason: str
) -> None:
    """One row through the milestone services, each call with the version the last left."""
    if milestone is None:
        milestone = milestone_create(
            project=project,
            name=row.name,
            baseline_date=row.baseline_date,
            forecast_date=row.forecast_date,
            is_key=row.is_key,
            description=row.description,
            by=by,
        )
        changed = {"actual_date"} if row.actual_date else set()
    else:
        milestone.project = project  # the services read its dates; no query per row
        changed = {name for name, _ in _differences(milestone, row)}
    if "is_key" in changed:
        milestone_update(
            milestone=milestone,
            expected_version=milestone.version,
            by=by,
            name=milestone.name,
            description=milestone.description,
            is_key=row.is_key,
            weight=milestone.weight,
        )
    if "baseline_date" in changed:
        milestone_rebaseline(
            milestone=milestone,
            expected_version=milestone.version,
            baseline_date=row.baseline_date,
            by=by,
            reason=reason,
        )
    if "forecast_date" in changed:
        milestone_reforecast(
            milestone=milestone,
            expected_version=milestone.version,
            forecast_date=row.forecast_date,
            by=by,
            reason=reason,
        )
    if "actual_date" in changed:
        milestone_achieve(
            milestone=milestone,
            expected_version=milestone.version,
            actual_date=row.actual_date,
            by=by,
        )
