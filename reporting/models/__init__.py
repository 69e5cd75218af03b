"""reporting's models: the rollup tables the engine writes (`rollups`) and the reports made
from them (`reports`: definitions, their schedules, runs and deliveries)."""

from reporting.models.reports import (
    ReportDefinition,
    ReportDelivery,
    ReportRun,
    ReportSchedule,
)
from reporting.models.rollups import (
    IN_FLIGHT,
    PortfolioDemand,
    PortfolioMonth,
    PortfolioRollup,
    PortfolioSeriesState,
    ProjectRollup,
    ProjectRollupSnapshot,
)

__all__ = [
    "IN_FLIGHT",
    "PortfolioDemand",
    "PortfolioMonth",
    "PortfolioRollup",
    "PortfolioSeriesState",
    "ProjectRollup",
    "ProjectRollupSnapshot",
    "ReportDefinition",
    "ReportDelivery",
    "ReportRun",
    "ReportSchedule",
]
