"""Navigation by role: which sections a user sees and where their work starts."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from ppm.roles import Role, has_role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[Role, ...]  # empty: every signed-in user
    superuser_only: bool = False

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Dashboard", "reporting:dashboard", (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE)),
    NavItem("Portfolios", "reporting:portfolio-list", (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE)),
    NavItem("My projects", "projects:mine", (Role.PROJECT_MANAGER, Role.DIRECTOR, Role.PMO)),
    NavItem(
        "Lessons learned",
        "projects:lessons-search",
        (Role.PROJECT_MANAGER, Role.DIRECTOR, Role.PMO, Role.EXECUTIVE),
    ),
    NavItem("My approvals", "governance:approvals", (Role.DIRECTOR, Role.PMO)),
    NavItem("Scoring criteria", "governance:criteria", (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE)),
    NavItem("Figures policy", "governance:policy", (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE)),
    NavItem("Admin", "admin:index", (), superuser_only=True),
)


def items_for(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    visible = []
    for item in NAV_ITEMS:
        if item.superuser_only:
            if user.is_superuser:
                visible.append(item)
        elif not item.roles or has_role(user, *item.roles):
            visible.append(item)
    return visible


def start_page_for(user) -> str:
    """The URL a user lands on after signing in."""
    if has_role(user, Role.DIRECTOR, Role.PMO, Role.EXECUTIVE):
        return reverse("reporting:dashboard")
    if has_role(user, Role.PROJECT_MANAGER):
        return reverse("projects:mine")
    return reverse("no-role")
