"""The status section in the web layer: who may do what, the draft editor with the rules beside
each choice, submit (final), validation and conflicts with the user's input kept, htmx
fragments, Markdown rendered safely, and a fixed number of queries per page."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portfolio.models import HealthPolicy
from projects.choices import RAG, ReportState
from projects.metrics import report_due_period_end
from projects.models import StatusReport
from projects.selectors.status import month_end
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    RiskFactory,
    StatusReportFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def list_url(project) -> str:
    return reverse("projects:status", args=[project.pk])


def start_url(project) -> str:
    return reverse("projects:status-start", args=[project.pk])


def report_url(report) -> str:
    return reverse("projects:status-report", args=[report.project_id, report.pk])


def preview_url(project, field: str = "narrative") -> str:
    return reverse("projects:status-preview", args=[project.pk]) + f"?field={field}"


def editor_data(report: StatusReport, **overrides) -> dict[str, str]:
    """What the editor posts for `report` unchanged, with `overrides` applied."""
    reasons = report.override_reasons or {}
    data = {
        "version": str(report.version),
        "percent_complete": str(report.percent_complete),
        "narrative": report.narrative,
        "achievements": report.achievements,
        "next_steps": report.next_steps,
        "action": "save",
    }
    for d in ("overall", "schedule", "cost", "scope", "risk"):
        data[f"{d}_rag"] = getattr(report, f"{d}_rag")
        data[f"{d}_reason"] = reasons.get(d, "")
    data.update(overrides)
    return data


def submitted(project, period_end: date, **fields) -> StatusReport:
    fields.setdefault("suggested_rags", {d: "green" for d in RAG_DIMENSIONS})
    return StatusReportFactory(
        project=project,
        period_end=period_end,
        state=ReportState.SUBMITTED,
        submitted_at=timezone.now(),
        **fields,
    )


RAG_DIMENSIONS = ("overall", "schedule", "cost", "scope", "risk")


@pytest.fixture
def draft(project, pm) -> StatusReport:
    return StatusReportFactory(project=project, period_end=date(2026, 11, 30), author=pm)


# --- Who may do what ------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_sign_in(client, project, draft):
    for url in (list_url(project), report_url(draft)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(start_url(project), {"period_end": "2026-12-31"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive"])
def test_the_pages_open_for_everyone_who_may_see_the_project(
    client, request, persona, project, draft
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(list_url(project)).status_code == 200
    assert client.get(report_url(draft)).status_code == 200


def test_a_delegate_works_on_the_report_like_the_manager(client, other_pm, project, draft):
    project.delegates.add(other_pm)
    client.force_login(other_pm)
    response = client.post(report_url(draft), editor_data(draft, narrative="Delegated edit."))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.narrative == "Delegated edit."


@pytest.mark.parametrize("persona", ["other_pm", "outsider"])
def test_the_pages_are_refused_outside_the_users_scope(client, request, persona, project, draft):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(list_url(project)).status_code == 403
    assert client.get(report_url(draft)).status_code == 403
    assert client.post(start_url(project), {"period_end": "2026-12-31"}).status_code == 403
    assert client.post(report_url(draft), editor_data(draft)).status_code == 403
    assert client.post(preview_url(project), {"narrative": "x"}).status_code == 403


@pytest.mark.parametrize("persona", ["executive", "other_director", "other_pm"])
def test_read_only_and_out_of_scope_users_cannot_write(client, request, persona, project, draft):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(start_url(project), {"period_end": "2026-12-31"}).status_code == 403
    assert (
        client.post(report_url(draft), editor_data(draft, narrative="rewritten")).status_code == 403
    )
    submit = editor_data(draft, action="submit")
    assert client.post(report_url(draft), submit).status_code == 403
    assert client.post(preview_url(project), {"narrative": "x"}).status_code == 403
    draft.refresh_from_db()
    assert draft.state == ReportState.DRAFT
    assert draft.narrative == ""
    assert StatusReport.objects.filter(project=project).count() == 1


def test_an_executive_reads_without_edit_controls(client, executive, project, draft):
    client.force_login(executive)
    listing = client.get(list_url(project)).text
    assert "Start report" not in listing
    page = client.get(report_url(draft)).text
    assert 'data-testid="report-editor"' not in page
    assert "not yet submitted" in page


def test_a_report_of_another_project_is_not_found(client, pm, project, other_project):
    foreign = StatusReportFactory(project=other_project)
    client.force_login(pm)
    url = reverse("projects:status-report", args=[project.pk, foreign.pk])
    assert client.get(url).status_code == 404


# --- Start a report ----------------------------------------------------------------------------


def test_the_start_form_proposes_the_period_that_is_due(client, pm, project):
    client.force_login(pm)
    response = client.get(list_url(project))
    due = report_due_period_end(timezone.localdate())
    assert response.context["start_form"].initial["period_end"] == due
    assert f'<option value="{due.isoformat()}" selected>' in response.text
    # Once the due period has a report, the month in progress is proposed.
    StatusReportFactory(project=project, period_end=due, author=pm)
    response = client.get(list_url(project))
    expected = month_end(timezone.localdate())
    assert response.context["start_form"].initial["period_end"] == expected
    assert f'value="{expected:%Y-%m-%d}"' in response.text


def test_month_end_knows_short_months_and_leap_years():
    assert month_end(date(2026, 2, 10)) == date(2026, 2, 28)
    assert month_end(date(2028, 2, 1)) == date(2028, 2, 29)
    assert month_end(date(2026, 12, 31)) == date(2026, 12, 31)


def test_starting_a_report_opens_its_editor(client, pm, project):
    client.force_login(pm)
    response = client.post(start_url(project), {"period_end": "2026-12-31"})
    report = StatusReport.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == report_url(report)
    assert report.state == ReportState.DRAFT
    assert report.author == pm
    page = client.get(response["Location"])
    assert "Draft started for the period ending 31 Dec 2026." in page.text


def test_starting_with_htmx_redirects_the_browser(client, pm, project):
    client.force_login(pm)
    response = client.post(start_url(project), {"period_end": "2026-12-31"}, headers=HTMX)
    report = StatusReport.objects.get(project=project)
    assert response.status_code == 200
    assert response["HX-Redirect"] == report_url(report)


def test_a_second_report_for_a_period_is_refused_next_to_the_date(client, pm, project, draft):
    client.force_login(pm)
    response = client.post(start_url(project), {"period_end": "2026-11-30"}, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section class="card mb-3" id="start-report"')
    assert "already exists" in response.context["start_form"].errors["period_end"][0]
    assert 'value="2026-11-30"' in response.text  # the input is kept
    assert StatusReport.objects.filter(project=project).count() == 1


def test_a_missing_period_end_is_an_error_on_the_plain_page(client, pm, project):
    client.force_login(pm)
    response = client.post(start_url(project), {"period_end": "", "copy_from_last": "on"})
    assert response.status_code == 200
    assert "<html" in response.text
    assert response.context["start_form"].errors["period_end"]
    assert not StatusReport.objects.filter(project=project).exists()


def test_copy_from_last_period_fills_the_draft(client, pm, project):
    submitted(
        project,
        date(2026, 10, 31),
        schedule_rag=RAG.AMBER,
        narrative="Cut-over planning.",
        next_steps="Rehearse the cut-over.",
        percent_complete=Decimal("35"),
    )
    client.force_login(pm)
    client.post(start_url(project), {"period_end": "2026-11-30", "copy_from_last": "on"})
    draft = StatusReport.objects.get(project=project, period_end=date(2026, 11, 30))
    assert draft.schedule_rag == RAG.AMBER
    assert draft.narrative == "Cut-over planning."
    assert draft.achievements == "Rehearse the cut-over."
    assert draft.percent_complete == Decimal("35")


def test_copy_from_last_period_without_one_is_explained(client, pm, project):
    client.force_login(pm)
    page = client.get(list_url(project)).text
    assert "There is no submitted report to copy from yet." in page
    response = client.post(start_url(project), {"period_end": "2026-11-30", "copy_from_last": "on"})
    assert "no earlier submitted report" in str(response.context["start_form"].non_field_errors())


# --- The editor ------------------------------------------------------------------------------


def test_the_editor_shows_the_rules_suggestion_and_its_evidence_beside_each_choice(
    client, pm, project, draft
):
    RiskFactory(project=project, probability=5, impact=4)  # score 20: the rule says red
    MilestoneFactory(
        project=project, baseline_date=date(2026, 9, 1), forecast_date=date(2026, 9, 15)
    )
    client.force_login(pm)
    response = client.get(report_url(draft))
    dims = {d.key: d for d in response.context["dimensions"]}
    assert dims["risk"].suggested == "red"
    assert dims["risk"].evidence == "highest open risk score 20"
    assert dims["schedule"].suggested == "amber"
    assert "slip 14 days" in dims["schedule"].evidence
    assert dims["overall"].suggested == "red"
    page = response.text
    assert "Highest open risk score 20" in page
    assert 'data-suggested="red"' in page
    # The draft says green where the rules say red: marked as overriding.
    assert 'class="rag-row is-overridden' in page


def test_saving_a_draft_keeps_everything_typed(client, pm, project, draft):
    client.force_login(pm)
    data = editor_data(
        draft,
        schedule_rag="amber",
        schedule_reason="Vendor slipped two weeks.",
        narrative="**Build** done.",
        achievements="- UAT started",
        next_steps="Cut-over rehearsal",
        percent_complete="62.5",
    )
    response = client.post(report_url(draft), data)
    assert response.status_code == 302
    assert response["Location"] == report_url(draft)
    draft.refresh_from_db()
    assert draft.schedule_rag == "amber"
    assert draft.override_reasons == {"schedule": "Vendor slipped two weeks."}
    assert draft.narrative == "**Build** done."
    assert draft.percent_complete == Decimal("62.50")
    assert draft.version == 2
    assert draft.state == ReportState.DRAFT


def test_saving_a_draft_with_htmx_swaps_only_the_editor(client, pm, project, draft):
    client.force_login(pm)
    response = client.post(report_url(draft), editor_data(draft, narrative="Hello"), headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<form id="report-editor"')
    assert "Draft saved at" in response.text
    assert 'name="version" value="2"' in response.text


def test_a_percent_out_of_range_is_refused_next_to_the_field_with_the_text_kept(
    client, pm, project, draft
):
    client.force_login(pm)
    response = client.post(
        report_url(draft), editor_data(draft, percent_complete="120", narrative="Keep me.")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["percent_complete"] == ["Percent complete must be between 0 and 100."]
    assert "Keep me." in response.text
    assert 'value="120"' in response.text
    draft.refresh_from_db()
    assert draft.narrative == ""


def test_a_rag_that_is_not_a_choice_is_refused(client, pm, project, draft):
    client.force_login(pm)
    response = client.post(report_url(draft), editor_data(draft, cost_rag="purple"))
    assert response.status_code == 200
    assert "cost_rag" in response.context["form"].errors


# --- Submit ---------------------------------------------------------------------------------


def test_submitting_an_override_without_reasons_marks_every_missing_reason(
    client, pm, project, draft
):
    RiskFactory(project=project, probability=5, impact=5)  # risk and overall suggested red
    client.force_login(pm)
    data = editor_data(draft, scope_rag="amber", narrative="Typed before submit.", action="submit")
    response = client.post(report_url(draft), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"scope_reason", "risk_reason", "overall_reason"}
    assert errors["risk_reason"] == ["Risk is Green but the rules suggest Red: say why."]
    assert "Typed before submit." in response.text
    draft.refresh_from_db()
    assert draft.state == ReportState.DRAFT
    # The draft was saved on the way, and the form now builds on that version: adding the
    # reasons and submitting again is not a conflict with oneself.
    assert draft.narrative == "Typed before submit."
    assert response.context["form"].data["version"] == str(draft.version)

    data.update(
        version=response.context["form"].data["version"],
        scope_reason="Customer added two reports; CR raised.",
        risk_reason="Vendor has contractually absorbed the risk.",
        overall_reason="Managed: see risk.",
    )
    # Now it passes its checks: the final question comes, and nothing is submitted yet.
    response = client.post(report_url(draft), data)
    assert response.status_code == 200
    assert 'data-testid="confirm-submit"' in response.text
    assert 'data-testid="error-summary"' not in response.text
    draft.refresh_from_db()
    assert draft.state == ReportState.DRAFT
    data.update(version=str(draft.version), action="confirm")
    response = client.post(report_url(draft), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == ReportState.SUBMITTED
    assert draft.suggested_rags["risk"] == "red"
    assert draft.override_reasons == {
        "scope": "Customer added two reports; CR raised.",
        "risk": "Vendor has contractually absorbed the risk.",
        "overall": "Managed: see risk.",
    }


def test_a_submitted_report_is_read_only_and_shows_what_was_overridden(client, pm, project, draft):
    RiskFactory(project=project, probability=5, impact=5)
    client.force_login(pm)
    data = editor_data(
        draft,
        risk_reason="Insured.",
        overall_reason="Insured.",
        narrative="**Good** month.\n\n<script>alert(1)</script>",
        action="confirm",
    )
    response = client.post(report_url(draft), data, follow=True)
    assert "submitted." in response.text
    page = response.text
    assert 'data-testid="report-editor"' not in page
    assert "Submitted reports are final" in page
    assert "Overridden" in page
    assert "Insured." in page
    assert "<strong>Good</strong> month." in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    listing = client.get(list_url(project)).text
    assert "Overridden" in listing


def test_submitting_with_htmx_redirects_to_the_report(client, pm, project, draft):
    client.force_login(pm)
    response = client.post(report_url(draft), editor_data(draft, action="confirm"), headers=HTMX)
    assert response["HX-Redirect"] == report_url(draft)


def test_a_submitted_report_cannot_be_posted_to(client, pm, project):
    report = submitted(project, date(2026, 10, 31), narrative="Final.")
    client.force_login(pm)
    response = client.post(report_url(report), editor_data(report, narrative="Rewrite"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.narrative == "Final."
    page = client.get(response["Location"]).text
    assert "can no longer be changed" in page


# --- Conflicts --------------------------------------------------------------------------------


def test_a_save_over_someone_elses_shows_their_change_and_keeps_mine(
    client, pm, other_pm, project, draft
):
    project.delegates.add(other_pm)
    seen = draft.version
    client.force_login(other_pm)
    client.post(report_url(draft), editor_data(draft, narrative="Raj's narrative."))

    client.force_login(pm)
    mine = editor_data(draft, narrative="Ana's narrative.", percent_complete="40")
    mine["version"] = str(seen)
    response = client.post(report_url(draft), mine, headers=HTMX)

    assert response.status_code == 200
    conflict = response.context["conflict"]
    assert conflict.who == "Raj Patel"
    assert ("Narrative", "Raj's narrative.", "Ana's narrative.") in conflict.differences
    assert "Ana&#x27;s narrative." in response.text  # my text is still in the editor
    assert 'data-testid="conflict"' in response.text
    draft.refresh_from_db()
    assert draft.narrative == "Raj's narrative."
    # Saving again applies my input deliberately over theirs.
    again = response.context["form"].data.copy()
    response = client.post(report_url(draft), again)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.narrative == "Ana's narrative."


# --- Markdown -------------------------------------------------------------------------------------


def test_the_preview_renders_markdown_safely(client, pm, project):
    client.force_login(pm)
    response = client.post(
        preview_url(project, "achievements"),
        {"achievements": "- one\n- [two](javascript:alert(1))\n\n<img src=x onerror=alert(1)>"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "<li>one</li>" in response.text
    assert "javascript:" not in response.text
    assert "<img" not in response.text
    assert "&lt;img" in response.text


def test_the_preview_only_renders_the_editors_text_fields(client, pm, project):
    client.force_login(pm)
    assert client.post(preview_url(project, "version"), {"version": "1"}).status_code == 400


def test_the_last_period_is_shown_beside_the_draft(client, pm, project, draft):
    submitted(project, date(2026, 9, 30), narrative="September.")
    submitted(project, date(2026, 10, 31), narrative="October *went well*.")
    submitted(project, date(2026, 12, 31), narrative="December (later).")
    client.force_login(pm)
    response = client.get(report_url(draft))
    assert response.context["previous"].period_end == date(2026, 10, 31)
    assert "October <em>went well</em>." in response.text
    assert "December (later)." not in response.text


# --- Query counts ---------------------------------------------------------------------------------


def _history(project, size: int) -> None:
    for i in range(size):
        submitted(project, date(2020, 1, 31) + timedelta(days=31 * i), narrative=f"Month {i}")
        MilestoneFactory(project=project, baseline_date=date(2026, 5, 1) + timedelta(days=i))
        RiskFactory(project=project, probability=1 + i % 5, impact=2)
        CostLineFactory(
            project=project, month=date(2024 + i // 12, 1 + i % 12, 1), actual=Decimal("10")
        )


@pytest.mark.parametrize("size", [1, 15])
def test_the_list_runs_a_fixed_number_of_queries(
    client, pm, project, draft, django_assert_num_queries, size
):
    _history(project, size)
    client.force_login(pm)
    # session, user, roles, project, view check, change check, reports with authors
    with django_assert_num_queries(7):
        response = client.get(list_url(project))
    assert len(response.context["reports"]) == size + 1


@pytest.mark.parametrize("size", [1, 15])
def test_the_editor_runs_a_fixed_number_of_queries(
    client, pm, project, draft, django_assert_num_queries, size
):
    _history(project, size)
    HealthPolicy.current()  # the PMO's policy row exists in a running system
    client.force_login(pm)
    # session, user, roles, project, view check, change check, report; the rules: latest
    # report, cost lines, budget baselines, slip, top risk, pending changes, health policy;
    # last period's report
    with django_assert_num_queries(15):
        response = client.get(report_url(draft))
    assert response.context["editable"]


@pytest.mark.parametrize("size", [1, 15])
def test_a_submitted_report_runs_a_fixed_number_of_queries(
    client, pm, project, django_assert_num_queries, size
):
    _history(project, size)
    report = submitted(project, date(2026, 10, 31), narrative="Done.")
    client.force_login(pm)
    # session, user, roles, project, view check, change check, report, last period's report
    with django_assert_num_queries(8):
        response = client.get(report_url(report))
    assert not response.context["editable"]
