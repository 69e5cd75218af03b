"""Intake requests through their pages: anyone signed in writes one (bad input answered next to
the field, nothing saved, what was typed kept), fills the checklist of its first gate, submits
it into an intake review, withdraws it; who may see which request."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from governance.choices import IntakeState, ReviewKind, ReviewState
from governance.models import CriterionCheck, Evidence, IntakeRequest, Review, Workflow
from governance.services import intake as intake_services
from governance.services import reviews
from governance.tests.gates import published_workflow
from portfolio.models import StrategicObjective
from portfolio.tests.factories import make_user
from ppm.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(pmo):
    return published_workflow(
        pmo,
        [
            {
                "name": "Idea",
                "phase": "Business case",
                "portfolio_director": True,
                "criteria": [("Sponsor found", False)],
            },
            {"name": "Plan", "phase": "Build", "portfolio_director": True},
        ],
    )


@pytest.fixture
def objective(portfolio):
    return StrategicObjective.objects.create(portfolio=portfolio, name="Grow online sales")


def _form(portfolio, **changes) -> dict:
    data = {
        "title": "Customer portal",
        "portfolio": portfolio.pk,
        "category": "software",
        "problem": "Customers phone us for every order status.",
        "solution": "A self-service portal.",
        "benefits": "Fewer calls; 2 FTE saved.",
        "risks": "Integration with the ERP.",
        "cost_estimate": "250,000",
        "desired_start": "2027-01-01",
        "duration_months": "9",
        "proposed_manager": "",
        "action": "save",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _draft(by, portfolio, pm=None, **changes) -> IntakeRequest:
    fields = {
        "title": "Customer portal",
        "portfolio": portfolio,
        "category": "software",
        "problem": "Customers phone us.",
        "solution": "A portal.",
        "benefits": "Fewer calls.",
        "risks": "The ERP.",
        "cost_estimate": Decimal("250000.00"),
        "desired_start": date(2027, 1, 1),
        "duration_months": 9,
        "proposed_manager": pm,
        **changes,
    }
    return intake_services.intake_save(by=by, data=intake_services.IntakeInput(**fields))


def _submitted(by, portfolio, pm=None) -> IntakeRequest:
    intake = _draft(by, portfolio, pm)
    gate = intake_services.intake_first_gate(intake)
    for criterion in gate.criteria.all():
        reviews.criterion_check_set(target=intake, criterion=criterion, by=by, met=True, note="")
    intake_services.intake_submit(intake=intake, by=by, expected_version=intake.version)
    intake.refresh_from_db()
    return intake


def _detail(intake) -> str:
    return reverse("governance:intake-detail", args=[intake.pk])


# --- The form --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "pm", "executive", "director", "pmo"])
def test_anyone_signed_in_opens_the_list_and_the_form(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    listing = client.get(reverse("governance:intake-list"))
    assert listing.status_code == 200
    assert reverse("governance:intake-new") in listing.text
    form = client.get(reverse("governance:intake-new"))
    assert form.status_code == 200
    for name in ("title", "portfolio", "cost_estimate", "desired_start", "proposed_manager"):
        assert f'name="{name}"' in form.text


def test_a_draft_is_saved_with_money_dates_and_objectives(
    client, outsider, portfolio, pm, objective, version
):
    shared = StrategicObjective.objects.create(portfolio=None, name="Reduce cyber risk")
    client.force_login(outsider)
    response = client.post(
        reverse("governance:intake-new"),
        _form(
            portfolio,
            cost_estimate="€1,250,000.50",
            objectives=[objective.pk, shared.pk],
            proposed_manager=pm.pk,
        ),
    )
    intake = IntakeRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == _detail(intake)
    assert (intake.state, intake.requested_by, intake.proposed_manager) == (
        IntakeState.DRAFT,
        outsider,
        pm,
    )
    assert intake.cost_estimate == Decimal("1250000.50")
    assert intake.desired_start == date(2027, 1, 1)
    assert set(intake.objectives.all()) == {objective, shared}  # the organisation's too
    page = client.get(_detail(intake)).text
    assert "Sponsor found" in page  # the first gate's checklist
    assert "Before you can submit the request" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Give the request a title."),
        ("portfolio", "", "Choose the portfolio the project would belong to."),
        ("category", "", "Choose a category."),
        ("category", "rocketry", "Choose a category from the list."),
        ("problem", "", "This is needed to decide on the request."),
        ("solution", "   ", "This is needed to decide on the request."),
        ("benefits", "", "This is needed to decide on the request."),
        ("risks", "", "This is needed to decide on the request."),
        ("cost_estimate", "", "Give a cost estimate"),
        ("cost_estimate", "-5", "Amounts cannot be negative."),
        ("cost_estimate", "10.1234", "Amounts have at most two decimals."),
        ("cost_estimate", "lots", "lots"),
        ("cost_estimate", "99999999999999999", "That amount is too large."),
        ("desired_start", "", "Give the month you would like it to start."),
        ("desired_start", "next spring", "Enter a date such as 2027-01-15."),
        ("desired_start", "9999-12-31", "Dates run from 1 Jan 1990 to 31 Dec 2100"),
        ("duration_months", "0", "The duration is 1 to 120 months."),
        ("duration_months", "121", "The duration is 1 to 120 months."),
        ("duration_months", "nine", "A whole number of months, 1 to 120."),
        ("proposed_manager", "999999", "Choose a project manager from the list."),
    ],
)
def test_bad_input_is_answered_next_to_its_field_and_nothing_is_saved(
    client, outsider, portfolio, field, value, message
):
    client.force_login(outsider)
    kept = "risks" if field == "benefits" else "benefits"
    data = {**_form(portfolio), kept: "Keep my words", field: value}
    response = client.post(reverse("governance:intake-new"), data)
    assert response.status_code == 200
    text = response.text.replace("&#x27;", "'")
    error = text.split(f'id="id_{field}_error"')[1].split("</div></div>")[0]
    assert message in error
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in text or (
        f'aria-describedby="id_{field}_error"' in text
    )
    assert not IntakeRequest.objects.exists()
    assert "Keep my words</textarea>" in text  # what was typed is kept
    if value.strip() and field not in ("portfolio", "category", "proposed_manager"):
        assert value in text


def test_objectives_of_another_portfolio_are_refused(
    client, outsider, portfolio, other_portfolio, objective
):
    foreign = StrategicObjective.objects.create(portfolio=other_portfolio, name="Cut hosting")
    client.force_login(outsider)
    response = client.post(
        reverse("governance:intake-new"), _form(portfolio, objectives=[objective.pk, foreign.pk])
    )
    error = response.text.split('id="id_objectives_error"')[1].split("</div></div>")[0]
    assert "Choose objectives of the request's portfolio or the organisation's." in error.replace(
        "&#x27;", "'"
    )
    assert not IntakeRequest.objects.exists()
    # Both boxes stay ticked, under their portfolios' names.
    assert f'value="{foreign.pk}" id="id_objectives_{foreign.pk}" checked' in response.text


def test_a_manager_without_the_role_is_not_offered(client, outsider, portfolio, pm):
    make_user("no.role.person", first_name="Zed")
    client.force_login(outsider)
    text = client.get(reverse("governance:intake-new")).text
    assert "Ana Silva" in text and "Zed" not in text


# --- Submitting ------------------------------------------------------------------------------


def test_the_checklist_is_ticked_and_the_request_submitted_into_an_intake_review(
    client, outsider, portfolio, director, pm, version
):
    intake = _draft(outsider, portfolio, pm)
    criterion = intake_services.intake_first_gate(intake).criteria.get()
    client.force_login(outsider)
    prefix = f"c{criterion.pk}"
    tick = client.post(
        reverse("governance:intake-check", args=[intake.pk, criterion.pk]),
        {f"{prefix}-met": "on", f"{prefix}-note": "Head of sales"},
    )
    assert tick.status_code == 302
    assert CriterionCheck.objects.get(intake=intake).note == "Head of sales"
    link = client.post(
        reverse("governance:intake-evidence", args=[intake.pk, criterion.pk]),
        {f"{prefix}-link": "https://wiki.example.org/sponsor"},
    )
    assert link.status_code == 302 and Evidence.objects.filter(intake=intake).count() == 1

    response = client.post(
        reverse("governance:intake-submit", args=[intake.pk]), {"version": intake.version}
    )
    assert response.status_code == 302
    intake.refresh_from_db()
    review = Review.objects.get(intake=intake)
    assert intake.state == IntakeState.IN_REVIEW
    assert (review.kind, review.state, review.gate.name) == (
        ReviewKind.INTAKE,
        ReviewState.OPEN,
        "Idea",
    )
    assert [s.holders for s in review.seats.all()] == [[director.pk]]
    assert review.checklist[0]["evidence"][0]["link"] == "https://wiki.example.org/sponsor"


def test_save_and_submit_with_an_open_checklist_keeps_a_draft_and_says_why(
    client, outsider, portfolio, version
):
    client.force_login(outsider)
    response = client.post(reverse("governance:intake-new"), _form(portfolio, action="submit"))
    intake = IntakeRequest.objects.get()
    assert intake.state == IntakeState.DRAFT and not Review.objects.exists()
    page = client.get(response["Location"]).text
    assert "Saved as a draft, not submitted yet" in page and "Sponsor found" in page


def test_without_a_published_workflow_the_page_says_so(client, outsider, portfolio):
    Workflow.objects.update(is_default=False)  # no default, no selection rule
    intake = _draft(outsider, portfolio)
    client.force_login(outsider)
    text = client.get(_detail(intake)).text
    assert "No published workflow applies" in text


def test_a_request_in_review_cannot_be_edited(client, outsider, portfolio, pm, version):
    intake = _submitted(outsider, portfolio, pm)
    client.force_login(outsider)
    edit = reverse("governance:intake-edit", args=[intake.pk])
    response = client.get(edit, follow=True)
    assert response.redirect_chain[-1][0] == _detail(intake)
    assert "In review: it cannot be changed now" in response.text.replace("in review", "In review")
    client.post(edit, _form(portfolio, title="Sneaky", version=intake.version))
    intake.refresh_from_db()
    assert intake.title == "Customer portal"
    criterion = intake_services.intake_first_gate(intake).criteria.get()
    refused = client.post(
        reverse("governance:intake-check", args=[intake.pk, criterion.pk]),
        {f"c{criterion.pk}-note": "late"},
        follow=True,
    )
    assert "its checklist is frozen" in refused.text
    assert CriterionCheck.objects.get(intake=intake).note == ""
    assert "Attach evidence" not in client.get(_detail(intake)).text


def test_the_author_edits_a_draft(client, outsider, portfolio, version):
    intake = _draft(outsider, portfolio)
    client.force_login(outsider)
    edit = reverse("governance:intake-edit", args=[intake.pk])
    page = client.get(edit).text
    assert 'value="250,000.00"' in page and 'value="2027-01-01"' in page
    response = client.post(edit, _form(portfolio, title="Customer portal v2", version="1"))
    assert response.status_code == 302
    intake.refresh_from_db()
    assert (intake.title, intake.version) == ("Customer portal v2", 2)
    stale = client.post(edit, _form(portfolio, title="From an old tab", version="1"))
    assert "changed in another window" in stale.text
    assert 'value="From an old tab"' in stale.text


def test_the_author_withdraws_a_request_in_review(client, outsider, portfolio, pm, version):
    intake = _submitted(outsider, portfolio, pm)
    client.force_login(outsider)
    response = client.post(
        reverse("governance:intake-withdraw", args=[intake.pk]), {"version": intake.version}
    )
    assert response.status_code == 302
    intake.refresh_from_db()
    assert intake.state == IntakeState.WITHDRAWN
    assert Review.objects.get(intake=intake).state == ReviewState.WITHDRAWN
    text = client.get(_detail(intake)).text
    assert "Withdraw the request" not in text and "Submit" not in text


def test_a_stale_withdraw_changes_nothing(client, outsider, portfolio, version):
    intake = _draft(outsider, portfolio)
    client.force_login(outsider)
    response = client.post(
        reverse("governance:intake-withdraw", args=[intake.pk]), {"version": 7}, follow=True
    )
    assert "changed in another window" in response.text
    intake.refresh_from_db()
    assert intake.state == IntakeState.DRAFT


def test_a_returned_request_shows_the_reviewers_comments(
    client, outsider, portfolio, director, version
):
    intake = _submitted(outsider, portfolio)
    review = Review.objects.get(intake=intake)
    reviews.review_decide(review=review, by=director, verdict="reject", comment="Quantify it.")
    client.force_login(outsider)
    text = client.get(_detail(intake)).text
    returned = text.split('data-testid="returned"')[1].split("</section>")[0]
    assert "Quantify it." in returned and "Dora Director" in returned
    assert "Submit again" in text
    assert 'data-testid="no-manager"' in text


# --- Who sees what ---------------------------------------------------------------------------


def test_an_executive_reads_a_submitted_request_and_changes_nothing(
    client, pm, portfolio, version, executive
):
    intake = _submitted(pm, portfolio, pm)
    client.force_login(executive)
    assert client.get(reverse("governance:intake-detail", args=[intake.pk])).status_code == 200
    assert client.get(reverse("governance:intake-edit", args=[intake.pk])).status_code == 403
    withdraw = reverse("governance:intake-withdraw", args=[intake.pk])
    assert client.post(withdraw).status_code == 403
    intake.refresh_from_db()
    assert intake.state == "in_review"


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "outsider"])
def test_other_peoples_requests_are_not_found(client, request, pm, portfolio, version, persona):
    intake = _submitted(pm, portfolio, pm)
    client.force_login(request.getfixturevalue(persona))
    for name in ("intake-detail", "intake-edit"):
        assert client.get(reverse(f"governance:{name}", args=[intake.pk])).status_code == 404
    for name in ("intake-submit", "intake-withdraw"):
        url = reverse(f"governance:{name}", args=[intake.pk])
        assert client.post(url, {"version": 1}).status_code == 404


@pytest.mark.parametrize("persona", ["director", "pmo"])
def test_the_portfolios_director_and_the_pmo_read_a_submitted_request_only(
    client, request, outsider, portfolio, version, persona
):
    draft = _draft(outsider, portfolio, title="Half-written")
    submitted = _submitted(outsider, portfolio)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(_detail(draft)).status_code == 404  # a draft is its author's
    page = client.get(_detail(submitted))
    assert page.status_code == 200 and "Edit" not in page.text.split("<main")[1].split("</h1>")[0]
    assert client.get(reverse("governance:intake-edit", args=[submitted.pk])).status_code == 403
    withdraw = reverse("governance:intake-withdraw", args=[submitted.pk])
    assert client.post(withdraw, {"version": 1}).status_code == 403
    listing = client.get(reverse("governance:intake-list")).text
    assert "Customer portal" in listing and "Half-written" not in listing


def test_a_seat_holder_reads_the_request_they_review(client, outsider, portfolio, pmo):
    approver = make_user("amy.approver", Role.PROJECT_MANAGER)
    published_workflow(
        pmo,
        [
            {
                "name": "Idea",
                "phase": "Business case",
                "approver_users": [approver],
                "criteria": [("Sponsor found", False)],
            }
        ],
    )
    intake = _submitted(outsider, portfolio)
    client.force_login(approver)
    assert client.get(_detail(intake)).status_code == 200


def test_the_scope_list_filters_by_state_and_keeps_to_the_directors_portfolios(
    client, director, outsider, portfolio, other_portfolio, version
):
    mine = _submitted(outsider, portfolio)
    _submitted(outsider, other_portfolio)  # another director's
    withdrawn = _submitted(outsider, portfolio)
    IntakeRequest.objects.filter(pk=withdrawn.pk).update(
        title="Gave up", state=IntakeState.WITHDRAWN
    )
    client.force_login(director)
    listing = client.get(reverse("governance:intake-list"))
    scope = listing.text.split('data-testid="scope-requests"')[1]
    assert scope.count(_detail(mine)) == 1 and "Gave up" in scope
    assert "Infrastructure" not in scope
    filtered = client.get(reverse("governance:intake-list"), {"state": "in_review"}).text
    scope = filtered.split('data-testid="scope-requests"')[1]
    assert "Customer portal" in scope and "Gave up" not in scope


def test_a_project_manager_sees_only_their_own_requests(client, pm, outsider, portfolio, version):
    _submitted(outsider, portfolio)
    own = _draft(pm, portfolio, title="My idea")
    client.force_login(pm)
    text = client.get(reverse("governance:intake-list")).text
    assert "My idea" in text and _detail(own) in text
    assert "Customer portal" not in text and 'data-testid="scope-requests"' not in text
