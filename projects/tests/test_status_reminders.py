"""Status reports due: the daily task tells the manager once per period, two days before the
report becomes due (the day after its month ends) or at once when it is overdue, by the same
definition My projects marks projects with."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ppm.celery import app
from ppm.models import Notification
from projects.choices import LifecycleState, ReportState
from projects.services.reminders import status_due_key, status_reports_due_notify
from projects.tasks import STATUS_REPORTS_DUE
from projects.tests.factories import ProjectFactory, StatusReportFactory

pytestmark = pytest.mark.django_db


def submitted(project, period_end: date):
    return StatusReportFactory(
        project=project,
        period_end=period_end,
        author=project.manager,
        state=ReportState.SUBMITTED,
        submitted_at=timezone.now(),
    )


@pytest.fixture
def reporting(project):
    """ERP-01 started in January 2026 and has reported January and February."""
    submitted(project, date(2026, 1, 31))
    submitted(project, date(2026, 2, 28))
    return project


def notices() -> list[tuple[str, str, str]]:
    return list(
        Notification.objects.order_by("pk").values_list("recipient__username", "key", "title")
    )


def test_nothing_is_said_while_the_next_report_is_more_than_two_days_off(reporting):
    assert status_reports_due_notify(today=date(2026, 3, 29)) == 0
    assert notices() == []


def test_the_manager_hears_two_days_before_the_report_is_due_and_once_only(reporting, pm):
    assert status_reports_due_notify(today=date(2026, 3, 30)) == 1
    note = Notification.objects.get()
    assert note.recipient == pm
    assert note.kind == "status_due"
    assert note.key == status_due_key(reporting.pk, date(2026, 3, 31))
    assert note.title == "Status report due soon: ERP-01 ERP rollout"
    assert note.body == "The March 2026 report is due once the month ends (31 Mar 2026)."
    assert note.url == reverse("projects:status", args=[reporting.pk])
    # The next days (the report now due, then still due) repeat nothing.
    for day in (date(2026, 3, 30), date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 20)):
        assert status_reports_due_notify(today=day) == 0
    assert Notification.objects.count() == 1


def test_a_submitted_report_silences_its_period_and_the_next_period_speaks_again(reporting):
    status_reports_due_notify(today=date(2026, 3, 30))
    submitted(reporting, date(2026, 3, 31))
    assert status_reports_due_notify(today=date(2026, 4, 2)) == 0
    # A draft is not a report.
    StatusReportFactory(project=reporting, period_end=date(2026, 4, 30), author=reporting.manager)
    assert status_reports_due_notify(today=date(2026, 4, 29)) == 1
    assert [key for _, key, _ in notices()] == [
        status_due_key(reporting.pk, date(2026, 3, 31)),
        status_due_key(reporting.pk, date(2026, 4, 30)),
    ]


def test_a_report_missed_says_due_then_overdue(project, pm):
    # Started in January, never reported: on 2 February January's report is due.
    assert status_reports_due_notify(today=date(2026, 2, 2)) == 1
    assert notices()[-1][2] == "Status report due: ERP-01 ERP rollout"
    # On 10 March February's is due and January's still missing: overdue.
    assert status_reports_due_notify(today=date(2026, 3, 10)) == 1
    note = Notification.objects.latest("pk")
    assert note.title == "Status report overdue: ERP-01 ERP rollout"
    assert note.body == (
        "The February 2026 report was due when its period ended on 28 Feb 2026. "
        "Earlier reports are missing too."
    )
    assert note.key == status_due_key(project.pk, date(2026, 2, 28))


def test_only_projects_in_flight_whose_first_period_has_come_are_asked(pm, portfolio):
    for state in (LifecycleState.PROPOSED, LifecycleState.CLOSED, LifecycleState.CANCELLED):
        ProjectFactory(portfolio=portfolio, manager=pm, state=state)
    ProjectFactory(portfolio=portfolio, manager=pm, baseline_start=date(2026, 5, 4))
    held = ProjectFactory(portfolio=portfolio, manager=pm, state=LifecycleState.ON_HOLD)
    assert status_reports_due_notify(today=date(2026, 3, 30)) == 1
    assert Notification.objects.get().key == status_due_key(held.pk, date(2026, 3, 31))


def test_a_manager_who_left_is_not_told(project, pm):
    pm.is_active = False
    pm.save()
    assert status_reports_due_notify(today=date(2026, 3, 30)) == 0


def test_a_new_manager_hears_of_a_period_the_old_one_was_told_about(project, pm, other_pm):
    status_reports_due_notify(today=date(2026, 3, 30))
    project.manager = other_pm
    project.save(update_fields=["manager"])
    assert status_reports_due_notify(today=date(2026, 3, 31)) == 1
    assert [who for who, _, _ in notices()] == [pm.username, other_pm.username]


def test_the_task_is_registered_and_scheduled_daily():
    assert STATUS_REPORTS_DUE in app.tasks
    entry = settings.CELERY_BEAT_SCHEDULE["status-reports-due"]
    assert entry["task"] == STATUS_REPORTS_DUE
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({6}, {30})


def test_the_task_runs_against_today(project):
    # Whatever today is, a project that never reported is due or overdue: told once.
    assert app.tasks[STATUS_REPORTS_DUE]() == 1
    assert app.tasks[STATUS_REPORTS_DUE]() == 0
