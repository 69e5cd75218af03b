"""Reference rows both demo sizes share: objectives, scoring criteria and the resource pool.

These tables stay small even in the large set (hundreds of rows), so they are built in
Python and written with COPY like the small set.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portfolio.choices import ResourceKind
from portfolio.models import Resource, ScoringCriterion, StrategicObjective
from projects.demo import texts
from projects.demo.db import DOMAIN_MODELS, Rows

ROLE_RESOURCES = [
    # (name, group index, hours per week): generic capacity bought from partners.
    ("Contract developers", 0, Decimal("150.0")),
    ("Cloud partner engineers", 1, Decimal("75.0")),
    ("Offshore test team", 6, Decimal("112.5")),
]


class Organisation:
    """Holds one Rows per demo table and adds the organisation-wide reference rows."""

    def __init__(self, *, today: date) -> None:
        self.today = today
        self.tables = {model: Rows(model) for model in DOMAIN_MODELS}
        # Resource ids by group index, in creation order: allocations pick from these.
        self.resources_by_group: dict[int, list[int]] = {}
        self.pm_resources: dict[str, int] = {}

    def objective(
        self,
        *,
        name: str,
        weight: Decimal,
        portfolio_id: int | None = None,
        description: str = "",
    ) -> int:
        return self.tables[StrategicObjective].add(
            portfolio_id=portfolio_id, name=name, description=description, weight=weight
        )

    def add_scoring_criteria(self) -> list[int]:
        return [
            self.tables[ScoringCriterion].add(
                name=name,
                description=description,
                weight=Decimal(weight),
                scale_min=1,
                scale_max=5,
                higher_is_better=higher,
                active=True,
            )
            for name, description, weight, higher in texts.SCORING_CRITERIA
        ]

    def add_resources(self, *, per_group: list[int], pm_users: list[tuple[str, str, int]]) -> None:
        """Named people in each group, partner capacity as roles, and the project managers.

        `pm_users` are (username, full name, user id): a PM is capacity too, linked to the login.
        """
        rows = self.tables[Resource]
        n = 0
        for group, count in enumerate(per_group):
            ids = self.resources_by_group.setdefault(group, [])
            for _ in range(count):
                # A different walk over the name grid than the PM logins use, so a resource
                # is rarely a namesake of a user.
                first = texts.FIRST_NAMES[(n * 7 + 3) % len(texts.FIRST_NAMES)]
                last = texts.LAST_NAMES[(n * 3 + n // 40 + 11) % len(texts.LAST_NAMES)]
                hours = Decimal("30.0") if n % 9 == 4 else Decimal("37.5")  # some part-timers
                ids.append(
                    rows.add(
                        name=f"{first} {last}",
                        kind=ResourceKind.PERSON,
                        group=texts.RESOURCE_GROUPS[group],
                        capacity_hours_per_week=hours,
                        active=True,
                    )
                )
                n += 1
        for name, group, hours in ROLE_RESOURCES:
            self.resources_by_group[group].append(
                rows.add(
                    name=name,
                    kind=ResourceKind.ROLE,
                    group=texts.RESOURCE_GROUPS[group],
                    capacity_hours_per_week=hours,
                    active=True,
                )
            )
        for username, full_name, user_id in pm_users:
            self.pm_resources[username] = rows.add(
                name=full_name,
                kind=ResourceKind.PERSON,
                group=texts.PM_RESOURCE_GROUP,
                user_id=user_id,
                capacity_hours_per_week=Decimal("37.5"),
                active=True,
            )
