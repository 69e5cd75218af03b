"""Status reporting discipline: the PMO's audited correction of a submitted report (a new
version that supersedes it), discarding a draft, the final confirmation only after the checks,
errors summarised at the top, and "My projects" marking the reports due."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from ppm.audit import history_for
from projects import services
from projects.choices import LifecycleState, ReportState
from projects.health import project_evm
from projects.metrics import report_due_period_end
from projects.models import StatusReport
from projects.selectors import latest_submitted_rag, project_overview
from projects.selectors.status import month_end, report_flag, status_reports
from projects.services.dates import add_months
from projects.tests.factories import ProjectFactory, StatusReportFactory
from reporting.engine import recompute
from reporting.models import ProjectRollup

pytestmark = pytest.mark.django_db

SUGGESTED = dict.fromkeys(("overall", "schedule", "cost", "scope", "risk"), "green")


def submitted(project, period_end: date, **fields) -> StatusReport:
    fields.setdefault("suggested_rags", SUGGESTED)
    return StatusReportFactory(
        project=project,
        period_end=period_end,
        state=ReportState.SUBMITTED,
        submitted_at=timezone.now(),
        **fields,
    )


def report_url(report) -> str:
    return reverse("projects:status-report", args=[report.project_id, report.pk])


def correct_url(report) -> str:
    return reverse("projects:status-correct", args=[report.project_id, report.pk])


def correction_data(report, **overrides) -> dict:
    data = {
        "reason": "Percent complete was typed as 8 instead of 80.",
        "overall_rag": report.overall_rag,
        "schedule_rag": report.schedule_rag,
        "cost_rag": report.cost_rag,
        "scope_rag": report.scope_rag,
        "risk_rag": report.risk_rag,
        "percent_complete": "80",
        "narrative": report.narrative,
        "achievements": report.achievements,
        "next_steps": report.next_steps,
    }
    data.update(overrides)
    return data


# --- The PMO's correction of a submitted report ---------------------------------------------


@pytest.fixture
def wrong(project, pm):
    return submitted(
        project, date(2026, 10, 31), author=pm, percent_complete=Decimal("8"), narrative="Typo."
    )


def test_a_correction_is_a_new_version_and_the_old_one_stays(pmo, pm, project, wrong):
    correction = services.status_report_correct(
        report=wrong, by=pmo, reason="Typed 8 for 80.", percent_complete=Decimal("80")
    )
    assert correction.pk != wrong.pk
    assert correction.supersedes_id == wrong.pk
    assert correction.state == ReportState.SUBMITTED
    assert (correction.period_end, correction.author_id) == (wrong.period_end, pm.pk)
    assert correction.corrected_by_id == pmo.pk
    assert correction.correction_reason == "Typed 8 for 80."
    assert correction.narrative == "Typo."  # what was not corrected is carried over
    old = StatusReport.objects.get(pk=wrong.pk)
    assert old.percent_complete == Decimal("8") and old.state == ReportState.SUBMITTED
    # The database still refuses to rewrite the submitted version.
    with pytest.raises(DatabaseError), transaction.atomic():
        StatusReport.objects.filter(pk=wrong.pk).update(percent_complete=Decimal("80"))
    # Audited: who, and why.
    (entry,) = history_for(correction)
    assert (entry.action, entry.user_id) == ("insert", pmo.pk)
    assert "Typed 8 for 80." in entry.reason


def test_every_read_uses_the_current_version(pmo, project, wrong):
    services.status_report_correct(
        report=wrong,
        by=pmo,
        reason="RAG and progress were last month's.",
        percent_complete=Decimal("80"),
        overall_rag="amber",
        override_reasons={"overall": "Vendor late."},
    )
    assert [r.percent_complete for r in status_reports(project=project)] == [Decimal("80")]
    assert project_overview(project=project).latest_report.percent_complete == Decimal("80")
    evm = project_evm(project=project, as_of=date(2026, 11, 15))
    assert evm.ev == project.budget_at_completion * Decimal("0.8")
    annotated = type(project).objects.annotate(rag=latest_submitted_rag()).get(pk=project.pk)
    assert annotated.rag == "amber"
    recompute(project_ids=[project.pk], as_of=date(2026, 11, 15))
    rollup = ProjectRollup.objects.get(project=project)
    assert rollup.reported_rag == "amber"
    assert rollup.ev == project.budget_at_completion * Decimal("0.8")


def test_a_correction_needs_a_reason_and_respects_the_frozen_rules(pmo, project, wrong):
    with pytest.raises(services.DomainError) as caught:
        services.status_report_correct(report=wrong, by=pmo, reason="  ")
    assert caught.value.field == "reason"
    with pytest.raises(services.DomainError) as caught:
        services.status_report_correct(report=wrong, by=pmo, reason="x", risk_rag="red")
    assert caught.value.field == "risk_reason"
    assert StatusReport.objects.count() == 1


def test_only_the_current_version_is_corrected_and_only_once(pmo, project, wrong):
    first = services.status_report_correct(report=wrong, by=pmo, reason="One.")
    with pytest.raises(services.DomainError):
        # The same stale version again: the one-to-one refuses a second successor.
        services.status_report_correct(report=wrong, by=pmo, reason="Two.")
    second = services.status_report_correct(report=first, by=pmo, reason="Again.")
    assert second.supersedes_id == first.pk
    assert [r.pk for r in status_reports(project=project)] == [second.pk]


def test_a_draft_cannot_be_corrected_nor_a_report_by_anyone_but_the_pmo(
    pm, director, pmo, project, wrong
):
    for user in (pm, director):
        with pytest.raises(services.DomainError):
            services.status_report_correct(report=wrong, by=user, reason="Mine.")
    draft = StatusReportFactory(project=project, period_end=date(2026, 11, 30))
    with pytest.raises(services.DomainError):
        services.status_report_correct(report=draft, by=pmo, reason="Draft.")


@pytest.mark.parametrize("persona", ["pm", "director", "executive"])
def test_the_correction_page_is_the_pmos_alone(client, request, persona, wrong):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(correct_url(wrong)).status_code == 403
    assert client.post(correct_url(wrong), correction_data(wrong)).status_code == 403
    assert "Correct this report" not in client.get(report_url(wrong)).text
    assert StatusReport.objects.count() == 1


def test_the_pmo_corrects_a_report_from_its_page(client, pmo, project, wrong):
    client.force_login(pmo)
    page = client.get(report_url(wrong)).text
    assert f'href="{correct_url(wrong)}"' in page
    form = client.get(correct_url(wrong))
    assert form.status_code == 200
    response = client.post(correct_url(wrong), correction_data(wrong, reason=""))
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert 'href="#id_reason"' in response.text  # summarised at the top, linking to it

    response = client.post(correct_url(wrong), correction_data(wrong), follow=True)
    correction = StatusReport.objects.get(supersedes=wrong)
    assert response.redirect_chain[-1][0] == report_url(correction)
    assert 'data-testid="correction-note"' in response.text
    assert correction.percent_complete == Decimal("80")
    old_page = client.get(report_url(wrong)).text
    assert 'data-testid="superseded-note"' in old_page
    assert "Correct this report" not in old_page
    listing = client.get(reverse("projects:status", args=[project.pk])).text
    assert listing.count('data-testid="corrected-badge"') == 1
    # A correction of an already-corrected version goes to the current one.
    again = client.get(correct_url(wrong))
    assert again.status_code == 302 and again["Location"] == correct_url(correction)


def test_a_corrected_period_still_has_one_original(pm, project, pmo, wrong):
    services.status_report_correct(report=wrong, by=pmo, reason="Fix.")
    with pytest.raises(services.DomainError) as caught:
        services.status_report_start(
            project=project, period_end=wrong.period_end, by=pm, today=date(2026, 12, 2)
        )
    assert caught.value.field == "period_end"


# --- Discarding a draft ---------------------------------------------------------------------


def discard_url(report) -> str:
    return reverse("projects:status-discard", args=[report.project_id, report.pk])


def test_a_draft_is_discarded_after_a_confirmation_and_the_trail_keeps_it(client, pm, project):
    draft = StatusReportFactory(project=project, period_end=date(2026, 11, 30), narrative="Oops")
    client.force_login(pm)
    assert f'href="{discard_url(draft)}"' in client.get(report_url(draft)).text
    page = client.get(discard_url(draft))
    assert page.status_code == 200 and 'data-testid="discard-confirm"' in page.text
    assert StatusReport.objects.filter(pk=draft.pk).exists()  # asking discards nothing

    response = client.post(discard_url(draft), {"version": draft.version}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("projects:status", args=[project.pk])
    assert "discarded" in response.text
    assert not StatusReport.objects.filter(pk=draft.pk).exists()
    (entry, *_) = history_for(draft)
    assert (entry.action, entry.user_id, entry.reason) == ("delete", pm.pk, "Draft discarded")
    # The period is free again.
    services.status_report_start(
        project=project, period_end=date(2026, 11, 30), by=pm, today=date(2026, 12, 2)
    )


def test_a_draft_saved_meanwhile_is_not_discarded_unseen(client, pm, project):
    draft = StatusReportFactory(project=project, period_end=date(2026, 11, 30))
    StatusReport.objects.filter(pk=draft.pk).update(version=draft.version + 1)
    client.force_login(pm)
    response = client.post(discard_url(draft), {"version": draft.version})
    assert response.status_code == 200
    assert 'data-testid="error-summary"' in response.text
    assert StatusReport.objects.filter(pk=draft.pk).exists()


def test_a_submitted_report_is_not_discarded(client, pm, pmo, project, wrong):
    with pytest.raises(services.DomainError):
        services.status_report_discard(report=wrong, expected_version=wrong.version, by=pmo)
    client.force_login(pm)
    response = client.post(discard_url(wrong), {"version": wrong.version})
    assert response.status_code == 302
    assert StatusReport.objects.filter(pk=wrong.pk).exists()


@pytest.mark.parametrize("persona", ["director", "executive"])
def test_only_who_may_change_the_project_discards(client, request, persona, project, other_pm):
    # The director of another portfolio and an executive read at most.
    draft = StatusReportFactory(project=project, period_end=date(2026, 11, 30))
    user = request.getfixturevalue(persona)
    if persona == "director":
        user = request.getfixturevalue("other_director")
    client.force_login(user)
    assert client.post(discard_url(draft), {"version": draft.version}).status_code in (403, 404)
    assert StatusReport.objects.filter(pk=draft.pk).exists()


# --- Submit: checks first, then the final question -------------------------------------------


def editor_data(report, **overrides) -> dict:
    data = {
        "version": report.version,
        "percent_complete": "40",
        "narrative": "",
        "achievements": "",
        "next_steps": "",
        **{f"{d}_rag": "green" for d in SUGGESTED},
        **{f"{d}_reason": "" for d in SUGGESTED},
    }
    data.update(overrides)
    return data


def test_a_submit_with_errors_shows_them_summarised_and_asks_nothing(client, pm, project):
    draft = StatusReportFactory(project=project, period_end=date(2026, 11, 30))
    client.force_login(pm)
    response = client.post(report_url(draft), editor_data(draft, scope_rag="red", action="submit"))
    assert response.status_code == 200
    assert 'data-testid="confirm-submit"' not in response.text
    assert 'data-testid="error-summary"' in response.text
    assert 'href="#id_scope_reason"' in response.text
    assert StatusReport.objects.get(pk=draft.pk).state == ReportState.DRAFT


def test_a_clean_submit_asks_to_confirm_and_only_confirm_submits(client, pm, project):
    draft = StatusReportFactory(project=project, period_end=date(2026, 11, 30))
    client.force_login(pm)
    response = client.post(report_url(draft), editor_data(draft, action="submit"))
    assert 'data-testid="confirm-submit"' in response.text
    assert 'data-testid="error-summary"' not in response.text
    draft.refresh_from_db()
    assert draft.state == ReportState.DRAFT and draft.percent_complete == Decimal("40")
    response = client.post(report_url(draft), editor_data(draft, action="confirm"))
    assert response.status_code == 302
    assert StatusReport.objects.get(pk=draft.pk).state == ReportState.SUBMITTED


# --- "My projects" marks the reports due -----------------------------------------------------


def test_report_flags_follow_the_reporting_calendar(project):
    today = date(2026, 12, 2)
    due = report_due_period_end(today)  # 30 Nov 2026
    before = month_end(add_months(due, -1))
    assert report_flag(project=project, last_period_end=due, today=today) == ""
    assert report_flag(project=project, last_period_end=before, today=today) == "due"
    assert report_flag(project=project, last_period_end=None, today=today) == "overdue"
    young = ProjectFactory(baseline_start=date(2026, 11, 3), baseline_finish=date(2027, 5, 1))
    assert report_flag(project=young, last_period_end=None, today=today) == "due"
    future = ProjectFactory(baseline_start=date(2026, 12, 1), baseline_finish=date(2027, 5, 1))
    assert report_flag(project=future, last_period_end=None, today=today) == ""
    closed = ProjectFactory(state=LifecycleState.CLOSED)
    assert report_flag(project=closed, last_period_end=None, today=today) == ""


def test_my_projects_marks_each_project_due_or_overdue(client, pm, portfolio):
    today = timezone.localdate()
    due = report_due_period_end(today)
    start = add_months(today, -6)
    current, late, never = (
        ProjectFactory(
            portfolio=portfolio,
            manager=pm,
            code=code,
            baseline_start=start,
            baseline_finish=add_months(today, 12),
        )
        for code in ("CUR-1", "LATE-1", "NEW-1")
    )
    submitted(current, due)
    submitted(late, month_end(add_months(due, -1)))
    StatusReportFactory(project=never, period_end=due)  # a draft does not count
    client.force_login(pm)
    response = client.get(reverse("projects:mine"))
    flags = {p.code: p.report_flag for p in response.context["table"].page}
    assert flags == {"CUR-1": "", "LATE-1": "due", "NEW-1": "overdue"}
    assert response.text.count('data-testid="report-flag"') == 2
    assert "Report overdue" in response.text and "Report due" in response.text
