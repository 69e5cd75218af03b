"""Calendar feeds: a portfolio's milestones as an iCalendar (RFC 5545) subscription.

A calendar program (Outlook, Google, Apple) fetches a URL and can send no header, so the
secret is the URL: `/feeds/cal_<40 characters>.ics`. As with API tokens (ppm.api.auth) only
the secret's SHA-256 is stored and looked up, the owner sees it once, and revoking is one
UPDATE. A feed shows what its owner may see *at each fetch* (ppm.access.scope): an owner who
lost the portfolio, or their account, gets the same 404 as a revoked or unknown secret.

The owner's page is `/accounts/feeds/` (list, create, revoke); the writes are the service
functions below, `calendar_feed_create` and `calendar_feed_revoke`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portfolio.models import Portfolio
from ppm.access import scope
from ppm.accounts.forms import no_control_characters
from ppm.api import auth
from ppm.api.auth import PREFIX_LENGTH, secret_digest
from ppm.models import CalendarFeed
from ppm.roles import require_a_role
from projects.choices import LifecycleState
from projects.models import Milestone

log = logging.getLogger(__name__)

SECRET_PREFIX = "cal_"  # noqa: S105 - the format's marker, not a secret
# Anything else is refused before the database is asked (ASCII only: no NUL, no space).
SECRET_PATTERN = re.compile(r"cal_[A-Za-z0-9_-]{40}")
# Live feeds one person may hold: one per calendar program and portfolio is a handful.
MAX_LIVE_FEEDS = 10
# last_used_at is written at most this often: calendars poll every few minutes to hours.
LAST_USED_GRAIN = timedelta(hours=1)
LISTED_AFTER_REVOKE = timedelta(days=90)
# The feed's bounds: a portfolio of thousands of milestones stays a calendar a program can
# load, and the query reads a window of dates, not the portfolio's whole history.
MAX_EVENTS = 5000
WINDOW_BACK = timedelta(days=731)  # two years
WINDOW_AHEAD = timedelta(days=1827)  # five years
CACHE_CONTROL = "private, max-age=900"
# Every refusal has this one body: nothing tells an unknown secret from a revoked one.
NOT_FOUND = "No calendar feed at this address.\n"
NAME_MAX = CalendarFeed._meta.get_field("name").max_length


class FeedError(Exception):
    """A rule refused the feed; `field` names the input it concerns (None: the whole form)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class CreatedFeed:
    feed: CalendarFeed
    secret: str  # shown to the owner once, on the page that answers the form; never stored


def new_secret() -> str:
    """`cal_` and 40 URL-safe characters, made as an API token's secret is."""
    return auth.new_secret(SECRET_PREFIX)


# --- Reads --------------------------------------------------------------------------------------


def portfolios_for_feeds(*, owner: AbstractBaseUser) -> QuerySet[Portfolio]:
    """The portfolios the owner may make a feed of: those they may see."""
    return scope(Portfolio.objects.all(), owner).order_by("name", "pk")


def feeds_listed(*, owner: AbstractBaseUser, now: datetime) -> list[CalendarFeed]:
    """The owner's feeds, newest first: every live one and those revoked within 90 days."""
    recent = Q(revoked_at__isnull=True) | Q(revoked_at__gt=now - LISTED_AFTER_REVOKE)
    return list(CalendarFeed.objects.filter(recent, owner=owner).select_related("portfolio"))


def calendar_feed_resolve(*, secret: str) -> CalendarFeed | None:
    """The live feed whose secret this is, with its owner and portfolio, if its owner may still
    see the portfolio; else None. Three queries (the feed, the owner's roles, the scope)."""
    if not SECRET_PATTERN.fullmatch(secret):
        return None
    feed = (
        CalendarFeed.objects.select_related("owner", "portfolio")
        .filter(digest=secret_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        return None
    # scope() sees nothing for an inactive account or one without a role.
    if not scope(Portfolio.objects.filter(pk=feed.portfolio_id), feed.owner).exists():
        log.info("calendar feed out of scope", extra={"feed": feed.pk})
        return None
    return feed


def feed_milestones(*, feed: CalendarFeed, today: date) -> list[Milestone]:
    """The milestones the feed shows, by date: those of the portfolio's projects its owner
    may see, open or achieved, dated (achieved: the actual date, else the forecast) within
    two years back and five ahead, at most 5,000; a cancelled project's are left out. Each
    has `on` (its date) and `changed_at` (its last audit event, else its project's last
    change). One query."""
    events = Milestone.events.rel.related_model.objects.filter(pgh_obj=OuterRef("pk"))
    last_event = events.order_by("-pgh_created_at").values("pgh_created_at")[:1]
    milestones = scope(Milestone.objects.filter(project__portfolio=feed.portfolio_id), feed.owner)
    return list(
        milestones.exclude(project__state=LifecycleState.CANCELLED)
        .annotate(
            on=Coalesce("actual_date", "forecast_date"),
            changed_at=Coalesce(
                Subquery(last_event, output_field=DateTimeField()), F("project__updated_at")
            ),
        )
        .filter(on__gte=today - WINDOW_BACK, on__lte=today + WINDOW_AHEAD)
        .select_related("project")
        .only(
            "name",
            "is_key",
            "baseline_date",
            "forecast_date",
            "actual_date",
            "project__code",
            "project__name",
            "project__updated_at",
        )
        .order_by("on", "pk")[:MAX_EVENTS]
    )


# --- Writes -------------------------------------------------------------------------------------


def calendar_feed_create(
    *, owner: AbstractBaseUser, portfolio: Portfolio, name: str, now: datetime
) -> CreatedFeed:
    """Make a feed named `name` of `portfolio` for `owner`; the secret comes back once, in the
    result. Raises FeedError for a portfolio the owner may not see, a name one of their live
    feeds has, or an owner at the limit of 10 live feeds. The owner's row is locked for the
    transaction, so two submissions at once cannot both pass the limit."""
    if not portfolios_for_feeds(owner=owner).filter(pk=portfolio.pk).exists():
        raise FeedError("Choose one of the portfolios you can see.", field="portfolio")
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=owner.pk).exists()
        live = list(
            CalendarFeed.objects.filter(owner=owner, revoked_at__isnull=True)
            .order_by()
            .values_list("name", flat=True)
        )
        if name in live:
            raise FeedError(
                f"You already have a feed named “{name}”: choose another name, or revoke that "
                "feed first.",
                field="name",
            )
        if len(live) >= MAX_LIVE_FEEDS:
            raise FeedError(
                f"You have {MAX_LIVE_FEEDS} calendar feeds, the most one person may hold: "
                "revoke one you no longer need, then create this one."
            )
        secret = new_secret()
        try:
            with transaction.atomic():
                feed = CalendarFeed.objects.create(
                    owner=owner,
                    portfolio=portfolio,
                    name=name,
                    prefix=secret[:PREFIX_LENGTH],
                    digest=secret_digest(secret),
                    created_at=now,
                )
        except IntegrityError:  # a name taken outside this function (the admin, a script)
            raise FeedError(
                f"You already have a feed named “{name}”: choose another name.", field="name"
            ) from None
    log.info("calendar feed created", extra={"owner": owner.pk, "feed": feed.pk})
    return CreatedFeed(feed=feed, secret=secret)


def calendar_feed_revoke(*, owner: AbstractBaseUser, pk: int, now: datetime) -> CalendarFeed:
    """Revoke the owner's feed `pk` from now on (revoking twice keeps the first time). Raises
    CalendarFeed.DoesNotExist when the owner has no such feed."""
    CalendarFeed.objects.filter(owner=owner, pk=pk, revoked_at__isnull=True).update(revoked_at=now)
    feed = CalendarFeed.objects.get(owner=owner, pk=pk)
    log.info("calendar feed revoked", extra={"owner": owner.pk, "feed": feed.pk})
    return feed


def calendar_feed_mark_used(*, feed: CalendarFeed, now: datetime) -> None:
    """Record a fetch, unless one was recorded less than an hour ago: no query when the row
    just read says so, else one conditional UPDATE (racing fetches write once)."""
    if feed.last_used_at is not None and now - feed.last_used_at < LAST_USED_GRAIN:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_GRAIN)
    CalendarFeed.objects.filter(stale, pk=feed.pk).update(last_used_at=now)
    feed.last_used_at = now


# --- iCalendar text (RFC 5545) ------------------------------------------------------------------

# Control characters are not allowed in TEXT (3.3.11); tabs become spaces, line breaks "\n".
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def ical_escape(text: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, every line break as `\\n`."""
    text = _CONTROL.sub("", text.replace("\t", " "))
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def ical_fold(line: str) -> str:
    """One content line folded at 75 octets (3.1): each continuation starts with a space, and
    no UTF-8 character is split between lines."""
    if len(line.encode()) <= 75:
        return line
    parts, current, size = [], [], 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            parts.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _slip(days: int) -> str:
    if days == 0:
        return "0 days (on baseline)"
    word = "late" if days > 0 else "early"
    return f"{days:+d} day{'' if abs(days) == 1 else 's'} ({word})"


def calendar_text(
    *, feed: CalendarFeed, milestones: list[Milestone], now: datetime, site: str
) -> str:
    """The feed's iCalendar text: one all-day VEVENT per milestone, CRLF line ends."""
    host = urlsplit(site).hostname or "conductor"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Conductor//Portfolio milestones//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(f'{feed.portfolio.name} milestones')}",
        f"X-WR-CALDESC:{ical_escape(f'Milestones of {feed.portfolio.name}, from Conductor')}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    stamp = _utc(now)
    for milestone in milestones:
        project = milestone.project
        achieved = milestone.actual_date is not None
        summary = f"{project.code} {milestone.name}" + (" (key)" if milestone.is_key else "")
        url = site + reverse("projects:detail", args=[project.pk])
        description = "\n".join(
            [
                f"Project: {project.code} {project.name}",
                f"Baseline: {milestone.baseline_date.isoformat()}",
                f"{'Achieved' if achieved else 'Forecast'}: {milestone.on.isoformat()}",
                f"Slip: {_slip((milestone.on - milestone.baseline_date).days)}",
                url,
            ]
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:milestone-{milestone.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"LAST-MODIFIED:{_utc(milestone.changed_at)}",
            f"DTSTART;VALUE=DATE:{milestone.on.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(milestone.on + timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{ical_escape(summary)}",
            f"DESCRIPTION:{ical_escape(description)}",
            f"URL:{url}",
            "TRANSP:TRANSPARENT",  # a date to know, not time taken: free/busy stays free
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)


# --- The owner's page ---------------------------------------------------------------------------


class FeedForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        help_text="Where you subscribe to it, e.g. “Outlook at work” or “Phone”.",
        validators=[no_control_characters],
        error_messages={
            "required": "Give the feed a name, so you can tell it apart later.",
            "max_length": "A name is at most %(limit_value)d characters (this one has "
            "%(show_value)d).",
        },
    )
    portfolio = forms.ModelChoiceField(
        label="Portfolio",
        queryset=Portfolio.objects.none(),
        empty_label="Choose a portfolio",
        help_text="The calendar shows the milestones of its projects that you may see.",
        error_messages={
            "required": "Choose the portfolio whose milestones the calendar shows.",
            "invalid_choice": "Choose one of the portfolios you can see.",
        },
    )

    def __init__(self, *args, portfolios: QuerySet[Portfolio], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["portfolio"].queryset = portfolios


def _site(request: HttpRequest) -> str:
    """The address links in a feed start with: SITE_URL, or this request's own."""
    return settings.SITE_URL or f"{request.scheme}://{request.get_host()}"


@require_http_methods(["GET", "POST"])
@login_required
def feeds_page(request: HttpRequest) -> HttpResponse:
    """The person's calendar feeds and the form to make one; a made feed's address is shown
    on the page that answers the form, once."""
    require_a_role(request.user, why="Calendar feeds are for people with a role in Conductor.")
    now = timezone.now()
    portfolios = portfolios_for_feeds(owner=request.user)
    if request.method == "POST":
        form = FeedForm(request.POST, portfolios=portfolios)
    else:
        # ?portfolio=<pk> chooses it in advance (a link from a portfolio's page); any other
        # value only fails to match a choice.
        form = FeedForm(portfolios=portfolios, initial={"portfolio": request.GET.get("portfolio")})
    if form.is_bound and form.is_valid():
        try:
            created = calendar_feed_create(
                owner=request.user,
                portfolio=form.cleaned_data["portfolio"],
                name=form.cleaned_data["name"],
                now=now,
            )
        except FeedError as error:
            form.add_error(error.field, error.message)
        else:
            url = _site(request) + reverse("feed-ics", args=[created.secret])
            return render(
                request,
                "accounts/feed_created.html",
                {"feed": created.feed, "url": url, "webcal": "webcal" + url[url.index(":") :]},
            )
    visible = {p.pk for p in portfolios}
    rows = [
        (
            feed,
            "revoked" if feed.revoked_at else "active" if feed.portfolio_id in visible else "out",
        )
        for feed in feeds_listed(owner=request.user, now=now)
    ]
    live = sum(state != "revoked" for _, state in rows)
    return render(
        request,
        "accounts/feeds.html",
        {
            "form": form,
            "rows": rows,
            "live": live,
            "at_limit": live >= MAX_LIVE_FEEDS,
            "has_portfolios": bool(visible),
            "listed_days": LISTED_AFTER_REVOKE.days,
        },
    )


@require_POST
@login_required
def feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the person's feeds (the list asks to confirm first)."""
    require_a_role(request.user, why="Calendar feeds are for people with a role in Conductor.")
    try:
        feed = calendar_feed_revoke(owner=request.user, pk=pk, now=timezone.now())
    except CalendarFeed.DoesNotExist:
        raise Http404("No such feed.") from None
    messages.success(
        request, f"Revoked “{feed.name}”: a calendar using it gets nothing from now on."
    )
    return redirect("feeds")


# --- The feed -----------------------------------------------------------------------------------


@require_safe
def feed_ics(request: HttpRequest, secret: str) -> HttpResponse:
    """The calendar itself, for a program with the secret address (no session, no CSRF: it
    only reads). Unknown, malformed and revoked secrets, and owners who may no longer see
    the portfolio, get one and the same 404."""
    feed = calendar_feed_resolve(secret=secret)
    if feed is None:
        return HttpResponseNotFound(NOT_FOUND, content_type="text/plain; charset=utf-8")
    now = timezone.now()
    milestones = feed_milestones(feed=feed, today=timezone.localdate(now))
    calendar_feed_mark_used(feed=feed, now=now)
    body = calendar_text(feed=feed, milestones=milestones, now=now, site=_site(request))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Disposition"] = 'inline; filename="milestones.ics"'
    return response


# Included by ppm/urls.py at accounts/feeds/ and at feeds/.
page_urlpatterns = [
    path("", feeds_page, name="feeds"),
    path("<int:pk>/revoke/", feed_revoke, name="feed-revoke"),
]
feed_urlpatterns = [path("<str:secret>.ics", feed_ics, name="feed-ics")]
