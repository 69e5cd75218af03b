from __future__ import annotations

from django.http import HttpRequest

from ppm.navigation import items_for
from ppm.roles import roles_of


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": []}
    return {
        "nav_items": items_for(user),
        "user_roles": sorted(role.value for role in roles_of(user)),
    }
