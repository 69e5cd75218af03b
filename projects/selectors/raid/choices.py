"""What the RAID forms offer: owners, projects to depend on and their milestones — each a
bounded list from one query, so no select ever carries thousands of rows."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, IntegerField, Q, When

from ppm.access import scope
from ppm.roles import ALL_ROLES
from projects.models import Milestone, Project

OWNER_LIMIT = 200
PROJECT_OPTIONS_LIMIT = 20
MILESTONE_OPTIONS_LIMIT = 300


def owner_choices(*, project: Project, include: Iterable[int | None] = ()) -> list:
    """Who can own a RAID item: the project's own people first (manager, delegates, sponsor,
    the portfolio's director, and `include`, e.g. the current owner), then colleagues who hold
    a role, by name — capped at OWNER_LIMIT so a select never carries thousands of rows.

    One query (subqueries for the delegates and the role holders).
    """
    user_model = get_user_model()
    own_ids = {project.manager_id, project.sponsor_id, project.portfolio.director_id, *include}
    own = Q(pk__in=[pk for pk in own_ids if pk is not None]) | Q(
        pk__in=Project.delegates.through.objects.filter(project_id=project.pk).values("user_id")
    )
    role_holders = Q(
        pk__in=user_model.groups.through.objects.filter(
            group__name__in=[role.value for role in ALL_ROLES]
        ).values("user_id")
    )
    return list(
        user_model.objects.filter(own | (role_holders & Q(is_active=True)))
        .annotate(rank=Case(When(own, then=0), default=1, output_field=IntegerField()))
        .order_by("rank", "first_name", "last_name", "username")[:OWNER_LIMIT]
    )


def dependable_projects(*, project: Project, user: AbstractBaseUser, term: str) -> list[Project]:
    """Projects the user may see whose code or name contains `term`, for the "depends on"
    suggestions (one query, at most PROJECT_OPTIONS_LIMIT rows)."""
    term = term.strip()[:60]
    qs = scope(Project.objects.exclude(pk=project.pk), user)
    if term:
        qs = qs.filter(Q(code__icontains=term) | Q(name__icontains=term))
    return list(qs.order_by("code").only("pk", "code", "name")[:PROJECT_OPTIONS_LIMIT])


def visible_project_by_code(*, user: AbstractBaseUser, code: str) -> Project | None:
    """The project with this code, if the user may see it (one query)."""
    code = code.strip()
    # A posted code is read before the form validates it (to offer its milestones); one
    # holding a NUL names no project, and PostgreSQL could not compare it.
    if not code or "\x00" in code:
        return None
    return scope(Project.objects.filter(code__iexact=code), user).first()


def milestones_of(*, project_id: int | None) -> list[Milestone]:
    """A project's milestones in date order, for a select (one query; none without a project)."""
    if project_id is None:
        return []
    return list(
        Milestone.objects.filter(project_id=project_id).order_by("forecast_date", "pk")[
            :MILESTONE_OPTIONS_LIMIT
        ]
    )
