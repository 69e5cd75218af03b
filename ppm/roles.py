"""The four roles of Conductor, kept as Django groups (created by a data migration)."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied


class Role(StrEnum):
    DIRECTOR = "Director"
    PROJECT_MANAGER = "Project manager"
    PMO = "PMO"
    EXECUTIVE = "Executive"


ALL_ROLES = tuple(Role)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[Role]:
    """The roles a user holds, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_conductor_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._conductor_roles = cached
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(roles_of(user).intersection(roles)))


def require_a_role(user: AbstractBaseUser | AnonymousUser, *, why: str) -> None:
    """403 with `why` unless `user` holds some role: what acts as a person (a token, a feed)
    is for someone who has something to reach."""
    if not has_role(user, *ALL_ROLES):
        raise PermissionDenied(why)
