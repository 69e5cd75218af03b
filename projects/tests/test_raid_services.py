"""Service rules added for the RAID, change-request and lessons pages: closing with edits in
one step, dependencies only on visible projects, reopening, the outcome of an approval, and
recording lessons."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ppm.audit import history_for
from projects import services
from projects.choices import RaidStatus
from projects.models import Dependency, Issue, LessonLearned, Risk
from projects.services import ConflictError, DomainError
from projects.services.changes import change_request_outcome, may_decide_change_request
from projects.services.lessons import lesson_record
from projects.tests.factories import MilestoneFactory, ProjectFactory, RiskFactory

pytestmark = pytest.mark.django_db


def test_closing_applies_the_edits_made_with_it_in_one_version_step(pm, project):
    risk = RiskFactory(project=project, probability=3, impact=3)
    services.raid_close(
        item=risk,
        expected_version=1,
        by=pm,
        resolution="Second supplier signed.",
        changes={"impact": 5, "description": "Supplier went into administration."},
    )
    risk.refresh_from_db()
    assert (risk.status, risk.impact, risk.version) == (RaidStatus.CLOSED, 5, 2)
    assert risk.description == "Supplier went into administration."
    entry = history_for(risk)[0]
    assert entry.reason == "Second supplier signed."
    assert set(entry.changes) >= {"impact", "status", "resolution", "description"}


def test_closing_checks_the_edits_like_an_update_does(pm, project):
    risk = RiskFactory(project=project)
    with pytest.raises(DomainError) as error:
        services.raid_close(
            item=risk, expected_version=1, by=pm, resolution="Done.", changes={"probability": 9}
        )
    assert error.value.field == "probability"
    assert Risk.objects.get(pk=risk.pk).status == RaidStatus.OPEN


def test_closing_on_an_old_version_is_a_conflict_not_a_silent_overwrite(pm, director, project):
    issue = Issue.objects.create(project=project, title="Printer jam")
    services.raid_update(item=issue, expected_version=1, by=director, title="Printer jam (3rd)")
    stale = Issue.objects.get(pk=issue.pk)
    stale.version = 1
    with pytest.raises(ConflictError):
        services.raid_close(item=stale, expected_version=1, by=pm, resolution="Fixed.")
    assert Issue.objects.get(pk=issue.pk).status == RaidStatus.OPEN


def test_an_item_is_closed_only_once_and_reopened_only_when_closed(pm, project):
    issue = Issue.objects.create(project=project, title="Printer jam")
    with pytest.raises(DomainError, match="not closed"):
        services.raid_reopen(item=issue, expected_version=1, by=pm, reason="why not")
    services.raid_close(item=issue, expected_version=1, by=pm, resolution="Fixed.")
    with pytest.raises(DomainError, match="already closed"):
        services.raid_close(item=issue, expected_version=2, by=pm, resolution="Fixed again.")
    services.raid_reopen(item=issue, expected_version=2, by=pm, reason="Jammed again")
    issue.refresh_from_db()
    assert issue.status == RaidStatus.OPEN and issue.closed_at is None
    assert history_for(issue)[0].reason == "Jammed again"


def test_a_dependency_may_only_name_a_project_the_user_can_see(pm, project, other_project):
    with pytest.raises(DomainError) as error:
        services.raid_create(
            model=Dependency, project=project, by=pm, title="x", depends_on=other_project
        )
    assert error.value.field == "depends_on"
    assert not Dependency.objects.exists()


def test_an_unchanged_link_to_a_project_out_of_sight_does_not_block_an_edit(
    pm, pmo, project, other_project
):
    # The PMO linked ERP-01 to a project its manager cannot see; the manager may still edit it.
    dependency = services.raid_create(
        model=Dependency, project=project, by=pmo, title="Racks", depends_on=other_project
    )
    services.raid_update(item=dependency, expected_version=1, by=pm, title="Racks freed")
    assert Dependency.objects.get(pk=dependency.pk).title == "Racks freed"


def test_a_dependency_milestone_must_be_in_its_project(director, project, portfolio):
    upstream = ProjectFactory(portfolio=portfolio)
    foreign = MilestoneFactory(project=project)
    with pytest.raises(DomainError) as error:
        services.raid_create(
            model=Dependency,
            project=project,
            by=director,
            title="x",
            depends_on=upstream,
            depends_on_milestone=foreign,
        )
    assert error.value.field == "depends_on_milestone"


def test_the_outcome_of_an_approval_moves_the_forecast_or_the_baseline_finish(pm, project):
    request = services.change_request_raise(
        project=project, by=pm, title="t", description="d", schedule_impact_days=10
    )
    assert project.forecast_finish is None
    outcome = change_request_outcome(project=project, request=request)
    assert outcome.forecast_finish == project.baseline_finish + timedelta(days=10)
    assert outcome.finish_moves and not outcome.budget_moves
    project.forecast_finish = date(2027, 1, 31)
    cost_only = services.change_request_raise(
        project=project, by=pm, title="t", description="d", cost_impact=Decimal("-500")
    )
    outcome = change_request_outcome(project=project, request=cost_only)
    assert outcome.forecast_finish == date(2027, 1, 31)
    assert outcome.budget_at_completion == project.budget_at_completion - Decimal("500")


def test_who_may_decide_a_change(pm, director, other_director, pmo, executive, project):
    assert may_decide_change_request(director, project)
    assert may_decide_change_request(pmo, project)
    for user in (pm, other_director, executive):
        assert not may_decide_change_request(user, project)


def test_a_lesson_needs_a_title_what_happened_and_a_recommendation(pm, project):
    with pytest.raises(DomainError) as error:
        lesson_record(project=project, by=pm, title=" ", what_happened="x", recommendation="y")
    assert error.value.field == "title"
    with pytest.raises(DomainError) as error:
        lesson_record(project=project, by=pm, title="t", what_happened=" ", recommendation="y")
    assert error.value.field == "what_happened"
    with pytest.raises(DomainError) as error:
        lesson_record(project=project, by=pm, title="t", what_happened="x", recommendation="")
    assert error.value.field == "recommendation"
    lesson = lesson_record(
        project=project,
        by=pm,
        title=" Rehearse cutover twice ",
        category="  Deployment   planning ",
        what_happened="The first rehearsal found 14 missing steps.",
        recommendation="Two full rehearsals with timings.",
    )
    lesson.refresh_from_db()
    assert (lesson.title, lesson.category, lesson.recorded_by) == (
        "Rehearse cutover twice",
        "Deployment planning",
        pm,
    )
    assert history_for(lesson)[0].user_name == "Ana Silva"
    assert LessonLearned.objects.count() == 1
