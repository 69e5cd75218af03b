"""The large demo set, generated inside PostgreSQL: INSERT … SELECT over generate_series.

Every value is a pure function of (seed, row id): `Rand` turns an id and a salt into a
pseudo-random integer with `hashint8extended`, so the result never depends on row order,
plan choice or parallelism, and ids are computed rather than drawn from sequences. A first
statement decides each project's story into a temporary table (`seed_p`); every child table
is then one statement joining it. The reference tables (portfolios, resources...) are small
and are built in Python like the small set. Statements live in large_sql.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection

from portfolio.models import Portfolio, Program
from projects.demo import large_sql, texts
from projects.demo.dates import add_months, at
from projects.demo.organisation import Organisation

MILESTONES_PER_PROJECT = len(texts.MILESTONE_PHASES)  # 20
COST_MONTHS = 24
COST_SLOTS = 4
RISKS_PER_PROJECT = 5
PROGRAMS_PER_PORTFOLIO = len(texts.PROGRAM_THEMES)
PROJECTS_PER_PM = 50

# Name templates by category (six each) and qualifiers, combined into project names.
CATEGORIES = list(texts.CATEGORY_MAIN_GROUP)
PROJECT_NAMES = {
    "software": ["Customer portal rebuild", "Salesforce rollout", "Contract management system",
                 "Mobile app release", "Document management replacement", "Field service app"],
    "erp": ["S/4HANA rollout", "Finance close automation", "Procurement integration",
            "Payroll replacement", "Warehouse management", "Treasury system"],
    "workplace": ["Microsoft 365 rollout", "Windows 11 upgrade", "Laptop refresh",
                  "Service desk replacement", "Intranet relaunch", "Meeting room upgrade"],
    "infrastructure": ["Data-centre migration", "Server refresh", "Storage refresh",
                       "Backup modernisation", "Virtualisation upgrade", "Disaster recovery site"],
    "cloud_migration": ["Cloud migration wave", "Azure landing zone", "AWS migration",
                        "Kubernetes platform", "Mainframe offload", "SaaS transition"],
    "network": ["SD-WAN refresh", "Wi-Fi upgrade", "Firewall replacement", "LAN switch refresh",
                "Telephony to Teams", "Network segmentation"],
    "security": ["SIEM replacement", "Zero trust access", "IAM modernisation",
                 "Privileged access management", "Endpoint detection rollout",
                 "Email security upgrade"],
    "data": ["Data platform", "Power BI reporting", "Master data management",
             "Data quality programme", "Customer 360", "Data warehouse exit"],
}  # fmt: skip
QUALIFIERS = [
    "Germany", "France", "UK & Ireland", "Nordics", "Iberia", "Benelux", "Italy", "Poland",
    "North America", "APAC", "Head office", "Plants", "Retail", "Group", "Phase 2", "Wave 3",
]  # fmt: skip
OBJECTIVE_OF_CATEGORY = {
    "software": 3, "erp": 3, "workplace": 4, "infrastructure": 0, "cloud_migration": 0,
    "network": 5, "security": 1, "data": 2,
}  # fmt: skip


class Rand:
    """SQL for a deterministic pseudo-random integer in [0, n) from a key and a salt."""

    def __init__(self, seed: int) -> None:
        self.base = seed * 1000

    def __call__(self, key: str, salt: int, n: int | str) -> str:
        return f"mod(hashint8extended(({key})::bigint, {self.base + salt}) & 2147483647, {n})::int"


def portfolio_count(projects: int) -> int:
    return min(len(texts.PORTFOLIOS), max(1, projects // 500))


SPARSE_BELOW = 100


def volume_problems(counts: dict[str, int], projects: int) -> list[str]:
    """What in `counts` (projects.demo.db.row_counts) breaks the generator's proportions for
    `projects` projects; empty when none. The suite checks them at 200 projects, the bench
    harness at the size it measures (10,000: 1 M cost lines and reports, 200,000 milestones)."""
    exact = {
        "portfolio.Portfolio": portfolio_count(projects),
        "projects.Project": projects,
        "projects.Milestone": projects * MILESTONES_PER_PROJECT,
        "projects.CostLine": projects * COST_MONTHS * COST_SLOTS,
        "projects.Risk": projects * RISKS_PER_PROJECT,
    }
    at_least = {
        "projects.StatusReport": projects * 4,
        "projects.MilestoneForecast": projects * 5,
        "projects.Allocation": projects * 10,
    }
    problems = [
        f"{label}: {counts.get(label, 0):,} rows, expected {want:,}"
        for label, want in exact.items()
        if counts.get(label, 0) != want
    ]
    problems += [
        f"{label}: {counts.get(label, 0):,} rows, expected at least {want:,}"
        for label, want in at_least.items()
        if counts.get(label, 0) < want
    ]
    if projects >= SPARSE_BELOW:
        # Below that, a table filled for one project in ten (delegates…) may rightly be empty.
        problems += [f"{label} is empty" for label, count in counts.items() if not count]
    return problems


@dataclass
class LargeBuilder:
    seed: int
    today: date
    projects: int
    users: dict[str, int]
    names: dict[str, str]
    pms: list[str]  # usernames of every project manager, personas first
    log: Callable[[str], None] = print

    def build(self) -> None:
        org = Organisation(today=self.today)
        directors = self._reference_rows(org)
        for table in org.tables.values():
            if len(table):
                table.write()
        params = self._params(org, directors)
        with connection.cursor() as cursor:
            # Generated rows need no synchronous flush per commit; on a crash the whole seed
            # transaction is lost anyway, and it only has to be run again.
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            for statement in large_sql.statements(Rand(self.seed), self):
                started = time.perf_counter()
                cursor.execute(statement, params)
                words = statement.split()
                self.log(f"{' '.join(words[:3])}: {time.perf_counter() - started:.2f} s")

    def _reference_rows(self, org: Organisation) -> list[int]:
        created = at(add_months(self.today, -48), 9)
        org_objectives = [
            org.objective(name=name, description=description, weight=Decimal(weight))
            for name, description, weight in texts.ORG_OBJECTIVES
        ]
        if org_objectives[0] != 1:
            raise RuntimeError("large_sql expects the organisation objectives to be ids 1–6")
        directors = []
        for i, (code, name, description) in enumerate(texts.PORTFOLIOS[: self.portfolios]):
            # director2 owns every fourth portfolio, so scoping between directors shows.
            director = self.users["director2" if i % 4 == 3 else "director"]
            directors.append(director)
            pid = org.tables[Portfolio].add(
                code=code,
                name=name,
                description=description,
                director_id=director,
                currency="EUR",
                created_at=created,
                updated_at=created,
            )
            for theme in texts.PROGRAM_THEMES:
                manager = self.pms[(pid * 7 + len(theme)) % len(self.pms)]
                org.tables[Program].add(
                    portfolio_id=pid,
                    code=f"{code}-{theme[:5].upper()}",
                    name=f"{name}: {theme} programme",
                    manager_id=self.users[manager],
                )
            org.objective(
                name=f"{name}: deliver the roadmap on budget",
                portfolio_id=pid,
                weight=Decimal("1.00"),
            )
        org.add_scoring_criteria()
        org.add_resources(
            per_group=[self.per_group] * len(texts.RESOURCE_GROUPS),
            pm_users=[(u, self.names[u], self.users[u]) for u in self.pms],
        )
        return directors

    @property
    def portfolios(self) -> int:
        return portfolio_count(self.projects)

    @property
    def per_group(self) -> int:
        """Named people per resource group: about one person per 20 projects overall."""
        return max(5, self.projects // (20 * len(texts.RESOURCE_GROUPS)))

    def _params(self, org: Organisation, directors: list[int]) -> dict[str, object]:
        group_first = [ids[0] for _, ids in sorted(org.resources_by_group.items())]
        return {
            "today": self.today,
            "n": self.projects,
            "portfolio_codes": [code for code, _, _ in texts.PORTFOLIOS[: self.portfolios]],
            "directors": directors,
            "pms": [self.users[u] for u in self.pms],
            "pm_resources": [org.pm_resources[u] for u in self.pms],
            "sponsors": [self.users[u] for u in ("executive", "director", "director2")],
            "categories": CATEGORIES,
            "main_group": [texts.CATEGORY_MAIN_GROUP[c] for c in CATEGORIES],
            "cost_group": [texts.CATEGORY_COST_GROUP[c] for c in CATEGORIES],
            "objective": [OBJECTIVE_OF_CATEGORY[c] + 1 for c in CATEGORIES],
            "names": [name for c in CATEGORIES for name in PROJECT_NAMES[c]],
            "qualifiers": QUALIFIERS,
            "group_first": group_first,
            "phases": texts.MILESTONE_PHASES,
            "key_phases": list(texts.KEY_PHASES),
            "reasons": texts.SLIP_REASONS,
            "openings": [o for rag in ("green", "amber", "red") for o in texts.RAG_OPENINGS[rag]],
            "risk_titles": [r[0] for r in texts.RISKS],
            "risk_descriptions": [r[1] for r in texts.RISKS],
            "risk_plans": [r[2] for r in texts.RISKS],
            "risk_resolutions": texts.RISK_RESOLUTIONS,
            "issue_titles": [i[0] for i in texts.ISSUES],
            "issue_descriptions": [i[1] for i in texts.ISSUES],
            "issue_resolutions": texts.ISSUE_RESOLUTIONS,
            "assumptions": texts.ASSUMPTIONS,
            "assumption_resolutions": texts.ASSUMPTION_RESOLUTIONS,
            "dependency_titles": texts.DEPENDENCY_TITLES,
            "cr_titles": [c[0] for c in texts.CHANGE_REQUESTS],
            "cr_descriptions": [c[1] for c in texts.CHANGE_REQUESTS],
            "cr_approved": texts.CR_DECISIONS["approved"],
            "cr_rejected": texts.CR_DECISIONS["rejected"],
            "lesson_titles": [lesson[0] for lesson in texts.LESSONS],
            "lesson_categories": [lesson[1] for lesson in texts.LESSONS],
            "lesson_happened": [lesson[2] for lesson in texts.LESSONS],
            "lesson_recommendations": [lesson[3] for lesson in texts.LESSONS],
        }
