"""Navigation by role: which sections a user sees and where their work starts."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from ppm.roles import ALL_ROLES, Role, has_role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[Role, ...]  # empty: every signed-in user
    superuser_only: bool = False
    # URL name of a count shown beside the label, fetched by htmx once the page has loaded
    # (so no page pays a query for it).
    badge: str = ""
    group: str = ""  # shown in the named menu rather than on the bar

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    @property
    def badge_url(self) -> str:
        return reverse(self.badge) if self.badge else ""


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Dashboard", "reporting:dashboard", (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE)),
    NavItem("Portfolios", "reporting:portfolio-list", (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE)),
    NavItem("My projects", "projects:mine", (Role.PROJECT_MANAGER, Role.DIRECTOR, Role.PMO)),
    NavItem(
        "Lessons learned",
        "projects:lessons-search",
        (Role.PROJECT_MANAGER, Role.DIRECTOR, Role.PMO, Role.EXECUTIVE),
    ),
    # Anyone may be named an approver or stand in for one (a project manager too).
    NavItem("My approvals", "governance:approvals", ALL_ROLES, badge="governance:approvals-badge"),
    # The PMO's configuration and the gate figures, in one menu so the bar stays one line.
    NavItem(
        "Gate metrics",
        "reporting:gate-metrics",
        (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE),
        group="Governance",
    ),
    NavItem("Workflows", "governance:workflows", (Role.PMO,), group="Governance"),
    NavItem(
        "Scoring criteria",
        "governance:criteria",
        (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE),
        group="Governance",
    ),
    NavItem(
        "Figures policy",
        "governance:policy",
        (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE),
        group="Governance",
    ),
    # PDF reports (issue 11): the library for every role, the schedules for the PMO.
    NavItem("Report library", "reporting:library", ALL_ROLES, group="Reports"),
    NavItem("Report definitions", "reporting:definitions", (Role.PMO,), group="Reports"),
    # Anyone signed in may ask for a project, a role or not (issue 10, intake).
    NavItem("Intake", "governance:intake-list", ()),
    NavItem("Inbox", "inbox", ALL_ROLES, badge="inbox-badge"),
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


@dataclass(frozen=True)
class NavGroup:
    label: str
    items: tuple[NavItem, ...]

    @property
    def urls(self) -> list[str]:
        return [item.url for item in self.items]


def menu_for(user) -> list[NavItem | NavGroup]:
    """The bar: items in order, each group as one menu where its first item stands."""
    menu: list[NavItem | NavGroup] = []
    for item in items_for(user):
        if not item.group:
            menu.append(item)
            continue
        group = next((g for g in menu if isinstance(g, NavGroup) and g.label == item.group), None)
        if group is None:
            menu.append(NavGroup(item.group, (item,)))
        else:
            menu[menu.index(group)] = NavGroup(group.label, (*group.items, item))
    return menu


def start_page_for(user) -> str:
    """The URL a user lands on after signing in."""
    if has_role(user, Role.DIRECTOR, Role.PMO, Role.EXECUTIVE):
        return reverse("reporting:dashboard")
    if has_role(user, Role.PROJECT_MANAGER):
        return reverse("projects:mine")
    return reverse("no-role")
