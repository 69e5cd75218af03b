"""Factories of the prioritisation tests: criteria, scores, bookings."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from portfolio.models import ScoringCriterion
from portfolio.tests.factories import ResourceFactory
from projects.models import Allocation, ProjectScore
from projects.tests.factories import ProjectFactory

_seq = itertools.count(1)


def CriterionFactory(**fields) -> ScoringCriterion:
    n = next(_seq)
    fields.setdefault("name", f"Criterion {n}")
    fields.setdefault("weight", Decimal("1.00"))
    fields.setdefault("scale_min", 1)
    fields.setdefault("scale_max", 5)
    return ScoringCriterion.objects.create(**fields)


def ScoreFactory(**fields) -> ProjectScore:
    if "project" not in fields:
        fields["project"] = ProjectFactory()
    if "criterion" not in fields:
        fields["criterion"] = CriterionFactory()
    fields.setdefault("score", 3)
    return ProjectScore.objects.create(**fields)


def AllocationFactory(**fields) -> Allocation:
    fields.setdefault("month", date(2026, 3, 1))
    fields.setdefault("hours", Decimal("40.0"))
    if "resource" not in fields:
        fields["resource"] = ResourceFactory()
    if "project" not in fields:
        fields["project"] = ProjectFactory()
    return Allocation.objects.create(**fields)
