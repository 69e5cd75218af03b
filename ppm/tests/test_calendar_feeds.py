"""Calendar feeds: the owner's page (create with the address shown once, list, revoke), the
feed's iCalendar text read back as a calendar program would, and its scope at every fetch."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portfolio.tests.factories import PortfolioFactory
from ppm.feeds import (
    LAST_USED_GRAIN,
    MAX_LIVE_FEEDS,
    NOT_FOUND,
    SECRET_PATTERN,
    calendar_feed_create,
    calendar_feed_revoke,
)
from ppm.models import CalendarFeed
from ppm.roles import Role
from projects.choices import LifecycleState
from projects.tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

FEEDS = reverse("feeds")


def _make(owner: User, portfolio, name: str = "Outlook at work") -> tuple[CalendarFeed, str]:
    created = calendar_feed_create(owner=owner, portfolio=portfolio, name=name, now=timezone.now())
    return created.feed, created.secret


def _url(secret: str) -> str:
    return reverse("feed-ics", args=[secret])


def _error(response, field: str) -> str:
    """The text of the message element next to `field` (id `id_<field>_error`), or ''."""
    html = response.content.decode()
    match = re.search(rf'id="id_{field}_error">(.*?)</div></div>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else ""


def _parse(body: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Read a calendar back as RFC 5545 says: every line ends in CRLF and is at most 75
    octets; a line starting with a space continues the one before. Returns the calendar's
    properties and one dict per VEVENT (name with parameters → unescaped value)."""
    assert body.endswith(b"\r\n")
    physical = body[:-2].split(b"\r\n")
    for line in physical:
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 75, line
        line.decode()  # a fold never splits a UTF-8 character
    unfolded = body.decode().replace("\r\n ", "").split("\r\n")[:-1]
    calendar: dict[str, str] = {}
    events: list[dict[str, str]] = []
    current = calendar
    for line in unfolded:
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            current = {}
            events.append(current)
        elif line == "END:VEVENT":
            current = calendar
        elif name not in ("BEGIN", "END"):
            value = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
            current[name] = value
    return calendar, events


# --- The owner's page ----------------------------------------------------------------------------


def test_creating_a_feed_shows_its_address_once_and_stores_only_its_digest(
    client, director, portfolio
):
    client.force_login(director)
    response = client.post(FEEDS, {"name": "Outlook at work", "portfolio": portfolio.pk})

    assert response.status_code == 200
    assert response.templates[0].name == "accounts/feed_created.html"
    html = response.content.decode()
    url = re.search(r'value="([^"]+)"[^>]*data-testid="feed-url"', html).group(1)
    secret = re.fullmatch(r"https?://[^/]+/feeds/(cal_[^/]+)\.ics", url).group(1)
    assert SECRET_PATTERN.fullmatch(secret)
    assert "shown only this once" in html
    assert "Subscribe in Outlook" in html and "Subscribe in Google Calendar" in html
    assert f'href="webcal://{url.split("://", 1)[1]}"' in html

    feed = CalendarFeed.objects.get()
    assert (feed.owner, feed.portfolio, feed.name) == (director, portfolio, "Outlook at work")
    assert feed.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert feed.prefix == secret[:8]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM ppm_calendarfeed")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in row and secret[8:] not in row and secret[4:20] not in row

    listing = client.get(FEEDS).content.decode()
    assert secret[8:] not in listing
    assert f"{secret[:8]}…" in listing and "Outlook at work" in listing
    assert "Enterprise Applications" in listing
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Give the feed a name"),
        ({"name": "x" * 81}, "name", "at most 80 characters (this one has 81)"),
        ({"name": "Out\x00look"}, "name", "Null characters are not allowed"),
        ({"name": "Out\x1blook"}, "name", "no control characters"),
        ({"portfolio": ""}, "portfolio", "Choose the portfolio"),
        ({"portfolio": "99999999999999999999"}, "portfolio", "portfolios you can see"),
        ({"portfolio": "²"}, "portfolio", "portfolios you can see"),
    ],
)
def test_bad_input_is_named_next_to_its_field_and_nothing_is_saved(
    client, director, portfolio, fields, field, message
):
    client.force_login(director)
    data = {"name": "Phone", "portfolio": portfolio.pk} | fields
    response = client.post(FEEDS, data)
    assert response.status_code == 200
    assert message in _error(response, field)
    assert not CalendarFeed.objects.exists()


def test_a_portfolio_the_person_may_not_see_is_refused_and_not_offered(
    client, director, portfolio, other_portfolio
):
    client.force_login(director)
    page = client.get(FEEDS).content.decode()
    assert "Enterprise Applications" in page and "Infrastructure" not in page

    response = client.post(FEEDS, {"name": "Phone", "portfolio": other_portfolio.pk})
    assert "portfolios you can see" in _error(response, "portfolio")
    assert not CalendarFeed.objects.exists()


def test_the_service_refuses_a_portfolio_out_of_scope_too(director, other_portfolio):
    from ppm.feeds import FeedError

    with pytest.raises(FeedError) as refused:
        _make(director, other_portfolio)
    assert refused.value.field == "portfolio"
    assert not CalendarFeed.objects.exists()


def test_a_name_is_unique_among_live_feeds_and_free_again_once_revoked(client, director, portfolio):
    client.force_login(director)
    feed, _ = _make(director, portfolio, "Phone")
    response = client.post(FEEDS, {"name": "Phone", "portfolio": portfolio.pk})
    assert "already have a feed named “Phone”" in _error(response, "name")
    assert CalendarFeed.objects.count() == 1

    calendar_feed_revoke(owner=director, pk=feed.pk, now=timezone.now())
    response = client.post(FEEDS, {"name": "Phone", "portfolio": portfolio.pk})
    assert response.templates[0].name == "accounts/feed_created.html"


def test_a_person_holds_at_most_ten_live_feeds(client, director, portfolio):
    for n in range(MAX_LIVE_FEEDS):
        _make(director, portfolio, f"Feed {n}")
    client.force_login(director)
    assert 'data-testid="feed-limit"' in client.get(FEEDS).content.decode()

    response = client.post(FEEDS, {"name": "One more", "portfolio": portfolio.pk})
    assert "the most one person may hold" in response.content.decode()
    assert CalendarFeed.objects.count() == MAX_LIVE_FEEDS


def test_revoking_needs_a_post_marks_the_feed_and_keeps_it_listed(client, director, portfolio):
    feed, secret = _make(director, portfolio)
    client.force_login(director)
    revoke = reverse("feed-revoke", args=[feed.pk])
    assert client.get(revoke).status_code == 405

    page = client.get(FEEDS).content.decode()
    assert 'class="confirm-delete"' in page and f'action="{revoke}"' in page
    response = client.post(revoke, follow=True)
    assert "Revoked “Outlook at work”" in response.content.decode()
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert 'data-state="revoked"' in response.content.decode()
    assert client.get(_url(secret)).status_code == 404


def test_another_persons_feed_cannot_be_revoked(client, director, other_director, portfolio):
    feed, _ = _make(director, portfolio)
    client.force_login(other_director)
    assert client.post(reverse("feed-revoke", args=[feed.pk])).status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_a_project_manager_is_told_feeds_are_for_portfolios(client, pm, project):
    client.force_login(pm)
    page = client.get(FEEDS).content.decode()
    assert 'data-testid="no-portfolios"' in page and 'data-testid="feed-form"' not in page


def test_the_user_menu_links_to_the_feeds_page(client, director):
    client.force_login(director)
    assert f'href="{FEEDS}">Calendar feeds</a>' in client.get(reverse("tokens")).content.decode()


# --- The feed's text -----------------------------------------------------------------------------


def test_the_feed_is_a_calendar_with_one_all_day_event_per_milestone(
    client, director, portfolio, project, settings
):
    settings.SITE_URL = "https://conductor.example.org"
    today = timezone.localdate()
    late = MilestoneFactory(
        project=project,
        name="Go-live",
        is_key=True,
        baseline_date=today + timedelta(days=20),
        forecast_date=today + timedelta(days=32),
    )
    done = MilestoneFactory(
        project=project,
        name="Design signed off",
        is_key=False,
        baseline_date=today - timedelta(days=40),
        forecast_date=today - timedelta(days=40),
        actual_date=today - timedelta(days=43),
    )
    _, secret = _make(director, portfolio)

    response = client.get(_url(secret))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=900"
    calendar, events = _parse(response.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert calendar["X-WR-CALNAME"] == "Enterprise Applications milestones"
    assert len(events) == 2
    by_uid = {event["UID"]: event for event in events}
    go_live = by_uid[f"milestone-{late.pk}@conductor.example.org"]
    assert go_live["SUMMARY"] == "ERP-01 Go-live (key)"
    assert go_live["DTSTART;VALUE=DATE"] == (today + timedelta(days=32)).strftime("%Y%m%d")
    assert go_live["DTEND;VALUE=DATE"] == (today + timedelta(days=33)).strftime("%Y%m%d")
    assert re.fullmatch(r"\d{8}T\d{6}Z", go_live["DTSTAMP"])
    assert re.fullmatch(r"\d{8}T\d{6}Z", go_live["LAST-MODIFIED"])
    page = f"https://conductor.example.org/projects/{project.pk}/"
    assert go_live["DESCRIPTION"].split("\n") == [
        "Project: ERP-01 ERP rollout",
        f"Baseline: {(today + timedelta(days=20)).isoformat()}",
        f"Forecast: {(today + timedelta(days=32)).isoformat()}",
        "Slip: +12 days (late)",
        page,
    ]
    assert go_live["URL"] == page
    signed_off = by_uid[f"milestone-{done.pk}@conductor.example.org"]
    # Achieved: on its actual date, not its forecast; no "(key)".
    assert signed_off["SUMMARY"] == "ERP-01 Design signed off"
    assert signed_off["DTSTART;VALUE=DATE"] == (today - timedelta(days=43)).strftime("%Y%m%d")
    assert "Achieved: " in signed_off["DESCRIPTION"]
    assert "Slip: -3 days (early)" in signed_off["DESCRIPTION"]


def test_the_uid_is_stable_across_fetches_and_changes(client, director, portfolio, project):
    milestone = MilestoneFactory(project=project, baseline_date=timezone.localdate())
    _, secret = _make(director, portfolio)
    first = _parse(client.get(_url(secret)).content)[1][0]
    milestone.forecast_date += timedelta(days=5)
    milestone.save()
    second = _parse(client.get(_url(secret)).content)[1][0]
    assert first["UID"] == second["UID"]
    assert first["DTSTART;VALUE=DATE"] != second["DTSTART;VALUE=DATE"]


def test_text_is_escaped_and_long_unicode_lines_fold_at_75_octets(
    client, director, portfolio, project
):
    name = "Café, übergabe; Straße\\Phase\n" + "Ünïcödé mïlestöne ☃ " * 8
    MilestoneFactory(project=project, name=name, baseline_date=timezone.localdate())
    portfolio.name = "Portefeuille « Applications d’entreprise », ÉTÉ; été " * 2
    portfolio.save()
    _, secret = _make(director, portfolio)

    body = client.get(_url(secret)).content
    # Escaped on the wire: a comma, a semicolon, a backslash, a newline as \n.
    assert b"Caf\xc3\xa9\\, " in body and b"bergabe\\; " in body and b"\\\\Phase\\n" in body
    assert b"\r\n " in body  # folded
    calendar, [event] = _parse(body)  # _parse checks every line is <= 75 octets, CRLF, UTF-8
    assert event["SUMMARY"] == f"ERP-01 {name} (key)"
    assert calendar["X-WR-CALNAME"] == f"{portfolio.name} milestones"


def test_the_feed_is_bounded_to_two_years_back_and_five_ahead(client, director, portfolio, project):
    today = timezone.localdate()
    inside = MilestoneFactory(project=project, baseline_date=today - timedelta(days=700))
    MilestoneFactory(project=project, baseline_date=today - timedelta(days=800))
    MilestoneFactory(project=project, baseline_date=today + timedelta(days=2000))
    _, secret = _make(director, portfolio)
    events = _parse(client.get(_url(secret)).content)[1]
    assert [e["UID"].split("@")[0] for e in events] == [f"milestone-{inside.pk}"]


# --- Scope at every fetch -----------------------------------------------------------------------


def test_unknown_malformed_and_revoked_secrets_get_the_same_404(client, director, portfolio):
    feed, secret = _make(director, portfolio)
    calendar_feed_revoke(owner=director, pk=feed.pk, now=timezone.now())
    unknown = "cal_" + "A" * 40
    answers = [
        client.get(_url(s))
        for s in (secret, unknown, "cal_short", "cnd_" + "A" * 40, "cal_" + "é" * 40)
    ]
    assert {r.status_code for r in answers} == {404}
    assert {r.content for r in answers} == {NOT_FOUND.encode()}


def test_a_director_who_lost_the_portfolio_gets_404(client, director, portfolio, project):
    MilestoneFactory(project=project)
    _, secret = _make(director, portfolio)
    assert client.get(_url(secret)).status_code == 200

    portfolio.director = PortfolioFactory().director
    portfolio.save()
    response = client.get(_url(secret))
    assert (response.status_code, response.content) == (404, NOT_FOUND.encode())


def test_an_owner_who_lost_the_role_or_the_account_gets_404(client, director, portfolio):
    _, secret = _make(director, portfolio)
    director.groups.remove(Group.objects.get(name=Role.DIRECTOR.value))
    assert client.get(_url(secret)).status_code == 404
    director.groups.add(Group.objects.get(name=Role.DIRECTOR.value))
    assert client.get(_url(secret)).status_code == 200
    director.is_active = False
    director.save()
    assert client.get(_url(secret)).status_code == 404


def test_another_portfolios_and_a_cancelled_projects_milestones_are_absent(
    client, pmo, portfolio, project, other_project
):
    mine = MilestoneFactory(project=project, baseline_date=timezone.localdate())
    MilestoneFactory(project=other_project, baseline_date=timezone.localdate())
    cancelled = ProjectFactory(portfolio=portfolio, state=LifecycleState.CANCELLED)
    MilestoneFactory(project=cancelled, baseline_date=timezone.localdate())
    # The PMO sees every portfolio; the feed still holds only its own.
    _, secret = _make(pmo, portfolio)
    events = _parse(client.get(_url(secret)).content)[1]
    assert [e["UID"].split("@")[0] for e in events] == [f"milestone-{mine.pk}"]


def test_the_feed_needs_no_session_and_answers_only_reads(client, director, portfolio):
    _, secret = _make(director, portfolio)
    assert client.head(_url(secret)).status_code == 200
    assert client.post(_url(secret)).status_code == 405


# --- Cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_a_fetch_runs_a_fixed_number_of_queries(
    client, director, portfolio, count, django_assert_num_queries
):
    projects = [ProjectFactory(portfolio=portfolio) for _ in range(3)]
    for n in range(count):
        MilestoneFactory(
            project=projects[n % 3], baseline_date=timezone.localdate() + timedelta(days=n)
        )
    feed, secret = _make(director, portfolio)
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    # The feed with its owner and portfolio, the owner's roles, the portfolio's scope, the
    # milestones (their last change in a subquery); no write within the hour.
    with django_assert_num_queries(4):
        response = client.get(_url(secret))
    assert len(_parse(response.content)[1]) == count


def test_last_used_is_written_at_most_once_an_hour(
    client, director, portfolio, django_assert_num_queries
):
    feed, secret = _make(director, portfolio)
    with django_assert_num_queries(5):  # the first fetch writes it
        client.get(_url(secret))
    feed.refresh_from_db()
    first = feed.last_used_at
    assert first is not None
    with django_assert_num_queries(4):
        client.get(_url(secret))
    feed.refresh_from_db()
    assert feed.last_used_at == first

    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=first - LAST_USED_GRAIN)
    client.get(_url(secret))
    feed.refresh_from_db()
    assert feed.last_used_at > first


def test_a_portfolio_in_the_query_string_is_chosen_in_advance(client, director, portfolio):
    client.force_login(director)
    page = client.get(FEEDS, {"portfolio": portfolio.pk}).content.decode()
    assert f'<option value="{portfolio.pk}" selected>' in page
    odd = client.get(FEEDS, {"portfolio": "²⁰²⁶"})
    assert odd.status_code == 200 and " selected>" not in odd.content.decode()
