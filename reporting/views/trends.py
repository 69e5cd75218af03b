"""Trends: every catalogue figure week by week over a portfolio selection, with what changed
since a date; and one project's own trends (a fragment its overview page loads).

Both read the dated snapshots (reporting.trends) and, for the changes, the live rollups and
the dated events (reporting.changes), in a fixed number of queries whatever the size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from ppm.access import require_portfolio_reader, require_view
from ppm.charts import compact, render_svg
from ppm.htmx import HtmxHttpRequest, render_page
from ppm.params import parse_id
from projects.models import Project
from projects.services.common import DomainError
from projects.services.dates import check_calendar
from reporting.changes import what_changed
from reporting.dashboard import select_portfolios
from reporting.models import ProjectRollupSnapshot
from reporting.trends import (
    Series,
    format_value,
    portfolio_series,
    project_series,
    series_title,
    trend_chart,
)

PORTFOLIO_WEEKS = 26
PROJECT_WEEKS = 52
# "What changed since" defaults to the latest snapshot at least this many days old.
DEFAULT_SINCE_DAYS = 7
# How far back "what changed since" may look.
MAX_SINCE_DAYS = 366
# Lines shown per kind of change; the rest are counted.
LINES_PER_KIND = 50


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclass
class TrendChart:
    """One small multiple: its series and its drawing for a wide and for a narrow screen."""

    series: Series
    wide: SafeString
    narrow: SafeString

    @property
    def title(self) -> str:
        return series_title(self.series)

    @property
    def latest(self) -> str:
        """The last value as its tile writes it ("no snapshot yet" without one)."""
        if not self.series.points:
            return "no snapshot yet"
        return format_value(self.series.kpi, self.series.last, self.series.currency)

    @property
    def latest_day(self) -> date | None:
        return self.series.points[-1][0] if self.series.points else None


def _window(series: list[Series], today: date) -> tuple[date, date]:
    """The time axis every small multiple shares: from the first snapshot shown to today."""
    first = min((s.points[0][0] for s in series if s.points), default=today - timedelta(weeks=1))
    return first, today


def _charts(series: list[Series], prefix: str, today: date) -> list[TrendChart]:
    window = _window(series, today)
    charts = []
    for s in series:
        chart_id = f"{prefix}-{s.kpi.key}-{(s.currency or 'all').lower()}"
        chart = trend_chart(s, chart_id=chart_id, window=window)
        # render_svg escapes every text it draws (ppm.charts.svg). The phone gets the same
        # chart under its own id (ppm.charts.compact), shown instead by app.css.
        charts.append(
            TrendChart(
                s,
                mark_safe(render_svg(chart)),  # noqa: S308
                mark_safe(render_svg(compact(chart, width=360, height=240))),  # noqa: S308
            )
        )
    return charts


def _default_since(portfolio_ids: list[int], today: date) -> date:
    """The latest snapshot day at least DEFAULT_SINCE_DAYS ago, else that many days ago."""
    week_ago = today - timedelta(days=DEFAULT_SINCE_DAYS)
    latest = ProjectRollupSnapshot.objects.filter(
        portfolio_id__in=portfolio_ids, taken_on__lte=week_ago
    ).aggregate(day=Max("taken_on"))["day"]
    return latest or week_ago


def _since(raw: str, *, today: date) -> tuple[date | None, str]:
    """The `since` date typed into the page, or None and the reason it cannot be used."""
    try:
        since = date.fromisoformat(raw)
    except ValueError:
        return None, "Enter a date as YYYY-MM-DD."
    try:
        check_calendar(since, field="since")
    except DomainError as error:
        return None, error.message
    if since >= today:
        return None, f"Choose a day before today ({_day(today)})."
    # Further back every risk, forecast and decision ever made would be listed.
    earliest = today - timedelta(days=MAX_SINCE_DAYS)
    if since < earliest:
        return None, f"Choose a day within the last year (from {_day(earliest)})."
    return since, ""


@require_GET
@login_required
def trends(request: HtmxHttpRequest) -> HttpResponse:
    """Every catalogue figure over the last 26 weeks for one portfolio (?portfolio=<pk>) or
    all the user's, and what changed since ?since=YYYY-MM-DD. A date that cannot be used is
    answered with a message next to the field (400) and the default day's changes."""
    require_portfolio_reader(request.user)
    portfolio_id = parse_id(request.GET.get("portfolio", ""))
    selection = select_portfolios(user=request.user, portfolio_id=portfolio_id)
    today = timezone.localdate()
    raw = request.GET.get("since", "").strip()
    since, since_error = _since(raw, today=today) if raw else (None, "")
    default_since = _default_since(selection.ids, today)
    series = portfolio_series(portfolio_ids=selection.ids, weeks=PORTFOLIO_WEEKS, today=today)
    changes = what_changed(portfolio_ids=selection.ids, since=since or default_since, today=today)
    snapshot_days = sorted({day for s in series for day, _value in s.points}, reverse=True)
    return render_page(
        request,
        "reporting/trends.html",
        {
            "selection": selection,
            "charts": _charts(series, "trend", today),
            "weeks": PORTFOLIO_WEEKS,
            "changes": changes,
            "since_value": raw if since_error else (since or default_since).isoformat(),
            "since_error": since_error,
            "snapshot_days": snapshot_days,
            # Each kind's first LINES_PER_KIND lines, and how many more there are.
            "change_groups": [
                (g, g.lines[:LINES_PER_KIND], max(len(g.lines) - LINES_PER_KIND, 0))
                for g in changes.groups()
            ],
            "today": today,
        },
        partial=None,
        status=400 if since_error else 200,
    )


@require_GET
@login_required
def project_trends(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One project's figures over the last 52 weeks: the fragment its overview page loads,
    or a page of its own when opened directly."""
    project = get_object_or_404(Project.objects.select_related("portfolio"), pk=pk)
    require_view(request.user, project)
    today = timezone.localdate()
    series = project_series(project_id=project.pk, weeks=PROJECT_WEEKS, today=today)
    return render_page(
        request,
        "reporting/_project_trends.html",
        {
            "project": project,
            "charts": _charts(series, f"project-{project.pk}", today),
            "weeks": PROJECT_WEEKS,
            "has_snapshots": any(s.points for s in series),
        },
        partial="project-trends",
    )
