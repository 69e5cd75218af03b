"""The ranking of a portfolio's live projects, its budget cut line, capacity, and what-if.

Definitions (shown on the page as well):

- A project's *budget* for fiscal year Y is the sum of its planned cost lines in Y's months
  (the fiscal year starts in the PMO's month: portfolio.selectors.current_fiscal_year).
- Projects that are proposed, approved or active *draw* their whole budget. A project on hold
  keeps what was planned for the months already past (spent, or committed) — its *to date*
  part, months before the current one — and releases the rest. Deferring or cancelling a
  project in a what-if therefore releases its plan from the current month on.
- The ranking orders live projects by priority score, highest first; unscored projects come
  last; ties go by code.
- The *cut line* is a strict rank-order cut: starting from the to-date spend of the held
  projects, budgets are added down the ranking; the line falls after the last project whose
  cumulative budget stays within the portfolio's envelope for Y. Every project ranked below
  it does not fit, even a small one.
- Capacity: a resource's hours per week spread over the working days of each month of Y
  (portfolio.capacity, the rule the dashboard's heat map uses too). Demand is the hours
  booked (Allocation) on live projects in Y, by resource group, with the same draw rule as
  money. Resources are shared, so other portfolios' demand on the same groups is shown
  alongside this portfolio's.

`ranking_data` reads everything in a fixed number of queries; `build_ranking` is a pure
function of that data and a what-if, so toggling a project costs no write and no extra query.
"""

from governance.selectors.ranking.data import (
    ProjectFacts,
    RankingData,
    rank_key,
    ranking_data,
)
from governance.selectors.ranking.plan import (
    CapacityRow,
    PlanTotals,
    Position,
    RankedRow,
    Ranking,
    build_ranking,
)
from governance.selectors.ranking.whatif import WhatIf

__all__ = [
    "CapacityRow",
    "PlanTotals",
    "Position",
    "ProjectFacts",
    "RankedRow",
    "Ranking",
    "RankingData",
    "WhatIf",
    "build_ranking",
    "rank_key",
    "ranking_data",
]
