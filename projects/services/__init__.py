"""Every write to the project domain goes through a function here (STYLE.md §1).

Each one validates, writes inside its own transaction with the audit context set, refuses a
save based on an old version (ConflictError), and marks the project's rollup stale.
"""

from projects.services.changes import change_request_decide, change_request_raise
from projects.services.common import ConflictError, DomainError
from projects.services.costs import (
    CellKey,
    cost_cell_set,
    cost_csv_preview,
    cost_import_apply,
    cost_paste_preview,
)
from projects.services.milestones import (
    milestone_achieve,
    milestone_create,
    milestone_rebaseline,
    milestone_reforecast,
    milestone_update,
)
from projects.services.project import project_create, project_edit, project_replan
from projects.services.raid import raid_close, raid_create, raid_reopen, raid_update
from projects.services.status import (
    status_report_correct,
    status_report_discard,
    status_report_start,
    status_report_submit,
    status_report_submit_check,
    status_report_update,
)

__all__ = [
    "CellKey",
    "ConflictError",
    "DomainError",
    "change_request_decide",
    "change_request_raise",
    "cost_cell_set",
    "cost_csv_preview",
    "cost_import_apply",
    "cost_paste_preview",
    "milestone_achieve",
    "milestone_create",
    "milestone_rebaseline",
    "milestone_reforecast",
    "milestone_update",
    "project_create",
    "project_edit",
    "project_replan",
    "raid_close",
    "raid_create",
    "raid_reopen",
    "raid_update",
    "status_report_correct",
    "status_report_discard",
    "status_report_start",
    "status_report_submit",
    "status_report_submit_check",
    "status_report_update",
]
