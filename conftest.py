"""Personas shared by every test: one user per role, plus an outsider with no role.

The scope they act in: `director` owns `portfolio`, in which `pm` manages `project`;
`other_director` owns `other_portfolio` with `other_project` managed by `other_pm`.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.contrib.auth.models import User

from portfolio.tests.factories import PortfolioFactory, make_user
from ppm.roles import Role
from projects.tests.factories import ProjectFactory


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="retake the pictures in docs/screenshots while the browser tests run "
        "(make screenshots); without it they are left as committed",
    )


def pytest_configure(config) -> None:
    # Browser tests drive Playwright's sync API from the test thread next to live_server.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Read by tests/browser_support.py; set before pytest-xdist starts its workers.
    if config.getoption("screenshots"):
        os.environ["CONDUCTOR_SCREENSHOTS"] = "1"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """Test sessions commit without waiting for the disk: their data is thrown away, and on a
    server of its own (CI's, a developer's) this is the one durability setting a client may
    change. `make test`'s embedded server also runs without fsync and full-page writes."""
    from django.db import connections

    for alias in connections:
        options = connections[alias].settings_dict.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness would dominate the suite; tests do not need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _private_celery_queue():
    """Give this test session its own queue, so a worker of a running app never takes our tasks."""
    from ppm.celery import app

    queue = f"conductor-test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    yield queue


@pytest.fixture
def celery_worker(_private_celery_queue):
    """A real Celery worker consuming from the real Redis broker, in a thread of this process.

    Tests that use it and touch the database must be transactional (the worker's own connection
    cannot see an uncommitted test transaction).
    """
    from celery.contrib.testing.worker import start_worker

    from ppm.celery import app

    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        # The report queue too (reporting.services.reports.report_queue), so a test of a
        # PDF run needs only this one worker.
        queues=[_private_celery_queue, f"{_private_celery_queue}-reports"],
        perform_ping_check=False,
        shutdown_timeout=10,
    ) as worker:
        yield worker


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
