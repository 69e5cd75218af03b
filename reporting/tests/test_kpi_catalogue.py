"""Every dashboard figure has one definition (reporting/kpis.py): a tile equals the sum or
count over the list it opens, which equals that list's export; docs/metrics.md is the
catalogue; "How is this computed?" shows the formula, inputs with their dates and scope.
"""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio.tests.factories import PortfolioFactory, make_user
from ppm.access import scope
from ppm.roles import Role
from projects.choices import LifecycleState, RaidStatus, ReportState
from projects.metrics import EVM_TOTALS, EVMTotals
from projects.models import Project
from projects.selectors import ProjectListParams, filtered_projects
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)
from reporting import kpis
from reporting.dashboard import portfolio_dashboard, select_portfolios
from reporting.engine import recompute
from reporting.exports import COLUMNS, to_csv
from reporting.figures import Figure, drill_query, list_figures, tile_figures
from reporting.kpis import Aggregate, Unit
from reporting.models import PortfolioRollup

pytestmark = pytest.mark.django_db

EXPORT_LABEL = dict(COLUMNS)
ZERO = Decimal("0")


def _empty(kpi) -> Decimal | int | None:
    """The figure over no projects at all."""
    if kpi.unit in (Unit.MONEY, Unit.RATIO):
        return getattr(EVMTotals(*(ZERO for _ in EVM_TOTALS)), kpi.key, ZERO)
    return {Aggregate.SUM: 0, Aggregate.COUNT: 0}.get(kpi.aggregate)


def _by_currency(figures: list[Figure], currencies: list[str | None], kpi) -> dict:
    found = {f.currency: f.value for f in figures}
    return {c: found.get(c, _empty(kpi)) for c in currencies}


def _export_figures(projects, kpi) -> list[Figure]:
    """The figure recomputed from the CSV export's columns alone."""
    rows = list(csv.DictReader(StringIO("".join(to_csv(projects)))))
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row[EXPORT_LABEL["currency"]]].append(row)

    def total(group, field):
        cells = [row[EXPORT_LABEL[field]] for row in group if row[EXPORT_LABEL[field]] != ""]
        return sum((Decimal(c) for c in cells), ZERO)

    if kpi.key == "fy_plan":
        return [Figure(c, total(g, "fy_plan")) for c, g in sorted(groups.items())]
    if kpi.unit in (Unit.MONEY, Unit.RATIO):
        figures = []
        for currency, group in sorted(groups.items()):
            # A blank EV cell is a project not yet reported: out of CPI's and SPI's sums.
            reported = [row for row in group if row[EXPORT_LABEL["ev"]] != ""]
            totals = EVMTotals(
                bac=total(group, "bac"),
                pv=total(group, "pv"),
                ev=total(reported, "ev"),
                ac=total(group, "ac"),
                eac=total(group, "eac"),
                pv_reported=total(reported, "pv"),
                ac_reported=total(reported, "ac"),
            )
            figures.append(Figure(currency, getattr(totals, kpi.key)))
        return figures
    if kpi.aggregate == Aggregate.COUNT:
        return [Figure(None, len(rows))]
    if kpi.aggregate == Aggregate.MAX:
        cells = [
            int(r[EXPORT_LABEL[kpi.measure[0]]]) for r in rows if r[EXPORT_LABEL[kpi.measure[0]]]
        ]
        return [Figure(None, max(cells, default=None))]
    totals = [sum(total(g, f) for g in groups.values()) for f in kpi.measure]
    if kpi.aggregate == Aggregate.RATE:
        return [Figure(None, totals[0] * 100 / totals[1] if totals[1] else None)]
    return [Figure(None, int(totals[0]))]


def assert_tiles_equal_lists_and_exports(user: User) -> int:
    """For every selection the user can make and every catalogue figure: tile = list = export."""
    checked = 0
    everything = select_portfolios(user=user, portfolio_id=None)
    selections = [everything] + [
        select_portfolios(user=user, portfolio_id=p.pk) for p in everything.choices
    ]
    for selection in selections:
        data = portfolio_dashboard(selection=selection)
        currencies = sorted({p.currency for p in selection.portfolios})
        projects = scope(Project.objects.filter(portfolio_id__in=selection.ids), user)
        for kpi in kpis.CATALOGUE:
            listed = filtered_projects(
                projects=projects, params=ProjectListParams.from_query(drill_query(kpi))
            )
            tile = tile_figures(data, kpi)
            keys = currencies if kpi.unit in (Unit.MONEY, Unit.RATIO) else [None]
            where = f"{kpi.key} of {selection.title}"
            assert _by_currency(tile, keys, kpi) == _by_currency(
                list_figures(listed, kpi), keys, kpi
            ), f"tile ≠ list: {where}"
            assert _by_currency(tile, keys, kpi) == _by_currency(
                _export_figures(listed, kpi), keys, kpi
            ), f"tile ≠ export: {where}"
            checked += 1
    return checked


def test_the_demo_organisations_tiles_equal_their_lists_and_exports():
    call_command("seed_demo", stdout=StringIO())
    director = User.objects.get(username="director")
    pmo = User.objects.get(username="pmo")
    assert assert_tiles_equal_lists_and_exports(director) > len(kpis.CATALOGUE)
    assert assert_tiles_equal_lists_and_exports(pmo) > len(kpis.CATALOGUE)


STATES = st.sampled_from(list(LifecycleState.values))
EXAMPLES = itertools.count(1)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    projects=st.lists(
        st.tuples(
            STATES,
            st.sampled_from(["EUR", "USD"]),
            st.integers(min_value=0, max_value=5_000_000),  # BAC
            st.integers(min_value=0, max_value=100),  # percent complete (0: no report)
            st.integers(min_value=0, max_value=400_000),  # actual cost in May
            st.tuples(st.integers(1, 5), st.integers(1, 5), st.booleans()),  # risk, open
            st.integers(min_value=-20, max_value=60),  # key milestone's slip
            st.booleans(),  # that milestone achieved
        ),
        min_size=1,
        max_size=8,
    )
)
def test_random_portfolios_in_two_currencies_keep_tile_list_and_export_equal(projects):
    """Proposed, cancelled, closed and on-hold projects, and a second currency: the tiles
    count exactly what their lists and exports count."""
    # Each example gets a director of its own (submitted reports cannot be deleted).
    run = next(EXAMPLES)
    director = make_user(f"kpi.director{run}", Role.DIRECTOR)
    manager = make_user(f"kpi.pm{run}", Role.PROJECT_MANAGER)
    portfolios = {
        currency: PortfolioFactory(director=director, code=f"P{run}{currency}", currency=currency)
        for currency in ("EUR", "USD")
    }
    for n, (state, currency, bac, pct, actual, risk, slip, achieved) in enumerate(projects):
        project = ProjectFactory(
            portfolio=portfolios[currency],
            manager=manager,
            code=f"K{run}-{n}",
            state=state,
            budget_at_completion=Decimal(bac),
        )
        for month in (3, 4, 5, 6):
            CostLineFactory(
                project=project,
                month=date(2026, month, 1),
                planned=Decimal(bac) / 10,
                actual=Decimal(actual) if month == 5 else Decimal(0),
            )
        if pct:
            StatusReportFactory(
                project=project,
                period_end=date(2026, 5, 31),
                state=ReportState.SUBMITTED,
                submitted_at=timezone.now(),
                percent_complete=pct,
                overall_rag="amber",
            )
        probability, impact, is_open = risk
        RiskFactory(
            project=project,
            probability=probability,
            impact=impact,
            status=RaidStatus.OPEN if is_open else RaidStatus.CLOSED,
            resolution="" if is_open else "Closed in the test",
        )
        baseline = date(2026, 5, 10)
        MilestoneFactory(
            project=project,
            is_key=True,
            baseline_date=baseline,
            forecast_date=baseline + timedelta(days=slip),
            actual_date=baseline + timedelta(days=slip) if achieved else None,
        )
    recompute(as_of=date(2026, 6, 15))
    assert assert_tiles_equal_lists_and_exports(director) == 3 * len(kpis.CATALOGUE)


def test_docs_metrics_is_the_catalogue():
    from reporting.management.commands.kpi_catalogue import TARGET

    assert TARGET.read_text(encoding="utf-8") == kpis.catalogue_markdown(), (
        "docs/metrics.md is out of date: python manage.py kpi_catalogue --write"
    )


def test_in_flight_is_defined_once_and_every_figure_counts_it():
    assert kpis.IN_FLIGHT.states == ("approved", "active", "on_hold")
    for kpi in kpis.CATALOGUE:
        assert kpi.scope is kpis.IN_FLIGHT
        assert "live=1" in kpi.drill.split("&"), kpi.key


def test_every_tile_links_its_list_and_its_explanation(client, director, portfolio, project):
    recompute()
    client.force_login(director)
    page = client.get(reverse("reporting:dashboard"), {"portfolio": portfolio.pk}).content.decode()
    for kpi in (k for k in kpis.CATALOGUE if k.tile):
        explain = reverse("reporting:kpi-explain", args=[kpi.key])
        assert f'href="{explain}?portfolio={portfolio.pk}"' in page, kpi.key
        if kpi.key != "worst_slip":  # it scrolls to the top slips on the same page
            assert f"kpi={kpi.key}" in page, kpi.key


@pytest.mark.parametrize("key", [kpi.key for kpi in kpis.CATALOGUE])
def test_the_explanation_gives_formula_inputs_dates_and_scope(
    client, director, portfolio, project, key
):
    recompute()
    client.force_login(director)
    response = client.get(reverse("reporting:kpi-explain", args=[key]), {"portfolio": portfolio.pk})
    assert response.status_code == 200
    body = response.content.decode()
    kpi = kpis.get(key)
    assert escape(kpi.formula) in body
    assert "approved, active or on hold" in body.lower()
    assert 'data-testid="explain-dates"' in body
    assert portfolio.name in body
    if kpi.inputs:
        assert 'data-testid="explain-inputs"' in body


def test_the_explanation_is_refused_outside_the_users_portfolios(
    client, other_director, portfolio, project
):
    client.force_login(other_director)
    url = reverse("reporting:kpi-explain", args=["cpi"])
    assert client.get(url, {"portfolio": portfolio.pk}).status_code == 403
    assert client.get(reverse("reporting:kpi-explain", args=["nope"])).status_code == 404


def test_the_list_a_tile_opens_shows_the_figure_and_its_measure(
    client, director, portfolio, project
):
    recompute()
    client.force_login(director)
    url = reverse("reporting:portfolio-detail", args=[portfolio.pk])
    body = client.get(f"{url}?{drill_query(kpis.get('ac')).urlencode()}").content.decode()
    assert 'data-testid="list-figure"' in body
    assert 'data-testid="measure-column"' in body
    assert "Actual cost" in body


def test_several_portfolios_show_their_oldest_and_newest_computation(
    client, director, portfolio, project, pm
):
    second = PortfolioFactory(director=director, code="SEC", name="Second")
    ProjectFactory(portfolio=second, manager=pm, code="SEC-1")
    recompute()
    old = timezone.now() - timedelta(hours=3)
    PortfolioRollup.objects.filter(portfolio=portfolio).update(computed_at=old)
    client.force_login(director)

    body = client.get(reverse("reporting:dashboard")).content.decode()
    assert 'data-testid="as-of-newest"' in body
    assert timezone.localtime(old).strftime("%H:%M:%S") in body.split('data-testid="as-of"')[1]
    # One portfolio: one time, its own.
    single = client.get(reverse("reporting:dashboard"), {"portfolio": second.pk}).content.decode()
    assert 'data-testid="as-of-newest"' not in single
    assert timezone.localtime(old).strftime("%H:%M:%S") not in single
