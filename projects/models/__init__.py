"""The project domain: projects and everything a project manager keeps up to date."""

from projects.models.baseline import BudgetBaseline, BudgetBaselineMonth
from projects.models.costs import Allocation, CostLine
from projects.models.project import Project, ProjectScore
from projects.models.raid import (
    Assumption,
    ChangeRequest,
    Dependency,
    Issue,
    LessonLearned,
    Risk,
)
from projects.models.rollup import RollupState
from projects.models.schedule import Milestone, MilestoneForecast
from projects.models.status import StatusReport

__all__ = [
    "Allocation",
    "Assumption",
    "BudgetBaseline",
    "BudgetBaselineMonth",
    "ChangeRequest",
    "CostLine",
    "Dependency",
    "Issue",
    "LessonLearned",
    "Milestone",
    "MilestoneForecast",
    "Project",
    "ProjectScore",
    "Risk",
    "RollupState",
    "StatusReport",
]
