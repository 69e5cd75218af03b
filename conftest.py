"""Personas shared by every test: one user per role, plus an outsider with no role.

The scope they act in: `director` owns `portfolio`, in which `pm` manages `project`;
`other_director` owns `other_portfolio` with `other_project` managed by `other_pm`.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from portfolio.tests.factories import PortfolioFactory
from ppm.roles import Role
from projects.tests.factories import ProjectFactory


def make_user(username: str, *roles: Role, **extra) -> User:
    user = User.objects.create_user(username=username, password="pw", **extra)
    for role in roles:
        user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture
def director(db) -> User:
    return make_user("dora.director", Role.DIRECTOR, first_name="Dora", last_name="Director")


@pytest.fixture
def other_director(db) -> User:
    return make_user("otto.director", Role.DIRECTOR)


@pytest.fixture
def pm(db) -> User:
    return make_user("ana.silva", Role.PROJECT_MANAGER, first_name="Ana", last_name="Silva")


@pytest.fixture
def other_pm(db) -> User:
    return make_user("raj.patel", Role.PROJECT_MANAGER, first_name="Raj", last_name="Patel")


@pytest.fixture
def pmo(db) -> User:
    return make_user("pat.pmo", Role.PMO)


@pytest.fixture
def executive(db) -> User:
    return make_user("eve.exec", Role.EXECUTIVE)


@pytest.fixture
def outsider(db) -> User:
    return make_user("olly.outsider")


@pytest.fixture
def portfolio(director):
    return PortfolioFactory(director=director, code="ENT", name="Enterprise Applications")


@pytest.fixture
def other_portfolio(other_director):
    return PortfolioFactory(director=other_director, code="INF", name="Infrastructure")


@pytest.fixture
def project(portfolio, pm):
    return ProjectFactory(portfolio=portfolio, manager=pm, code="ERP-01", name="ERP rollout")


@pytest.fixture
def other_project(other_portfolio, other_pm):
    return ProjectFactory(
        portfolio=other_portfolio, manager=other_pm, code="DC-01", name="Data-centre exit"
    )
