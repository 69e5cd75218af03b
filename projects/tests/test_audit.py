"""Every change is audited (who, when, before, after), bulk updates and raw SQL included."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ppm.audit import acting_as, history_for
from projects.demo.db import audit_triggers_disabled
from projects.models import Milestone, Project
from projects.tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_an_edit_records_who_when_before_and_after(pm):
    project = ProjectFactory(budget_at_completion=Decimal("100000.00"))

    with acting_as(pm, reason="contract signed"):
        project.budget_at_completion = Decimal("125000.00")
        project.save()

    latest = history_for(project)[0]
    assert latest.action == "update"
    assert latest.user_name == "Ana Silva"
    assert latest.reason == "contract signed"
    assert latest.changes["budget_at_completion"] == (Decimal("100000.00"), Decimal("125000.00"))
    assert latest.when is not None


def test_a_bulk_update_is_audited_row_by_row(pm):
    milestones = [MilestoneFactory(baseline_date=date(2026, 6, 1)) for _ in range(3)]

    with acting_as(pm):
        Milestone.objects.filter(pk__in=[m.pk for m in milestones]).update(
            forecast_date=date(2026, 7, 1)
        )

    for milestone in milestones:
        entry = history_for(milestone)[0]
        assert entry.action == "update"
        assert entry.changes["forecast_date"] == ("2026-06-01", "2026-07-01")
        assert entry.user_name == "Ana Silva"


def test_raw_sql_is_audited_too():
    project = ProjectFactory(name="Old name")

    with connection.cursor() as cursor:
        cursor.execute("UPDATE projects_project SET name = 'New name' WHERE id = %s", [project.pk])

    entry = history_for(project)[0]
    assert entry.changes["name"] == ("Old name", "New name")
    assert entry.user_name == "system"


def test_inserts_and_deletes_are_recorded():
    project = ProjectFactory()
    pk = project.pk
    project.delete()

    actions = [entry.action for entry in history_for(Project(pk=pk))]
    assert actions == ["delete", "insert"]


def test_an_update_that_changes_nothing_writes_no_event():
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(name=project.name)

    assert [entry.action for entry in history_for(project)] == ["insert"]


def test_reading_the_history_takes_two_queries(pm, django_assert_num_queries):
    project = ProjectFactory()
    for n in range(5):
        with acting_as(pm):
            Project.objects.filter(pk=project.pk).update(name=f"Name {n}")

    with django_assert_num_queries(2):
        assert len(history_for(project)) == 6


def _labels(project: Project) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pgh_label FROM projects_projectevent WHERE pgh_obj_id = %s ORDER BY pgh_id",
            [project.pk],
        )
        return [label for (label,) in cursor.fetchall()]


def test_a_row_loaded_with_auditing_off_gets_one_baseline_before_its_first_update():
    with transaction.atomic(), audit_triggers_disabled():
        project = ProjectFactory(name="Seeded")
    for name in ("First edit", "Second edit"):
        Project.objects.filter(pk=project.pk).update(name=name)

    assert _labels(project) == ["baseline", "update", "update"]
    first, second = reversed(history_for(project))
    assert first.changes["name"] == ("Seeded", "First edit")
    assert second.changes["name"] == ("First edit", "Second edit")


def test_a_row_audited_from_its_insert_never_gets_a_baseline():
    project = ProjectFactory(name="Audited")
    Project.objects.filter(pk=project.pk).update(name="Edited")

    assert _labels(project) == ["insert", "update"]
