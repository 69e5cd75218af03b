"""Every project and portfolio URL, every role: the right answer is 200/302 or 403 — never a
404 that leaks existence, never a 500.

The matrix is built from the URL configuration itself, so a new view is covered the day it
is added: its URL is filled with real objects of a project managed by `pm` in a portfolio
directed by `director`, then requested by each persona with GET and with an empty POST.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from projects.models import Assumption, ChangeRequest, Dependency, Issue
from projects.tests.factories import (
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)

pytestmark = pytest.mark.django_db

NAMESPACES = ("projects", "portfolio", "reporting", "governance")
# Readers see these pages; everything else under a project is a write form.
READ_ONLY_NAMES = {
    "projects:detail",
    "projects:status",
    "projects:status-report",
    "projects:milestones",
    "projects:milestone-chart",
    "projects:costs",
    "projects:raid",
    "projects:changes",
    "projects:lessons",
    "projects:history",
    "projects:lifecycle",
    "projects:costs-export",
    "reporting:portfolio-detail",
    "reporting:portfolio-projects-export",
    "reporting:project-trends",  # trends (issue 11)
    "governance:scores",
    "governance:ranking",
}


# Reporting pages whose <pk> is a project's, not a portfolio's (trends, issue 11).
PROJECT_PK_REPORTING = {"reporting:project-trends"}


def _patterns(resolver: URLResolver, namespace: str | None = None, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, entry.namespace or namespace, prefix)
        elif isinstance(entry, URLPattern) and namespace in NAMESPACES and entry.name:
            yield f"{namespace}:{entry.name}", list(entry.pattern.converters)


@pytest.fixture
def world(project, other_project):
    milestone = MilestoneFactory(project=project, baseline_date=date(2026, 6, 1))
    report = StatusReportFactory(project=project)
    ids = {
        "pk": project.pk,
        "report_pk": report.pk,
        "milestone_pk": milestone.pk,
        "change_pk": ChangeRequest.objects.create(
            project=project, title="Add payroll", description="Scope", state="submitted"
        ).pk,
    }
    items = {
        "risk": RiskFactory(project=project).pk,
        "issue": Issue.objects.create(project=project, title="Licences").pk,
        "assumption": Assumption.objects.create(project=project, title="Budget holds").pk,
        "dependency": Dependency.objects.create(
            project=project, depends_on=other_project, title="Network ready"
        ).pk,
    }
    return project, ids, items


def urls_for(world) -> list[tuple[str, str]]:
    project, ids, items = world
    urls = []
    for name, params in _patterns(get_resolver()):
        if "pk" not in params:
            continue  # list pages are covered by their own tests
        if name in REPORT_PAGES:
            continue  # a run's or a definition's id, not a portfolio's: their own section
        kwargs = {}
        for param in params:
            if param == "pk" and name in PROJECT_PK_REPORTING:  # trends (issue 11)
                kwargs[param] = project.pk
            elif param == "pk" and name.startswith(("reporting:", "governance:")):
                kwargs[param] = project.portfolio_id
            elif param in ids:
                kwargs[param] = ids[param]
            elif param == "fmt":
                kwargs[param] = "csv"
            elif param == "kind":
                kwargs[param] = "risks"
            elif param == "item_pk":
                kwargs[param] = items["risk"]
            else:
                kwargs[param] = ProjectFactory().pk  # an id the URL needs; a real row
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


def test_the_matrix_covers_the_project_sections(world):
    names = {name for name, _ in urls_for(world)}
    assert {"projects:detail", "projects:history", "reporting:portfolio-detail"} <= names
    assert {"governance:scores", "governance:ranking", "governance:ranking-apply"} <= names
    # The Microsoft Project plan import: a write of the project's like the milestone forms.
    assert {"projects:milestone-import", "projects:milestone-import-apply"} <= names
    assert not {"projects:milestone-import", "projects:milestone-import-apply"} & READ_ONLY_NAMES


@pytest.mark.parametrize("persona", ["pm", "director", "pmo"])
def test_people_who_may_change_the_project_never_get_an_error(client, request, world, persona):
    client.force_login(request.getfixturevalue(persona))
    for name, url in urls_for(world):
        if name.startswith(("reporting:", "governance:")) and persona == "pm":
            if name.startswith("governance:"):  # prioritisation is not a PM's business: 403
                assert client.get(url).status_code == 403, (name, url)
                assert client.post(url, {}).status_code in (403, 405), (name, url)
            continue  # portfolios are not a project manager's pages
        if name == "projects:edit" and persona == "pm":
            assert client.get(url).status_code == 403  # budget and details: director, PMO
            assert client.post(url, {}).status_code == 403
            continue
        if name == "projects:lifecycle" and persona == "pm":
            assert client.get(url).status_code == 200  # the PM reads the lifecycle
            assert client.post(url, {}).status_code == 403  # but does not move it
            continue
        if name.startswith("governance:policy-") and persona != "pmo":
            assert client.get(url).status_code == 403  # the figures policy is the PMO's
            assert client.post(url, {}).status_code == 403
            continue
        if name == "projects:status-correct" and persona != "pmo":
            assert client.get(url).status_code == 403  # correcting a report is the PMO's
            assert client.post(url, {}).status_code == 403
            continue
        get = client.get(url)
        assert get.status_code in (200, 302, 405), (name, url, get.status_code)
        post = client.post(url, {})
        assert post.status_code in (200, 302, 400, 405), (name, url, post.status_code)


def test_an_executive_reads_but_every_write_is_refused(client, executive, world):
    client.force_login(executive)
    for name, url in urls_for(world):
        get = client.get(url)
        expected = {200} if name in READ_ONLY_NAMES else {403, 405}
        assert get.status_code in expected, (name, url, get.status_code)
        post = client.post(url, {})
        assert post.status_code in (403, 405), (name, url, post.status_code)


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "outsider"])
def test_people_outside_the_projects_scope_get_403_everywhere(client, request, world, persona):
    client.force_login(request.getfixturevalue(persona))
    for name, url in urls_for(world):
        assert client.get(url).status_code in (403, 405), (persona, name, url)
        assert client.post(url, {}).status_code in (403, 405), (persona, name, url)


def test_anonymous_users_are_sent_to_sign_in(client, world):
    for name, url in urls_for(world):
        response = client.get(url)
        if response.status_code == 405:
            continue  # a POST-only endpoint refuses the method before anything else
        assert response.status_code == 302, (name, url)
        assert response["Location"].startswith("/accounts/login/"), (name, url)
        post = client.post(url, {})
        assert post.status_code == 405 or post["Location"].startswith("/accounts/login/")


def test_a_missing_project_is_404_for_everyone(client, pm):
    client.force_login(pm)
    assert client.get("/projects/999999/").status_code == 404


# --- The inbox: every signed-in person's own, whatever their role ------------------------------

INBOX_PAGES = ("inbox", "inbox-settings", "inbox-badge")


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive", "outsider"])
def test_everyone_signed_in_has_an_inbox_and_reaches_only_their_own(client, request, persona):
    from ppm.models import Notification
    from ppm.notifications import notify

    user = request.getfixturevalue(persona)
    someone_else = request.getfixturevalue("other_pm")
    notify([user, someone_else], kind="other", title="Hello")
    mine = Notification.objects.get(recipient=user)
    theirs = Notification.objects.get(recipient=someone_else)
    client.force_login(user)
    for name in INBOX_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.post(reverse("inbox-settings"), {}).status_code == 200  # the form's error
    assert client.post(reverse("inbox-read-all")).status_code == 302
    assert client.post(reverse("inbox-read", args=[mine.pk])).status_code == 302
    # Another person's notification is not "forbidden" but absent: ids are per person, and
    # a 403 would confirm that the id exists.
    assert client.post(reverse("inbox-read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("inbox-read", args=[mine.pk])).status_code == 405


def test_anonymous_users_are_sent_to_sign_in_from_the_inbox(client, pm):
    from ppm.models import Notification
    from ppm.notifications import notify

    notify([pm], kind="other", title="Hello")
    urls = [reverse(name) for name in INBOX_PAGES]
    for url in urls:
        assert client.get(url).status_code == 302
        assert client.get(url)["Location"].startswith("/accounts/login/")
    note = Notification.objects.get()
    for url in (reverse("inbox-read-all"), reverse("inbox-read", args=[note.pk])):
        assert client.post(url)["Location"].startswith("/accounts/login/")
    note.refresh_from_db()
    assert note.read_at is None


# --- API tokens and the API: each person's own tokens, for every role -------------------------
# The token pages are for anyone with a role (a token acts as its owner; without a role there
# is nothing to reach: 403); another person's token is absent (404), as a missing id is. The
# API answers every signed-in person (by session or token) and 401 to anyone else.

# Every URL name of the token pages and of the API, with (GET, empty POST) for a person with a
# role, for one without, and for an anonymous caller.
TOKEN_AND_API_URLS = {
    "tokens": ((200, 200), (403, 403), (302, 302)),  # the empty form comes back with errors
    "token-revoke": ((405, 302), (405, 403), (405, 302)),  # the person's own token
    "api:me": ((200, 405), (200, 405), (401, 401)),
}


def _token_and_api_names() -> set[str]:
    """The token pages' URL names, and the API endpoints of ppm/api/views.py (the routed
    resources, ppm/api/router.py, are listed by their own checks)."""
    from ppm.accounts import urls as account_urls

    names = {p.name for p in account_urls.urlpatterns if "token" in p.name}
    api = next(e for e in get_resolver().url_patterns if getattr(e, "namespace", "") == "api")
    own = [p for p in api.url_patterns if getattr(p, "callback", None) is not None]
    own = [p for p in own if p.callback.__module__ == "ppm.api.views"]
    return names | {f"api:{p.name}" for p in own}


def test_every_token_page_and_api_endpoint_is_in_the_matrix():
    assert _token_and_api_names() == set(TOKEN_AND_API_URLS)


def _token(owner, name: str):
    from django.utils import timezone

    from ppm.accounts.tokens import api_token_create

    now = timezone.now()
    expires_at = now + timedelta(days=30)
    return api_token_create(owner=owner, name=name, expires_at=expires_at, now=now).token


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive", "outsider", None])
def test_token_pages_and_the_api_answer_each_role_as_the_rules_say(
    client, request, other_pm, persona
):
    user = request.getfixturevalue(persona) if persona else None
    theirs = _token(other_pm, "Raj's")
    # The revoke URL is for a token of the person's own (anonymous: of someone's).
    urls = {
        "tokens": reverse("tokens"),
        "token-revoke": reverse("token-revoke", args=[_token(user or other_pm, "Script").pk]),
        "api:me": reverse("api:me"),
    }
    if user is not None:
        client.force_login(user)
    column = 2 if user is None else (1 if persona == "outsider" else 0)
    for name, url in urls.items():
        get, post = TOKEN_AND_API_URLS[name][column]
        assert client.get(url).status_code == get, (persona, name)
        response = client.post(url, {})
        assert response.status_code == post, (persona, name)
        if post == 302 and user is None:
            assert response["Location"].startswith("/accounts/login/"), name

    # Another person's token: absent for someone with a role, refused for someone without.
    expected = {None: 302, "outsider": 403}.get(persona, 404)
    assert client.post(reverse("token-revoke", args=[theirs.pk])).status_code == expected
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


# --- Calendar feeds: each person's own, and the feed fetched with no session ------------------
# The page is for anyone with a role (403 without); another person's feed is absent (404). The
# feed itself answers a GET with no session, 200 while its owner may see the portfolio (a
# project manager sees none) and the same 404 otherwise; it only reads (POST: 405).

# (GET, empty POST) for a person with a role, for one without, and for an anonymous caller.
FEED_PAGE_URLS = {
    "feeds": ((200, 200), (403, 403), (302, 302)),  # the empty form comes back with errors
    "feed-revoke": ((405, 302), (405, 403), (405, 302)),  # the person's own feed
}
# The feed of a feed owned by each persona, fetched without a session: (GET, POST).
FEED_FETCH = {
    "director": (200, 405),
    "pmo": (200, 405),
    "executive": (200, 405),
    "pm": (404, 405),
    "outsider": (404, 405),
}


def test_every_calendar_feed_url_is_in_the_matrix():
    from ppm import feeds

    names = {p.name for p in [*feeds.page_urlpatterns, *feeds.feed_urlpatterns]}
    assert names == {*FEED_PAGE_URLS, "feed-ics"}


def _feed(owner, portfolio, name: str):
    """A feed row for `owner` (made directly: the service refuses a portfolio out of scope,
    and this checks what happens to one anyway); returns (feed, secret)."""
    from ppm.feeds import new_secret, secret_digest
    from ppm.models import CalendarFeed

    secret = new_secret()
    feed = CalendarFeed.objects.create(
        owner=owner, portfolio=portfolio, name=name, prefix=secret[:8], digest=secret_digest(secret)
    )
    return feed, secret


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive", "outsider", None])
def test_calendar_feeds_answer_each_role_as_the_rules_say(
    client, request, other_director, portfolio, persona
):
    user = request.getfixturevalue(persona) if persona else None
    theirs, _ = _feed(other_director, portfolio, "Otto's")
    own, secret = _feed(user or other_director, portfolio, "Phone")
    urls = {"feeds": reverse("feeds"), "feed-revoke": reverse("feed-revoke", args=[own.pk])}
    fetch = reverse("feed-ics", args=[secret])
    if persona is not None:  # fetched before signing in: a calendar program has no session
        get, post = FEED_FETCH[persona]
        assert (client.get(fetch).status_code, client.post(fetch).status_code) == (get, post)
        client.force_login(user)
    column = 2 if user is None else (1 if persona == "outsider" else 0)
    for name, url in urls.items():
        get, post = FEED_PAGE_URLS[name][column]
        assert client.get(url).status_code == get, (persona, name)
        response = client.post(url, {})
        assert response.status_code == post, (persona, name)
        if post == 302 and user is None:
            assert response["Location"].startswith("/accounts/login/"), name

    # Another person's feed: absent for someone with a role, refused for someone without.
    expected = {None: 302, "outsider": 403}.get(persona, 404)
    assert client.post(reverse("feed-revoke", args=[theirs.pk])).status_code == expected
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


# --- The workflow builder: the PMO configures, directors and executives read ------------------

BUILDER_READ_PAGES = {"workflows", "workflow", "workflow-rules", "change-rules"}


@pytest.fixture
def builder_urls(pmo):
    """Every URL of the workflow builder (read from its URL patterns), filled with real rows."""
    from governance.models import WorkflowRule
    from governance.services.change_rules import ChangeRuleInput, change_rule_save
    from governance.tests.gates import published_workflow
    from governance.views import workflows

    version = published_workflow(pmo, [{"name": "Go", "phase": "Run", "portfolio_director": True}])
    ids = {
        "workflow_pk": version.workflow_id,
        "version_pk": version.pk,
        "gate_pk": version.gates.get().pk,
        "rule_pk": WorkflowRule.objects.create(
            workflow=version.workflow, priority=1, category="erp"
        ).pk,
        "change_rule_pk": change_rule_save(
            by=pmo, data=ChangeRuleInput(name="Any", priority=1, portfolio_director=True)
        ).pk,
    }
    return [
        (p.name, reverse(f"governance:{p.name}", kwargs={k: ids[k] for k in p.pattern.converters}))
        for p in workflows.urlpatterns
    ]


@pytest.mark.parametrize(
    "persona", ["pmo", "director", "other_director", "executive", "pm", "outsider"]
)
def test_the_workflow_builder_is_the_pmos_and_read_by_directors_and_executives(
    client, request, builder_urls, persona
):
    client.force_login(request.getfixturevalue(persona))
    for name, url in builder_urls:
        get, post = client.get(url).status_code, client.post(url, {}).status_code
        if persona == "pmo":
            assert get in (200, 302, 405) and post in (200, 302, 405), (name, get, post)
        elif persona in ("director", "other_director", "executive") and name in BUILDER_READ_PAGES:
            assert (get, post) == (200, 405), (name, get, post)
        else:
            assert get == 403 and post in (403, 405), (name, get, post)


def test_anonymous_users_are_sent_to_sign_in_from_the_workflow_builder(client, builder_urls):
    for name, url in builder_urls:
        response = client.get(url)
        assert response.status_code in (302, 405), name
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), name


# --- Intake requests and a project's gate page -------------------------------------------------

# What each persona gets (GET, POST) on each page, in the world of governance.tests.gate_world:
# `pm` manages the enrolled project and made the intake request under review; `director`
# directs the portfolio (and holds the review's seat). A request is not "forbidden" to someone
# who may not see it but absent (404), and so is a document: a 403 would confirm it exists.
_SEES_PROJECT = ("pm", "director", "pmo", "executive")
_CHANGES_PROJECT = ("pm", "director", "pmo")
_SEES_REQUEST = ("pm", "director", "pmo", "executive")  # executives read everything


def _expected(name: str, persona: str) -> tuple[set[int], set[int]]:
    if name in ("intake-list", "intake-new"):
        return {200}, {405} if name == "intake-list" else {200}
    if name.startswith("intake"):
        if persona not in _SEES_REQUEST:
            return ({404, 405}, {404, 405} if name == "intake-detail" else {404})
        if name == "intake-detail":
            return {200}, {405}
        if persona != "pm":  # only the author changes the request
            return ({403, 405}, {403})
        return ({302, 405}, {302})
    if name == "evidence-download":
        return ({200} if persona in _SEES_PROJECT else {404}), {405}
    if name == "project-gates":
        return ({200} if persona in _SEES_PROJECT else {403}), {405}
    if name == "project-gate-enrol":
        return {405}, ({200} if persona == "pmo" else {403})
    # The checklist writes and the review request: the project's manager, director, PMO.
    return {405}, ({200, 302} if persona in _CHANGES_PROJECT else {403})


@pytest.fixture
def gate_urls(project, pm, settings, tmp_path):
    from governance.tests.gate_world import gate_world
    from governance.views import gates, intake

    settings.MEDIA_ROOT = tmp_path
    world = gate_world(project, pm)
    patterns = [*intake.urlpatterns, *gates.urlpatterns]
    # Removals last, so the pages before them still have their evidence.
    patterns.sort(key=lambda p: p.name.endswith("remove"))
    return [
        (
            p.name,
            reverse(
                f"governance:{p.name}",
                kwargs=world.kwargs_for(p.name, list(p.pattern.converters)),
            ),
        )
        for p in patterns
    ]


@pytest.mark.parametrize(
    "persona",
    ["pm", "director", "pmo", "executive", "other_pm", "other_director", "outsider"],
)
def test_intake_and_gate_pages_answer_each_role_as_their_scope_says(
    client, request, gate_urls, persona
):
    client.force_login(request.getfixturevalue(persona))
    for name, url in gate_urls:
        get, post = _expected(name, persona)
        assert client.get(url).status_code in get, (persona, name, url)
        assert client.post(url, {}).status_code in post, (persona, name, url)


def test_anonymous_users_are_sent_to_sign_in_from_intake_and_gates(client, gate_urls):
    for name, url in gate_urls:
        for response in (client.get(url), client.post(url, {})):
            if response.status_code == 405:
                continue
            assert response.status_code == 302, name
            assert response["Location"].startswith("/accounts/login/"), name


# --- Reviews, My approvals, delegation ---------------------------------------------------------
# A review is seen by whoever may see its project (and by its seat holders and their
# delegates); to anyone else it does not exist (404, as for a missing id). Deciding needs a
# seat (403 otherwise). My approvals and delegation are for every role; delegations are
# personal (another person's is 404).

REVIEW_PAGES = ("review", "review-record")
APPROVAL_PAGES = ("approvals", "approvals-tile", "approvals-badge", "delegations")


@pytest.fixture
def review_urls(project, pm, director, pmo):
    from governance.models import Delegation
    from projects.services import change_request_raise

    change = change_request_raise(
        project=project, by=pm, title="Add payroll", description="Scope", cost_impact=1000
    )
    review = change.reviews.get()  # the default panel: the portfolio's director or the PMO
    delegation = Delegation.objects.create(
        holder=director, delegate=pm, starts=date(2030, 1, 1), ends=date(2030, 1, 5)
    )
    return {
        **{n: reverse(f"governance:{n}", args=[review.pk]) for n in REVIEW_PAGES},
        **{n: reverse(f"governance:{n}") for n in APPROVAL_PAGES},
        "delegation-end": reverse("governance:delegation-end", args=[delegation.pk]),
    }


# persona: (GET review and record, POST review with no verdict)
REVIEW_EXPECTED = {
    "director": (200, 200),  # a seat: the empty form comes back with its error
    "pmo": (200, 200),
    "pm": (200, 403),  # sees the project, holds no seat
    "executive": (200, 403),
    "other_pm": (404, 404),
    "other_director": (404, 404),
    "outsider": (404, 404),
}


@pytest.mark.parametrize("persona", list(REVIEW_EXPECTED))
def test_reviews_approvals_and_delegation_by_role(client, request, review_urls, persona):
    client.force_login(request.getfixturevalue(persona))
    see, decide = REVIEW_EXPECTED[persona]
    for name in REVIEW_PAGES:
        assert client.get(review_urls[name]).status_code == see, (persona, name)
    assert client.post(review_urls["review"], {}).status_code == decide, persona
    assert client.post(review_urls["review-record"], {}).status_code == 405
    has_role = persona != "outsider"
    for name in APPROVAL_PAGES:
        assert client.get(review_urls[name]).status_code == (200 if has_role else 403), name
    assert client.post(review_urls["approvals"], {}).status_code == 405
    assert client.post(review_urls["delegations"], {}).status_code == (200 if has_role else 403)
    end = review_urls["delegation-end"]
    assert client.get(end).status_code == 405
    expected_end = 302 if persona == "director" else (404 if has_role else 403)
    assert client.post(end).status_code == expected_end, persona


def test_anonymous_users_are_sent_to_sign_in_from_reviews(client, review_urls):
    for name, url in review_urls.items():
        response = client.post(url) if name == "delegation-end" else client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/accounts/login/"), name


# --- Gate metrics (reporting) ------------------------------------------------------------------

GATE_METRIC_URLS = (
    "/portfolios/gates/",
    "/portfolios/gates/reviews/?kpi=gate_cycle_days",
    "/portfolios/gates/reviews/?kpi=reviews_overdue&period=all",
)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("director", 200),
        ("pmo", 200),
        ("executive", 200),
        ("pm", 403),
        ("outsider", 403),
    ],
)
def test_gate_metrics_are_the_portfolio_readers(client, request, project, persona, status):
    client.force_login(request.getfixturevalue(persona))
    for url in GATE_METRIC_URLS:
        assert client.get(url).status_code == status, (persona, url)
        assert client.post(url, {}).status_code in (403, 405), (persona, url)


def test_gate_metrics_send_anonymous_users_to_sign_in(client):
    for url in GATE_METRIC_URLS:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_director_cannot_read_another_portfolios_gate_metrics(client, director, other_portfolio):
    client.force_login(director)
    for url in GATE_METRIC_URLS:
        joiner = "&" if "?" in url else "?"
        response = client.get(f"{url}{joiner}portfolio={other_portfolio.pk}")
        assert response.status_code == 403, url


# --- Trends and what changed (issue 11): portfolio readers, each within their portfolios ------

TRENDS_EXPECTED = {
    # persona: (all their portfolios, ?portfolio=<director's portfolio>)
    "director": (200, 200),
    "pmo": (200, 200),
    "executive": (200, 200),
    "other_director": (200, 403),
    "pm": (403, 403),
    "outsider": (403, 403),
}


@pytest.mark.parametrize("persona", list(TRENDS_EXPECTED))
def test_trends_answer_each_role_as_their_scope_says(client, request, world, persona):
    project, _ids, _items = world
    url = reverse("reporting:trends")
    client.force_login(request.getfixturevalue(persona))
    everything, one = TRENDS_EXPECTED[persona]
    assert client.get(url).status_code == everything, persona
    assert client.get(url, {"portfolio": project.portfolio_id}).status_code == one, persona
    assert client.post(url, {}).status_code == 405


def test_a_project_manager_reads_their_project_s_trends(client, pm, world):
    project, _ids, _items = world
    client.force_login(pm)
    assert client.get(reverse("reporting:project-trends", args=[project.pk])).status_code == 200


def test_anonymous_users_are_sent_to_sign_in_from_the_trends(client, world):
    response = client.get(reverse("reporting:trends"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- PDF report pages (issue 11, reporting) ----------------------------------------------------
# The library is every role's; a run is seen by its readers, its requester and the PMO, and to
# anyone else it does not exist (404, as for a missing id); retrying a run and the definitions
# are the PMO's (403 for everyone else). "Download PDF" is a POST that an empty form answers
# with 400.

REPORT_PAGES = {
    "reporting:library",
    "reporting:run",
    "reporting:run-pdf",
    "reporting:run-retry",
    "reporting:download",
    "reporting:definitions",
    "reporting:definition-new",
    "reporting:definition-edit",
    "reporting:definition-run-now",
}


@pytest.fixture
def report_urls(director, executive, pmo, portfolio, settings, tmp_path):
    import hashlib

    from django.core.files.base import ContentFile

    from reporting.models import ReportRun
    from reporting.services.reports import download_request
    from reporting.services.schedules import DefinitionInput, definition_save

    settings.MEDIA_ROOT = tmp_path
    run = download_request(user=director, kind="summary", portfolio=portfolio)
    pdf = b"%PDF-1.4\n%%EOF\n"
    stored = run.file.storage.save("reports/test.pdf", ContentFile(pdf))
    ReportRun.objects.filter(pk=run.pk).update(
        status="done", file=stored, size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(), pages=1
    )
    failed = download_request(user=director, kind="pack", portfolio=portfolio)
    ReportRun.objects.filter(pk=failed.pk).update(status="failed", error="x")
    definition = definition_save(
        by=pmo,
        data=DefinitionInput(
            name="Weekly",
            kind="summary",
            portfolios=[],
            project=None,
            recipients=[director, executive],
            recipient_groups=[],
            budget_change_pct=5,
            enabled=True,
            cadence="weekly",
            cron="0 7 * * 1",
        ),
    )
    urls = {
        "reporting:library": reverse("reporting:library"),
        "reporting:run": reverse("reporting:run", args=[run.pk]),
        "reporting:run-pdf": reverse("reporting:run-pdf", args=[run.pk]),
        "reporting:run-retry": reverse("reporting:run-retry", args=[failed.pk]),
        "reporting:download": reverse("reporting:download"),
        "reporting:definitions": reverse("reporting:definitions"),
        "reporting:definition-new": reverse("reporting:definition-new"),
        "reporting:definition-edit": reverse("reporting:definition-edit", args=[definition.pk]),
        "reporting:definition-run-now": reverse(
            "reporting:definition-run-now", args=[definition.pk]
        ),
    }
    assert set(urls) == REPORT_PAGES
    return urls


def _report_expected(name: str, persona: str) -> tuple[set[int], set[int]]:
    """(GET, empty POST) answers of `persona` on report page `name`; the run is the
    director's download."""
    pmo = persona == "pmo"
    if name == "reporting:library":
        return ({403} if persona == "outsider" else {200}), {405}
    if name in ("reporting:run", "reporting:run-pdf"):
        return ({200} if persona in ("director", "pmo") else {404}), {405}
    if name == "reporting:run-retry":
        return {405}, ({302} if pmo else {403})
    if name == "reporting:download":
        return {405}, {400}
    if name == "reporting:definitions":
        return ({200} if pmo else {403}), {405}
    if name in ("reporting:definition-new", "reporting:definition-edit"):
        return ({200} if pmo else {403}), ({200} if pmo else {403})  # the form's errors
    return {405}, ({302} if pmo else {403})  # run now


@pytest.mark.parametrize(
    "persona",
    ["pmo", "director", "executive", "pm", "other_director", "other_pm", "outsider"],
)
def test_report_pages_answer_each_role_as_the_library_rules_say(
    client, request, report_urls, persona
):
    client.force_login(request.getfixturevalue(persona))
    for name, url in report_urls.items():
        get, post = _report_expected(name, persona)
        assert client.get(url).status_code in get, (persona, name, url)
        assert client.post(url, {}).status_code in post, (persona, name, url)


def test_anonymous_users_are_sent_to_sign_in_from_report_pages(client, report_urls):
    for name, url in report_urls.items():
        for response in (client.get(url), client.post(url, {})):
            if response.status_code == 405:
                continue  # a POST-only (or GET-only) endpoint refuses the method first
            assert response.status_code == 302, name
            assert response["Location"].startswith("/accounts/login/"), name
