"""The milestones section in the web layer: the table with slip and status, the trend chart,
add / edit / reforecast / achieve / re-baseline through plain POSTs and htmx, validation and
conflicts with the user's input kept, permissions and fixed query counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ppm.audit import history_for
from projects import services
from projects.models import Milestone, MilestoneForecast
from projects.selectors.milestones import (
    ACHIEVED,
    ON_TRACK,
    OVERDUE,
    SLIPPING,
    milestone_lines,
    milestone_status,
    milestone_trend_chart,
)
from projects.tests.factories import MilestoneFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SVG = "{http://www.w3.org/2000/svg}"


def list_url(project) -> str:
    return reverse("projects:milestones", args=[project.pk])


def action_url(milestone, action: str) -> str:
    return reverse(f"projects:milestone-{action}", args=[milestone.project_id, milestone.pk])


def add_url(project) -> str:
    return reverse("projects:milestone-add", args=[project.pk])


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def golive(project, pm, today) -> Milestone:
    """A key milestone planned through the service, so it has its first forecast."""
    return services.milestone_create(
        project=project, name="Go-live", baseline_date=today + timedelta(days=30), by=pm
    )


def valid_post(milestone: Milestone, action: str, today: date) -> dict[str, str]:
    version = str(milestone.version)
    return {
        "edit": {"version": version, "name": "Go-live (wave 1)", "weight": "2", "is_key": "on"},
        "reforecast": {
            "version": version,
            "forecast_date": str(milestone.forecast_date + timedelta(days=14)),
            "reason": "Vendor delay",
        },
        "achieve": {"version": version, "actual_date": str(today)},
        "rebaseline": {
            "version": version,
            "baseline_date": str(milestone.baseline_date + timedelta(days=7)),
            "reason": "CR-12 approved",
        },
    }[action]


ACTIONS = ["edit", "reforecast", "achieve", "rebaseline"]


# --- Who may do what --------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_sign_in(client, project, golive):
    for url in (list_url(project), action_url(golive, "reforecast"), add_url(project)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive"])
def test_the_list_and_chart_open_for_everyone_who_may_see_the_project(
    client, request, persona, project, golive
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(list_url(project)).status_code == 200
    chart = client.get(reverse("projects:milestone-chart", args=[project.pk]))
    assert chart.status_code == 200


@pytest.mark.parametrize("persona", ["pm", "director", "pmo"])
@pytest.mark.parametrize("action", ACTIONS)
def test_those_who_may_change_the_project_can_act(
    client, request, persona, action, project, golive, today
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(action_url(golive, action)).status_code == 200
    response = client.post(action_url(golive, action), valid_post(golive, action, today))
    assert response.status_code == 302
    assert response["Location"] == list_url(project)
    assert Milestone.objects.get(pk=golive.pk).version == 2


@pytest.mark.parametrize("persona", ["executive", "other_director", "other_pm", "outsider"])
@pytest.mark.parametrize("action", ACTIONS)
def test_everyone_else_is_refused_every_action(
    client, request, persona, action, project, golive, today
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(action_url(golive, action)).status_code == 403
    assert (
        client.post(action_url(golive, action), valid_post(golive, action, today)).status_code
        == 403
    )
    assert client.get(add_url(project)).status_code == 403
    data = {"name": "X", "baseline_date": str(today), "weight": "1"}
    assert client.post(add_url(project), data).status_code == 403
    assert Milestone.objects.get(pk=golive.pk).version == 1
    assert Milestone.objects.filter(project=project).count() == 1


@pytest.mark.parametrize("persona", ["other_pm", "outsider"])
def test_the_list_is_refused_outside_the_users_scope(client, request, persona, project):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(list_url(project)).status_code == 403
    assert client.get(reverse("projects:milestone-chart", args=[project.pk])).status_code == 403


def test_an_executive_sees_no_edit_controls(client, executive, project, golive):
    client.force_login(executive)
    page = client.get(list_url(project)).text
    assert "Go-live" in page
    assert "Add milestone" not in page
    assert "Reforecast" not in page


def test_a_milestone_of_another_project_is_not_found(client, pm, project, other_project):
    foreign = MilestoneFactory(project=other_project)
    client.force_login(pm)
    url = reverse("projects:milestone-reforecast", args=[project.pk, foreign.pk])
    assert client.get(url).status_code == 404


# --- The table -----------------------------------------------------------------------------------


def test_status_is_achieved_overdue_slipping_or_on_track(today):
    def m(**kw):
        return Milestone(baseline_date=today, forecast_date=today, **kw)

    assert milestone_status(m(actual_date=today), today=today) == ACHIEVED
    past = Milestone(baseline_date=today - timedelta(days=9), forecast_date=today - timedelta(1))
    assert milestone_status(past, today=today) == OVERDUE
    late = Milestone(baseline_date=today, forecast_date=today + timedelta(days=3))
    assert milestone_status(late, today=today) == SLIPPING
    assert milestone_status(m(), today=today) == ON_TRACK


def test_the_table_shows_slip_and_status_of_every_milestone(client, pm, project, today):
    MilestoneFactory(
        project=project,
        name="Design signed off",
        baseline_date=today - timedelta(days=40),
        forecast_date=today - timedelta(days=35),
        actual_date=today - timedelta(days=33),
    )
    MilestoneFactory(
        project=project,
        name="Build complete",
        baseline_date=today + timedelta(days=10),
        forecast_date=today + timedelta(days=24),
    )
    MilestoneFactory(
        project=project,
        name="Data migrated",
        baseline_date=today - timedelta(days=5),
        forecast_date=today - timedelta(days=2),
    )
    MilestoneFactory(project=project, name="Go-live", baseline_date=today + timedelta(days=60))
    client.force_login(pm)
    response = client.get(list_url(project))
    lines = {line.milestone.name: line for line in response.context["lines"]}
    assert (lines["Design signed off"].status, lines["Design signed off"].slip_days) == (
        ACHIEVED,
        7,
    )
    assert (lines["Build complete"].status, lines["Build complete"].slip_days) == (SLIPPING, 14)
    assert (lines["Data migrated"].status, lines["Data migrated"].slip_days) == (OVERDUE, 3)
    assert (lines["Go-live"].status, lines["Go-live"].slip_days) == (ON_TRACK, 0)
    page = response.text
    assert "+14 d" in page
    assert "1 slipping" in page
    assert "1 overdue" in page


def test_the_page_embeds_the_trend_chart_with_a_line_per_milestone(client, pm, project, golive):
    MilestoneFactory(project=project, name="Hypercare <ends> & closes")
    client.force_login(pm)
    page = client.get(list_url(project)).text
    start = page.index("<svg")
    svg = page[start : page.index("</svg>", start) + len("</svg>")]
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    names = [g.get("data-series") for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
    assert sorted(names) == ["Go-live", "Hypercare <ends> & closes"]
    assert "Hypercare &lt;ends&gt; &amp; closes" in svg


def test_the_chart_is_also_served_as_an_svg_file(client, pm, project, golive):
    client.force_login(pm)
    response = client.get(reverse("projects:milestone-chart", args=[project.pk]))
    assert response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    assert root.find(f"{SVG}title").text.startswith("ERP-01 milestone trend")


# --- Add ----------------------------------------------------------------------------------------


def test_adding_a_milestone_plans_its_first_forecast(client, pm, project):
    client.force_login(pm)
    data = {
        "name": "Cut-over",
        "baseline_date": "2026-12-01",
        "weight": "1.5",
        "is_key": "on",
        "description": "Weekend cut-over.",
    }
    response = client.post(add_url(project), data)
    assert response.status_code == 302
    milestone = Milestone.objects.get(project=project)
    assert (milestone.name, milestone.forecast_date, milestone.is_key) == (
        "Cut-over",
        date(2026, 12, 1),
        True,
    )
    assert MilestoneForecast.objects.filter(milestone=milestone).count() == 1
    assert "“Cut-over” added for 1 Dec 2026." in client.get(response["Location"]).text


def test_adding_before_the_project_starts_is_refused_next_to_the_date(client, pm, project):
    client.force_login(pm)
    data = {"name": "Too early", "baseline_date": "2025-06-01", "weight": "1"}
    response = client.post(add_url(project), data, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert (
        response.context["form"]
        .errors["baseline_date"][0]
        .startswith("The date is before the project starts")
    )
    assert 'value="Too early"' in response.text
    assert 'value="2025-06-01"' in response.text
    assert not Milestone.objects.filter(project=project).exists()


def test_a_milestone_needs_a_name(client, pm, project):
    client.force_login(pm)
    response = client.post(
        add_url(project), {"name": "  ", "baseline_date": "2026-06-01", "weight": "1"}
    )
    assert response.context["form"].errors["name"] == ["A milestone needs a name."]


def test_the_add_form_opens_as_a_panel_for_htmx_and_as_a_page_without(client, pm, project):
    client.force_login(pm)
    panel = client.get(add_url(project), headers=HTMX)
    assert panel.text.lstrip().startswith('<section class="card action-panel action-add')
    assert "hx-post" in panel.text
    page = client.get(add_url(project))
    assert "<html" in page.text
    assert "hx-post" not in page.text.split('data-testid="action-panel"')[1]


# --- Reforecast ---------------------------------------------------------------------------------


def test_reforecasting_needs_a_reason_and_keeps_the_date_typed(client, pm, golive):
    client.force_login(pm)
    new_date = golive.forecast_date + timedelta(days=21)
    response = client.post(
        action_url(golive, "reforecast"),
        {"version": "1", "forecast_date": str(new_date), "reason": ""},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["Say why the forecast moves."]
    assert f'value="{new_date}"' in response.text
    golive.refresh_from_db()
    assert golive.version == 1
    # The summary shows the milestone as stored, not the refused date.
    assert response.context["line"].milestone.forecast_date == golive.forecast_date


def test_reforecasting_with_htmx_refreshes_the_table_and_the_chart(client, pm, golive):
    client.force_login(pm)
    new_date = golive.forecast_date + timedelta(days=14)
    response = client.post(
        action_url(golive, "reforecast"),
        {"version": "1", "forecast_date": str(new_date), "reason": "Vendor delay"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#milestone-board"
    assert response["HX-Reswap"] == "outerHTML"
    assert response.text.lstrip().startswith('<div id="milestone-board"')
    assert "is now forecast for" in response.text
    assert "slip +14 days" in response.text
    assert "+14 d" in response.text
    assert "Vendor delay" in response.text  # in the forecast history and the chart's notes
    line = response.context["lines"][0]
    assert [f.reason for f in line.forecasts] == ["Planned", "Vendor delay"]


def test_a_stale_reforecast_shows_the_other_change_and_keeps_mine(client, pm, director, golive):
    services.milestone_reforecast(
        milestone=Milestone.objects.get(pk=golive.pk),
        expected_version=1,
        forecast_date=golive.forecast_date + timedelta(days=7),
        reason="Director: supplier notice",
        by=director,
    )
    client.force_login(pm)
    mine = golive.forecast_date + timedelta(days=30)
    response = client.post(
        action_url(golive, "reforecast"),
        {"version": "1", "forecast_date": str(mine), "reason": "My reason"},
        headers=HTMX,
    )
    assert response.status_code == 200
    conflict = response.context["conflict"]
    assert conflict.who == "Dora Director"
    assert conflict.differences == [
        (
            "New forecast date",
            str(golive.forecast_date + timedelta(days=7)),
            str(mine),
        )
    ]
    assert "My reason" in response.text
    assert f'value="{mine}"' in response.text
    assert 'name="version" value="2"' in response.text
    assert MilestoneForecast.objects.filter(milestone=golive).count() == 2


# --- Edit, achieve, re-baseline ----------------------------------------------------------------


def test_a_stale_edit_shows_the_conflict_with_the_typed_name_kept(client, pm, director, golive):
    services.milestone_update(
        milestone=Milestone.objects.get(pk=golive.pk),
        expected_version=1,
        by=director,
        name="Go-live (director)",
        description="",
        is_key=True,
        weight=golive.weight,
    )
    client.force_login(pm)
    response = client.post(
        action_url(golive, "edit"),
        {"version": "1", "name": "Go-live (mine)", "weight": "1", "is_key": "on"},
    )
    assert response.status_code == 200
    assert ("Name", "Go-live (director)", "Go-live (mine)") in response.context[
        "conflict"
    ].differences
    assert 'value="Go-live (mine)"' in response.text
    assert Milestone.objects.get(pk=golive.pk).name == "Go-live (director)"


def test_a_milestone_cannot_be_achieved_in_the_future(client, pm, golive, today):
    client.force_login(pm)
    tomorrow = today + timedelta(days=1)
    response = client.post(
        action_url(golive, "achieve"), {"version": "1", "actual_date": str(tomorrow)}
    )
    assert response.context["form"].errors["actual_date"] == [
        "A milestone cannot be achieved in the future."
    ]
    assert f'value="{tomorrow}"' in response.text
    assert Milestone.objects.get(pk=golive.pk).actual_date is None


def test_achieving_a_milestone_moves_it_to_achieved(client, pm, golive, today):
    client.force_login(pm)
    response = client.post(
        action_url(golive, "achieve"), {"version": "1", "actual_date": str(today)}, follow=True
    )
    line = response.context["lines"][0]
    assert line.status == ACHIEVED
    assert "Reforecast Go-live" not in response.text  # an achieved milestone has no forecast


def test_rebaselining_needs_a_reason_and_is_audited(client, pm, golive):
    client.force_login(pm)
    new_baseline = golive.baseline_date + timedelta(days=30)
    refused = client.post(
        action_url(golive, "rebaseline"), {"version": "1", "baseline_date": str(new_baseline)}
    )
    assert refused.context["form"].errors["reason"][0].startswith("Re-baselining needs a reason")
    assert "Re-baselining changes the plan of record." in refused.text

    client.post(
        action_url(golive, "rebaseline"),
        {"version": "1", "baseline_date": str(new_baseline), "reason": "CR-12 approved"},
    )
    golive.refresh_from_db()
    assert golive.baseline_date == new_baseline
    entry = history_for(golive)[0]
    assert entry.reason == "Re-baselined: CR-12 approved"
    assert entry.user_name == "Ana Silva"


# --- Query counts ---------------------------------------------------------------------------------


def _milestones(project, pm, size: int, today: date) -> None:
    for i in range(size):
        m = services.milestone_create(
            project=project, name=f"M{i}", baseline_date=today + timedelta(days=i + 1), by=pm
        )
        services.milestone_reforecast(
            milestone=m,
            expected_version=m.version,
            forecast_date=m.forecast_date + timedelta(days=7),
            reason=f"r{i}",
            by=pm,
        )


@pytest.mark.parametrize("size", [1, 20])
def test_the_list_runs_a_fixed_number_of_queries(
    client, pm, project, today, django_assert_num_queries, size
):
    _milestones(project, pm, size, today)
    client.force_login(pm)
    # session, user, roles, project, view check, change check, milestones, their forecasts
    with django_assert_num_queries(8):
        response = client.get(list_url(project))
    assert len(response.context["lines"]) == size


@pytest.mark.parametrize("size", [1, 20])
def test_an_action_form_runs_a_fixed_number_of_queries(
    client, pm, project, today, django_assert_num_queries, size
):
    _milestones(project, pm, size, today)
    milestone = Milestone.objects.filter(project=project).first()
    for i in range(size):
        services.milestone_reforecast(
            milestone=milestone,
            expected_version=milestone.version,
            forecast_date=milestone.forecast_date + timedelta(days=1),
            reason=f"again {i}",
            by=pm,
        )
    client.force_login(pm)
    # session, user, roles, project, view check, change check, milestone, its forecasts
    with django_assert_num_queries(8):
        client.get(action_url(milestone, "reforecast"))


def test_the_trend_chart_has_a_series_per_milestone(project, pm, today):
    _milestones(project, pm, 3, today)
    lines = milestone_lines(project=project, today=today)
    chart = milestone_trend_chart(lines=lines, today=today, project=project)
    assert [s.name for s in chart.series] == ["M0", "M1", "M2"]
