"""Odd input at every URL: no answer is ever a server error.

The URLs come from the URL configuration itself, so a view is covered the day it is added.
For each one the test first learns what the view reads — the query and form keys it looks up
(recorded while a normal GET and an empty POST run) and the field names and link parameters
of the page it serves — then sends one GET and one POST per kind of odd value with every one
of those keys set to it: Unicode digits that pass str.isdigit() but not int(), NUL bytes,
integers beyond PostgreSQL's bigint, negatives, empty strings, very long text, dates at the
ends of the calendar. URL kwargs get their own odd values (huge ids) where the converter
lets them through. 400, 403, 404, 405, a redirect or the normal page are all fine; 5xx is not.

Run it alone with `pytest -m odd_input`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from governance.tests.factories import CriterionFactory, ScoreFactory
from portfolio.tests.factories import PortfolioBudgetFactory
from projects.choices import RaidStatus, ReportState
from projects.models import Assumption, ChangeRequest, Dependency, Issue, LessonLearned
from projects.tests.factories import (
    CostLineFactory,
    MilestoneFactory,
    RiskFactory,
    StatusReportFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.odd_input]

# One value per kind of odd input; each is sent in every parameter at once.
ODD_VALUES = {
    # str.isdigit() holds, int() refuses; four of them pass a "looks like a year" test too.
    "unicode digits": "²⁰²⁶",
    "nul": "1\x00",
    "huge int": "99999999999999999999",
    "negative": "-1",
    "empty": "",
    # Very long text, and past Python's 4300-digit limit of int(): isdigit() holds, int() raises.
    "long digits": "9" * 4500,
    "last date": "9999-12-31",
    "first date": "0001-01-01",
}
# The project manager's pass is shorter: the kinds that broke views before.
SHORT_KINDS = ("unicode digits", "nul", "huge int", "long digits", "last date")
# Keys whose name carries an id (the what-if's act-<id>/v-<id>), with odd ids.
ODD_ID_KEYS = ("act-²", "v-²", "act-99999999999999999999", "v-99999999999999999999")
HUGE_ID = "99999999999999999999"
# URL kwargs that are not ids: a password-reset link's user and token (a wrong one is fine);
# a calendar feed's secret (unknown, malformed and non-ASCII: each a 404).
TEXT_KWARGS = {
    "uidb64": ["MQ"],
    "token": ["set-password"],
    "key": ["cpi", "status_overdue"],
    "secret": ["cal_" + "A" * 40, "cal_²⁰²⁶", "9" * 4500],
}

# The admin is Django's own (and NUL never reaches it: ppm.middleware refuses it first); the
# health check waits for a worker this test has none of.
SKIPPED_NAMESPACES = {"admin"}
SKIPPED_NAMES = {"healthz", "healthz-live", "healthz-ready", "healthz-worker"}


# --- What the URLconf holds ------------------------------------------------------------------


def _patterns(resolver: URLResolver, namespace: str | None = None) -> Iterator[tuple[str, list]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES or entry.app_name in SKIPPED_NAMESPACES:
                continue
            inner = entry.namespace or namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            if name not in SKIPPED_NAMES:
                yield name, list(entry.pattern.converters)


@pytest.fixture
def world(project, other_project, pm, director, settings, tmp_path):
    """A project with one of everything its pages show, in a budgeted, scored portfolio."""
    from governance.tests.builder_world import builder_ids
    from governance.tests.gate_world import gate_world
    from governance.tests.review_world import review_ids

    settings.MEDIA_ROOT = tmp_path  # evidence files of the gate page
    today = timezone.localdate()
    portfolio = project.portfolio
    # Over more than a year, so the cost grid pages by fiscal year (?year=).
    project.baseline_finish = date(2027, 12, 17)
    project.save(update_fields=["baseline_finish"])
    PortfolioBudgetFactory(portfolio=portfolio, fiscal_year=today.year)
    criterion = CriterionFactory()
    ScoreFactory(project=project, criterion=criterion)
    milestone = MilestoneFactory(project=project, baseline_date=date(2026, 6, 1))
    CostLineFactory(project=project)
    draft = StatusReportFactory(project=project, period_end=date(2026, 11, 30), author=pm)
    submitted = StatusReportFactory(
        project=project,
        period_end=date(2026, 10, 31),
        author=pm,
        state=ReportState.SUBMITTED,
        submitted_at=timezone.now(),
        suggested_rags={d: "green" for d in ("overall", "schedule", "cost", "scope", "risk")},
    )
    LessonLearned.objects.create(
        project=project, title="Freeze scope early", what_happened="x", recommendation="y"
    )
    items = {
        "risks": RiskFactory(project=project).pk,
        "issues": Issue.objects.create(project=project, title="Licences").pk,
        "assumptions": Assumption.objects.create(project=project, title="Budget holds").pk,
        "dependencies": Dependency.objects.create(
            project=project, depends_on=other_project, title="Network ready"
        ).pk,
    }
    closed_risk = RiskFactory(project=project, status=RaidStatus.CLOSED, resolution="Gone").pk
    change = ChangeRequest.objects.create(
        project=project, title="Add payroll", description="Scope", state="submitted"
    )
    return {
        "project": project,
        "portfolio": portfolio,
        "ids": {
            "report_pk": [draft.pk, submitted.pk],
            "milestone_pk": [milestone.pk],
            "change_pk": [change.pk],
            "criterion_pk": [criterion.pk],
            # Intake requests and the gate page (project_pk, intake_pk, evidence_pk, …).
            **gate_world(project, pm).ids(),
            # The workflow builder (workflow_pk, version_pk, gate_pk, rule_pk, …).
            **builder_ids(),
            # Reviews (an open one, a decided one) and a delegation.
            **review_ids(project, pm, director),
        },
        "items": items,
        "closed_risk": closed_risk,
    }


def _kwarg_sets(name: str, params: list[str], world) -> list[dict]:
    """Every set of real kwargs worth requesting this URL with."""
    sets: list[dict] = [{}]
    for param in params:
        if param == "pk":
            owner = world["portfolio"] if name.startswith(("reporting:", "gov")) else None
            choices = [(owner or world["project"]).pk]
        elif param in world["ids"]:
            choices = world["ids"][param]
        elif param == "project":  # the API's rollups are addressed by their project
            choices = [world["project"].pk]
        elif param == "key":  # the API's KPI catalogue
            choices = ["cpi", "no_such_kpi"]
        elif param == "fmt":
            choices = ["csv", "xlsx"]
        elif param == "fiscal_year":
            choices = [2026, 1999, 2101]
        elif param == "kind":
            choices = list(world["items"])
        elif param == "item_pk":
            continue  # filled from the kind below
        elif param in TEXT_KWARGS:
            choices = TEXT_KWARGS[param]
        else:
            raise AssertionError(f"{name}: no value known for <{param}>; teach the test one")
        sets = [{**s, param: c} for s in sets for c in choices]
    if name.endswith("reopen"):  # only a closed item can be reopened
        return [{**sets[0], "kind": "risks", "item_pk": world["closed_risk"]}]
    if "item_pk" in params:
        return [{**s, "item_pk": world["items"][s["kind"]]} for s in sets]
    return sets


def urls_for(world) -> list[tuple[str, str, dict]]:
    urls = []
    for name, params in _patterns(get_resolver()):
        for kwargs in _kwarg_sets(name, params, world):
            urls.append((name, reverse(name, kwargs=kwargs), kwargs))
    return urls


# --- What a view reads ----------------------------------------------------------------------

# Marks the query string and the posted form of a probe, so a key read can be told apart.
GET_MARK, POST_MARK = "odd-probe-get", "odd-probe-post"


@dataclass
class Reads:
    """What one URL reads: keys of its query string and of its posted form, and which
    methods it answers."""

    get: set[str] = field(default_factory=set)
    post: set[str] = field(default_factory=set)
    gets: bool = True
    posts: bool = True


@contextmanager
def keys_read(reads: Reads) -> Iterator[None]:
    """Record into `reads` every key looked up in a probe's request.GET or request.POST."""
    with pytest.MonkeyPatch.context() as patch:
        for method in ("__getitem__", "get", "getlist", "__contains__"):
            original = getattr(MultiValueDict, method)

            def spy(self, key, *args, _original=original, **kwargs):
                if isinstance(key, str):
                    if dict.__contains__(self, GET_MARK):
                        reads.get.add(key)
                    elif dict.__contains__(self, POST_MARK):
                        reads.post.add(key)
                return _original(self, key, *args, **kwargs)

            patch.setattr(MultiValueDict, method, spy)
        yield


class _Names(HTMLParser):
    """Field names of the page's own forms (by method) and the query keys of links back to
    the page (its filters, pages, toggles); forms and links to other pages are theirs."""

    def __init__(self, reads: Reads, path: str) -> None:
        super().__init__()
        self.reads, self.path = reads, path
        self.method: str | None = None  # of the form being read, if it posts to this page

    def _here(self, url: str | None) -> bool:
        return url is not None and urlsplit(url).path in ("", self.path)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            here = self._here(values.get("action") or "") or self._here(values.get("hx-post"))
            self.method = (values.get("method") or "get").lower() if here else None
        named = tag in ("input", "select", "textarea", "button") and values.get("name")
        if named and self.method is not None:
            keys = self.reads.post if self.method == "post" else self.reads.get
            keys.add(values["name"])
        for attr in ("href", "hx-get"):
            url = values.get(attr)
            if url and "?" in url and self._here(url):
                self.reads.get.update(k for k, _ in parse_qsl(urlsplit(url).query))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.method = None


def probe(client, url: str) -> Reads:
    """A plain GET and an empty POST of `url`, watching what they read."""
    reads = Reads()
    with keys_read(reads):
        page = client.get(url, {GET_MARK: "1"})
        posted = client.post(f"{url}?{GET_MARK}=1", {POST_MARK: "1"})
    reads.gets, reads.posts = page.status_code != 405, posted.status_code != 405
    if "html" in page.get("Content-Type", ""):
        _Names(reads, urlsplit(url).path).feed(page.content.decode(errors="replace"))
    for keys in (reads.get, reads.post):
        keys -= {GET_MARK, POST_MARK, "csrfmiddlewaretoken"}
    return reads


# --- The sweep ------------------------------------------------------------------------------


def _sweep(client, user, world, kinds, *, names=("",), once=False) -> list[str]:
    """Every URL (whose name starts with one of `names`) with every kind of odd value; the
    list of answers that were server errors.

    A view served at several URLs (a register's forms, a draft and a submitted report) reads
    its query string the same way at each: past the first, only its form is posted to (or,
    `once`, nothing is)."""
    failures: list[str] = []
    seen: set[str] = set()

    def check(label: str, method: str, path: str, data=None, *, allowed=None, **extra) -> None:
        try:
            response = getattr(client, method)(path, data, **extra)
        except Exception as error:  # the test client re-raises what the view raised
            failures.append(f"{label} raised {type(error).__name__}: {str(error)[:200]}")
            return
        if response.status_code >= 500 or (allowed and response.status_code not in allowed):
            failures.append(f"{label} → {response.status_code}")

    for name, url, kwargs in urls_for(world):
        if not name.startswith(names):
            continue
        again, _ = name in seen, seen.add(name)
        if again and once:
            continue
        client.force_login(user)
        try:
            reads = probe(client, url)
        except Exception as error:  # fails with no odd input at all: say so, go on
            failures.append(f"{name} fails on a plain request: {type(error).__name__}: {error}")
            continue
        signs_out = ":" not in name  # the accounts pages (logout, password change)
        for kind in kinds:
            value = ODD_VALUES[kind]
            odd_url = f"{url}?{urlencode(dict.fromkeys([*reads.get, *ODD_ID_KEYS], value))}"
            # A NUL in a query string is refused before any view runs (400); in a posted
            # value it reaches the view, whose form says what is wrong next to the field.
            nul = "\x00" in value
            if reads.gets and (reads.get or nul) and not again:
                check(f"GET {name} [{kind}]", "get", odd_url, allowed={400} if nul else None)
            if reads.posts:
                form = dict.fromkeys(reads.post, value)
                check(f"POST {name} [{kind}]", "post", url if nul else odd_url, form)
                if signs_out:
                    client.force_login(user)
        if reads.gets:  # each URL: a fragment may exist in one state and not another
            check(f"GET {name} [htmx]", "get", url, headers={"HX-Request": "true"})
        if again:
            continue
        huge = {k: HUGE_ID if isinstance(v, int) else v for k, v in kwargs.items()}
        if huge != kwargs:
            huge_url = reverse(name, kwargs=huge)
            if reads.gets:
                check(f"GET {name} [id {HUGE_ID}]", "get", huge_url)
            if reads.posts:
                check(f"POST {name} [id {HUGE_ID}]", "post", huge_url, {})
    return failures


def test_the_sweep_covers_every_section(world):
    names = {name for name, _, _ in urls_for(world)}
    assert {"projects:detail", "projects:status-report", "projects:raid-edit"} <= names
    assert {
        "reporting:dashboard",
        "governance:ranking",
        "reporting:portfolio-projects-export",
    } <= names
    assert {"projects:lessons-search", "login"} <= names
    assert {"projects:milestone-import", "projects:milestone-import-apply"} <= names
    assert {"feeds", "feed-revoke", "feed-ics"} <= names


def test_the_probe_sees_what_a_view_reads(client, pmo, world):
    client.force_login(pmo)
    portfolio = world["portfolio"]
    ranking = probe(client, reverse("governance:ranking", args=[portfolio.pk]))
    assert {"fy"} <= ranking.get and ranking.gets and not ranking.posts
    scores = probe(client, reverse("governance:scores", args=[portfolio.pk]))
    assert "project" in scores.post and scores.posts
    assert "portfolio" in probe(client, reverse("reporting:dashboard")).get


def test_odd_input_never_gives_a_server_error_to_the_pmo(client, pmo, world):
    failures = _sweep(client, pmo, world, list(ODD_VALUES))
    assert not failures, "\n".join(failures)


def test_odd_input_never_gives_a_server_error_to_a_project_manager(client, pm, world):
    # Portfolio pages refuse a project manager before reading anything: their own pages.
    failures = _sweep(client, pm, world, SHORT_KINDS, names=("projects:",), once=True)
    assert not failures, "\n".join(failures)
