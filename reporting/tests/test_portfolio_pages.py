"""Portfolio pages (who may open them, their figures, their fixed query count), plus the layout,
account and error pages of the web layer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.defaults import server_error

from portfolio.models import HealthPolicy, Portfolio
from portfolio.selectors import current_fiscal_year, fiscal_year_label, fiscal_year_months
from portfolio.tests.factories import PortfolioBudgetFactory, PortfolioFactory, UserFactory
from ppm.templatetags.conductor import format_money, percent, signed_days
from projects.choices import RAG, Category, LifecycleState, RaidStatus
from projects.metrics import envelope_share
from projects.models import CostLine
from projects.tests.factories import CostLineFactory, ProjectFactory, RiskFactory
from projects.tests.test_views import make_project_with_history
from reporting.engine import recompute
from reporting.models import PortfolioRollup, ProjectRollup
from reporting.selectors import portfolio_summaries

pytestmark = pytest.mark.django_db


# --- Portfolio list ---------------------------------------------------------------------------


def test_portfolio_list_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get(reverse("reporting:portfolio-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["director", "pmo", "executive"])
def test_portfolio_list_opens_for_directors_pmo_and_executives(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("reporting:portfolio-list")).status_code == 200


@pytest.mark.parametrize("persona", ["pm", "outsider"])
def test_portfolio_list_is_refused_to_other_roles(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("reporting:portfolio-list")).status_code == 403


def test_a_director_sees_only_the_portfolios_they_direct(
    client, director, portfolio, other_portfolio
):
    client.force_login(director)
    response = client.get(reverse("reporting:portfolio-list"))
    assert [s.portfolio.code for s in response.context["summaries"]] == ["ENT"]
    assert "Enterprise Applications" in response.text
    assert "Infrastructure" not in response.text


@pytest.mark.parametrize("persona", ["pmo", "executive"])
def test_pmo_and_executives_see_every_portfolio(
    client, request, persona, portfolio, other_portfolio
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("reporting:portfolio-list"))
    assert [s.portfolio.code for s in response.context["summaries"]] == ["ENT", "INF"]


@pytest.fixture
def portfolio_with_figures(portfolio, pm):
    """ENT with known figures: see test_portfolio_summary_figures for the expected values."""
    year = current_fiscal_year()
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=year, amount=Decimal("2000000"))
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=year - 1, amount=Decimal("1"))
    make_project_with_history(
        portfolio=portfolio, manager=pm, rag=RAG.GREEN, bac=Decimal("1000000.00"), code="A-1"
    )
    make_project_with_history(
        portfolio=portfolio, manager=pm, rag=RAG.AMBER, bac=Decimal("250000.50"), code="A-2"
    )
    make_project_with_history(
        portfolio=portfolio,
        manager=pm,
        rag=RAG.RED,
        state=LifecycleState.ON_HOLD,
        bac=Decimal("100000"),
        code="A-3",
    )
    # Proposed, no report yet: counts as "none" in the distribution.
    ProjectFactory(
        portfolio=portfolio,
        manager=pm,
        state=LifecycleState.PROPOSED,
        budget_at_completion=Decimal("50000"),
        code="A-4",
    )
    # Finished projects: their BAC counts unless cancelled; their status is history.
    make_project_with_history(
        portfolio=portfolio,
        manager=pm,
        rag=RAG.RED,
        state=LifecycleState.CLOSED,
        bac=Decimal("400000"),
        code="A-5",
    )
    cancelled = make_project_with_history(
        portfolio=portfolio,
        manager=pm,
        rag=RAG.RED,
        state=LifecycleState.CANCELLED,
        bac=Decimal("999999"),
        code="A-6",
    )
    # Score 15 exactly counts as high; 12 does not; closed ones never.
    RiskFactory(project=cancelled, probability=5, impact=3)
    RiskFactory(project=cancelled, probability=4, impact=3)
    RiskFactory(
        project=cancelled, probability=5, impact=5, status=RaidStatus.CLOSED, resolution="Done"
    )
    # This fiscal year's plan: what the envelope share counts (the projects in flight; one on
    # hold with only its months before the current one).
    first, _last = fiscal_year_months(year)
    current = timezone.localdate().replace(day=1)
    by_code = {p.code: p for p in portfolio.projects.all()}
    for code, month, planned in [
        ("A-1", first, "600000"),
        ("A-1", date(year + 1, first.month, 1), "100000"),  # next fiscal year
        ("A-2", current, "300000.50"),
        ("A-3", first, "50000"),  # on hold: kept only when before the current month
        ("A-3", current, "70000"),  # on hold: released
        ("A-4", current, "40000"),  # proposed
        ("A-5", first, "20000"),  # closed
        ("A-6", first, "10000"),  # cancelled
    ]:
        CostLineFactory(project=by_code[code], month=month, planned=Decimal(planned))
    recompute()
    return portfolio


def test_portfolio_summary_figures(director, portfolio_with_figures):
    (summary,) = portfolio_summaries(user=director)
    assert summary.project_count == 6
    assert [(s.value, s.count) for s in summary.state_counts] == [
        ("proposed", 1),
        ("active", 2),
        ("on_hold", 1),
        ("closed", 1),
        ("cancelled", 1),
    ]
    assert summary.total_bac == Decimal("1800000.50")
    assert summary.envelope == Decimal("2000000.00")
    # The same figure straight from the cost lines.
    first, last = fiscal_year_months(summary.fiscal_year)
    current = timezone.localdate().replace(day=1)
    in_year = CostLine.objects.filter(
        project__portfolio=summary.portfolio, month__range=(first, last)
    )
    running = in_year.filter(project__state__in=["approved", "active"])
    held_to_date = in_year.filter(project__state="on_hold", month__lt=current)
    expected = sum((line.planned for line in [*running, *held_to_date]), Decimal("0"))
    assert summary.fy_plan == expected
    assert Decimal("900000.50") < expected < Decimal("1800000.50")
    # Before: whole-life BAC (1,800,000.50) against one year's envelope, 90.0 %.
    assert summary.envelope_share == envelope_share(expected, Decimal("2000000.00"))
    # Counted over the projects in flight (reporting.kpis.IN_FLIGHT), as the dashboard's
    # tile and its list count them: one "Vendor insolvency" (4×4) in each of and
    # A-3; the closed and the cancelled project's risks are not in flight, nor is the
    # proposed project in the distribution.
    assert summary.high_risk_count == 3
    assert summary.rag_counts == {"green": 1, "amber": 1, "red": 1}


def test_the_high_risk_figure_and_its_label_follow_the_pmos_policy(
    client, director, portfolio_with_figures
):
    policy = HealthPolicy.current()
    policy.risk_red_score = 16
    policy.save()
    (summary,) = portfolio_summaries(user=director)
    # The 4×4 risks of the three projects in flight reach 16.
    assert (summary.high_risk_score, summary.high_risk_count) == (16, 3)
    policy.risk_red_score = 17
    policy.save()
    (summary,) = portfolio_summaries(user=director)
    assert (summary.high_risk_score, summary.high_risk_count) == (17, 0)
    policy.risk_red_score = 16
    policy.save()
    client.force_login(director)
    for url in (
        reverse("reporting:portfolio-list"),
        reverse("reporting:portfolio-detail", args=[portfolio_with_figures.pk]),
    ):
        text = client.get(url).text
        assert "score ≥ 16" in text and "score ≥ 15" not in text, url


def test_before_the_pmo_saves_a_policy_the_models_default_applies(director, portfolio):
    assert not HealthPolicy.objects.exists()
    (summary,) = portfolio_summaries(user=director)
    assert summary.high_risk_score == HealthPolicy().risk_red_score


def test_portfolio_list_shows_money_with_the_currency_symbol(
    client, director, portfolio_with_figures
):
    client.force_login(director)
    response = client.get(reverse("reporting:portfolio-list"))
    assert "€1,800,001" in response.text  # 1,800,000.50 rounds half up to whole euros
    assert "€2,000,000" in response.text
    (summary,) = portfolio_summaries(user=director)
    assert f"{summary.envelope_share}%" in response.text
    assert 'class="rag rag-amber"' in response.text


def test_a_portfolio_without_an_envelope_says_so(client, director, portfolio):
    client.force_login(director)
    response = client.get(reverse("reporting:portfolio-list"))
    assert f"No envelope set for FY{current_fiscal_year()}" in response.text


def populate(portfolios: int, projects_each: int) -> None:
    for _ in range(portfolios):
        pf = PortfolioFactory(currency="GBP")
        PortfolioBudgetFactory(portfolio=pf, fiscal_year=current_fiscal_year())
        for i in range(projects_each):
            make_project_with_history(
                portfolio=pf, manager=UserFactory(), rag=[RAG.GREEN, RAG.AMBER, RAG.RED][i % 3]
            )


@pytest.mark.parametrize(("portfolios", "projects_each"), [(1, 2), (4, 8)])
def test_portfolio_list_runs_a_fixed_number_of_queries(
    client, pmo, django_assert_num_queries, portfolios, projects_each
):
    populate(portfolios, projects_each)
    client.force_login(pmo)
    # session, user, roles, fiscal-year start, portfolios with aggregates, RAG distribution
    with django_assert_num_queries(6):
        response = client.get(reverse("reporting:portfolio-list"))
    assert len(response.context["summaries"]) == portfolios


# --- Portfolio page ---------------------------------------------------------------------------


def test_portfolio_page_sends_an_anonymous_visitor_to_sign_in(client, portfolio):
    response = client.get(reverse("reporting:portfolio-detail", args=[portfolio.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["director", "pmo", "executive"])
def test_portfolio_page_opens_for_its_readers(client, request, persona, project):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("reporting:portfolio-detail", args=[project.portfolio_id]))
    assert response.status_code == 200
    assert reverse("projects:detail", args=[project.pk]) in response.text


@pytest.mark.parametrize("persona", ["other_director", "pm", "outsider"])
def test_portfolio_page_is_refused_outside_the_users_scope(client, request, persona, portfolio):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("reporting:portfolio-detail", args=[portfolio.pk]))
    assert response.status_code == 403
    assert "Enterprise Applications" not in response.text


def test_portfolio_page_of_a_missing_portfolio_is_not_found(client, pmo):
    client.force_login(pmo)
    assert client.get(reverse("reporting:portfolio-detail", args=[424242])).status_code == 404


def test_portfolio_page_lists_only_its_own_projects(client, pmo, project, other_project):
    client.force_login(pmo)
    response = client.get(reverse("reporting:portfolio-detail", args=[project.portfolio_id]))
    assert [p.code for p in response.context["table"].page] == ["ERP-01"]


def test_portfolio_page_filters_sorts_and_pages_its_projects(client, director, portfolio, pm):
    for i in range(60):
        ProjectFactory(
            portfolio=portfolio,
            manager=pm,
            code=f"P-{i:03d}",
            state=LifecycleState.ON_HOLD if i % 10 == 0 else LifecycleState.ACTIVE,
            category=Category.SECURITY if i < 5 else Category.SOFTWARE,
            budget_at_completion=Decimal(1000 * (i + 1)),
        )
    client.force_login(director)
    url = reverse("reporting:portfolio-detail", args=[portfolio.pk])

    first = client.get(url)
    assert first.context["table"].total == 60
    assert len(first.context["table"].page) == 50
    assert client.get(url, {"page": 2}).context["table"].page[0].code == "P-050"

    by_bac = client.get(url, {"sort": "-bac"}).context["table"].page
    assert [p.code for p in by_bac][:2] == ["P-059", "P-058"]

    on_hold = client.get(url, {"state": "on_hold"}).context["table"]
    assert [p.code for p in on_hold.page] == [f"P-{i:03d}" for i in range(0, 60, 10)]

    security = client.get(url, {"category": "security", "sort": "-code"}).context["table"]
    assert [p.code for p in security.page] == ["P-004", "P-003", "P-002", "P-001", "P-000"]

    assert [p.code for p in client.get(url, {"q": "p-04"}).context["table"].page] == [
        f"P-04{i}" for i in range(10)
    ]


def test_rule_health_and_reported_status_are_two_filters_beside_their_columns(
    client, director, portfolio, pm
):
    # The PM reports green; the rules rate the project red (CPI far below the policy).
    make_project_with_history(portfolio=portfolio, manager=pm, rag=RAG.GREEN, code="GRN-1")
    make_project_with_history(portfolio=portfolio, manager=pm, rag=RAG.RED, code="RED-1")
    recompute()
    rule = {r.project.code: r.health_rag for r in ProjectRollup.objects.select_related("project")}
    client.force_login(director)
    url = reverse("reporting:portfolio-detail", args=[portfolio.pk])

    def codes(**query: str) -> list[str]:
        return [p.code for p in client.get(url, query).context["table"].page]

    assert codes(reported="green") == ["GRN-1"]
    assert codes(reported="red") == ["RED-1"]
    assert codes(health="green") == ["GRN-1"]  # the old parameter, kept for bookmarks
    # The two figures disagree on GRN-1, so each filter must read its own one.
    assert rule["GRN-1"] != RAG.GREEN
    assert codes(rule=rule["GRN-1"]) == sorted(c for c, rag in rule.items() if rag == rule["GRN-1"])
    assert codes(rule=RAG.GREEN) == []
    assert codes(rule=rule["GRN-1"], reported="green") == ["GRN-1"]
    text = client.get(url, {"rule": rule["GRN-1"], "reported": "green"}).text
    assert 'for="filter-rule"' in text and ">Rule health</label>" in text
    assert 'for="filter-reported"' in text and ">Reported status</label>" in text
    assert f'<option value="{rule["GRN-1"]}" selected>' in text
    assert '<option value="green" selected>' in text
    assert '>Rule health<span class="sort-arrow"' in text  # the sortable column header
    assert ">Reported</th>" in text
    assert 'name="health"' not in text
    # The cross-portfolio list (the "all my portfolios" drill-down) reads the same two.
    everywhere = reverse("reporting:projects")
    assert [
        p.code for p in client.get(everywhere, {"reported": "green"}).context["table"].page
    ] == ["GRN-1"]
    text = client.get(everywhere, {"rule": rule["GRN-1"]}).text
    assert ">Rule health</label>" in text and ">Reported status</label>" in text
    assert ">Reported</th>" in text and '>Rule health<span class="sort-arrow"' in text


def test_portfolio_page_sort_headers_toggle_and_keep_filters(client, director, project):
    client.force_login(director)
    url = reverse("reporting:portfolio-detail", args=[project.portfolio_id])
    text = client.get(url, {"state": "active", "sort": "bac", "page": "1"}).text
    # The active column links to the reverse order; filters stay, the page resets.
    assert 'aria-sort="ascending"><a class="sort-link" href="?state=active&amp;sort=-bac"' in text
    assert 'href="?state=active&amp;sort=name" hx-get="?state=active&amp;sort=name"' in text


def test_portfolio_page_answers_htmx_with_the_table_fragment_only(client, director, project):
    client.force_login(director)
    response = client.get(
        reverse("reporting:portfolio-detail", args=[project.portfolio_id]),
        {"state": "active"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="project-table"')
    assert "ERP rollout" in response.text
    assert "Total BAC" not in response.text


@pytest.mark.parametrize("projects_each", [2, 30])
def test_portfolio_page_runs_a_fixed_number_of_queries(
    client, director, portfolio, django_assert_num_queries, projects_each
):
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=current_fiscal_year())
    for i in range(projects_each):
        make_project_with_history(
            portfolio=portfolio, manager=UserFactory(), rag=RAG.AMBER, code=f"Q-{i:03d}"
        )
    client.force_login(director)
    # session, user, roles, portfolio, access check, fiscal-year start, aggregates, RAG
    # distribution, table count, table page
    with django_assert_num_queries(10):
        response = client.get(
            reverse("reporting:portfolio-detail", args=[portfolio.pk]), {"sort": "forecast_finish"}
        )
    assert response.context["table"].total == projects_each


# --- Formatting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "places", "expected"),
    [
        (Decimal("1250000"), "EUR", 0, "€1,250,000"),
        (Decimal("1250000.5"), "GBP", 0, "£1,250,001"),
        (Decimal("999.994"), "USD", 2, "$999.99"),
        (Decimal("-300"), "EUR", 0, "−€300"),
        (Decimal("1234.5"), "CHF", 2, "CHF\N{NO-BREAK SPACE}1,234.50"),
        (None, "EUR", 0, "—"),
    ],
)
def test_money_is_formatted_with_symbol_separators_and_fixed_decimals(
    amount, currency, places, expected
):
    assert format_money(amount, currency, places=places) == expected


def test_money_refuses_a_float():
    with pytest.raises(TypeError):
        format_money(1.5, "EUR")


def test_percent_and_day_formatting():
    assert percent(Decimal("62.45"), 1) == "62.5%"
    assert percent(None) == "—"
    assert signed_days(12) == "+12 d"
    assert signed_days(-3) == "−3 d"
    assert signed_days(0) == "0 d"


def test_the_fiscal_year_is_the_calendar_year_unless_the_pmo_starts_it_later():
    assert current_fiscal_year(date(2027, 1, 1)) == 2027
    assert fiscal_year_months(2026) == (date(2026, 1, 1), date(2026, 12, 1))
    assert fiscal_year_label(2026) == "FY2026"
    HealthPolicy.objects.update_or_create(pk=1, defaults={"fiscal_year_start_month": 4})
    assert current_fiscal_year(date(2027, 2, 15)) == 2026
    assert current_fiscal_year(date(2027, 4, 1)) == 2027
    assert fiscal_year_months(2026) == (date(2026, 4, 1), date(2027, 3, 1))
    assert fiscal_year_label(2026) == "FY2026/27"


# --- The layout, account and error pages this web layer styles -----------------------------


def test_the_layout_shows_the_users_navigation_roles_and_a_post_sign_out(client, director):
    client.force_login(director)
    text = client.get(reverse("reporting:portfolio-list")).text
    assert f'<a class="nav-link active" href="{reverse("reporting:portfolio-list")}"' in text
    assert f'href="{reverse("projects:mine")}"' in text
    assert reverse("admin:index") not in text
    assert "Dora Director" in text
    assert '<div class="user-roles">Director</div>' in text
    assert f'<form method="post" action="{reverse("logout")}">' in text
    assert 'hx-headers=\'{"X-CSRFToken": "' in text
    assert "vendor/htmx-2.0.11/htmx.min.js" in text
    assert "vendor/bootstrap-5.3.9/css/bootstrap.min.css" in text


def test_the_layout_shows_messages_as_dismissible_alerts(rf, pm):
    request = rf.get("/")
    request.user = pm
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    messages.error(request, "The report could not be saved.")
    messages.success(request, "Milestone updated.")
    html = render_to_string("base.html", request=request)
    assert 'class="alert alert-danger alert-dismissible fade show"' in html
    assert 'class="alert alert-success alert-dismissible fade show"' in html
    assert "The report could not be saved." in html


def test_sign_in_page_keeps_the_username_and_next_and_shows_the_error(client, pm):
    url = reverse("login")
    next_url = reverse("projects:mine")
    response = client.post(
        f"{url}?next={next_url}", {"username": "ana.silva", "password": "nope", "next": next_url}
    )
    assert response.status_code == 200
    assert 'data-testid="form-errors"' in response.text
    assert 'value="ana.silva"' in response.text
    assert f'name="next" value="{next_url}"' in response.text
    assert "is-invalid" not in response.text  # a wrong password is not a field's fault

    empty = client.post(url, {"username": "", "password": ""})
    assert empty.text.count("is-invalid") == 2
    assert "This field is required." in empty.text

    signed_in = client.post(url, {"username": "ana.silva", "password": "pw", "next": next_url})
    assert signed_in.status_code == 302
    assert signed_in.url == next_url


def test_sign_in_lands_each_role_on_its_start_page(client, pm, director):
    client.post(reverse("login"), {"username": "ana.silva", "password": "pw"})
    assert client.get(reverse("home")).url == reverse("projects:mine")
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "dora.director", "password": "pw"})
    assert client.get(reverse("home")).url == reverse("reporting:dashboard")


def test_password_change_page_shows_errors_next_to_the_fields(client, pm):
    client.force_login(pm)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert 'name="old_password"' in page.text
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )
    assert 'id="id_old_password_error"' in response.text
    assert 'id="id_new_password2_error"' in response.text
    done = client.post(
        reverse("password_change"),
        {
            "old_password": "pw",
            "new_password1": "tidy-harbour-lantern-42",
            "new_password2": "tidy-harbour-lantern-42",
        },
    )
    assert done.url == reverse("password_change_done")
    assert "Password changed" in client.get(done.url).text


def test_a_user_without_a_role_is_told_whom_to_ask(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 403
    assert "Your account has no role yet" in response.text
    assert "PMO team" in response.text
    assert f'<form method="post" action="{reverse("logout")}">' in response.text


def test_forbidden_and_missing_pages_are_styled(client, pm, portfolio):
    client.force_login(pm)
    forbidden = client.get(reverse("reporting:portfolio-detail", args=[portfolio.pk]))
    assert "You do not have access to this page" in forbidden.text
    assert "app-navbar" in forbidden.text
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    assert "This page does not exist" in missing.text


def test_the_server_error_page_renders_without_a_request_or_database(rf, django_assert_num_queries):

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_portfolio_pages_say_when_their_figures_were_computed_not_when_rendered(
    client, director, portfolio, pm
):
    """Before: "Figures as of" was the time of rendering, however old the rollups were."""
    client.force_login(director)
    page = reverse("reporting:portfolio-detail", args=[portfolio.pk])
    assert "Figures not computed yet" in client.get(page).content.decode()

    ProjectFactory(portfolio=portfolio, manager=pm, state=LifecycleState.ACTIVE)
    recompute()
    computed = PortfolioRollup.objects.get(portfolio=portfolio).computed_at
    stamp = timezone.localtime(computed).strftime("%-d %b %Y, %H:%M")
    for url in (page, reverse("reporting:portfolio-list")):
        assert f"Figures computed {stamp}" in client.get(url).content.decode()


def test_the_fiscal_year_in_sql_is_the_fiscal_year_in_python():
    from django.db.models import IntegerField, Value

    from portfolio.selectors import current_fiscal_year_expression

    PortfolioFactory()
    for start in (1, 4, 7, 12):
        for month in range(1, 13):
            today = date(2027, month, 15)
            (in_sql,) = (
                Portfolio.objects.annotate(
                    y=current_fiscal_year_expression(
                        Value(start, output_field=IntegerField()), today
                    )
                )
                .values_list("y", flat=True)
                .distinct()
            )
            assert in_sql == current_fiscal_year(today, start_month=start), (start, month)
