"""Every write of prioritisation goes through a function here (STYLE.md §1): scoring
criteria (PMO), project scores (director or PMO) and portfolio rebalancing."""

from governance.services.criteria import criterion_create, criterion_update
from governance.services.rebalance import (
    RebalanceChange,
    RebalanceConflict,
    RebalanceRefused,
    portfolio_rebalance,
)
from governance.services.scores import ScoreInput, ScoresChanged, ScoresSaved, project_scores_set

__all__ = [
    "RebalanceChange",
    "RebalanceConflict",
    "RebalanceRefused",
    "ScoreInput",
    "ScoresChanged",
    "ScoresSaved",
    "criterion_create",
    "criterion_update",
    "portfolio_rebalance",
    "project_scores_set",
]
