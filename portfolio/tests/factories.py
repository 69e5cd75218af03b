"""Plain factory functions: each makes a valid row with overridable fields."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.contrib.auth.models import Group, User

from portfolio.models import Portfolio, PortfolioBudget, Resource
from ppm.roles import Role

_seq = itertools.count(1)


def UserFactory(**fields) -> User:
    n = next(_seq)
    fields.setdefault("username", f"user{n}")
    return User.objects.create_user(password=fields.pop("password", "pw"), **fields)


def make_user(username: str, *roles: Role, **extra) -> User:
    """A user holding the given roles (password "pw")."""
    user = User.objects.create_user(username=username, password="pw", **extra)
    for role in roles:
        user.groups.add(Group.objects.get(name=role.value))
    return user


def PortfolioFactory(**fields) -> Portfolio:
    n = next(_seq)
    fields.setdefault("code", f"PF{n}")
    fields.setdefault("name", f"Portfolio {n}")
    fields.setdefault("currency", "EUR")
    if "director" not in fields:
        fields["director"] = UserFactory()
    return Portfolio.objects.create(**fields)


def PortfolioBudgetFactory(**fields) -> PortfolioBudget:
    fields.setdefault("fiscal_year", 2026)
    fields.setdefault("amount", Decimal("1000000.00"))
    if "portfolio" not in fields:
        fields["portfolio"] = PortfolioFactory()
    return PortfolioBudget.objects.create(**fields)


def ResourceFactory(**fields) -> Resource:
    n = next(_seq)
    fields.setdefault("name", f"Resource {n}")
    fields.setdefault("group", "Developers")
    return Resource.objects.create(**fields)
