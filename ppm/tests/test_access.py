"""The one module that answers "may this user see / change this object"."""

from __future__ import annotations

import pytest

from portfolio.models import Portfolio
from ppm.access import can_change, can_view, require_change, scope
from projects.models import Milestone, MilestoneForecast, Project, Risk
from projects.tests.factories import MilestoneFactory, RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(project, other_project):
    milestone = MilestoneFactory(project=project)
    other_milestone = MilestoneFactory(project=other_project)
    MilestoneForecast.objects.create(
        milestone=milestone, as_of=milestone.baseline_date, forecast_date=milestone.forecast_date
    )
    MilestoneForecast.objects.create(
        milestone=other_milestone,
        as_of=other_milestone.baseline_date,
        forecast_date=other_milestone.forecast_date,
    )
    RiskFactory(project=project)
    RiskFactory(project=other_project)
    return project, other_project


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


def test_a_director_sees_and_changes_only_the_portfolios_they_direct(director, world):
    assert codes(scope(Portfolio.objects.all(), director)) == {"ENT"}
    assert codes(scope(Project.objects.all(), director)) == {"ERP-01"}
    assert codes(scope(Project.objects.all(), director, write=True)) == {"ERP-01"}


def test_a_project_manager_sees_the_projects_they_manage_and_no_portfolio(pm, world):
    assert codes(scope(Project.objects.all(), pm)) == {"ERP-01"}
    assert scope(Portfolio.objects.all(), pm).count() == 0


def test_a_delegate_may_change_the_project_they_are_delegated_on(other_pm, world):
    project, _ = world
    assert not can_change(other_pm, project)

    project.delegates.add(other_pm)

    assert can_change(other_pm, project)
    assert codes(scope(Project.objects.all(), other_pm, write=True)) == {"ERP-01", "DC-01"}


def test_delegation_by_several_users_does_not_duplicate_rows(pm, other_pm, world):
    project, _ = world
    project.delegates.add(pm, other_pm)

    assert scope(Project.objects.all(), pm).count() == 1


def test_pmo_sees_and_changes_everything(pmo, world):
    assert codes(scope(Project.objects.all(), pmo, write=True)) == {"ERP-01", "DC-01"}
    assert can_change(pmo, world[1])


def test_an_executive_sees_everything_and_changes_nothing(executive, world):
    project, other = world
    assert codes(scope(Project.objects.all(), executive)) == {"ERP-01", "DC-01"}
    assert scope(Project.objects.all(), executive, write=True).count() == 0
    assert can_view(executive, other)
    assert not can_change(executive, project)


def test_a_user_without_a_role_sees_nothing(outsider, world):
    assert scope(Project.objects.all(), outsider).count() == 0
    assert scope(Portfolio.objects.all(), outsider).count() == 0


def test_anonymous_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert scope(Project.objects.all(), AnonymousUser()).count() == 0
    assert not can_view(AnonymousUser(), world[0])


def test_an_inactive_user_loses_access(pm, world):
    pm.is_active = False
    pm.save()

    assert not can_view(pm, world[0])


@pytest.mark.parametrize("model", [Milestone, Risk, MilestoneForecast])
def test_child_rows_follow_their_projects_scope(model, pm, director, other_director, world):
    mine = scope(model.objects.all(), pm)
    assert mine.count() == 1
    assert scope(model.objects.all(), director).count() == 1
    assert scope(model.objects.all(), other_director).count() == 1
    assert mine.get().pk != scope(model.objects.all(), other_director).get().pk


def test_require_change_raises_permission_denied_for_other_peoples_objects(other_pm, world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        require_change(other_pm, world[0])


def test_scope_answers_in_one_query(pm, world, django_assert_num_queries):
    list(scope(Project.objects.all(), pm))  # warm the per-request role cache
    with django_assert_num_queries(1):
        list(scope(Project.objects.all(), pm))
