"""The PMO's figures policy in the app: thresholds, earned-value methods and envelopes are
changed with a message next to a bad field, checked against concurrent edits, audited, and
mark exactly the affected rollups stale."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portfolio.models import HealthPolicy, Portfolio, PortfolioBudget
from portfolio.selectors import current_fiscal_year
from portfolio.tests.factories import PortfolioFactory
from projects.models import RollupState
from projects.tests.factories import ProjectFactory
from reporting.engine import recompute
from reporting.models import ProjectRollup

pytestmark = pytest.mark.django_db

PAGE = reverse("governance:policy")


def _thresholds(**changes) -> dict:
    policy = HealthPolicy.current()
    data = {
        f"policy-{name}": getattr(policy, name)
        for name in (
            "cpi_amber",
            "cpi_red",
            "spi_amber",
            "spi_red",
            "slip_amber_days",
            "slip_red_days",
            "risk_amber_score",
            "risk_red_score",
            "fiscal_year_start_month",
            "version",
        )
    }
    data.update({f"policy-{k}": v for k, v in changes.items()})
    return data


def _stale() -> set[int]:
    return set(
        RollupState.objects.filter(stale_since__isnull=False).values_list("project_id", flat=True)
    )


@pytest.mark.parametrize("persona", ["pmo", "director", "executive"])
def test_the_page_opens_for_its_readers_and_only_the_pmo_gets_forms(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(PAGE).content.decode()
    assert "Health thresholds, risk bands and fiscal year" in page
    assert ('action="/governance/policy/health/"' in page) == (persona == "pmo")


@pytest.mark.parametrize("persona", ["pm", "director", "executive"])
def test_nobody_but_the_pmo_may_change_it(client, request, persona, portfolio):
    client.force_login(request.getfixturevalue(persona))
    year = current_fiscal_year()
    for url, data in [
        (reverse("governance:policy-health"), _thresholds(cpi_red="0.5")),
        (
            reverse("governance:policy-ev-method", args=[portfolio.pk]),
            {f"ev-{portfolio.pk}-ev_method": "0_100", f"ev-{portfolio.pk}-seen": "percent"},
        ),
        (
            reverse("governance:policy-envelope", args=[portfolio.pk, year]),
            {f"env-{portfolio.pk}-{year}-amount": "1"},
        ),
    ]:
        assert client.post(url, data).status_code == 403
    assert HealthPolicy.current().cpi_red == Decimal("0.850")
    assert Portfolio.objects.get(pk=portfolio.pk).ev_method == "percent"
    assert not PortfolioBudget.objects.exists()


def test_new_thresholds_recompute_every_project_and_change_its_health(client, pmo, pm):
    project = ProjectFactory(manager=pm)
    ProjectFactory(manager=pm)
    recompute()
    assert _stale() == set()

    client.force_login(pmo)
    response = client.post(reverse("governance:policy-health"), _thresholds(slip_red_days="5"))
    assert response.status_code == 302
    assert HealthPolicy.current().slip_red_days == 5
    assert HealthPolicy.current().version == 2
    assert project.pk in _stale() and len(_stale()) == 2
    page = client.get(PAGE).content.decode()
    assert "2 projects are being recomputed" in page
    assert "slip_red_days 30 → 5" in page  # the audit trail, with the PMO's name
    assert pmo.get_full_name() in page or pmo.username in page


def test_the_pmo_moves_the_fiscal_year_and_every_year_figure_follows(
    client, pmo, director, portfolio, pm
):
    """An April start: the current fiscal year is the one that began in the last April, its
    plan is recomputed, and the policy page and the portfolio list name it FY<N>/<N+1>."""
    today = timezone.localdate()
    project = ProjectFactory(portfolio=portfolio, manager=pm, state="active")
    recompute()
    client.force_login(pmo)
    start = 4 if today.month != 4 else 5  # not January, and not the month we are in
    response = client.post(
        reverse("governance:policy-health"), _thresholds(fiscal_year_start_month=str(start))
    )
    assert response.status_code == 302
    assert HealthPolicy.current().fiscal_year_start_month == start
    assert project.pk in _stale()  # the year's plan is recomputed
    year = current_fiscal_year()
    assert year == (today.year if today.month >= start else today.year - 1)
    label = f"FY{year}/{(year + 1) % 100:02d}" if start != 1 else f"FY{year}"
    page = client.get(PAGE).content.decode()
    assert f"Envelope {label}" in page
    assert f"fiscal_year_start_month 1 → {start}" in page  # audited
    client.force_login(director)
    list_page = client.get(reverse("reporting:portfolio-list")).content.decode()
    assert label in list_page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"cpi_red": "0.99", "cpi_amber": "0.95"}, "cpi_red", "at or below amber"),
        ({"slip_amber_days": "40"}, "slip_amber_days", "at or below slip red"),
        ({"risk_red_score": "26"}, "risk_red_score", "less than or equal to 25"),
        ({"spi_amber": "abc"}, "spi_amber", "Enter a number"),
        ({"cpi_amber": "0.9\x00"}, "cpi_amber", "Enter a number"),
        ({"fiscal_year_start_month": "13"}, "fiscal_year_start_month", "Select a valid choice"),
        ({"fiscal_year_start_month": "٤"}, "fiscal_year_start_month", "Select a valid choice"),
    ],
)
def test_a_bad_threshold_is_refused_next_to_its_field_and_the_input_stays(
    client, pmo, changes, field, message
):
    client.force_login(pmo)
    response = client.post(reverse("governance:policy-health"), _thresholds(**changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_policy-{field}_error"' in page and message in page
    typed = next(iter(changes.values()))
    if "\x00" not in typed and field != "fiscal_year_start_month":  # a select keeps choices
        assert f'value="{typed}"' in page  # what the PMO typed is still there
    assert HealthPolicy.current().version == 1


def test_two_pmo_members_editing_at_once_do_not_overwrite_each_other(client, pmo):
    client.force_login(pmo)
    first = _thresholds(cpi_red="0.80")
    second = _thresholds(cpi_red="0.70")  # based on the same version
    assert client.post(reverse("governance:policy-health"), first).status_code == 302
    response = client.post(reverse("governance:policy-health"), second)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert HealthPolicy.current().cpi_red == Decimal("0.800")


def test_a_portfolios_method_recomputes_only_its_projects_by_the_new_method(client, pmo, pm):
    mine, other = PortfolioFactory(), PortfolioFactory()
    inherits = ProjectFactory(portfolio=mine, manager=pm)
    keeps_own = ProjectFactory(portfolio=mine, manager=pm, ev_method="percent")
    elsewhere = ProjectFactory(portfolio=other, manager=pm)
    recompute()

    client.force_login(pmo)
    response = client.post(
        reverse("governance:policy-ev-method", args=[mine.pk]),
        {f"ev-{mine.pk}-ev_method": "0_100", f"ev-{mine.pk}-seen": "percent"},
    )
    assert response.status_code == 302
    assert _stale() == {inherits.pk, keeps_own.pk}
    recompute()
    methods = dict(ProjectRollup.objects.values_list("project_id", "ev_method"))
    assert methods == {inherits.pk: "0_100", keeps_own.pk: "percent", elsewhere.pk: "percent"}

    # A second PMO member who still saw "percent" is told, and nothing changes.
    response = client.post(
        reverse("governance:policy-ev-method", args=[mine.pk]),
        {f"ev-{mine.pk}-ev_method": "50_50", f"ev-{mine.pk}-seen": "percent"},
    )
    assert "changed" in response.content.decode() and "meanwhile" in response.content.decode()
    assert Portfolio.objects.get(pk=mine.pk).ev_method == "0_100"


def test_envelopes_are_set_changed_and_removed_with_bad_amounts_refused(client, pmo, portfolio):
    client.force_login(pmo)
    year = current_fiscal_year()
    url = reverse("governance:policy-envelope", args=[portfolio.pk, year])
    prefix = f"env-{portfolio.pk}-{year}"
    assert client.post(url, {f"{prefix}-amount": "1500000.50"}).status_code == 302
    assert PortfolioBudget.objects.get(portfolio=portfolio, fiscal_year=year).amount == Decimal(
        "1500000.50"
    )
    for bad in ("-1", "12abc", "1e400", "9" * 20, "\x00"):
        response = client.post(url, {f"{prefix}-amount": bad, f"{prefix}-seen": "1500000.50"})
        assert response.status_code == 200, bad
        assert f'id="id_{prefix}-amount_error"' in response.content.decode(), bad
    stale = client.post(url, {f"{prefix}-amount": "7", f"{prefix}-seen": "1"})
    assert "meanwhile" in stale.content.decode()
    removed = client.post(url, {f"{prefix}-amount": "", f"{prefix}-seen": "1500000.50"})
    assert removed.status_code == 302
    assert not PortfolioBudget.objects.filter(portfolio=portfolio).exists()
    history = client.get(PAGE).content.decode()
    assert f"envelope of {portfolio.code} FY{year}: None → 1500000.50" in history
    assert f"envelope of {portfolio.code} FY{year}: 1500000.50 → None" in history  # removed
    assert (
        client.post(
            reverse("governance:policy-envelope", args=[portfolio.pk, 1900]), {}
        ).status_code
        == 400
    )


def test_a_director_reads_only_their_own_portfolios(client, director, portfolio):
    foreign = PortfolioFactory(name="Somebody else's")
    client.force_login(director)
    page = client.get(PAGE).content.decode()
    assert portfolio.name in page and foreign.name not in page
    assert date.today() and "Set by the PMO" in page
