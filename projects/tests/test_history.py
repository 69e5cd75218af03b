"""The project's history reads as sentences a project manager would write."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from pghistory.models import Events

from governance.lifecycle import RebalanceAction
from governance.services.rebalance import RebalanceChange, portfolio_rebalance
from portfolio.tests.factories import PortfolioFactory
from ppm.audit import acting_as
from projects import services
from projects.choices import ChangeRequestState
from projects.demo.db import audit_triggers_disabled
from projects.history import project_history
from projects.models import ChangeRequest
from projects.tests.factories import (
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)

pytestmark = pytest.mark.django_db


def test_a_reforecast_reads_as_a_sentence_with_its_reason(pm, project):
    milestone = MilestoneFactory(project=project, name="Go-live", baseline_date=date(2026, 3, 3))
    services.milestone_reforecast(
        milestone=milestone,
        expected_version=milestone.version,
        forecast_date=date(2026, 3, 17),
        by=pm,
        reason="vendor delay",
    )

    line = project_history(project=project)[0]
    assert line.sentence == (
        "Ana Silva moved milestone 'Go-live' forecast date from 3 Mar 2026 to 17 Mar 2026"
    )
    assert line.reason == "vendor delay"


def test_history_covers_the_projects_own_rows_and_not_others(pm, project, other_project):
    RiskFactory(project=project, title="Key consultant leaves")
    RiskFactory(project=other_project, title="Someone else's risk")

    sentences = [line.sentence for line in project_history(project=project)]
    assert any("Key consultant leaves" in s for s in sentences)
    assert not any("Someone else's risk" in s for s in sentences)


def test_the_history_page_is_shown_to_readers_and_refused_to_outsiders(
    client, pm, other_pm, executive, project
):
    client.force_login(pm)
    assert client.get(f"/projects/{project.pk}/history/").status_code == 200
    client.force_login(executive)
    assert client.get(f"/projects/{project.pk}/history/").status_code == 200
    client.force_login(other_pm)
    assert client.get(f"/projects/{project.pk}/history/").status_code == 403


def test_the_history_page_query_count_does_not_grow_with_events(
    client, pm, project, django_assert_max_num_queries
):
    client.force_login(pm)
    for n in range(30):
        RiskFactory(project=project, title=f"Risk {n}")
    with django_assert_max_num_queries(10):
        response = client.get(f"/projects/{project.pk}/history/")
    assert response.content.count(b"history-entry") >= 30


# --- Rows the audit trail never saw: the demo seed loads with the audit triggers off, as do
# rows that predate auditing. Their first change used to have nothing to be compared with and
# was left out of the history.


@pytest.fixture
def seeded(pm, director):
    """A project, a milestone and a submitted change request loaded the way the seed loads."""
    with transaction.atomic(), audit_triggers_disabled():
        project = ProjectFactory(
            portfolio=PortfolioFactory(director=director, currency="EUR"),
            manager=pm,
            code="CRM-02",
            name="CRM replacement",
            budget_at_completion=Decimal("250000.00"),
        )
        milestone = MilestoneFactory(
            project=project, name="Go-live", baseline_date=date(2026, 3, 3)
        )
        request = ChangeRequest.objects.create(
            project=project,
            title="Add payroll module",
            description="Payroll joins the scope.",
            cost_impact=Decimal("12500.00"),
            state=ChangeRequestState.SUBMITTED,
            raised_by=pm,
            submitted_at=timezone.now(),
        )
    assert not Events.objects.references(project).exists()
    return project, milestone, request


def _line(project, text: str):
    lines = [line for line in project_history(project=project) if text in line.sentence]
    assert lines, [line.sentence for line in project_history(project=project)]
    return lines[0]


def test_approving_a_change_request_the_trail_never_saw_appears_with_every_change(seeded, director):
    project, _, request = seeded
    services.change_request_decide(
        request=request, expected_version=request.version, by=director, approve=True, comment=""
    )

    line = _line(project, "change request 'Add payroll module'")
    assert line.sentence == "Dora Director changed change request 'Add payroll module'"
    assert ("state", "Submitted", "Approved") in line.changes
    assert ("decided by", "—", "Dora Director") in line.changes
    assert "Add payroll module" in line.reason
    # The project's budget moved with it: money with the portfolio's currency.
    replan = _line(project, "the project")
    assert replan.sentence == (
        "Dora Director moved the project budget at completion from €250,000 to €262,500"
    )


def test_a_pms_first_reforecast_of_a_seeded_milestone_reads_from_before_to_after(seeded, pm):
    project, milestone, _ = seeded
    services.milestone_reforecast(
        milestone=milestone,
        expected_version=milestone.version,
        forecast_date=date(2026, 3, 17),
        by=pm,
        reason="vendor delay",
    )

    line = project_history(project=project)[0]
    assert line.sentence == (
        "Ana Silva moved milestone 'Go-live' forecast date from 3 Mar 2026 to 17 Mar 2026"
    )


def test_a_rebalance_cancel_of_a_seeded_project_appears_with_the_state_by_label(seeded, director):
    project, _, _ = seeded
    portfolio_rebalance(
        portfolio=project.portfolio,
        changes=[RebalanceChange(project.pk, RebalanceAction.CANCEL, project.version)],
        by=director,
        reason="Budget moved to security",
    )

    line = project_history(project=project)[0]
    assert line.sentence == "Dora Director moved the project state from Active to Cancelled"
    assert "Budget moved to security" in line.reason


def test_a_first_change_recorded_before_baselines_existed_still_appears(seeded, pm):
    project, milestone, _ = seeded
    services.milestone_reforecast(
        milestone=milestone,
        expected_version=milestone.version,
        forecast_date=date(2026, 3, 17),
        by=pm,
        reason="vendor delay",
    )
    # What such an event looks like in a database audited before the baseline trigger.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM projects_milestoneevent WHERE pgh_label = 'baseline'")

    line = project_history(project=project)[0]
    assert line.sentence == (
        "Ana Silva changed milestone 'Go-live' (the values before this change were not recorded)"
    )
    assert line.reason == "vendor delay"


def test_a_json_field_reads_as_one_sentence_per_key(client, pm, project):
    report = StatusReportFactory(project=project, suggested_rags={"cost": "amber"})
    with acting_as(pm):
        report.suggested_rags = {"cost": "red", "schedule": "green"}
        report.save()

    line = project_history(project=project)[0]
    assert line.changes == [
        ("suggested cost health", "Amber", "Red"),
        ("suggested schedule health", "—", "Green"),
    ]
    client.force_login(pm)
    page = client.get(f"/projects/{project.pk}/history/").content.decode()
    assert "Suggested cost health: Amber → Red" in " ".join(strip_tags(page).split())
    assert "{&#x27;" not in page and "{'" not in page


def test_a_single_json_key_change_reads_as_a_sentence(pm, project):
    report = StatusReportFactory(project=project, period_end=date(2026, 3, 31))
    with acting_as(pm):
        report.cost_rag = "amber"
        report.override_reasons = {"cost": "Vendor invoice late"}
        report.save()
    with acting_as(pm):
        report.override_reasons = {"cost": "Vendor invoice arrived"}
        report.save()

    lines = project_history(project=project)
    assert lines[0].sentence == (
        "Ana Silva moved status report for 31 Mar 2026 reason for cost health "
        "from Vendor invoice late to Vendor invoice arrived"
    )
    assert ("cost health", "Green", "Amber") in lines[1].changes


def test_the_history_header_says_as_of_when(client, pm, project):
    client.force_login(pm)
    page = client.get(f"/projects/{project.pk}/history/").content.decode()
    assert re.search(r"As of \d{1,2} \w{3} \d{4}, \d{2}:\d{2}", page), page[:3000]
