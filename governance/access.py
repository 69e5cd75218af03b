"""Who may read and change prioritisation: scoring criteria, scores and rebalancing.

Built on ppm.access (object scope) and ppm.roles: the PMO owns the criteria; a portfolio's
director (or the PMO) scores its projects and rebalances it; executives read everything and
may explore what-if scenarios but change nothing; project managers have no portfolio pages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from portfolio.models import Portfolio
from ppm.access import require_view
from ppm.roles import Role, has_role

PORTFOLIO_ROLES = (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE)


def may_manage_criteria(user) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, Role.PMO))


def may_read_criteria(user) -> bool:
    return user.is_authenticated and has_role(user, *PORTFOLIO_ROLES)


def may_steer(user, portfolio: Portfolio) -> bool:
    """Score a portfolio's projects and rebalance it: its director or the PMO. No query beyond
    the user's (cached) roles."""
    return user.is_authenticated and (
        user.is_superuser
        or has_role(user, Role.PMO)
        or (has_role(user, Role.DIRECTOR) and portfolio.director_id == user.pk)
    )


def require_portfolio_reader(user, portfolio: Portfolio) -> None:
    """403 unless the user holds a portfolio role and may see this portfolio."""
    if not has_role(user, *PORTFOLIO_ROLES):
        raise PermissionDenied("Portfolios are for directors, PMO and executives.")
    require_view(user, portfolio)
