"""Governance data: gate workflows (versioned), intake requests, reviews and their decisions."""

from governance.models.intake import IntakeRequest
from governance.models.review import (
    Delegation,
    Review,
    ReviewDecision,
    ReviewSeat,
)
from governance.models.workflow import (
    ChangeRule,
    CriterionCheck,
    Evidence,
    Gate,
    GateCriterion,
    ProjectWorkflow,
    Workflow,
    WorkflowRule,
    WorkflowVersion,
)

__all__ = [
    "ChangeRule",
    "CriterionCheck",
    "Delegation",
    "Evidence",
    "Gate",
    "GateCriterion",
    "IntakeRequest",
    "ProjectWorkflow",
    "Review",
    "ReviewDecision",
    "ReviewSeat",
    "Workflow",
    "WorkflowRule",
    "WorkflowVersion",
]
