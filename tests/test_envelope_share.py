"""Envelope share is one figure: this fiscal year's plan of the projects in flight (on hold:
to date) ÷ the fiscal year's envelope, the same on the dashboard, the portfolio list and
page, and the ranking. Before, one portfolio read 107.5 %, 169.8 % and 106.1 % on the three."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from governance.selectors.ranking import build_ranking, ranking_data
from portfolio.models import HealthPolicy
from portfolio.selectors import current_fiscal_year, fiscal_year_months
from portfolio.tests.factories import PortfolioBudgetFactory
from projects.choices import LifecycleState
from projects.metrics import envelope_share
from projects.tests.factories import CostLineFactory, ProjectFactory
from reporting.dashboard import portfolio_dashboard, select_portfolios
from reporting.engine import recompute
from reporting.selectors import portfolio_summaries

pytestmark = pytest.mark.django_db

TODAY = date(2026, 8, 15)


def _organisation(portfolio, pm, year: int, *, held_since=None) -> None:
    first, last = fiscal_year_months(year)
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=year, amount=Decimal("1000000"))
    plans = {
        LifecycleState.ACTIVE: "300000",
        LifecycleState.APPROVED: "210000",
        LifecycleState.ON_HOLD: "150000",
        LifecycleState.PROPOSED: "420000",  # not in flight: out of the share
        LifecycleState.CLOSED: "90000",
        LifecycleState.CANCELLED: "81000",
    }
    for state, amount in plans.items():
        project = ProjectFactory(
            portfolio=portfolio,
            manager=pm,
            state=state,
            on_hold_since=held_since if state == LifecycleState.ON_HOLD else None,
            baseline_start=first,
            baseline_finish=date(first.year + 2, 1, 1),
        )
        # A third in the year's first month, in the status month and in its last month;
        # and a line in the next fiscal year.
        for month in (first, date(TODAY.year, TODAY.month, 1), last):
            CostLineFactory(project=project, month=month, planned=Decimal(amount) / 3)
        CostLineFactory(
            project=project, month=date(last.year + 1, last.month, 1), planned=Decimal("99")
        )


@pytest.mark.parametrize(
    ("start_month", "held_in_first_month"), [(1, False), (4, False), (1, True)]
)
def test_the_dashboard_portfolio_pages_and_ranking_show_one_envelope_share(
    client, director, portfolio, pm, start_month, held_in_first_month
):
    HealthPolicy.objects.update_or_create(pk=1, defaults={"fiscal_year_start_month": start_month})
    year = current_fiscal_year(TODAY)
    first = fiscal_year_months(year)[0]
    held_since = first.replace(day=10) if held_in_first_month else None
    _organisation(portfolio, pm, year, held_since=held_since)
    recompute(as_of=TODAY)

    money = portfolio_dashboard(
        selection=select_portfolios(user=director, portfolio_id=portfolio.pk), today=TODAY
    ).money
    (summary,) = portfolio_summaries(user=director, fiscal_year=year)
    ranking = build_ranking(ranking_data(portfolio=portfolio, fiscal_year=year, today=TODAY))

    # Active and approved count their whole year; on hold only the months before its hold
    # date's month (without one recorded: before August, the current month).
    expected_plan = Decimal("300000") + Decimal("210000")
    if not held_in_first_month:
        expected_plan += Decimal("50000")
    assert money[0].year_plan == summary.fy_plan == ranking.now.in_flight == expected_plan
    share = envelope_share(expected_plan, Decimal("1000000"))
    assert money[0].envelope_share == summary.envelope_share == ranking.now.in_flight_share
    assert share == (Decimal("51.0") if held_in_first_month else Decimal("56.0"))
    # The ranking's own total also draws the proposed project: a different, labelled figure.
    assert ranking.now.share > share

    client.force_login(director)
    for url in (
        reverse("reporting:portfolio-list"),
        reverse("reporting:portfolio-detail", args=[portfolio.pk]),
    ):
        assert f"{share}%" in client.get(url).content.decode()
