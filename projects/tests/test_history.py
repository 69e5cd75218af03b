"""The project's history reads as sentences a project manager would write."""

from __future__ import annotations

from datetime import date

import pytest

from projects import services
from projects.history import project_history
from projects.tests.factories import MilestoneFactory, RiskFactory

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
