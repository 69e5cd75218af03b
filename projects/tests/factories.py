"""Plain factory functions for the project domain: each makes a valid row."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from portfolio.tests.factories import PortfolioFactory, UserFactory
from projects.choices import Category, CostCategory, ExpenseType, LifecycleState
from projects.models import CostLine, Milestone, Project, Risk, StatusReport

_seq = itertools.count(1)


def ProjectFactory(**fields) -> Project:
    n = next(_seq)
    fields.setdefault("code", f"PRJ-{n:04d}")
    fields.setdefault("name", f"Project {n}")
    fields.setdefault("category", Category.SOFTWARE)
    fields.setdefault("state", LifecycleState.ACTIVE)
    fields.setdefault("baseline_start", date(2026, 1, 5))
    fields.setdefault("baseline_finish", date(2026, 12, 18))
    fields.setdefault("budget_at_completion", Decimal("250000.00"))
    if "portfolio" not in fields:
        fields["portfolio"] = PortfolioFactory()
    if "manager" not in fields:
        fields["manager"] = UserFactory()
    return Project.objects.create(**fields)


def MilestoneFactory(**fields) -> Milestone:
    n = next(_seq)
    fields.setdefault("name", f"Milestone {n}")
    fields.setdefault("baseline_date", date(2026, 6, 30))
    fields.setdefault("forecast_date", fields["baseline_date"])
    if "project" not in fields:
        fields["project"] = ProjectFactory()
    return Milestone.objects.create(**fields)


def StatusReportFactory(**fields) -> StatusReport:
    fields.setdefault("period_end", date(2026, 10, 31))
    if "project" not in fields:
        fields["project"] = ProjectFactory()
    return StatusReport.objects.create(**fields)


def CostLineFactory(**fields) -> CostLine:
    fields.setdefault("month", date(2026, 3, 1))
    fields.setdefault("expense_type", ExpenseType.OPEX)
    fields.setdefault("category", CostCategory.LABOUR)
    fields.setdefault("planned", Decimal("10000.00"))
    if "project" not in fields:
        fields["project"] = ProjectFactory()
    return CostLine.objects.create(**fields)


def RiskFactory(**fields) -> Risk:
    n = next(_seq)
    fields.setdefault("title", f"Risk {n}")
    fields.setdefault("probability", 3)
    fields.setdefault("impact", 3)
    if "project" not in fields:
        fields["project"] = ProjectFactory()
    return Risk.objects.create(**fields)
