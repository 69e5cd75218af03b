"""Property: for any data, the set-based rollup SQL equals the Python definitions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio.choices import EvMethod
from portfolio.tests.factories import PortfolioFactory
from projects.services.baseline import record_budget_change
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)
from reporting.engine import recompute
from reporting.tests.test_engine import AS_OF, actual, expected

pytestmark = pytest.mark.django_db

money = st.decimals(min_value=0, max_value=Decimal("5000000"), places=2)
months = st.integers(min_value=0, max_value=23).map(lambda n: date(2025 + (n // 12), n % 12 + 1, 1))
days = st.integers(min_value=-200, max_value=200).map(lambda n: AS_OF + timedelta(days=n))

cost_lines = st.lists(
    st.tuples(
        months,
        st.sampled_from(["capex", "opex"]),
        st.sampled_from(["labour", "vendor", "licence", "hardware", "cloud"]),
        money,
        money,
    ),
    max_size=12,
    unique_by=lambda t: (t[0], t[1], t[2]),
)
reports = st.lists(
    st.tuples(days, st.decimals(min_value=0, max_value=100, places=2), st.booleans()),
    max_size=4,
    unique_by=lambda t: t[0],
)
milestones = st.lists(
    st.tuples(
        days,
        st.integers(-30, 90),
        st.one_of(st.none(), st.integers(-20, 40)),
        st.booleans(),
        st.decimals(min_value=0, max_value=50, places=2),
    ),
    max_size=6,
)
risks = st.lists(
    st.tuples(st.integers(1, 5), st.integers(1, 5), st.one_of(st.none(), money), st.booleans()),
    max_size=6,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    bac=money,
    lines=cost_lines,
    reps=reports,
    stones=milestones,
    rsk=risks,
    methods=st.tuples(st.sampled_from(EvMethod.values), st.sampled_from(["", *EvMethod.values])),
    finish=st.one_of(st.none(), days),
    held=st.one_of(st.none(), st.just(None), days),
    on_hold=st.booleans(),
    rebaselines=st.lists(st.tuples(months, money), max_size=3, unique_by=lambda t: t[0]),
)
def test_sql_rollup_equals_python_definition(
    pm, bac, lines, reps, stones, rsk, methods, finish, held, on_hold, rebaselines
):
    portfolio_method, project_method = methods
    with transaction.atomic():
        project = ProjectFactory(
            manager=pm,
            budget_at_completion=bac,
            baseline_start=date(2024, 1, 1),
            ev_method=project_method,
            actual_finish=finish,
            state="on_hold" if on_hold else "active",
            on_hold_since=held if on_hold else None,
            portfolio=PortfolioFactory(ev_method=portfolio_method),
        )
        for month, expense, category, planned, spent in lines:
            CostLineFactory(
                project=project,
                month=month,
                expense_type=expense,
                category=category,
                planned=planned,
                actual=spent,
            )
        for period_end, pct, submitted in reps:
            StatusReportFactory(
                project=project,
                period_end=period_end,
                percent_complete=pct,
                state="submitted" if submitted else "draft",
                submitted_at=timezone.now() if submitted else None,
            )
        for baseline, slip, done_offset, key, weight in stones:
            MilestoneFactory(
                project=project,
                weight=weight,
                baseline_date=baseline,
                forecast_date=baseline + timedelta(days=slip),
                is_key=key,
                actual_date=None if done_offset is None else baseline + timedelta(days=done_offset),
            )
        for probability, impact, cost, closed in rsk:
            RiskFactory(
                project=project,
                probability=probability,
                impact=impact,
                cost_impact=cost,
                status="closed" if closed else "open",
                resolution="done" if closed else "",
            )

        # Budget changes in month order, as project_replan records them (re-baselines).
        for month, new_bac in sorted(rebaselines):
            record_budget_change(
                project=project,
                old_bac=project.budget_at_completion,
                new_bac=new_bac,
                today=month + timedelta(days=9),
                by=None,
                reason="drawn",
            )
            project.budget_at_completion = new_bac
            project.save(update_fields=["budget_at_completion"])

        recompute(project_ids=[project.pk], as_of=AS_OF)

        assert actual(project) == expected(project)
        transaction.set_rollback(True)
