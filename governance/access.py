"""Who may read and change prioritisation: scoring criteria, scores and rebalancing.

Built on ppm.access (object scope) and ppm.roles: the PMO owns the criteria; a portfolio's
director (or the PMO) scores its projects and rebalances it — `ppm.access.can_change` on the
portfolio; executives read everything and may explore what-if scenarios but change nothing;
project managers have no portfolio pages (`ppm.access.require_portfolio_reader`).
"""

from __future__ import annotations

from ppm.access import PORTFOLIO_ROLES
from ppm.roles import Role, has_role


def may_manage_criteria(user) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, Role.PMO))


def may_read_criteria(user) -> bool:
    return user.is_authenticated and has_role(user, *PORTFOLIO_ROLES)
