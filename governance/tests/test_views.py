"""The prioritisation pages: who may open and change what, forms and htmx fragments, the
what-if and its apply step, and constant query counts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from governance.scoring import stamp
from governance.selectors.scores import project_scores
from governance.tests.factories import AllocationFactory, CriterionFactory, ScoreFactory
from portfolio.capacity import yearly_capacity
from portfolio.models import ScoringCriterion
from portfolio.selectors import current_fiscal_year
from portfolio.tests.factories import PortfolioBudgetFactory, ResourceFactory, UserFactory
from ppm.navigation import items_for
from projects.models import Project, ProjectScore
from projects.tests.factories import CostLineFactory, ProjectFactory

pytestmark = pytest.mark.django_db
D = Decimal
HTMX = {"HX-Request": "true"}


def scores_url(portfolio) -> str:
    return reverse("governance:scores", args=[portfolio.pk])


def ranking_url(portfolio) -> str:
    return reverse("governance:ranking", args=[portfolio.pk])


def apply_url(portfolio) -> str:
    return reverse("governance:ranking-apply", args=[portfolio.pk])


@pytest.fixture
def fit():
    return CriterionFactory(name="Strategic fit", weight=D("3"))


@pytest.fixture
def risk():
    return CriterionFactory(name="Delivery risk", weight=D("1"), higher_is_better=False)


@pytest.fixture
def plan(portfolio, project, fit):
    """ERP-01 (score 5, €600k) and CRM-02 (score 3, €300k) fit a €1m envelope; PRO-03
    (unscored, €200k) does not. Budgets sit in December, so they all lie ahead whatever the date."""
    fy = current_fiscal_year()
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=fy, amount=D("1000000"))
    crm = ProjectFactory(
        portfolio=portfolio, code="CRM-02", name="Customer portal", state="approved"
    )
    pro = ProjectFactory(portfolio=portfolio, code="PRO-03", name="Data lake", state="proposed")
    for p, amount in ((project, "600000"), (crm, "300000"), (pro, "200000")):
        CostLineFactory(project=p, month=date(fy, 12, 1), planned=D(amount))
    ScoreFactory(project=project, criterion=fit, score=5)
    ScoreFactory(project=crm, criterion=fit, score=3)
    devs = ResourceFactory(group="Developers", capacity_hours_per_week=D("37.5"))
    AllocationFactory(project=project, resource=devs, month=date(fy, 12, 1), hours=D("160"))
    return {"erp": project, "crm": crm, "pro": pro, "fy": fy}


# --- Navigation and links --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("director", True), ("pmo", True), ("executive", True), ("pm", False)],
)
def test_scoring_criteria_are_in_the_navigation_of_portfolio_roles(request, persona, shown):
    labels = [item.label for item in items_for(request.getfixturevalue(persona))]
    assert ("Scoring criteria" in labels) is shown


def test_the_portfolio_page_links_to_scores_and_ranking(client, director, portfolio):
    client.force_login(director)
    text = client.get(reverse("reporting:portfolio-detail", args=[portfolio.pk])).text
    assert f'href="{scores_url(portfolio)}"' in text
    assert f'href="{ranking_url(portfolio)}"' in text


# --- Criteria --------------------------------------------------------------------------------


def test_the_pmo_adds_a_criterion(client, pmo):
    client.force_login(pmo)
    response = client.post(
        reverse("governance:criterion-add"),
        {
            "name": "Regulatory need",
            "description": "Is it required by law?",
            "weight": "2.5",
            "scale_min": "0",
            "scale_max": "10",
            "direction": "higher",
            "active": "on",
        },
    )
    assert response.status_code == 302
    criterion = ScoringCriterion.objects.get(name="Regulatory need")
    assert (criterion.weight, criterion.scale_max, criterion.active) == (D("2.50"), 10, True)
    page = client.get(reverse("governance:criteria")).text
    assert "Regulatory need" in page and "Criterion “Regulatory need” added." in page


def test_a_bad_scale_is_refused_next_to_its_field_and_the_input_kept(client, pmo):
    client.force_login(pmo)
    response = client.post(
        reverse("governance:criterion-add"),
        {
            "name": "Urgency",
            "weight": "1",
            "scale_min": "5",
            "scale_max": "3",
            "direction": "lower",
        },
    )
    assert response.status_code == 200
    assert 'id="id_scale_max_error"' in response.text
    assert "The top of the scale must be above its bottom." in response.text
    assert 'value="Urgency"' in response.text
    assert not ScoringCriterion.objects.filter(name="Urgency").exists()


def test_the_pmo_edits_weights_and_a_concurrent_edit_is_shown_not_lost(client, pmo, fit):
    client.force_login(pmo)
    url = reverse("governance:criterion-edit", args=[fit.pk])
    form = {
        "name": "Strategic fit",
        "weight": "5",
        "scale_min": "1",
        "scale_max": "5",
        "direction": "higher",
        "active": "on",
        "version": "1",
    }
    assert client.post(url, form).status_code == 302
    fit.refresh_from_db()
    assert (fit.weight, fit.version) == (D("5.00"), 2)
    # Someone else's screen still holds version 1.
    response = client.post(url, {**form, "weight": "7"})
    assert response.status_code == 200
    assert 'data-testid="conflict"' in response.text
    assert 'name="version" value="2"' in response.text
    assert 'value="7"' in response.text
    fit.refresh_from_db()
    assert fit.weight == D("5.00")


def test_the_pmo_deactivates_and_reactivates_a_criterion(client, pmo, fit, risk, project):
    ScoreFactory(project=project, criterion=risk)
    client.force_login(pmo)
    url = reverse("governance:criterion-active", args=[risk.pk])
    response = client.post(url, {"active": "0", "version": "1"}, follow=True)
    assert (
        "Criterion “Delivery risk” deactivated: the priority scores of 1 project" in response.text
    )
    risk.refresh_from_db()
    assert (risk.active, risk.version) == (False, 2)
    stale = client.post(url, {"active": "1", "version": "1"}, follow=True)
    assert "was changed by someone else" in stale.text
    risk.refresh_from_db()
    assert risk.active is False


@pytest.mark.parametrize("persona", ["director", "executive"])
def test_directors_and_executives_read_the_criteria_but_change_nothing(
    client, request, persona, fit
):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("governance:criteria"))
    assert page.status_code == 200
    assert "Strategic fit" in page.text and "Add criterion" not in page.text
    assert client.get(reverse("governance:criterion-add")).status_code == 403
    assert client.get(reverse("governance:criterion-edit", args=[fit.pk])).status_code == 403
    edit = client.post(reverse("governance:criterion-edit", args=[fit.pk]), {"weight": "9"})
    assert edit.status_code == 403
    toggle = reverse("governance:criterion-active", args=[fit.pk])
    assert client.post(toggle, {"active": "0", "version": "1"}).status_code == 403
    fit.refresh_from_db()
    assert (fit.weight, fit.active) == (D("3.00"), True)


@pytest.mark.parametrize("persona", ["pm", "outsider"])
def test_people_without_a_portfolio_role_cannot_see_the_criteria(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("governance:criteria")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, portfolio, fit):
    for url in [
        reverse("governance:criteria"),
        reverse("governance:criterion-add"),
        reverse("governance:criterion-edit", args=[fit.pk]),
        scores_url(portfolio),
        ranking_url(portfolio),
        apply_url(portfolio),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url


def test_a_missing_criterion_is_404_for_the_pmo(client, pmo):
    client.force_login(pmo)
    assert client.get(reverse("governance:criterion-edit", args=[999999])).status_code == 404


# --- Scores ----------------------------------------------------------------------------------


def row_post(project, criteria_scores: dict, *, stamp_value: str | None = None) -> dict:
    prefix = f"p{project.pk}"
    data = {
        "project": str(project.pk),
        f"{prefix}-stamp": stamp_value
        if stamp_value is not None
        else stamp(project_scores([project.pk]).get(project.pk, [])),
    }
    for criterion, (score, comment) in criteria_scores.items():
        data[f"{prefix}-score_{criterion.pk}"] = "" if score is None else str(score)
        data[f"{prefix}-comment_{criterion.pk}"] = comment
    return data


def test_a_director_saves_a_row_of_scores_with_htmx(
    client, director, portfolio, project, fit, risk
):
    client.force_login(director)
    page = client.get(scores_url(portfolio))
    assert page.status_code == 200
    assert f'name="p{project.pk}-score_{fit.pk}"' in page.text
    assert 'min="1"' in page.text and 'max="5"' in page.text
    response = client.post(
        scores_url(portfolio),
        row_post(project, {fit: (4, "Core of the finance strategy"), risk: (2, "")}),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<tbody")
    assert "Scores of ERP-01 saved." in response.text
    # (3 × (4−1)/4 + 1 × (5−2)/4) / 4 × 100: risk is lower-is-better.
    assert f'data-testid="priority-{project.code}">75.0' in response.text
    scores = dict(ProjectScore.objects.values_list("criterion__name", "score"))
    assert scores == {"Strategic fit": 4, "Delivery risk": 2}


def test_a_score_outside_the_scale_is_shown_next_to_its_field_and_nothing_saved(
    client, director, portfolio, project, fit, risk
):
    client.force_login(director)
    response = client.post(
        scores_url(portfolio), row_post(project, {fit: (4, ""), risk: (9, "")}), headers=HTMX
    )
    assert response.status_code == 200
    field = f"p{project.pk}-score_{risk.pk}"
    assert f'data-testid="error-{field}">From 1 to 5.' in response.text
    assert re.search(rf'name="{field}"[^>]* value="9"', response.text)
    assert not ProjectScore.objects.exists()


def test_a_row_changed_by_someone_else_shows_the_conflict_and_keeps_the_input(
    client, director, pmo, portfolio, project, fit
):
    loaded = stamp([])
    ScoreFactory(project=project, criterion=fit, score=2, scored_by=pmo)
    client.force_login(director)
    response = client.post(
        scores_url(portfolio),
        row_post(project, {fit: (5, "")}, stamp_value=loaded),
        headers=HTMX,
    )
    assert 'data-testid="conflict"' in response.text
    assert "pat.pmo changed the scores of ERP-01" in response.text
    assert "Nothing was saved." in response.text
    assert re.search(rf'name="p{project.pk}-score_{fit.pk}"[^>]* value="5"', response.text)
    fresh = stamp(project_scores([project.pk])[project.pk])
    assert f'value="{fresh}"' in response.text
    assert ProjectScore.objects.get().score == 2


def test_without_javascript_a_row_posts_and_the_page_comes_back(
    client, director, portfolio, project, fit
):
    client.force_login(director)
    saved = client.post(scores_url(portfolio), row_post(project, {fit: (3, "")}))
    assert saved.status_code == 302 and saved.url.endswith(f"#row-{project.pk}")
    bad = client.post(scores_url(portfolio), row_post(project, {fit: ("x", "")}))
    assert bad.status_code == 200 and "<html" in bad.text
    assert "A whole number from 1 to 5." in bad.text


def test_a_save_must_name_a_live_project_of_the_portfolio(
    client, director, portfolio, other_project, fit
):
    client.force_login(director)
    assert client.post(scores_url(portfolio), {}).status_code == 400
    other = client.post(scores_url(portfolio), row_post(other_project, {fit: (3, "")}))
    assert other.status_code == 400
    closed = ProjectFactory(portfolio=portfolio, state="closed")
    assert client.post(scores_url(portfolio), row_post(closed, {fit: (3, "")})).status_code == 400
    assert not ProjectScore.objects.exists()


def test_an_executive_reads_the_scores_but_cannot_save(client, executive, portfolio, project, fit):
    ScoreFactory(project=project, criterion=fit, score=4, comment="Board priority")
    client.force_login(executive)
    page = client.get(scores_url(portfolio))
    assert page.status_code == 200
    assert "Board priority" in page.text and "<input" not in page.text.split("score-grid")[1]
    response = client.post(scores_url(portfolio), row_post(project, {fit: (1, "")}))
    assert response.status_code == 403
    assert ProjectScore.objects.get().score == 4


@pytest.mark.parametrize("persona", ["other_director", "pm", "outsider"])
def test_the_scores_are_refused_outside_the_portfolio(
    client, request, persona, portfolio, project, fit
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(scores_url(portfolio)).status_code == 403
    assert client.post(scores_url(portfolio), row_post(project, {fit: (1, "")})).status_code == 403
    assert not ProjectScore.objects.exists()


@pytest.mark.parametrize("size", [2, 25])
def test_the_score_grid_takes_a_fixed_number_of_queries(
    client, director, portfolio, fit, risk, django_assert_num_queries, size
):
    for i in range(size):
        p = ProjectFactory(portfolio=portfolio, code=f"S-{i:03d}", manager=UserFactory())
        ScoreFactory(project=p, criterion=fit, scored_by=director)
    client.force_login(director)
    # session, user, roles, portfolio, scope check, criteria, projects, scores
    with django_assert_num_queries(8):
        response = client.get(scores_url(portfolio))
    assert len(response.context["forms"]) == size


# --- Ranking and what-if ---------------------------------------------------------------------


def test_the_ranking_shows_the_order_the_cut_line_and_capacity(client, director, portfolio, plan):
    client.force_login(director)
    response = client.get(ranking_url(portfolio))
    assert response.status_code == 200
    ranking = response.context["ranking"]
    assert [r.facts.code for r in ranking.rows] == ["ERP-01", "CRM-02", "PRO-03"]
    assert [r.now.fits for r in ranking.rows] == [True, True, False]
    text = response.text
    assert text.index("CRM-02") < text.index('data-testid="cut-line"') < text.index("PRO-03")
    assert "€100,000" in text and "left at the line" in text
    assert "Does not fit" in text
    (devs,) = ranking.capacity
    # 37.5 h a week over the working days of this fiscal year (1,950–1,965 h by year).
    year_hours = yearly_capacity(D("37.5"), current_fiscal_year())
    assert (devs.capacity, devs.mine_now) == (year_hours, D("160.0"))
    assert devs.utilisation_now == (D(16000) / year_hours).quantize(D("0.1"))
    assert 'data-testid="apply-link"' not in text  # nothing toggled yet


def test_a_what_if_is_a_fragment_that_moves_the_cut_line_and_saves_nothing(
    client, director, portfolio, plan
):
    erp = plan["erp"]
    client.force_login(director)
    response = client.get(ranking_url(portfolio), {f"act-{erp.pk}": "defer"}, headers=HTMX)
    assert response.status_code == 200
    text = response.text
    assert "<html" not in text and 'id="whatif"' in text
    ranking = response.context["ranking"]
    assert ranking.released == D("600000")
    assert [r.whatif.fits for r in ranking.rows] == [None, True, True]
    assert "Now above the cut line: <strong>PRO-03</strong>" in text
    assert 'data-testid="planned-delta">−€600,000' in text
    assert f'name="v-{erp.pk}" value="1"' in text
    assert f"act-{erp.pk}=defer&amp;v-{erp.pk}=1" in text  # the apply link carries the version
    erp.refresh_from_db()
    assert (erp.state, erp.version) == ("active", 1)


def test_a_malformed_fiscal_year_is_a_400(client, director, portfolio):
    client.force_login(director)
    assert client.get(ranking_url(portfolio), {"fy": "20x6"}).status_code == 400
    assert client.get(ranking_url(portfolio), {"fy": "1999"}).status_code == 400


def test_without_an_envelope_the_page_says_so(client, director, portfolio, project):
    client.force_login(director)
    response = client.get(ranking_url(portfolio), {"fy": "2031"})
    assert 'data-testid="no-envelope"' in response.text
    assert 'data-testid="cut-line"' not in response.text


def test_the_apply_step_lists_the_changes_and_applies_them_with_a_reason(
    client, director, portfolio, plan
):
    erp, pro = plan["erp"], plan["pro"]
    client.force_login(director)
    query = {
        f"act-{erp.pk}": "defer",
        f"v-{erp.pk}": "1",
        f"act-{pro.pk}": "cancel",
        f"v-{pro.pk}": "1",
    }
    confirm = client.get(apply_url(portfolio), query)
    assert confirm.status_code == 200
    assert "2 changes will be made" in confirm.text
    assert 'data-testid="apply-ERP-01"' in confirm.text and "releases €600,000" in confirm.text
    missing_reason = client.post(apply_url(portfolio), {**query, "fy": plan["fy"]})
    assert missing_reason.status_code == 400
    assert "Give the reason for this rebalance" in missing_reason.text
    assert Project.objects.get(pk=erp.pk).state == "active"
    done = client.post(
        apply_url(portfolio), {**query, "fy": plan["fy"], "reason": "Q4 funding freeze"}
    )
    assert done.status_code == 302 and done.url.startswith(ranking_url(portfolio))
    assert Project.objects.get(pk=erp.pk).state == "on_hold"
    assert Project.objects.get(pk=pro.pk).state == "cancelled"
    page = client.get(done.url)
    assert "Portfolio rebalanced: ERP-01 deferred (on hold); PRO-03 cancelled." in page.text


def test_a_project_changed_since_the_what_if_refuses_the_apply(client, director, portfolio, plan):
    erp, crm = plan["erp"], plan["crm"]
    Project.objects.filter(pk=crm.pk).update(version=2)
    client.force_login(director)
    query = {
        f"act-{erp.pk}": "defer",
        f"v-{erp.pk}": "1",
        f"act-{crm.pk}": "cancel",
        f"v-{crm.pk}": "1",
    }
    confirm = client.get(apply_url(portfolio), query)
    assert 'data-testid="apply-stale"' in confirm.text and "CRM-02" in confirm.text
    response = client.post(apply_url(portfolio), {**query, "reason": "Freeze"})
    assert response.status_code == 409
    assert "changed since you built the what-if" in response.text
    assert [p.state for p in Project.objects.filter(pk__in=[erp.pk, crm.pk]).order_by("pk")] == [
        "active",
        "approved",
    ]


def test_an_illegal_move_in_a_crafted_post_is_refused(client, director, portfolio, plan):
    pro = plan["pro"]
    client.force_login(director)
    response = client.post(
        apply_url(portfolio), {f"act-{pro.pk}": "defer", f"v-{pro.pk}": "1", "reason": "x"}
    )
    assert response.status_code == 400
    assert "cannot be put on hold" in response.text
    assert Project.objects.get(pk=pro.pk).state == "proposed"


def test_the_apply_step_without_changes_goes_back_to_the_ranking(client, director, portfolio):
    client.force_login(director)
    response = client.get(apply_url(portfolio))
    assert response.status_code == 302 and response.url.startswith(ranking_url(portfolio))


def test_an_executive_plays_with_the_what_if_but_cannot_apply(client, executive, portfolio, plan):
    erp = plan["erp"]
    client.force_login(executive)
    whatif = client.get(ranking_url(portfolio), {f"act-{erp.pk}": "defer"})
    assert whatif.status_code == 200
    assert 'data-testid="whatif-bar"' in whatif.text
    assert 'data-testid="apply-link"' not in whatif.text
    assert "only the portfolio's director or the PMO can apply" in whatif.text
    query = {f"act-{erp.pk}": "defer", f"v-{erp.pk}": "1"}
    assert client.get(apply_url(portfolio), query).status_code == 403
    assert client.post(apply_url(portfolio), {**query, "reason": "x"}).status_code == 403
    assert Project.objects.get(pk=erp.pk).state == "active"


@pytest.mark.parametrize("persona", ["other_director", "pm", "outsider"])
def test_the_ranking_is_refused_outside_the_portfolio(client, request, persona, portfolio, plan):
    erp = plan["erp"]
    client.force_login(request.getfixturevalue(persona))
    assert client.get(ranking_url(portfolio)).status_code == 403
    query = {f"act-{erp.pk}": "defer", f"v-{erp.pk}": "1", "reason": "x"}
    assert client.get(apply_url(portfolio), query).status_code == 403
    assert client.post(apply_url(portfolio), query).status_code == 403
    assert client.post(ranking_url(portfolio)).status_code in (403, 405)
    assert Project.objects.get(pk=erp.pk).state == "active"


def populate(portfolio, fit, size: int) -> list[Project]:
    fy = current_fiscal_year()
    devs = ResourceFactory(group="Developers")
    testers = ResourceFactory(group="Testers")
    projects = []
    for i in range(size):
        p = ProjectFactory(
            portfolio=portfolio,
            code=f"R-{i:03d}",
            manager=UserFactory(),
            state=["active", "approved", "proposed", "on_hold"][i % 4],
        )
        CostLineFactory(project=p, month=date(fy, 12, 1), planned=D(1000 * (i + 1)))
        if i % 3:
            ScoreFactory(project=p, criterion=fit, score=1 + i % 5)
        for resource in (devs, testers):
            AllocationFactory(project=p, resource=resource, month=date(fy, 12, 1))
        projects.append(p)
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=fy, amount=D(1000 * size))
    return projects


@pytest.mark.parametrize("size", [3, 40])
def test_the_ranking_and_its_what_if_take_a_fixed_number_of_queries(
    client, director, portfolio, fit, django_assert_num_queries, size
):
    projects = populate(portfolio, fit, size)
    client.force_login(director)
    # session, user, roles, portfolio, scope check, the fiscal-year start for the current
    # year, then the ranking's seven reads
    with django_assert_num_queries(13):
        page = client.get(ranking_url(portfolio))
    assert len(page.context["ranking"].rows) == size
    toggles = {f"act-{p.pk}": "cancel" for p in projects[::2]}
    with django_assert_num_queries(13):
        fragment = client.get(ranking_url(portfolio), toggles, headers=HTMX)
    assert len(fragment.context["ranking"].changes) == len(toggles)
    with django_assert_num_queries(13):
        client.get(apply_url(portfolio), toggles)


def test_a_criterion_added_after_the_page_loaded_is_not_cleared_by_a_row_save(
    client, director, portfolio, project, fit
):
    data = row_post(project, {fit: (4, "")})  # the page as loaded: one criterion
    later = CriterionFactory(name="Added later")
    ScoreFactory(project=project, criterion=later, score=2)
    data[f"p{project.pk}-stamp"] = stamp(project_scores([project.pk])[project.pk])
    client.force_login(director)
    client.post(scores_url(portfolio), data, headers=HTMX)
    assert dict(ProjectScore.objects.values_list("criterion__name", "score")) == {
        "Strategic fit": 4,
        "Added later": 2,
    }


def test_the_score_grid_pages_and_finds_projects(client, director, portfolio, fit):
    for i in range(55):
        ProjectFactory(portfolio=portfolio, code=f"G-{i:03d}", name=f"Grid project {i}")
    client.force_login(director)
    first = client.get(scores_url(portfolio))
    assert [f.row.project.code for f in first.context["forms"]][:2] == ["G-000", "G-001"]
    assert len(first.context["forms"]) == 50 and "1–50 of 55" in first.text
    second = client.get(scores_url(portfolio), {"page": 2}, headers=HTMX)
    assert second.text.lstrip().startswith('<div class="table-card score-grid"')
    assert [f.row.project.code for f in second.context["forms"]] == [
        "G-050",
        *[f"G-05{i}" for i in range(1, 5)],
    ]
    found = client.get(scores_url(portfolio), {"q": "project 42"})
    assert [f.row.project.code for f in found.context["forms"]] == ["G-042"]
