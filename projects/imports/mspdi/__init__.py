"""Microsoft Project plans saved as XML (MSPDI) on their way in: the file read into a Plan,
the plan's milestones previewed against a project's, and the preview applied.

Project desktop and Project Online save a plan as "XML" (File › Save As › XML Format): one
<Project> element in the namespace NS, holding the plan's calendars, tasks, resources and
assignments. Conductor has no task model, so a plan arrives as milestones: its milestone tasks
and, when asked, the end of each phase (a top-level summary task). What the file holds beyond
that is named in Plan.unsupported, so nobody expects links or resources to have come across.

An upload is untrusted. It is parsed with defusedxml (no DTD, no entities) as a stream that
keeps one task in memory at a time, within MSPDI_MAX_BYTES and MSPDI_MAX_TASKS. What is wrong
with the whole file is a DomainError saying what to do; what is wrong with one task is that
task's error, so that a preview shows every problem at once.

The parts, each leaning only on those before it:
- values: MSPDI's numbers, flags, dates and durations as text → values;
- reading: bytes → XML events → raw items (sniffing, encodings, limits, defusedxml);
- calendars: the working calendars, resolved through their base calendars;
- plan: the Plan and its Tasks (durations, outline parents, each task's errors);
- milestones: the plan's milestones previewed against a project's, and applied;
- kept: a checked preview kept on the server behind a token until it is applied.
"""

from projects.imports.mspdi.calendars import Calendar
from projects.imports.mspdi.kept import (
    MilestoneImportKept,
    milestone_import_keep,
    milestone_import_take,
)
from projects.imports.mspdi.milestones import (
    MilestonePreview,
    MilestoneRow,
    RowAction,
    apply_milestones,
    plan_milestones,
)
from projects.imports.mspdi.plan import NOTES_MAX_CHARS, Plan, Task, parse_mspdi
from projects.imports.mspdi.reading import MSPDI_MAX_BYTES, MSPDI_MAX_TASKS, NS

__all__ = [
    "MSPDI_MAX_BYTES",
    "MSPDI_MAX_TASKS",
    "NOTES_MAX_CHARS",
    "NS",
    "Calendar",
    "MilestoneImportKept",
    "MilestonePreview",
    "MilestoneRow",
    "Plan",
    "RowAction",
    "Task",
    "apply_milestones",
    "milestone_import_keep",
    "milestone_import_take",
    "parse_mspdi",
    "plan_milestones",
]
