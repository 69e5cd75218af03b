"""Gate metrics (KPI catalogue, gate entries): worked examples, each figure equal to the list
it opens, scope and a constant number of queries."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from governance.models import Review
from governance.tests.gates import published_workflow
from projects.tests.factories import ProjectFactory
from reporting import gate_metrics as gm

pytestmark = pytest.mark.django_db


@pytest.fixture
def gates(pmo):
    version = published_workflow(
        pmo,
        [
            {"name": "Business case", "phase": "Plan", "portfolio_director": True},
            {"name": "Build", "phase": "Run", "portfolio_director": True},
        ],
    )
    return {g.name: g for g in version.gates.all()}


def _review(project, gate, pm, *, requested, days=None, state="open", attempt=1, sla=5):
    decided = requested + timedelta(days=days) if days is not None else None
    return Review.objects.create(
        kind="gate",
        portfolio=project.portfolio,
        project=project,
        gate=gate,
        workflow_version=gate.workflow_version,
        title=f"{project.code} · {gate.name} #{attempt}",
        attempt=attempt,
        rule="any",
        sla_days=sla,
        requested_by=pm,
        requested_at=requested,
        due_at=requested + timedelta(days=sla),
        decided_at=decided,
        state=state,
    )


@pytest.fixture
def history(gates, portfolio, other_portfolio, pm):
    """This month: Business case passed at once in 2 days (A), failed then passed (B: 4 days
    rejected, 6 days approved), Build open and overdue (C), and another portfolio's review."""
    now = timezone.now()
    start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    a, b, c = (ProjectFactory(portfolio=portfolio, manager=pm) for _ in range(3))
    other = ProjectFactory(portfolio=other_portfolio)
    bc, build = gates["Business case"], gates["Build"]
    t = start - timedelta(days=20)
    _review(a, bc, pm, requested=t, days=22, state="approved")
    _review(b, bc, pm, requested=t, days=21, state="rejected")
    _review(b, bc, pm, requested=t + timedelta(days=21), days=1.5, state="approved", attempt=2)
    _review(c, build, pm, requested=now - timedelta(days=9), sla=5)
    _review(other, bc, pm, requested=t, days=25, state="approved")
    return start


def test_the_worked_example(history, portfolio):
    items = gm.rows(portfolio_ids=[portfolio.pk])
    this_month = gm.months(1)[0]
    assert gm.figure("gate_cycle_days", items, this_month) == Decimal("14.8")  # (22+21+1.5)/3
    assert gm.figure("gate_first_pass", items, this_month) == Decimal("50.0")  # A yes, B no
    assert gm.figure("reviews_overdue", items, this_month) == 1
    lines = {line.gate: line.figures for line in gm.by_gate(items, this_month)}
    assert lines["Build"] == {
        "gate_cycle_days": None,
        "gate_first_pass": None,
        "reviews_overdue": 1,
    }
    last_month = gm.months(2)[0]
    assert gm.figure("gate_cycle_days", items, last_month) is None
    # A and B's first review were open at the end of last month and past due then; C too
    # once it was requested more than its SLA before the month ended.
    c_requested = timezone.now() - timedelta(days=9)
    overdue_c = c_requested < last_month.end and c_requested + timedelta(days=5) < last_month.end
    assert gm.figure("reviews_overdue", items, last_month) == 2 + overdue_c


def _numbers(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    return re.sub(r"\s+", " ", match.group(1)).strip()


def test_every_figure_equals_the_list_it_opens(client, history, director, portfolio):
    client.force_login(director)
    page = client.get("/portfolios/gates/", {"portfolio": portfolio.pk})
    assert page.status_code == 200
    html = page.content.decode()
    links = re.findall(
        r'href="(reviews/\?[^"]+)"[^>]*>([^<]*(?:<span[^>]*>[^<]*</span>)?[^<]*)<', html
    )
    assert len(links) >= 3 * (1 + 2 + 12)
    for href, shown in links:
        listed = client.get("/portfolios/gates/" + href.replace("&amp;", "&"))
        assert listed.status_code == 200, href
        value = _numbers(listed.content.decode(), "gate-list-value")
        assert re.sub(r"<[^>]+>", "", shown).strip() in value, (href, shown, value)


def test_a_director_sees_only_their_portfolios(client, history, director, other_portfolio):
    client.force_login(director)
    assert client.get("/portfolios/gates/", {"portfolio": other_portfolio.pk}).status_code == 403
    listed = client.get("/portfolios/gates/reviews/", {"kpi": "gate_cycle_days"})
    assert "DC-" not in listed.content.decode()
    assert len(listed.context["reviews"]) == 3


def test_the_page_reads_in_a_constant_number_of_queries(
    client, history, pmo, gates, portfolio, pm, django_assert_max_num_queries
):
    client.force_login(pmo)
    client.get("/portfolios/gates/")
    with django_assert_max_num_queries(8) as first:
        client.get("/portfolios/gates/")
    project = ProjectFactory(portfolio=portfolio, manager=pm)
    for i in range(20):
        _review(
            project,
            gates["Build"],
            pm,
            requested=timezone.now() - timedelta(days=i + 30),
            days=3,
            state="approved",
            attempt=i + 1,
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/portfolios/gates/")


def test_an_unknown_figure_or_month_is_not_found(client, pmo):
    client.force_login(pmo)
    assert client.get("/portfolios/gates/reviews/", {"kpi": "nope"}).status_code == 404
    assert (
        client.get(
            "/portfolios/gates/reviews/", {"kpi": "reviews_overdue", "period": "1999-01"}
        ).status_code
        == 404
    )


def test_months_are_the_organisations(settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    (period,) = gm.months(1, today=datetime(2026, 12, 3).date())
    assert period.start == datetime(2026, 12, 1, tzinfo=ZoneInfo("Pacific/Auckland"))
