"""Who may see and change what: the one place every view and API endpoint asks.

Rules (DESIGN.md §6):
- superusers and PMO see everything; PMO may change anything;
- a director sees and changes the portfolios they direct and everything inside them;
- a project manager sees and changes the projects they manage or are delegated on;
- an executive sees everything and changes nothing;
- a user with no role sees nothing.

Objects are placed in scope by the path that leads to their portfolio and project, so one
rule serves every model: `Project` → (portfolio, project); `Milestone` → project; and so on.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from ppm.roles import Role, has_role

User = AbstractBaseUser | AnonymousUser

# Lookup from a model to its portfolio and, where it belongs to one, its project.
# Models not listed here are scoped through a `project` foreign key when they have one.
_PATHS: dict[str, tuple[str, str | None]] = {
    "portfolio.portfolio": ("", None),
    "portfolio.portfoliobudget": ("portfolio", None),
    "portfolio.program": ("portfolio", None),
    "portfolio.strategicobjective": ("portfolio", None),
    "projects.project": ("portfolio", ""),
    "projects.milestoneforecast": ("milestone__project__portfolio", "milestone__project"),
}


def _paths(model: type[models.Model]) -> tuple[str, str | None]:
    label = model._meta.label_lower
    if label in _PATHS:
        return _PATHS[label]
    try:
        model._meta.get_field("project")
    except Exception:
        raise TypeError(f"{label} has no portfolio or project to scope by") from None
    return "project__portfolio", "project"


def _join(prefix: str, field: str) -> str:
    return f"{prefix}__{field}" if prefix else field


def _see_everything(user: User) -> bool:
    return user.is_superuser or has_role(user, Role.PMO, Role.EXECUTIVE)


def _scope_q(user: User, model: type[models.Model], *, write: bool) -> Q | None:
    """A Q selecting the rows `user` may see (write=False) or change (write=True).

    None means "every row"; an empty match is Q(pk__in=[]).
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser or has_role(user, Role.PMO):
        return None
    if not write and _see_everything(user):
        return None
    portfolio_path, project_path = _paths(model)
    q = Q(pk__in=[])
    if has_role(user, Role.DIRECTOR):
        q |= Q(**{_join(portfolio_path, "director"): user})
    if has_role(user, Role.PROJECT_MANAGER) and project_path is not None:
        q |= Q(**{_join(project_path, "manager"): user}) | Q(
            **{_join(project_path, "delegates"): user}
        )
    return q


def scope(queryset: models.QuerySet, user: User, *, write: bool = False) -> models.QuerySet:
    """Narrow any queryset to the rows `user` may see (or change, with write=True)."""
    q = _scope_q(user, queryset.model, write=write)
    if q is None:
        return queryset
    # Delegates is a many-to-many: distinct() keeps one row per object when several match.
    scoped = queryset.filter(q)
    return scoped.distinct() if has_role(user, Role.PROJECT_MANAGER) else scoped


def can_view(user: User, obj: models.Model) -> bool:
    return scope(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def can_change(user: User, obj: models.Model) -> bool:
    if not user.is_authenticated:
        return False
    q = _scope_q(user, type(obj), write=True)
    if q is None:
        return True
    if _paths(type(obj))[0] == "":
        # A portfolio itself: its director is on the row in hand, no query needed.
        return has_role(user, Role.DIRECTOR) and obj.director_id == user.pk
    return type(obj)._default_manager.filter(q, pk=obj.pk).exists()


def require_view(user: User, obj: models.Model) -> None:
    if not can_view(user, obj):
        raise PermissionDenied("You do not have access to this item.")


def require_change(user: User, obj: models.Model) -> None:
    if not can_change(user, obj):
        raise PermissionDenied("You may not change this item.")


# Roles that read portfolio pages (dashboard, lists, prioritisation); project managers work
# on their projects instead.
PORTFOLIO_ROLES = (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE)


def require_portfolio_reader(user: User, portfolio: models.Model | None = None) -> None:
    """403 unless `user` holds a portfolio role (and may see `portfolio`, when given)."""
    if not has_role(user, *PORTFOLIO_ROLES):
        raise PermissionDenied("Portfolios are for directors, PMO and executives.")
    if portfolio is not None:
        require_view(user, portfolio)
