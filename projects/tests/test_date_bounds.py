"""Dates out of any sane range: every service refuses them next to the field, and rows that got
into the database anyway (written before dates were checked, or by hand) never take a page
down — the dashboard once answered 500 ("year 10000 is out of range") for every director whose
selection held such a project, and one 1990 cost line grew the cost page to 3.4 MB."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ppm.charts import Axis, LineChart, Point, ReferenceLine, Series, render_svg
from projects import services
from projects.choices import CostCategory, ExpenseType
from projects.models import CostLine, Milestone, Risk, StatusReport
from projects.services.costs import CellKey, ImportPreview
from projects.services.dates import cost_month_range, project_window
from projects.tests.factories import MilestoneFactory
from reporting.engine import rebuild_series, recompute

pytestmark = pytest.mark.django_db

FAR_PAST, FAR_FUTURE = date(1, 1, 1), date(9999, 12, 31)


def key(month: date) -> CellKey:
    return CellKey(month, ExpenseType.OPEX, CostCategory.LABOUR)


def refused(call, field: str) -> str:
    with pytest.raises(services.DomainError) as caught:
        call()
    assert caught.value.field == field
    return caught.value.message


# --- The window --------------------------------------------------------------------------------


def test_a_projects_window_is_its_span_give_or_take_three_years(project):
    # The factory's project runs 5 Jan 2026 – 18 Dec 2026.
    assert project_window(project) == (date(2023, 1, 1), date(2029, 12, 31))
    assert cost_month_range(project) == (date(2023, 1, 1), date(2029, 12, 1))
    project.forecast_finish = date(2027, 6, 30)
    assert project_window(project)[1] == date(2030, 6, 30)


def test_a_window_never_leaves_the_sane_calendar(project):
    project.baseline_start, project.baseline_finish = FAR_PAST, FAR_FUTURE
    assert project_window(project) == (date(1990, 1, 1), date(2100, 12, 31))


# --- Costs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("month", [date(1, 1, 1), date(9999, 12, 1), date(1990, 1, 1)])
def test_a_cost_cell_outside_the_window_is_refused_on_the_month(pm, project, month):
    message = refused(
        lambda: services.cost_cell_set(
            project=project,
            key=key(month),
            amount_field="planned",
            amount=Decimal("1"),
            by=pm,
            expected_version=None,
        ),
        "month",
    )
    assert "between Jan 2023 and Dec 2029" in message
    assert not CostLine.objects.filter(project=project).exists()


def test_a_cost_cell_at_the_edge_of_the_window_is_saved(pm, project):
    for month in (date(2023, 1, 1), date(2029, 12, 1)):
        services.cost_cell_set(
            project=project,
            key=key(month),
            amount_field="planned",
            amount=Decimal("1"),
            by=pm,
            expected_version=None,
        )
    assert CostLine.objects.filter(project=project).count() == 2


def test_a_csv_row_outside_the_window_is_that_rows_error(project):
    preview = services.cost_csv_preview(
        "month,expense_type,category,planned\n"
        "2026-03,opex,labour,10\n9999-12,opex,labour,1\n0001-01,opex,labour,1\n",
        project=project,
    )
    assert [(e.row, e.message.split(" must")[0]) for e in preview.errors] == [
        (3, "Cost months"),
        (4, "Cost months"),
    ]
    assert [k.month for k, _, _ in preview.cells] == [date(2026, 3, 1)]


def test_applying_cells_outside_the_window_writes_nothing(pm, project):
    # A paste or a hand-made preview: the apply step checks whatever built it.
    preview = ImportPreview(
        cells=[
            (key(date(2026, 3, 1)), "planned", Decimal("5")),
            (key(date(9999, 12, 1)), "planned", Decimal("5")),
        ]
    )
    refused(lambda: services.cost_import_apply(project=project, preview=preview, by=pm), "month")
    assert not CostLine.objects.filter(project=project).exists()


def test_an_uploaded_file_with_a_month_of_year_9999_shows_the_row_error(client, pm, project):
    client.force_login(pm)
    text = "month,expense_type,category,planned\n2026-03,opex,labour,10\n9999-12,opex,labour,1\n"
    file = SimpleUploadedFile("costs.csv", text.encode(), content_type="text/csv")
    response = client.post(reverse("projects:costs-import", args=[project.pk]), {"file": file})
    assert response.status_code == 200
    errors = response.context["review"].preview.errors
    assert [e.row for e in errors] == [3]
    assert "Cost months must lie between Jan 2023 and Dec 2029" in response.text
    assert not response.context["review"].can_apply


def test_a_forged_cell_of_year_9999_is_not_saved(client, pm, project):
    client.force_login(pm)
    response = client.post(
        reverse("projects:costs-cell", args=[project.pk]),
        {"cell": "9999-12_opex_labour_planned", "version": "", "amount": "5"},
    )
    assert response.status_code == 400
    assert not CostLine.objects.filter(project=project).exists()


# --- Milestones, RAID, the plan -----------------------------------------------------------------


def test_milestone_dates_beyond_the_window_are_refused_on_their_field(pm, project):
    refused(
        lambda: services.milestone_create(
            project=project, name="Go-live", baseline_date=FAR_FUTURE, by=pm
        ),
        "baseline_date",
    )
    refused(
        lambda: services.milestone_create(
            project=project,
            name="Go-live",
            baseline_date=date(2026, 6, 30),
            forecast_date=date(2031, 1, 1),
            by=pm,
        ),
        "forecast_date",
    )
    milestone = MilestoneFactory(project=project)
    refused(
        lambda: services.milestone_reforecast(
            milestone=milestone,
            expected_version=milestone.version,
            forecast_date=FAR_FUTURE,
            by=pm,
            reason="Typo",
        ),
        "forecast_date",
    )
    refused(
        lambda: services.milestone_rebaseline(
            milestone=milestone,
            expected_version=milestone.version,
            baseline_date=date(2100, 1, 1),
            by=pm,
            reason="Typo",
        ),
        "baseline_date",
    )


def test_a_milestone_form_shows_the_refusal_next_to_the_date(client, pm, project):
    client.force_login(pm)
    response = client.post(
        reverse("projects:milestone-add", args=[project.pk]),
        {"name": "Go-live", "baseline_date": "9999-12-31", "weight": "1", "is_key": "on"},
    )
    assert response.status_code == 200
    assert "between" in response.context["form"].errors["baseline_date"][0]
    assert not Milestone.objects.filter(project=project).exists()


def test_a_raid_due_date_beyond_the_window_is_refused(pm, project):
    refused(
        lambda: services.raid_create(
            model=Risk, project=project, by=pm, title="Late", due_date=FAR_FUTURE
        ),
        "due_date",
    )
    risk = services.raid_create(
        model=Risk,
        project=project,
        by=pm,
        title="Ok",
        probability=2,
        impact=2,
        due_date=date(2026, 9, 1),
    )
    refused(
        lambda: services.raid_update(
            item=risk, expected_version=risk.version, by=pm, due_date=date(1, 1, 1)
        ),
        "due_date",
    )


def test_a_forecast_finish_outside_the_calendar_is_refused(pm, project):
    refused(
        lambda: services.project_replan(
            project=project,
            expected_version=project.version,
            by=pm,
            reason="Typo",
            forecast_finish=FAR_FUTURE,
        ),
        "forecast_finish",
    )


# --- Status report periods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "period_end", [FAR_FUTURE, date(1, 1, 31), date(2025, 12, 31), date(2027, 1, 31)]
)
def test_a_period_outside_the_reporting_calendar_is_refused(pm, project, period_end):
    # The project starts in January 2026; "today" is in December 2026.
    refused(
        lambda: services.status_report_start(
            project=project, period_end=period_end, by=pm, today=date(2026, 12, 2)
        ),
        "period_end",
    )
    assert not StatusReport.objects.exists()


def test_a_period_end_inside_a_month_snaps_to_the_months_end(pm, project):
    report = services.status_report_start(
        project=project, period_end=date(2026, 2, 10), by=pm, today=date(2026, 12, 2)
    )
    assert report.period_end == date(2026, 2, 28)
    edge = services.status_report_start(
        project=project, period_end=date(2026, 12, 1), by=pm, today=date(2026, 12, 2)
    )
    assert edge.period_end == date(2026, 12, 31)  # the month in progress may be reported


def test_the_start_form_shows_a_far_period_refused_next_to_the_field(client, pm, project):
    client.force_login(pm)
    response = client.post(
        reverse("projects:status-start", args=[project.pk]), {"period_end": "9999-12-31"}
    )
    assert response.status_code == 200
    assert "up to the month in progress" in response.context["start_form"].errors["period_end"][0]
    assert 'data-testid="error-summary"' in response.text
    assert not StatusReport.objects.exists()


# --- Charts draw what they can -------------------------------------------------------------------


def test_a_line_chart_skips_points_it_cannot_draw():
    chart = LineChart(
        title="t",
        description="d",
        x_axis=Axis("x", kind="date"),
        y_axis=Axis("y"),
        series=[
            Series(
                "s",
                [
                    Point(FAR_PAST, 1, note="far past"),
                    Point(date(2026, 1, 1), 2, note="drawn"),
                    Point(date(2026, 6, 1), 3),
                    Point(FAR_FUTURE, 4, note="far future"),
                ],
            )
        ],
        reference_lines=[ReferenceLine(start=(FAR_PAST, 1), end=(FAR_FUTURE, 1), label="BAC")],
    )
    svg = render_svg(chart)
    assert "drawn" in svg
    assert "far past" not in svg and "far future" not in svg
    assert "0001" not in svg and "9999" not in svg


def test_a_date_axis_of_only_undrawable_dates_still_draws():
    chart = LineChart(
        title="t",
        description="d",
        x_axis=Axis("x", kind="date"),
        y_axis=Axis("y", kind="date"),
        series=[Series("s", [Point(FAR_FUTURE, FAR_PAST), Point(FAR_PAST, FAR_FUTURE)])],
    )
    assert render_svg(chart).startswith("<svg")


# --- Rows written before validation existed ------------------------------------------------------


@pytest.fixture
def corrupt(project, portfolio):
    """Rows no service accepts any more, written straight into the tables."""
    now = timezone.now()
    StatusReport.objects.bulk_create(
        [
            StatusReport(
                project=project,
                period_end=period_end,
                state="submitted",
                submitted_at=now,
                percent_complete=Decimal("10"),
            )
            for period_end in (FAR_FUTURE, date(1, 1, 31), date(2026, 10, 31))
        ]
    )
    CostLine.objects.bulk_create(
        [
            CostLine(
                project=project,
                month=month,
                expense_type=ExpenseType.OPEX,
                category=CostCategory.LABOUR,
                planned=Decimal("100"),
                actual=Decimal("50"),
            )
            for month in (date(1, 1, 1), date(9999, 12, 1), date(1990, 1, 1), date(2026, 3, 1))
        ]
    )
    Milestone.objects.bulk_create(
        [
            Milestone(
                project=project, name="Far", baseline_date=FAR_FUTURE, forecast_date=FAR_PAST
            ),
            Milestone(
                project=project, name="Early", baseline_date=FAR_PAST, forecast_date=FAR_PAST
            ),
        ]
    )
    recompute()
    rebuild_series()
    return project


def test_pages_over_rows_with_wild_dates_answer(client, director, pm, pmo, executive, corrupt):
    dashboard = reverse("reporting:dashboard")
    for user in (director, pmo, executive):
        client.force_login(user)
        assert client.get(dashboard).status_code == 200, user
        assert client.get(f"{dashboard}?portfolio={corrupt.portfolio_id}").status_code == 200
    pages = [
        reverse("projects:detail", args=[corrupt.pk]),
        reverse("projects:milestones", args=[corrupt.pk]),
        reverse("projects:milestone-chart", args=[corrupt.pk]),
        reverse("projects:status", args=[corrupt.pk]),
        reverse("projects:costs", args=[corrupt.pk]),
        reverse("projects:costs", args=[corrupt.pk]) + "?year=all",
    ]
    for user in (director, pm, pmo):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 200, (user, url)
    for report in StatusReport.objects.filter(project=corrupt):
        url = reverse("projects:status-report", args=[corrupt.pk, report.pk])
        assert client.get(url).status_code == 200


def test_the_cost_grid_stays_in_the_projects_window(client, pm, corrupt):
    client.force_login(pm)
    response = client.get(reverse("projects:costs", args=[corrupt.pk]) + "?year=all")
    grid = response.context["grid"]
    assert grid.span_months[0] == date(2023, 1, 1)
    assert grid.span_months[-1] <= date(2029, 12, 1)
    assert len(grid.years) <= 7
    assert len(response.content) < 400_000
    # The lines outside are listed, and still counted in the whole project's figures.
    assert [month for month, _, _ in grid.outside] == [
        date(1, 1, 1),
        date(1990, 1, 1),
        date(9999, 12, 1),
    ]
    assert 'data-testid="cost-lines-outside"' in response.text
    assert grid.kpis.planned == Decimal("400")
