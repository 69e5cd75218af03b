"""Writes of prioritisation: criteria (PMO), scores (director/PMO), rebalancing (director/PMO)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from governance import services
from governance.scoring import stamp
from governance.selectors.scores import project_scores
from governance.services import (
    RebalanceChange,
    RebalanceConflict,
    RebalanceRefused,
    ScoreInput,
    ScoresChanged,
)
from governance.tests.factories import CriterionFactory, ScoreFactory
from portfolio.models import ScoringCriterion
from ppm.audit import history_for
from projects.models import Project, ProjectScore, RollupState
from projects.services import ConflictError, DomainError
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db
D = Decimal


def requested(project) -> int:
    state = RollupState.objects.filter(project=project).first()
    return state.requested if state else 0


# --- Criteria -------------------------------------------------------------------------------


def test_the_pmo_adds_a_criterion_and_the_audit_names_them(pmo):
    criterion = services.criterion_create(
        by=pmo, name="  Strategic fit ", weight=D("3.50"), scale_min=0, scale_max=10
    )
    assert (criterion.name, criterion.weight, criterion.version) == ("Strategic fit", D("3.50"), 1)
    (entry,) = history_for(criterion)
    assert entry.user_name == "pat.pmo" and "Strategic fit" in entry.reason


@pytest.mark.parametrize("persona", ["director", "executive", "pm"])
def test_only_the_pmo_defines_criteria(request, persona):
    with pytest.raises(DomainError, match="Only the PMO"):
        services.criterion_create(by=request.getfixturevalue(persona), name="X", weight=D(1))
    assert not ScoringCriterion.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"weight": D("-1")}, "weight", "cannot be negative"),
        ({"weight": D("1000")}, "weight", "at most 999.99"),
        ({"weight": D("1.005")}, "weight", "two decimals"),
        ({"scale_min": 11, "scale_max": 12}, "scale_min", "between 0 and 10"),
        ({"scale_min": 1, "scale_max": 11}, "scale_max", "between 0 and 10"),
        ({"scale_min": 5, "scale_max": 5}, "scale_max", "above its bottom"),
        ({"name": "   "}, "name", "needs a name"),
    ],
)
def test_criterion_weights_and_scales_are_validated(pmo, fields, field, message):
    values = {"name": "Value", "weight": D("1"), "scale_min": 1, "scale_max": 5, **fields}
    with pytest.raises(DomainError, match=message) as error:
        services.criterion_create(by=pmo, **values)
    assert error.value.field == field


def test_a_criterion_name_is_unique_whatever_its_case(pmo):
    CriterionFactory(name="Strategic fit")
    with pytest.raises(DomainError, match="exists already") as error:
        services.criterion_create(by=pmo, name="STRATEGIC FIT", weight=D(1))
    assert error.value.field == "name"


def test_the_first_criterion_needs_a_weight(pmo):
    with pytest.raises(DomainError, match="weight above zero"):
        services.criterion_create(by=pmo, name="Zero", weight=D("0"))
    CriterionFactory(name="Weighted", weight=D("2"))
    assert services.criterion_create(by=pmo, name="Zero", weight=D("0")).weight == 0


def test_the_last_weighted_criterion_cannot_be_deactivated_or_zeroed(pmo):
    only = CriterionFactory(weight=D("2"))
    CriterionFactory(weight=D("0"))
    CriterionFactory(weight=D("5"), active=False)
    with pytest.raises(DomainError, match="weight above zero") as error:
        services.criterion_update(criterion=only, expected_version=1, by=pmo, active=False)
    assert error.value.field == "active"
    with pytest.raises(DomainError, match="weight above zero"):
        services.criterion_update(criterion=only, expected_version=1, by=pmo, weight=D("0"))
    only.refresh_from_db()
    assert (only.active, only.weight, only.version) == (True, D("2"), 1)


def test_a_weight_change_marks_every_project_scored_on_it_stale_in_one_go(pmo, project):
    criterion = CriterionFactory(weight=D("2"))
    other = CriterionFactory(weight=D("1"))
    scored = [ProjectFactory() for _ in range(3)]
    for p in scored:
        ScoreFactory(project=p, criterion=criterion)
    ScoreFactory(project=project, criterion=other)
    before = {p.pk: requested(p) for p in [*scored, project]}
    updated, marked = services.criterion_update(
        criterion=criterion, expected_version=1, by=pmo, weight=D("4")
    )
    assert (updated.weight, updated.version, marked) == (D("4"), 2, 3)
    assert all(requested(p) == before[p.pk] + 1 for p in scored)
    assert requested(project) == before[project.pk]
    (entry, _) = history_for(updated)
    assert entry.changes["weight"] == (D("2.00"), D("4.00"))
    assert entry.reason == f"Scoring criterion “{criterion.name}” changed: weight 2.00 → 4.00"


def test_a_new_name_or_description_recomputes_nothing(pmo, project):
    criterion = CriterionFactory()
    ScoreFactory(project=project, criterion=criterion)
    before = requested(project)
    _, marked = services.criterion_update(
        criterion=criterion, expected_version=1, by=pmo, name="Renamed", description="Why"
    )
    assert marked == 0 and requested(project) == before


def test_a_criterion_edit_based_on_an_old_version_is_refused(pmo):
    criterion = CriterionFactory(weight=D("2"))
    services.criterion_update(criterion=criterion, expected_version=1, by=pmo, weight=D("3"))
    stale = ScoringCriterion.objects.get(pk=criterion.pk)
    stale.version = 1
    with pytest.raises(ConflictError) as error:
        services.criterion_update(criterion=stale, expected_version=1, by=pmo, weight=D("9"))
    assert error.value.current.weight == D("3") and error.value.current.version == 2
    assert stale.weight == D("3")  # the caller's object is left as it was


def test_a_scale_may_widen_but_not_strand_existing_scores(pmo, project):
    criterion = CriterionFactory(scale_min=1, scale_max=5)
    ScoreFactory(project=project, criterion=criterion, score=5)
    with pytest.raises(DomainError, match="1 project score would fall outside 1–4") as error:
        services.criterion_update(criterion=criterion, expected_version=1, by=pmo, scale_max=4)
    assert error.value.field == "scale_max"
    widened, _ = services.criterion_update(
        criterion=criterion, expected_version=1, by=pmo, scale_min=0, scale_max=10
    )
    assert (widened.scale_min, widened.scale_max) == (0, 10)


# --- Scores ---------------------------------------------------------------------------------


@pytest.fixture
def fit():
    return CriterionFactory(name="Strategic fit", weight=D("3"))


@pytest.fixture
def risk():
    return CriterionFactory(name="Delivery risk", weight=D("1"), higher_is_better=False)


def current_stamp(project) -> str:
    return stamp(project_scores([project.pk]).get(project.pk, []))


def test_a_director_scores_a_project_row_in_one_go(director, project, fit, risk):
    before = requested(project)
    saved = services.project_scores_set(
        project=project,
        scores={fit.pk: ScoreInput(4, "Core to the ERP strategy"), risk.pk: ScoreInput(2)},
        expected_stamp=current_stamp(project),
        by=director,
    )
    assert saved.changed == 2 and saved.stamp == current_stamp(project)
    rows = {s.criterion_id: s for s in ProjectScore.objects.filter(project=project)}
    assert (rows[fit.pk].score, rows[fit.pk].comment, rows[fit.pk].scored_by) == (
        4,
        "Core to the ERP strategy",
        director,
    )
    assert rows[risk.pk].score == 2
    assert requested(project) == before + 1
    assert "Scores of ERP-01" in history_for(rows[fit.pk])[0].reason


def test_saving_the_same_scores_again_writes_nothing(director, project, fit):
    ScoreFactory(project=project, criterion=fit, score=3, comment="ok")
    before = requested(project)
    saved = services.project_scores_set(
        project=project,
        scores={fit.pk: ScoreInput(3, " ok ")},
        expected_stamp=current_stamp(project),
        by=director,
    )
    assert saved.changed == 0 and requested(project) == before


def test_a_blank_score_clears_it(director, project, fit):
    ScoreFactory(project=project, criterion=fit, score=3)
    services.project_scores_set(
        project=project,
        scores={fit.pk: ScoreInput(None)},
        expected_stamp=current_stamp(project),
        by=director,
    )
    assert not ProjectScore.objects.filter(project=project).exists()


@pytest.mark.parametrize("score", [0, 6])
def test_a_score_outside_its_criterion_scale_is_refused_and_nothing_is_written(
    director, project, fit, risk, score
):
    with pytest.raises(DomainError, match="from 1 to 5") as error:
        services.project_scores_set(
            project=project,
            scores={fit.pk: ScoreInput(4), risk.pk: ScoreInput(score)},
            expected_stamp=current_stamp(project),
            by=director,
        )
    assert error.value.field == f"score_{risk.pk}"
    assert not ProjectScore.objects.filter(project=project).exists()


def test_a_comment_needs_a_score(director, project, fit):
    with pytest.raises(DomainError, match="enter the score too") as error:
        services.project_scores_set(
            project=project,
            scores={fit.pk: ScoreInput(None, "Looks strategic")},
            expected_stamp=current_stamp(project),
            by=director,
        )
    assert error.value.field == f"comment_{fit.pk}"


def test_a_criterion_deactivated_meanwhile_is_refused(director, project, fit):
    old = CriterionFactory(name="Old", active=False)
    with pytest.raises(DomainError, match="no longer in use"):
        services.project_scores_set(
            project=project,
            scores={fit.pk: ScoreInput(4), old.pk: ScoreInput(4)},
            expected_stamp=current_stamp(project),
            by=director,
        )
    assert not ProjectScore.objects.filter(project=project).exists()


def test_scores_changed_since_the_page_was_loaded_are_not_overwritten(
    director, pmo, project, fit, risk
):
    loaded = current_stamp(project)
    services.project_scores_set(
        project=project, scores={fit.pk: ScoreInput(2)}, expected_stamp=loaded, by=pmo
    )
    with pytest.raises(ScoresChanged) as error:
        services.project_scores_set(
            project=project,
            scores={fit.pk: ScoreInput(5), risk.pk: ScoreInput(1)},
            expected_stamp=loaded,
            by=director,
        )
    assert error.value.who == "pat.pmo"
    assert [(s.criterion_id, s.score) for s in error.value.current] == [(fit.pk, 2)]
    assert error.value.stamp == current_stamp(project)
    assert list(ProjectScore.objects.values_list("criterion_id", "score")) == [(fit.pk, 2)]
    # Saving again with the new stamp applies the director's input on purpose.
    services.project_scores_set(
        project=project,
        scores={fit.pk: ScoreInput(5)},
        expected_stamp=error.value.stamp,
        by=director,
    )
    assert ProjectScore.objects.get(project=project, criterion=fit).score == 5


def test_a_deleted_score_also_changes_the_stamp(director, project, fit):
    row = ScoreFactory(project=project, criterion=fit)
    loaded = current_stamp(project)
    row.delete()
    with pytest.raises(ScoresChanged):
        services.project_scores_set(
            project=project, scores={fit.pk: ScoreInput(4)}, expected_stamp=loaded, by=director
        )


@pytest.mark.parametrize("persona", ["other_director", "executive", "pm"])
def test_only_the_portfolio_director_or_pmo_scores(request, project, fit, persona):
    with pytest.raises(DomainError, match="director or the PMO"):
        services.project_scores_set(
            project=project,
            scores={fit.pk: ScoreInput(4)},
            expected_stamp=current_stamp(project),
            by=request.getfixturevalue(persona),
        )


def test_a_closed_project_is_not_scored(director, portfolio, fit):
    closed = ProjectFactory(portfolio=portfolio, state="closed")
    with pytest.raises(DomainError, match="only live projects"):
        services.project_scores_set(
            project=closed,
            scores={fit.pk: ScoreInput(4)},
            expected_stamp=current_stamp(closed),
            by=director,
        )


# --- Rebalance ------------------------------------------------------------------------------


@pytest.fixture
def three(portfolio):
    return [
        ProjectFactory(portfolio=portfolio, code="A-1", state="active"),
        ProjectFactory(portfolio=portfolio, code="B-2", state="approved"),
        ProjectFactory(portfolio=portfolio, code="C-3", state="on_hold"),
    ]


def states(projects) -> list[str]:
    return [Project.objects.get(pk=p.pk).state for p in projects]


def test_a_rebalance_defers_cancels_and_resumes_in_one_decision(director, portfolio, three):
    a, b, c = three
    before = [requested(p) for p in three]
    changed = services.portfolio_rebalance(
        portfolio=portfolio,
        changes=[
            RebalanceChange(a.pk, "defer", 1),
            RebalanceChange(b.pk, "cancel", 1),
            RebalanceChange(c.pk, "resume", 1),
        ],
        by=director,
        reason="Funding moved to the security programme.",
    )
    assert [p.code for p in changed] == ["A-1", "B-2", "C-3"]
    assert states(three) == ["on_hold", "cancelled", "active"]
    # The hold date: planned value stops there and the rest of the plan is released.
    held = [Project.objects.get(pk=p.pk).on_hold_since for p in three]
    assert held == [timezone.localdate(), None, None]
    assert [Project.objects.get(pk=p.pk).version for p in three] == [2, 2, 2]
    assert [requested(p) for p in three] == [n + 1 for n in before]
    entry = history_for(a)[0]
    assert entry.user_name == "Dora Director"
    assert entry.changes["state"] == ("active", "on_hold")
    assert entry.reason == (
        "Portfolio rebalance: A-1 deferred (on hold); B-2 cancelled; C-3 resumed (active). "
        "Funding moved to the security programme."
    )


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        ("closed", "cancel", "nothing can change its state"),
        ("cancelled", "resume", "nothing can change its state"),
        ("proposed", "defer", "cannot be put on hold"),
        ("on_hold", "defer", "already on hold"),
        ("active", "resume", "Only a project on hold can be resumed"),
    ],
)
def test_illegal_transitions_are_refused(director, portfolio, state, action, message):
    p = ProjectFactory(portfolio=portfolio, state=state)
    with pytest.raises(RebalanceRefused, match=message) as error:
        services.portfolio_rebalance(
            portfolio=portfolio, changes=[RebalanceChange(p.pk, action, 1)], by=director
        )
    assert p.pk in error.value.problems
    assert states([p]) == [state]


def test_one_refused_project_leaves_every_project_unchanged(director, portfolio, three):
    a, b, _ = three
    closed = ProjectFactory(portfolio=portfolio, code="Z-9", state="closed")
    with pytest.raises(RebalanceRefused, match="Z-9") as error:
        services.portfolio_rebalance(
            portfolio=portfolio,
            changes=[
                RebalanceChange(a.pk, "defer", 1),
                RebalanceChange(closed.pk, "cancel", 1),
                RebalanceChange(b.pk, "cancel", 1),
            ],
            by=director,
        )
    assert list(error.value.problems) == [closed.pk]
    assert states([a, b, closed]) == ["active", "approved", "closed"]


def test_a_project_changed_since_the_what_if_refuses_the_whole_rebalance(
    director, portfolio, three
):
    a, b, _ = three
    Project.objects.filter(pk=b.pk).update(version=2)
    with pytest.raises(RebalanceConflict) as error:
        services.portfolio_rebalance(
            portfolio=portfolio,
            changes=[RebalanceChange(a.pk, "defer", 1), RebalanceChange(b.pk, "cancel", 1)],
            by=director,
        )
    assert isinstance(error.value, ConflictError)
    assert [(p.code, v) for p, v in error.value.conflicts] == [("B-2", 1)]
    assert "B-2 (now approved)" in str(error.value)
    assert states([a, b]) == ["active", "approved"]


def test_a_failure_half_way_through_the_writes_rolls_everything_back(
    director, portfolio, three, monkeypatch
):
    from projects.services import lifecycle

    a, b, _ = three
    real = lifecycle.save_versioned
    calls = []

    def failing_second(obj, **kwargs):
        calls.append(obj.pk)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(obj, **kwargs)

    monkeypatch.setattr(lifecycle, "save_versioned", failing_second)
    with pytest.raises(RuntimeError):
        services.portfolio_rebalance(
            portfolio=portfolio,
            changes=[RebalanceChange(a.pk, "defer", 1), RebalanceChange(b.pk, "cancel", 1)],
            by=director,
        )
    assert calls == [a.pk, b.pk]
    assert states([a, b]) == ["active", "approved"]
    assert Project.objects.get(pk=a.pk).version == 1


def test_a_project_of_another_portfolio_is_refused(director, portfolio, other_project, three):
    with pytest.raises(RebalanceRefused, match="not a project of this portfolio"):
        services.portfolio_rebalance(
            portfolio=portfolio,
            changes=[
                RebalanceChange(three[0].pk, "defer", 1),
                RebalanceChange(other_project.pk, "cancel", 1),
            ],
            by=director,
        )
    assert states([three[0], other_project]) == ["active", "active"]


@pytest.mark.parametrize("persona", ["other_director", "executive", "pm"])
def test_only_the_portfolio_director_or_pmo_rebalances(request, portfolio, three, persona):
    with pytest.raises(DomainError, match="director or the PMO"):
        services.portfolio_rebalance(
            portfolio=portfolio,
            changes=[RebalanceChange(three[0].pk, "defer", 1)],
            by=request.getfixturevalue(persona),
        )


def test_a_rebalance_needs_a_change_and_each_project_once(pmo, portfolio, three):
    with pytest.raises(DomainError, match="at least one"):
        services.portfolio_rebalance(
            portfolio=portfolio, changes=[RebalanceChange(three[0].pk, "keep", 1)], by=pmo
        )
    with pytest.raises(DomainError, match="once per rebalance"):
        services.portfolio_rebalance(
            portfolio=portfolio,
            changes=[
                RebalanceChange(three[0].pk, "defer", 1),
                RebalanceChange(three[0].pk, "cancel", 1),
            ],
            by=pmo,
        )
