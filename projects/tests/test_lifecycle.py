"""The lifecycle service owns every project state change (issue 10, item 1)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from ppm.audit import history_for
from projects.choices import LifecycleState as S
from projects.models import Project, RollupState
from projects.services.common import ConflictError, DomainError
from projects.services.lifecycle import MOVES, moves_from, project_transition, refusal
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


def _project(pm, state: str) -> Project:
    return ProjectFactory(
        manager=pm,
        state=state,
        baseline_start=date(2026, 1, 1),
        baseline_finish=date(2026, 12, 31),
        on_hold_since=date(2026, 5, 2) if state == S.ON_HOLD else None,
    )


@pytest.mark.parametrize(("frm", "to"), sorted(MOVES))
def test_every_allowed_move_is_made_audited_and_marks_the_rollup_stale(pm, director, frm, to):
    project = _project(pm, frm)
    project_transition(
        project=project,
        to=to,
        by=director,
        reason="Agreed at the steering board",
        expected_version=project.version,
        today=TODAY,
    )
    stored = Project.objects.get(pk=project.pk)
    assert (stored.state, stored.version) == (to, 2)
    assert stored.on_hold_since == (TODAY if to == S.ON_HOLD else None)
    if to == S.CLOSED:
        assert stored.actual_finish == TODAY
    (entry,) = [e for e in history_for(stored) if "state" in e.changes]
    assert entry.changes["state"] == (frm, to)
    assert entry.reason.endswith("Agreed at the steering board")
    assert entry.user_id == director.pk
    assert RollupState.objects.get(project=stored).stale_since is not None


@pytest.mark.parametrize(
    ("frm", "to"),
    [(a, b) for a in S.values for b in S.values if (a, b) not in MOVES],
)
def test_every_other_move_is_refused_and_nothing_is_written(pm, director, frm, to):
    project = _project(pm, frm)
    with pytest.raises(DomainError) as refused:
        project_transition(
            project=project, to=to, by=director, reason="x", expected_version=project.version
        )
    assert refused.value.field == "state"
    assert refused.value.message == refusal(frm, to)
    assert Project.objects.get(pk=project.pk).state == frm


@pytest.mark.parametrize("to", [S.ON_HOLD, S.CLOSED, S.CANCELLED])
def test_holding_closing_and_cancelling_need_a_reason(pm, director, to):
    project = _project(pm, S.ACTIVE)
    with pytest.raises(DomainError) as refused:
        project_transition(
            project=project, to=to, by=director, reason="   ", expected_version=project.version
        )
    assert refused.value.field == "reason"
    assert Project.objects.get(pk=project.pk).state == S.ACTIVE


def test_a_move_on_a_project_changed_meanwhile_is_a_conflict(pm, director):
    project = _project(pm, S.APPROVED)
    seen = project.version
    Project.objects.filter(pk=project.pk).update(version=seen + 1, name="Renamed meanwhile")
    with pytest.raises(ConflictError):
        project_transition(project=project, to=S.ACTIVE, by=director, expected_version=seen)
    assert Project.objects.get(pk=project.pk).state == S.APPROVED


def test_the_moves_offered_follow_the_lifecycle():
    assert [to for to, _ in moves_from(S.PROPOSED)] == [S.APPROVED, S.CANCELLED]
    assert [to for to, _ in moves_from(S.ACTIVE)] == [S.ON_HOLD, S.CLOSED, S.CANCELLED]
    assert moves_from(S.CLOSED) == [] and moves_from(S.CANCELLED) == []


# Writing the state anywhere else: `project.state = …` or an UPDATE of Project rows' state.
WRITES = (
    re.compile(r"\bproject\.(state|phase|current_gate)\s*=(?!=)"),
    re.compile(r"Project\.objects[^\n]*\.update\([^)]*\b(state|phase|current_gate)\s*="),
)


def test_nothing_but_the_lifecycle_service_writes_a_projects_state():
    root = Path(settings.BASE_DIR)
    owner = root / "projects" / "services" / "lifecycle.py"
    offenders = []
    for app in ("portfolio", "projects", "governance", "reporting", "ppm"):
        for path in (root / app).rglob("*.py"):
            parts = set(path.relative_to(root).parts)
            if path == owner or parts & {"tests", "migrations", "demo"}:
                continue
            text = path.read_text()
            offenders += [
                f"{path.relative_to(root)}: {p.pattern}" for p in WRITES if p.search(text)
            ]
    assert offenders == []


# --- The lifecycle page ----------------------------------------------------------------------


def _url(project) -> str:
    return f"/projects/{project.pk}/lifecycle/"


def test_the_director_approves_a_proposal_on_the_lifecycle_page(client, director, portfolio, pm):
    project = ProjectFactory(portfolio=portfolio, manager=pm, state=S.PROPOSED)
    client.force_login(director)
    page = client.get(_url(project)).content.decode()
    assert "Approve — the proposal becomes a project" in page and "Cancel — it ends here" in page
    response = client.post(_url(project), {"to": S.APPROVED, "version": project.version})
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).state == S.APPROVED


def test_a_refused_move_is_explained_next_to_its_field_and_the_input_kept(
    client, director, portfolio, pm
):
    project = ProjectFactory(portfolio=portfolio, manager=pm, state=S.ACTIVE)
    client.force_login(director)
    response = client.post(
        _url(project), {"to": S.CLOSED, "reason": "  ", "version": project.version}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_reason_error"' in page and "Say why the project is closed" in page
    (closed,) = re.findall(r'<input[^>]*value="closed"[^>]*>', page)
    assert "checked" in closed  # the choice made is still chosen
    # A state the lifecycle does not offer from here is not a choice at all.
    response = client.post(_url(project), {"to": S.PROPOSED, "version": project.version})
    assert "Select a valid choice" in response.content.decode()
    assert Project.objects.get(pk=project.pk).state == S.ACTIVE


def test_a_stale_page_is_a_conflict_not_an_overwrite(client, director, portfolio, pm):
    project = ProjectFactory(portfolio=portfolio, manager=pm, state=S.APPROVED)
    seen = project.version
    Project.objects.filter(pk=project.pk).update(version=seen + 1)
    client.force_login(director)
    response = client.post(_url(project), {"to": S.ACTIVE, "version": seen})
    assert response.status_code == 200
    assert Project.objects.get(pk=project.pk).state == S.APPROVED


@pytest.mark.parametrize("persona", ["pm", "executive"])
def test_others_see_the_state_but_may_not_move_it(client, request, persona, portfolio, pm):
    project = ProjectFactory(portfolio=portfolio, manager=pm, state=S.PROPOSED)
    client.force_login(request.getfixturevalue(persona))
    page = client.get(_url(project)).content.decode()
    assert (
        'data-testid="lifecycle-read-only"' in page
        and "<form" not in page.split('data-testid="lifecycle"', 1)[1].split("</section>", 1)[0]
    )
    client.post(_url(project), {"to": S.APPROVED, "version": project.version})
    assert Project.objects.get(pk=project.pk).state == S.PROPOSED


def test_an_outsider_cannot_open_it(client, other_pm, portfolio, pm):
    project = ProjectFactory(portfolio=portfolio, manager=pm, state=S.PROPOSED)
    client.force_login(other_pm)
    assert client.get(_url(project)).status_code in (403, 404)
    client.post(_url(project), {"to": S.APPROVED, "version": project.version})
    assert Project.objects.get(pk=project.pk).state == S.PROPOSED


# --- Creating a project, editing its details and plan ----------------------------------------


def _new_post(portfolio, manager, **changes) -> dict:
    data = {
        "portfolio": portfolio.pk,
        "code": "ent-301",
        "name": "Supplier portal",
        "description": "Self-service for suppliers.",
        "category": "software",
        "delivery_method": "agile",
        "manager": manager.pk,
        "sponsor": "",
        "baseline_start": "2027-01-01",
        "baseline_finish": "2027-12-31",
        "budget_at_completion": "1,250,000",
        "ev_method": "",
    }
    data.update(changes)
    return data


def test_the_director_creates_a_proposal_in_their_portfolio(client, director, portfolio, pm):
    client.force_login(director)
    assert client.get("/projects/new/").status_code == 200
    response = client.post("/projects/new/", _new_post(portfolio, pm))
    assert response.status_code == 302
    project = Project.objects.get(code="ENT-301")
    assert (project.state, project.portfolio, project.manager) == (S.PROPOSED, portfolio, pm)
    assert str(project.budget_at_completion) == "1250000.00"
    assert RollupState.objects.get(project=project).stale_since is not None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "?"}, "code", "capital letters"),
        ({"baseline_finish": "2026-12-31"}, "baseline_finish", "before the start"),
        ({"baseline_start": "0001-01-01"}, "baseline_start", "check the year"),
        ({"budget_at_completion": "12.500"}, "budget_at_completion", "ambiguous"),
        ({"budget_at_completion": "²"}, "budget_at_completion", ""),
        ({"name": "\x00"}, "name", ""),
    ],
)
def test_a_bad_value_is_refused_next_to_its_field_and_the_input_kept(
    client, director, portfolio, pm, changes, field, message
):
    client.force_login(director)
    response = client.post("/projects/new/", _new_post(portfolio, pm, **changes))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in page and message in page
    assert 'value="Supplier portal"' in page or field == "name"
    assert not Project.objects.filter(code="ENT-301").exists()


def test_a_taken_code_is_refused_and_a_manager_must_be_a_project_manager(
    client, director, portfolio, pm, project
):
    client.force_login(director)
    page = client.post("/projects/new/", _new_post(portfolio, pm, code=project.code))
    assert "is taken" in page.content.decode()
    page = client.post("/projects/new/", _new_post(portfolio, director))
    assert 'id="id_manager_error"' in page.content.decode()


def test_only_the_pmo_and_directors_create_and_only_in_their_portfolios(
    client, pm, director, other_portfolio, portfolio
):
    client.force_login(pm)
    assert client.get("/projects/new/").status_code == 403
    client.force_login(director)
    response = client.post("/projects/new/", _new_post(other_portfolio, pm))
    assert 'id="id_portfolio_error"' in response.content.decode()
    assert not Project.objects.filter(code="ENT-301").exists()


def test_editing_details_and_budget_records_a_re_baseline_with_the_reason(
    client, director, portfolio, pm
):
    project = ProjectFactory(
        portfolio=portfolio,
        manager=pm,
        state=S.ACTIVE,
        budget_at_completion=1000,
        baseline_start=date(2025, 1, 1),
        baseline_finish=date(2027, 12, 31),
    )
    client.force_login(director)
    url = f"/projects/{project.pk}/edit/"
    base = {
        "name": "Renamed",
        "description": "",
        "category": project.category,
        "delivery_method": project.delivery_method,
        "manager": pm.pk,
        "sponsor": "",
        "budget_at_completion": "2,000",
        "forecast_finish": "",
        "reason": "",
        "version": project.version,
    }
    response = client.post(url, base)
    assert 'id="id_reason_error"' in response.content.decode()
    assert Project.objects.get(pk=project.pk).name == project.name  # nothing half-written
    response = client.post(url, {**base, "reason": "Scope added by the board"})
    assert response.status_code == 302
    stored = Project.objects.get(pk=project.pk)
    assert (stored.name, str(stored.budget_at_completion)) == ("Renamed", "2000.00")
    assert stored.budget_baselines.count() == 2
    # The page the director still has open is now stale: a conflict, not an overwrite.
    response = client.post(url, {**base, "name": "Third", "budget_at_completion": "2,000"})
    assert 'data-testid="conflict"' in response.content.decode()
    assert Project.objects.get(pk=project.pk).name == "Renamed"


def test_a_project_manager_may_not_edit_their_own_project(client, pm, project):
    client.force_login(pm)
    assert client.get(f"/projects/{project.pk}/edit/").status_code == 403
