from __future__ import annotations

from django.http import HttpRequest

from ppm.navigation import menu_for
from ppm.roles import roles_of


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": []}
    return {
        "nav_items": menu_for(user),
        "user_roles": sorted(role.value for role in roles_of(user)),
    }


def fiscal_year(request: HttpRequest) -> dict:
    """`fy_start`: the PMO's fiscal-year start month for `{{ year|fy:fy_start }}`, read from
    the policy only if the page shows a fiscal year and its view did not pass it already."""
    from django.utils.functional import SimpleLazyObject

    from portfolio.selectors import fiscal_year_start_month

    return {"fy_start": SimpleLazyObject(fiscal_year_start_month)}
