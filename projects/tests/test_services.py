"""Every write goes through a service: validation, versioning, audit and the stale mark."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from ppm.audit import history_for
from projects import services
from projects.choices import ChangeRequestState, RaidStatus, ReportState
from projects.models import (
    CostLine,
    Issue,
    Milestone,
    MilestoneForecast,
    Project,
    Risk,
    RollupState,
)
from projects.services import ConflictError, DomainError
from projects.services.costs import CellKey
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    RiskFactory,
    StatusReportFactory,
)

pytestmark = pytest.mark.django_db


def stale_generation(project) -> int:
    state = RollupState.objects.filter(project=project).first()
    return state.requested if state else 0


# --- status reports ---------------------------------------------------------------------


def test_a_report_is_drafted_edited_and_submitted_with_the_rules_beside_the_choice(pm, project):
    report = services.status_report_start(project=project, period_end=date(2026, 10, 31), by=pm)
    report = services.status_report_update(
        report=report,
        expected_version=report.version,
        by=pm,
        narrative="Data migration rehearsal passed.",
        percent_complete=Decimal("40"),
    )
    report = services.status_report_submit(report=report, expected_version=report.version, by=pm)

    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    assert report.submitted_at is not None
    assert report.suggested_rags["overall"] in {"green", "amber", "red"}
    assert stale_generation(project) == 3


def test_a_rag_that_differs_from_the_rule_needs_a_reason(pm, project):
    RiskFactory(project=project, probability=5, impact=5)  # the rule says risk is red
    report = services.status_report_start(project=project, period_end=date(2026, 10, 31), by=pm)

    with pytest.raises(DomainError, match="Risk is Green but the rules suggest Red") as error:
        services.status_report_submit(report=report, expected_version=report.version, by=pm)
    assert error.value.field == "risk_reason"

    report.refresh_from_db()
    report = services.status_report_update(
        report=report,
        expected_version=report.version,
        by=pm,
        overall_rag="red",
        override_reasons={"risk": "Vendor has contractually absorbed the risk."},
    )
    services.status_report_submit(report=report, expected_version=report.version, by=pm)
    report.refresh_from_db()
    assert report.override_reasons == {"risk": "Vendor has contractually absorbed the risk."}


def test_a_submitted_report_cannot_be_changed(pm, project):
    report = StatusReportFactory(
        project=project, state=ReportState.SUBMITTED, submitted_at=timezone.now()
    )
    with pytest.raises(DomainError, match="submitted"):
        services.status_report_update(
            report=report, expected_version=report.version, by=pm, narrative="rewrite"
        )


def test_one_report_per_period_is_a_clear_error(pm, project):
    services.status_report_start(project=project, period_end=date(2026, 10, 31), by=pm)
    with pytest.raises(DomainError, match="already exists") as error:
        services.status_report_start(project=project, period_end=date(2026, 10, 31), by=pm)
    assert error.value.field == "period_end"


def test_copy_from_last_period_starts_from_the_previous_submitted_report(pm, project):
    StatusReportFactory(
        project=project,
        period_end=date(2026, 9, 30),
        state="submitted",
        submitted_at=timezone.now(),
        schedule_rag="amber",
        narrative="Cut-over planning.",
        next_steps="Rehearse the cut-over.",
        percent_complete=Decimal("35"),
    )

    draft = services.status_report_start(
        project=project, period_end=date(2026, 10, 31), by=pm, copy_from_last=True
    )

    assert draft.schedule_rag == "amber"
    assert draft.narrative == "Cut-over planning."
    assert draft.achievements == "Rehearse the cut-over."
    assert draft.percent_complete == Decimal("35")


def test_percent_complete_is_checked_before_the_database(pm, project):
    report = services.status_report_start(project=project, period_end=date(2026, 10, 31), by=pm)
    with pytest.raises(DomainError) as error:
        services.status_report_update(
            report=report, expected_version=report.version, by=pm, percent_complete=Decimal("120")
        )
    assert error.value.field == "percent_complete"


# --- optimistic locking -----------------------------------------------------------------


def test_a_save_based_on_an_old_version_is_refused_with_the_current_row(pm, other_pm, project):
    milestone = MilestoneFactory(project=project, baseline_date=date(2026, 3, 3))
    mine = Milestone.objects.get(pk=milestone.pk)
    theirs = Milestone.objects.get(pk=milestone.pk)

    services.milestone_reforecast(
        milestone=theirs,
        expected_version=theirs.version,
        forecast_date=date(2026, 3, 17),
        by=other_pm,
        reason="Vendor delay",
    )
    with pytest.raises(ConflictError) as conflict:
        services.milestone_reforecast(
            milestone=mine,
            expected_version=mine.version,
            forecast_date=date(2026, 3, 10),
            by=pm,
            reason="Testing",
        )

    assert conflict.value.current.forecast_date == date(2026, 3, 17)
    assert conflict.value.current.version == 2
    assert "changed by someone else" in str(conflict.value)
    assert Milestone.objects.get(pk=milestone.pk).forecast_date == date(2026, 3, 17)
    # The losing save left nothing behind: one forecast row, from the winner.
    assert MilestoneForecast.objects.filter(milestone=milestone).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_truly_concurrent_saves_let_exactly_one_win(pm, other_pm, project):
    milestone = MilestoneFactory(project=project, baseline_date=date(2026, 3, 3))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(user, day: int) -> None:
        try:
            copy = Milestone.objects.select_related("project").get(pk=milestone.pk)
            barrier.wait()
            services.milestone_reforecast(
                milestone=copy,
                expected_version=copy.version,
                forecast_date=date(2026, 3, day),
                by=user,
                reason=f"move to {day}",
            )
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(u, d)) for u, d in ((pm, 10), (other_pm, 20))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "saved"]
    assert Milestone.objects.get(pk=milestone.pk).version == 2


# --- milestones --------------------------------------------------------------------------


def test_reforecast_needs_a_reason_and_keeps_every_forecast(pm, project):
    milestone = services.milestone_create(
        project=project, name="Go-live", baseline_date=date(2026, 3, 3), by=pm
    )
    with pytest.raises(DomainError) as error:
        services.milestone_reforecast(
            milestone=milestone,
            expected_version=milestone.version,
            forecast_date=date(2026, 3, 17),
            by=pm,
            reason="  ",
        )
    assert error.value.field == "reason"

    services.milestone_reforecast(
        milestone=milestone,
        expected_version=milestone.version,
        forecast_date=date(2026, 3, 17),
        by=pm,
        reason="vendor delay",
    )

    series = list(
        MilestoneForecast.objects.filter(milestone=milestone).values_list("forecast_date", "reason")
    )
    assert series == [(date(2026, 3, 3), "Planned"), (date(2026, 3, 17), "vendor delay")]
    entry = history_for(milestone)[0]
    assert entry.user_name == "Ana Silva"
    assert entry.reason == "vendor delay"
    assert entry.changes["forecast_date"] == ("2026-03-03", "2026-03-17")


def test_rebaselining_is_a_separate_audited_action(pm, project):
    milestone = MilestoneFactory(
        project=project, baseline_date=date(2026, 3, 3), forecast_date=date(2026, 4, 3)
    )
    services.milestone_rebaseline(
        milestone=milestone,
        expected_version=milestone.version,
        baseline_date=date(2026, 4, 3),
        by=pm,
        reason="CR-12 approved",
    )
    assert history_for(milestone)[0].reason == "Re-baselined: CR-12 approved"


def test_a_milestone_cannot_be_achieved_in_the_future(pm, project):
    milestone = MilestoneFactory(project=project)
    with pytest.raises(DomainError, match="future"):
        services.milestone_achieve(
            milestone=milestone,
            expected_version=milestone.version,
            actual_date=timezone.localdate() + timedelta(days=1),
            by=pm,
        )


# --- costs -------------------------------------------------------------------------------


def test_a_cost_cell_creates_or_updates_its_line(pm, project):
    key = CellKey(date(2026, 3, 1), "opex", "labour")
    line = services.cost_cell_set(
        project=project,
        key=key,
        amount_field="actual",
        amount=Decimal("1200.50"),
        by=pm,
        expected_version=None,
    )
    line = services.cost_cell_set(
        project=project,
        key=key,
        amount_field="planned",
        amount=Decimal("1500"),
        by=pm,
        expected_version=line.version,
    )
    line.refresh_from_db()
    assert (line.planned, line.actual, line.version) == (Decimal("1500.00"), Decimal("1200.50"), 2)


def test_a_stale_cost_cell_is_a_conflict(pm, other_pm, project):
    line = CostLineFactory(project=project)
    key = CellKey(line.month, line.expense_type, line.category)
    services.cost_cell_set(
        project=project,
        key=key,
        amount_field="actual",
        amount=Decimal("5"),
        by=other_pm,
        expected_version=line.version,
    )
    with pytest.raises(ConflictError):
        services.cost_cell_set(
            project=project,
            key=key,
            amount_field="actual",
            amount=Decimal("7"),
            by=pm,
            expected_version=line.version,
        )


@pytest.mark.parametrize(
    ("typed", "expected"), [("12,500", "12500.00"), ("€1 200.5", "1200.50"), ("", "0.00")]
)
def test_amounts_are_read_as_people_type_them(typed, expected):
    from projects.services.costs import parse_amount

    assert parse_amount(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["abc", "-5", "1.234", "NaN"])
def test_bad_amounts_are_refused_with_a_message(typed):
    from projects.services.costs import parse_amount

    with pytest.raises(DomainError):
        parse_amount(typed)


def test_csv_import_is_previewed_with_row_errors_and_applied_all_or_nothing(pm, project):
    bad = (
        "month,expense_type,category,planned,actual\n"
        "2026-01,opex,labour,1000,900\n"
        "2026-13,opex,labour,1000,900\n"
        "2026-02,capex,unicorns,5,5\n"
    )
    preview = services.cost_csv_preview(bad)
    assert [(e.row, e.message) for e in preview.errors] == [
        (3, "'2026-13' is not a month (use YYYY-MM)."),
        (4, "Unknown category 'unicorns'."),
    ]
    with pytest.raises(DomainError):
        services.cost_import_apply(project=project, preview=preview, by=pm)
    assert not CostLine.objects.filter(project=project).exists()

    good = services.cost_csv_preview(
        "month,expense_type,category,planned,actual\n"
        "2026-01,opex,labour,1000,900\n"
        '2026-02,capex,hardware,"2,500",0\n'
    )
    assert services.cost_import_apply(project=project, preview=good, by=pm) == 4
    assert CostLine.objects.get(project=project, month=date(2026, 2, 1)).planned == Decimal("2500")


def test_a_pasted_block_maps_onto_the_grid(pm, project):
    months = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    rows = [("opex", "labour", "planned"), ("opex", "labour", "actual")]
    preview = services.cost_paste_preview(text="100\t200\t300\n90\t210\n", months=months, rows=rows)
    assert preview.ok
    assert len(preview.cells) == 5
    services.cost_import_apply(project=project, preview=preview, by=pm)
    assert CostLine.objects.get(project=project, month=date(2026, 2, 1)).actual == Decimal("210")

    too_wide = services.cost_paste_preview(text="1\t2\t3\t4", months=months, rows=rows)
    assert "only 3 fit" in too_wide.errors[0].message


# --- RAID ---------------------------------------------------------------------------------


def test_closing_a_risk_needs_a_resolution(pm, project):
    risk = services.raid_create(
        model=Risk,
        project=project,
        by=pm,
        title="Key vendor exits",
        probability=2,
        impact=5,
        cost_impact=Decimal("80000"),
    )
    with pytest.raises(DomainError) as error:
        services.raid_close(item=risk, expected_version=risk.version, by=pm, resolution=" ")
    assert error.value.field == "resolution"
    services.raid_close(
        item=risk, expected_version=risk.version, by=pm, resolution="Second vendor onboarded."
    )
    risk.refresh_from_db()
    assert risk.status == RaidStatus.CLOSED and risk.closed_at is not None


def test_risk_scores_are_checked_with_a_field_message(pm, project):
    with pytest.raises(DomainError) as error:
        services.raid_create(model=Risk, project=project, by=pm, title="x", probability=7, impact=2)
    assert error.value.field == "probability"


def test_an_overdue_item_is_flagged(pm, project):
    from projects.services.raid import is_overdue

    issue = services.raid_create(
        model=Issue, project=project, by=pm, title="Licence expired", due_date=date(2026, 1, 1)
    )
    assert is_overdue(issue, today=date(2026, 1, 2))
    assert not is_overdue(issue, today=date(2026, 1, 1))


def test_a_dependency_cannot_point_at_its_own_project(pm, project):
    from projects.models import Dependency

    with pytest.raises(DomainError) as error:
        services.raid_create(
            model=Dependency, project=project, by=pm, title="loop", depends_on=project
        )
    assert error.value.field == "depends_on"


# --- change requests ----------------------------------------------------------------------


def test_an_approved_change_applies_its_schedule_and_cost_impact(pm, director, project):
    bac, finish = project.budget_at_completion, project.baseline_finish
    request = services.change_request_raise(
        project=project,
        by=pm,
        title="Add payroll module",
        description="Scope extension",
        scope_impact="Payroll for 3 countries",
        schedule_impact_days=30,
        cost_impact=Decimal("45000"),
    )
    services.change_request_decide(
        request=request,
        expected_version=request.version,
        by=director,
        approve=True,
        comment="Funded from reserve",
    )

    project.refresh_from_db()
    request.refresh_from_db()
    assert request.state == ChangeRequestState.APPROVED
    assert project.budget_at_completion == bac + Decimal("45000")
    assert project.forecast_finish == finish + timedelta(days=30)
    assert history_for(project)[0].reason == "Approved change request: Add payroll module"


def test_only_the_portfolios_director_or_pmo_decides(pm, other_director, project):
    request = services.change_request_raise(
        project=project, by=pm, title="t", description="d", schedule_impact_days=5
    )
    with pytest.raises(DomainError, match="director"):
        services.change_request_decide(
            request=request,
            expected_version=request.version,
            by=other_director,
            approve=True,
            comment="",
        )


def test_a_rejection_needs_a_comment_and_changes_nothing(pm, director, project):
    bac = project.budget_at_completion
    request = services.change_request_raise(
        project=project, by=pm, title="t", description="d", cost_impact=Decimal("1000")
    )
    with pytest.raises(DomainError):
        services.change_request_decide(
            request=request,
            expected_version=request.version,
            by=director,
            approve=False,
            comment="",
        )
    services.change_request_decide(
        request=request,
        expected_version=request.version,
        by=director,
        approve=False,
        comment="No budget left",
    )
    assert Project.objects.get(pk=project.pk).budget_at_completion == bac


def test_every_write_marks_the_rollup_stale_in_one_statement(
    pm, project, django_assert_num_queries
):
    risk = RiskFactory(project=project)
    before = stale_generation(project)
    services.raid_update(item=risk, expected_version=risk.version, by=pm, title="Renamed")
    assert stale_generation(project) == before + 1
    assert RollupState.objects.get(project=project).stale_since is not None


def test_nothing_half_written_reaches_the_database(pm, project, monkeypatch):
    milestone = MilestoneFactory(project=project)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("projects.services.milestones.mark_rollup_stale", explode)
    with pytest.raises(RuntimeError):
        services.milestone_reforecast(
            milestone=milestone,
            expected_version=milestone.version,
            forecast_date=date(2026, 8, 1),
            by=pm,
            reason="late",
        )
    assert Milestone.objects.get(pk=milestone.pk).version == 1
    assert not MilestoneForecast.objects.filter(milestone=milestone).exists()
