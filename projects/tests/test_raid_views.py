"""The RAID log pages: who may open and change them, the forms (full page and htmx), the heat
map, the filters, dependencies in both directions, and a constant number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portfolio.models import HealthPolicy
from portfolio.tests.factories import PortfolioFactory, UserFactory, make_user
from ppm.roles import Role
from projects.choices import Priority, RaidStatus
from projects.metrics import expected_monetary_value
from projects.models import Assumption, Dependency, Issue, Risk
from projects.selectors import raid as raid_selectors
from projects.selectors.raid import choices as raid_choices
from projects.tests.factories import MilestoneFactory, ProjectFactory, RiskFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def policy(db) -> HealthPolicy:
    # The PMO's policy row exists in a running system; creating it inside a measured request
    # would add queries that a real page never pays twice.
    return HealthPolicy.current()


def raid_url(project, **query) -> str:
    url = reverse("projects:raid", args=[project.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def add_url(project, kind: str) -> str:
    return reverse("projects:raid-add", args=[project.pk, kind])


def edit_url(item, kind: str) -> str:
    return reverse("projects:raid-edit", args=[item.project_id, kind, item.pk])


def reopen_url(item, kind: str) -> str:
    return reverse("projects:raid-reopen", args=[item.project_id, kind, item.pk])


def risk_post(**overrides) -> dict:
    data = {
        "title": "Vendor misses the data-load window",
        "description": "The integrator has two other go-lives that week.",
        "probability": "4",
        "impact": "5",
        "cost_impact": "45,000",
        "response": "mitigate",
        "response_plan": "Book a second load window now.",
        "owner": "",
        "due_date": "2026-12-01",
        "status": "open",
    }
    data.update(overrides)
    return data


def edit_post(item, **overrides) -> dict:
    data = {
        "title": item.title,
        "description": item.description,
        "owner": item.owner_id or "",
        "due_date": item.due_date.isoformat() if item.due_date else "",
        "status": item.status,
        "resolution": "",
        "version": item.version,
    }
    if isinstance(item, Risk):
        data.update(
            probability=item.probability,
            impact=item.impact,
            cost_impact=item.cost_impact or "",
            response=item.response,
            response_plan=item.response_plan,
        )
    if isinstance(item, Issue):
        data["priority"] = item.priority
    data.update(overrides)
    return data


# --- Who may see and change the log ---------------------------------------------------------


def test_the_raid_log_sends_an_anonymous_visitor_to_sign_in(client, project):
    url = raid_url(project)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive"])
def test_the_raid_log_opens_for_everyone_who_may_see_the_project(client, request, persona, project):
    RiskFactory(project=project, title="Key architect leaves")
    client.force_login(request.getfixturevalue(persona))
    for kind in raid_selectors.KINDS:
        response = client.get(raid_url(project, kind=kind))
        assert response.status_code == 200
    assert "Key architect leaves" in client.get(raid_url(project)).text


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "outsider"])
def test_the_raid_log_is_refused_outside_the_users_scope(client, request, persona, project):
    RiskFactory(project=project, title="Key architect leaves")
    client.force_login(request.getfixturevalue(persona))
    response = client.get(raid_url(project))
    assert response.status_code == 403
    assert "Key architect leaves" not in response.text


def test_an_executive_reads_the_log_without_edit_controls(client, executive, project):
    RiskFactory(project=project, title="Key architect leaves")
    client.force_login(executive)
    response = client.get(raid_url(project))
    assert "Key architect leaves" in response.text
    assert add_url(project, "risks") not in response.text
    assert ">Edit</a>" not in response.text


def every_post_url(project) -> list[str]:
    risk = RiskFactory(project=project)
    closed = RiskFactory(project=project, status=RaidStatus.CLOSED, resolution="Gone.")
    issue = Issue.objects.create(project=project, title="Printer jam")
    return [
        *(add_url(project, kind) for kind in raid_selectors.KINDS),
        edit_url(risk, "risks"),
        edit_url(issue, "issues"),
        reopen_url(closed, "risks"),
    ]


@pytest.mark.parametrize("persona", ["executive", "other_pm", "other_director", "outsider"])
def test_read_only_and_out_of_scope_users_may_not_post_anything(client, request, persona, project):
    urls = every_post_url(project)
    client.force_login(request.getfixturevalue(persona))
    for url in urls:
        assert client.post(url, risk_post()).status_code == 403, url
        assert client.get(url).status_code == 403, url
    for name in ("projects:raid-project-options", "projects:raid-milestone-options"):
        assert client.get(reverse(name, args=[project.pk])).status_code == 403
    assert Risk.objects.filter(project=project).count() == 2


@pytest.mark.parametrize("persona", ["pm", "director", "pmo"])
def test_those_who_may_change_the_project_may_add_to_its_log(client, request, persona, project):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(add_url(project, "risks"), risk_post())
    assert response.status_code == 302
    assert Risk.objects.filter(project=project).count() == 1


def test_an_item_of_another_project_is_not_found_through_this_one(client, pm, project):
    stranger = RiskFactory()
    client.force_login(pm)
    url = reverse("projects:raid-edit", args=[project.pk, "risks", stranger.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("projects:raid-add", args=[project.pk, "gossip"])).status_code == 404


# --- Adding ----------------------------------------------------------------------------------


def test_a_risk_added_by_a_full_page_post_is_saved_and_the_user_sent_back(client, pm, project):
    client.force_login(pm)
    response = client.post(add_url(project, "risks"), risk_post(owner=pm.pk), follow=True)
    risk = Risk.objects.get(project=project)
    assert (risk.probability, risk.impact) == (4, 5)
    assert risk.cost_impact == Decimal("45000.00")  # "45,000" as people type it
    assert risk.owner == pm
    assert risk.due_date == date(2026, 12, 1)
    assert response.redirect_chain[-1][0] == raid_url(project, kind="risks")
    assert "Risk “Vendor misses the data-load window” added." in response.text
    # The heat map counts it in its cell, with exposure and EMV beside it.
    heat = response.context["heat"]
    cell = heat.rows[1][2][4]  # probability 4 (second row from the top), impact 5
    assert (cell.probability, cell.impact, cell.count, cell.band) == (4, 5, 1, "red")
    assert heat.exposure == 20
    assert heat.emv == Decimal("31500.00")


def test_a_risk_added_with_htmx_swaps_in_the_refreshed_register(client, pm, project):
    client.force_login(pm)
    response = client.post(
        add_url(project, "risks"),
        risk_post(),
        headers={**HTMX, "HX-Current-URL": f"http://testserver{raid_url(project, status='all')}"},
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#raid-log"
    assert response["HX-Reswap"] == "outerHTML"
    assert response.text.lstrip().startswith('<div id="raid-log"')
    assert "<html" not in response.text
    assert "Vendor misses the data-load window" in response.text
    # The filter the user was looking at is kept.
    assert response.context["params"].status == "all"
    assert 'data-testid="heat-4-5"' in response.text


def test_the_add_form_loads_as_a_fragment_for_htmx_and_as_a_page_otherwise(client, pm, project):
    client.force_login(pm)
    fragment = client.get(add_url(project, "issues"), headers=HTMX)
    assert "<html" not in fragment.text
    assert f'hx-post="{add_url(project, "issues")}"' in fragment.text
    page = client.get(add_url(project, "issues"))
    assert "<html" in page.text
    assert "hx-post" not in page.text.split('class="raid-form"')[1].split(">")[0]


def test_a_validation_error_sits_next_to_its_field_and_keeps_the_input(client, pm, project):
    client.force_login(pm)
    response = client.post(
        add_url(project, "risks"),
        risk_post(title="  ", probability="9", cost_impact="lots"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"title", "probability", "cost_impact"}
    assert 'data-testid="error-title"' in response.text
    assert "The integrator has two other go-lives that week." in response.text
    assert 'value="lots"' in response.text
    assert not Risk.objects.exists()


def test_a_service_rule_lands_next_to_the_field_it_names(client, pm, project):
    client.force_login(pm)
    response = client.post(
        add_url(project, "risks"), risk_post(title="   x", cost_impact="-5"), headers=HTMX
    )
    assert response.context["form"].errors["cost_impact"]
    assert "<html" not in response.text
    assert 'hx-post="' in response.text  # the fragment is the form again, ready to resend
    assert "Book a second load window now." in response.text


def test_issues_and_assumptions_are_added_with_their_own_fields(client, pm, project):
    client.force_login(pm)
    client.post(
        add_url(project, "issues"),
        {"title": "Test environment down", "priority": "critical", "status": "in_progress"},
    )
    client.post(
        add_url(project, "assumptions"), {"title": "SAP licences in place", "status": "open"}
    )
    issue = Issue.objects.get(project=project)
    assert (issue.priority, issue.status) == (Priority.CRITICAL, RaidStatus.IN_PROGRESS)
    assert Assumption.objects.get(project=project).title == "SAP licences in place"


def test_a_new_item_cannot_be_born_closed(client, pm, project):
    client.force_login(pm)
    response = client.post(add_url(project, "issues"), {"title": "x", "status": "closed"})
    assert "status" in response.context["form"].errors
    assert not Issue.objects.exists()


# --- Owners ------------------------------------------------------------------------------------


def test_owners_offered_are_the_projects_people_first_then_colleagues_with_a_role(
    client, pm, project, director, monkeypatch
):
    delegate = make_user("del.egate", Role.PROJECT_MANAGER, first_name="Zed", last_name="Zulu")
    project.delegates.add(delegate)
    sponsor = UserFactory(first_name="Sam", last_name="Sponsor")
    project.sponsor = sponsor
    project.save()
    colleague = make_user("col.league", Role.PMO, first_name="Alan", last_name="Able")
    nobody = UserFactory(first_name="Aaron", last_name="Norole")
    monkeypatch.setattr(raid_choices, "OWNER_LIMIT", 5)
    client.force_login(pm)
    form = client.get(add_url(project, "risks")).context["form"]
    offered = list(form.fields["owner"].users.values())
    # The project's own people (manager, delegate, sponsor, director) before anyone else.
    assert set(offered[:4]) == {pm, delegate, sponsor, director}
    assert colleague in offered
    assert nobody not in offered
    assert len(offered) == 5


def test_an_owner_outside_the_offered_list_is_refused(client, pm, project):
    stranger = UserFactory()
    client.force_login(pm)
    response = client.post(add_url(project, "risks"), risk_post(owner=stranger.pk))
    assert "owner" in response.context["form"].errors


# --- Editing, closing, reopening -----------------------------------------------------------


def test_closing_from_the_edit_form_needs_a_resolution_and_keeps_the_other_input(
    client, pm, project
):
    issue = Issue.objects.create(project=project, title="UAT environment refresh failed")
    client.force_login(pm)
    response = client.post(
        edit_url(issue, "issues"),
        edit_post(issue, status="closed", description="Refresh rerun by the basis team."),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.context["form"].errors["resolution"] == [
        "Closing needs a resolution: what happened?"
    ]
    assert "Refresh rerun by the basis team." in response.text
    assert '<option value="closed" selected>' in response.text
    issue.refresh_from_db()
    assert issue.status == RaidStatus.OPEN and issue.version == 1


def test_closing_with_a_resolution_saves_the_other_edits_in_the_same_step(client, pm, project):
    issue = Issue.objects.create(project=project, title="UAT environment refresh failed")
    client.force_login(pm)
    response = client.post(
        edit_url(issue, "issues"),
        edit_post(
            issue,
            status="closed",
            description="Refresh rerun by the basis team.",
            resolution="Environment refreshed on 14 Nov; UAT resumed.",
        ),
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == RaidStatus.CLOSED
    assert issue.resolution == "Environment refreshed on 14 Nov; UAT resumed."
    assert issue.description == "Refresh rerun by the basis team."
    assert issue.version == 2  # one save, one version step
    # Closed items leave the open list and show under "Closed" with their resolution.
    open_rows = client.get(raid_url(project, kind="issues")).context["register"].rows
    assert open_rows == []
    closed = client.get(raid_url(project, kind="issues", status="closed"))
    assert "Environment refreshed on 14 Nov; UAT resumed." in closed.text


def test_the_close_link_opens_the_edit_form_with_closed_chosen(client, pm, project):
    risk = RiskFactory(project=project)
    client.force_login(pm)
    response = client.get(edit_url(risk, "risks") + "?close=1")
    assert response.context["form"].initial["status"] == RaidStatus.CLOSED
    assert "Close risk" in response.text


def test_an_edit_updates_the_item(client, pm, project):
    risk = RiskFactory(project=project, probability=2, impact=2)
    client.force_login(pm)
    client.post(edit_url(risk, "risks"), edit_post(risk, probability=5, status="in_progress"))
    risk.refresh_from_db()
    assert (risk.probability, risk.status, risk.version) == (5, RaidStatus.IN_PROGRESS, 2)


def test_an_edit_based_on_an_old_version_shows_the_conflict_and_keeps_the_input(
    client, pm, director, project
):
    risk = RiskFactory(project=project, title="Vendor insolvency", probability=3, impact=3)
    stale = edit_post(risk, title="Vendor insolvency (Acme)", probability=4)
    from projects.services import raid_update

    raid_update(item=risk, expected_version=1, by=director, impact=5)
    client.force_login(pm)
    response = client.post(edit_url(risk, "risks"), stale)
    assert response.status_code == 200
    assert 'data-testid="conflict"' in response.text
    assert "Dora Director changed this" in response.text
    assert 'value="Vendor insolvency (Acme)"' in response.text
    # The hidden version now points at the current row: sending again applies deliberately.
    assert 'name="version" value="2"' in response.text
    risk.refresh_from_db()
    assert (risk.title, risk.impact) == ("Vendor insolvency", 5)
    again = client.post(edit_url(risk, "risks"), {**stale, "version": 2})
    assert again.status_code == 302
    risk.refresh_from_db()
    assert (risk.title, risk.probability, risk.version) == ("Vendor insolvency (Acme)", 4, 3)


def test_a_closed_item_is_reopened_with_a_reason(client, pm, project):
    risk = RiskFactory(project=project, status=RaidStatus.CLOSED, resolution="Gone.")
    client.force_login(pm)
    assert client.get(edit_url(risk, "risks")).url == reopen_url(risk, "risks")
    empty = client.post(reopen_url(risk, "risks"), {"reason": " ", "version": 1})
    assert empty.context["form"].errors["reason"]
    response = client.post(
        reopen_url(risk, "risks"), {"reason": "Vendor wobbling again", "version": 1}
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.status == RaidStatus.OPEN


# --- The register: filters, overdue, heat map -----------------------------------------------


def test_overdue_items_are_flagged_and_filtered(client, pm, project):
    today = timezone.localdate()
    Issue.objects.create(project=project, title="Late one", due_date=today - timedelta(days=1))
    Issue.objects.create(project=project, title="Due today", due_date=today)
    Issue.objects.create(
        project=project,
        title="Closed late one",
        due_date=today - timedelta(days=9),
        status=RaidStatus.CLOSED,
        resolution="Done.",
    )
    client.force_login(pm)
    response = client.get(raid_url(project, kind="issues"))
    rows = {row.item.title: row for row in response.context["register"].rows}
    assert rows["Late one"].overdue and not rows["Due today"].overdue
    assert "Closed late one" not in rows
    assert response.text.count('data-testid="overdue"') == 1
    overdue = client.get(raid_url(project, kind="issues", status="overdue")).context["register"]
    assert [r.item.title for r in overdue.rows] == ["Late one"]
    counts = {k["count"].kind.slug: k["count"] for k in response.context["kinds"]}
    assert (counts["issues"].open, counts["issues"].overdue) == (2, 1)


def test_the_heat_map_counts_open_risks_and_drills_down_to_a_cell(client, pm, project):
    RiskFactory(project=project, title="A", probability=4, impact=3, cost_impact=Decimal("1000"))
    RiskFactory(project=project, title="B", probability=4, impact=3, cost_impact=Decimal("333.33"))
    RiskFactory(project=project, title="C", probability=1, impact=5)
    RiskFactory(
        project=project,
        title="D",
        probability=4,
        impact=3,
        status=RaidStatus.CLOSED,
        resolution="x",
    )
    client.force_login(pm)
    response = client.get(raid_url(project))
    heat = response.context["heat"]
    cells = {(c.probability, c.impact): c for _, _, row in heat.rows for c in row}
    assert cells[(4, 3)].count == 2 and cells[(1, 5)].count == 1 and cells[(5, 5)].count == 0
    assert heat.open_risks == 3
    assert heat.exposure == 12 + 12 + 5
    assert heat.emv == expected_monetary_value(4, Decimal("1000")) + expected_monetary_value(
        4, Decimal("333.33")
    )
    assert '<a href="?kind=risks&amp;p=4&amp;i=3"' in response.text
    drilled = client.get(raid_url(project, kind="risks", p=4, i=3))
    # Same score, no due date: the newest first.
    assert [r.item.title for r in drilled.context["register"].rows] == ["B", "A"]
    assert 'data-testid="drill-chip"' in drilled.text
    assert drilled.context["heat"].rows[1][2][2].selected


def test_risk_colours_follow_the_pmo_policy(client, pm, project, policy):
    RiskFactory(project=project, probability=3, impact=3)  # score 9
    client.force_login(pm)
    assert client.get(raid_url(project)).context["register"].rows[0].band == "green"
    policy.risk_amber_score, policy.risk_red_score = 6, 9
    policy.save()
    response = client.get(raid_url(project))
    assert response.context["register"].rows[0].band == "red"
    cells = {
        (c.probability, c.impact): c for _, _, row in response.context["heat"].rows for c in row
    }
    assert cells[(2, 3)].band == "amber" and cells[(1, 5)].band == "green"
    assert "Red ≥ 9" in response.text


def test_risks_are_listed_by_score_then_due_date(client, pm, project):
    RiskFactory(project=project, title="low", probability=1, impact=2)
    RiskFactory(
        project=project, title="high late", probability=4, impact=4, due_date=date(2027, 1, 1)
    )
    RiskFactory(
        project=project, title="high soon", probability=4, impact=4, due_date=date(2026, 12, 1)
    )
    client.force_login(pm)
    rows = client.get(raid_url(project)).context["register"].rows
    assert [r.item.title for r in rows] == ["high soon", "high late", "low"]


def test_unknown_filter_values_fall_back_to_the_defaults(client, pm, project):
    client.force_login(pm)
    response = client.get(raid_url(project, kind="gossip", status="bogus", p="9", i="x"))
    params = response.context["params"]
    assert (params.kind, params.status, params.probability, params.impact) == (
        "risks",
        "open",
        None,
        None,
    )


def test_a_filter_change_with_htmx_returns_only_the_log(client, pm, project):
    client.force_login(pm)
    response = client.get(raid_url(project, kind="issues"), headers=HTMX)
    assert response.text.lstrip().startswith('<div id="raid-log"')
    assert "HX-Request" in response["Vary"]


# --- Dependencies ---------------------------------------------------------------------------


@pytest.fixture
def upstream(portfolio, director):
    """A project of the same portfolio that ERP-01 waits on (the PM does not manage it)."""
    other = ProjectFactory(portfolio=portfolio, code="DAT-02", name="Data platform")
    MilestoneFactory(
        project=other,
        name="Master data cleansed",
        baseline_date=date(2026, 9, 1),
        forecast_date=date(2026, 9, 15),
    )
    return other


def test_a_dependency_is_added_by_project_code_and_milestone(client, director, project, upstream):
    ours = MilestoneFactory(project=project, name="Cutover", baseline_date=date(2026, 10, 1))
    theirs = upstream.milestones.get()
    client.force_login(director)
    form = client.get(add_url(project, "dependencies")).context["form"]
    assert [m.pk for m in form.own_milestones.values()] == [ours.pk]
    response = client.post(
        add_url(project, "dependencies"),
        {
            "title": "Cutover needs cleansed master data",
            "milestone": ours.pk,
            "depends_on": "dat-02",
            "depends_on_milestone": theirs.pk,
            "status": "open",
        },
    )
    assert response.status_code == 302
    dependency = Dependency.objects.get()
    assert (dependency.depends_on, dependency.milestone, dependency.depends_on_milestone) == (
        upstream,
        ours,
        theirs,
    )
    page = client.get(raid_url(project, kind="dependencies"))
    row = page.context["register"].rows[0]
    assert row.depends_on_slip == 14
    assert "+14 d" in page.text
    assert upstream.pk in page.context["openable"]
    # Seen from the project delivered on: "waiting on us".
    other_side = client.get(raid_url(upstream, kind="dependencies")).context["dependents"]
    assert [r.item.title for r in other_side.rows] == ["Cutover needs cleansed master data"]
    assert other_side.hidden == 0


def test_a_project_the_user_cannot_see_cannot_be_depended_on(client, pm, project, other_project):
    client.force_login(pm)
    response = client.post(
        add_url(project, "dependencies"),
        {"title": "Needs the DC exit", "depends_on": other_project.code, "status": "open"},
    )
    assert response.context["form"].errors["depends_on"] == [
        "No project with that code that you can see."
    ]
    assert not Dependency.objects.exists()
    # Nor is it suggested, nor are its milestones listed.
    MilestoneFactory(project=other_project, name="Racks empty")
    options = client.get(
        reverse("projects:raid-project-options", args=[project.pk]), {"depends_on": "DC"}
    )
    assert other_project.code not in options.text
    milestones = client.get(
        reverse("projects:raid-milestone-options", args=[project.pk]),
        {"depends_on": other_project.code},
    )
    assert "Racks empty" not in milestones.text


def test_their_milestone_must_belong_to_the_project_depended_on(
    client, director, project, upstream
):
    elsewhere = MilestoneFactory(project=project, name="Ours, not theirs")
    client.force_login(director)
    response = client.post(
        add_url(project, "dependencies"),
        {
            "title": "x",
            "depends_on": upstream.code,
            "depends_on_milestone": elsewhere.pk,
            "status": "open",
        },
    )
    assert "depends_on_milestone" in response.context["form"].errors


def test_the_suggestions_list_visible_projects_matching_code_or_name(
    client, director, project, upstream, other_project
):
    client.force_login(director)
    url = reverse("projects:raid-project-options", args=[project.pk])
    text = client.get(url, {"depends_on": "platform"}).text
    assert '<option value="DAT-02">' in text
    assert project.code not in text  # never itself
    assert other_project.code not in client.get(url, {"depends_on": ""}).text
    milestones = client.get(
        reverse("projects:raid-milestone-options", args=[project.pk]), {"depends_on": "DAT-02"}
    )
    assert "Master data cleansed" in milestones.text


def test_a_link_made_by_someone_else_to_a_project_out_of_sight_can_still_be_edited(
    client, pm, pmo, project, other_project
):
    theirs = MilestoneFactory(project=other_project, name="Racks empty")
    MilestoneFactory(project=other_project, name="Secret milestone")
    dependency = Dependency.objects.create(
        project=project,
        depends_on=other_project,
        depends_on_milestone=theirs,
        title="Needs the DC exit",
    )
    client.force_login(pm)
    form = client.get(edit_url(dependency, "dependencies")).context["form"]
    assert [m.name for m in form.their_milestones.values()] == ["Racks empty"]
    response = client.post(
        edit_url(dependency, "dependencies"),
        {
            "title": "Needs the DC exit (racks)",
            "depends_on": other_project.code,
            "depends_on_milestone": theirs.pk,
            "status": "open",
            "version": 1,
        },
    )
    assert response.status_code == 302
    dependency.refresh_from_db()
    assert (dependency.title, dependency.depends_on_milestone) == (
        "Needs the DC exit (racks)",
        theirs,
    )
    # The page names it but offers no link into a project the manager cannot open.
    page = client.get(raid_url(project, kind="dependencies"))
    assert other_project.pk not in page.context["openable"]
    assert reverse("projects:raid", args=[other_project.pk]) not in page.text


def test_waiting_on_us_hides_projects_the_user_cannot_open_but_counts_them(
    client, pm, project, other_project, other_pm
):
    Dependency.objects.create(
        project=other_project, depends_on=project, title="DC exit waits on ERP", owner=other_pm
    )
    client.force_login(pm)
    dependents = client.get(raid_url(project, kind="dependencies")).context["dependents"]
    assert dependents.rows == []
    assert dependents.hidden == 1


# --- Query counts ---------------------------------------------------------------------------


def fill_log(project, n: int) -> None:
    owner = UserFactory()
    upstream = ProjectFactory(portfolio=PortfolioFactory())
    theirs = MilestoneFactory(project=upstream)
    ours = MilestoneFactory(project=project)
    for i in range(n):
        RiskFactory(
            project=project,
            probability=1 + i % 5,
            impact=1 + (i * 3) % 5,
            cost_impact=Decimal(1000 * i),
            owner=owner,
            due_date=date(2026, 1, 1) + timedelta(days=i),
        )
        Issue.objects.create(project=project, title=f"Issue {i}", owner=owner)
        Assumption.objects.create(project=project, title=f"Assumption {i}")
        Dependency.objects.create(
            project=project,
            depends_on=upstream,
            milestone=ours,
            depends_on_milestone=theirs,
            title=f"Dependency {i}",
            owner=owner,
        )
        Dependency.objects.create(
            project=upstream, depends_on=project, title=f"Dependent {i}", owner=owner
        )


@pytest.mark.parametrize("size", [2, 14])
@pytest.mark.parametrize(
    ("kind", "expected"),
    # session, user, roles, project, may view, may change, policy, counts, [heat map],
    # register count and rows, [dependents: rows, total, visible; projects we may open]
    [("risks", 11), ("issues", 10), ("assumptions", 10), ("dependencies", 14)],
)
def test_the_raid_log_runs_a_fixed_number_of_queries(
    client, pm, project, django_assert_num_queries, size, kind, expected
):
    fill_log(project, size)
    client.force_login(pm)
    with django_assert_num_queries(expected):
        response = client.get(raid_url(project, kind=kind, status="all"))
    assert response.context["register"].total == size


@pytest.mark.parametrize("size", [2, 14])
def test_the_risk_form_runs_a_fixed_number_of_queries(
    client, pm, project, django_assert_num_queries, size
):
    fill_log(project, size)
    for _ in range(size):
        project.delegates.add(make_user(f"delegate{size}{_}", Role.PROJECT_MANAGER))
    client.force_login(pm)
    # session, user, roles, project, may view, may change, owner choices
    with django_assert_num_queries(7):
        client.get(add_url(project, "risks"))
