"""A bad row is refused by the database itself, whatever code path wrote it."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone

from portfolio.tests.factories import PortfolioBudgetFactory, PortfolioFactory
from projects.choices import RaidStatus, ReportState
from projects.models import CostLine, Dependency, Project, Risk, StatusReport
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)

pytestmark = pytest.mark.django_db


@contextmanager
def refused(constraint: str, error: type[Exception] = IntegrityError):
    """Expect the database to refuse the statement, naming the constraint.

    The savepoint keeps the test's transaction usable after the refusal.
    """
    with pytest.raises(error, match=constraint), transaction.atomic():
        yield


def raw_update(model, pk: int, **values) -> None:
    """Write through SQL, bypassing Django entirely: the database alone must refuse."""
    columns = ", ".join(f"{name} = %s" for name in values)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {columns} WHERE id = %s",  # noqa: S608
            [*values.values(), pk],
        )


def test_a_project_cannot_finish_before_it_starts():
    with refused("project_baseline_finish_after_start"):
        ProjectFactory(baseline_start=date(2026, 5, 1), baseline_finish=date(2026, 4, 30))


def test_a_project_budget_cannot_be_negative_even_through_raw_sql():
    project = ProjectFactory()
    with refused("project_bac_gte_0"):
        raw_update(Project, project.pk, budget_at_completion=Decimal("-1"))


@pytest.mark.parametrize(("probability", "impact"), [(0, 3), (6, 3), (3, 0), (3, 6)])
def test_risk_probability_and_impact_stay_within_1_to_5(probability, impact):
    with refused("risk_(probability|impact)_1_5"):
        RiskFactory(probability=probability, impact=impact)


def test_closing_a_risk_needs_a_resolution():
    risk = RiskFactory()
    with refused("risk_closed_needs_resolution"):
        raw_update(Risk, risk.pk, status=RaidStatus.CLOSED)


def test_one_status_report_per_project_and_period():
    report = StatusReportFactory()
    with refused("status_report_one_per_period"):
        StatusReportFactory(project=report.project, period_end=report.period_end)


def test_percent_complete_stays_within_0_to_100():
    with refused("status_report_percent_0_100"):
        StatusReportFactory(percent_complete=Decimal("100.01"))


def test_a_submitted_status_report_cannot_be_rewritten_or_deleted():
    report = StatusReportFactory(state=ReportState.SUBMITTED, submitted_at=timezone.now())
    immutable = "Cannot update or delete rows from projects_statusreport"
    with refused(immutable, ProgrammingError):
        raw_update(StatusReport, report.pk, narrative="rewritten history")
    with refused(immutable, ProgrammingError):
        StatusReport.objects.filter(pk=report.pk).delete()


def test_a_draft_status_report_can_still_be_edited():
    report = StatusReportFactory()
    raw_update(StatusReport, report.pk, narrative="on track")
    report.refresh_from_db()
    assert report.narrative == "on track"


def test_cost_lines_are_monthly_and_never_negative():
    with refused("cost_line_month_is_first_day"):
        CostLineFactory(month=date(2026, 3, 15))
    line = CostLineFactory()
    with refused("cost_line_amounts_gte_0"):
        raw_update(CostLine, line.pk, actual=Decimal("-0.01"))
    with refused("cost_line_one_per_month_and_category"):
        CostLineFactory(project=line.project)


def test_a_project_cannot_depend_on_itself():
    project = ProjectFactory()
    with refused("dependency_not_on_itself"):
        Dependency.objects.create(project=project, depends_on=project, title="loop")


def test_a_portfolio_has_one_budget_envelope_per_fiscal_year():
    budget = PortfolioBudgetFactory()
    with refused("portfolio_budget_one_per_year"):
        PortfolioBudgetFactory(portfolio=budget.portfolio, fiscal_year=budget.fiscal_year)
    with refused("portfolio_budget_amount_gte_0"):
        PortfolioBudgetFactory(fiscal_year=2027, amount=Decimal("-5"))


def test_currency_is_an_iso_code():
    with refused("portfolio_currency_iso4217"):
        PortfolioFactory(currency="eur")


def test_money_round_trips_as_decimal():
    project = ProjectFactory(budget_at_completion=Decimal("1234567.89"))
    project.refresh_from_db()
    assert project.budget_at_completion == Decimal("1234567.89")
    assert isinstance(project.budget_at_completion, Decimal)


def test_milestone_weight_cannot_be_negative():
    with refused("milestone_weight_gte_0"):
        MilestoneFactory(weight=Decimal("-1"))
