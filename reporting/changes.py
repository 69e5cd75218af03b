"""What changed since a date: the lines a director reads before a portfolio meeting.

The baseline of each project is its latest dated snapshot (ProjectRollupSnapshot) taken on
or before `since`; "now" is its live rollup (ProjectRollup). Events dated in the window —
risks raised, milestone forecasts moved, gate decisions — are read from their own tables
for the days after `since` up to and including `today`, in the organisation's time zone.
One query per kind of change (five in all), whatever the number of projects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from governance.choices import ReviewKind, ReviewState
from governance.models import Review
from ppm.templatetags.conductor import format_money
from projects.models import Milestone, MilestoneForecast, Risk
from projects.selectors import IN_FLIGHT_STATES
from reporting.models import ProjectRollup, ProjectRollupSnapshot
from reporting.selectors import open_high_risks

# Kinds of change, in the order the page lists them, with their headings.
KINDS: tuple[tuple[str, str], ...] = (
    ("turned_red", "Turned red"),
    ("recovered", "Recovered from red"),
    ("new_high_risk", "New high risks"),
    ("slipped", "Milestones that slipped"),
    ("budget", "Budget changes"),
    ("gate", "Gate decisions"),
)
HEADINGS = dict(KINDS)
RAG_WORDS = {"red": "red", "amber": "amber", "green": "green", "": "not rated"}


@dataclass
class ChangeLine:
    """One change of one project, linked to the project's page."""

    kind: str
    project_id: int
    project_name: str
    portfolio_id: int
    text: str
    url: str
    before: str = ""
    after: str = ""
    project_code: str = ""


@dataclass
class ChangeGroup:
    kind: str
    heading: str
    lines: list[ChangeLine]


@dataclass
class Changes:
    """The changes between `since` and `until` (both as days; events dated after `since`)."""

    since: date
    until: date
    baseline_taken_on: date | None  # the latest snapshot day used as a baseline
    lines: list[ChangeLine] = field(default_factory=list)

    def groups(self) -> list[ChangeGroup]:
        """The lines by kind, in the fixed order of KINDS; kinds with no line left out."""
        by_kind: dict[str, list[ChangeLine]] = {kind: [] for kind, _heading in KINDS}
        for line in self.lines:
            by_kind[line.kind].append(line)
        return [
            ChangeGroup(kind, HEADINGS[kind], lines) for kind, lines in by_kind.items() if lines
        ]

    def count(self, kind: str) -> int:
        return sum(1 for line in self.lines if line.kind == kind)


def _day(day: date) -> str:
    """'6 Nov 2026', as the pages write a day."""
    return f"{day.day} {day:%b %Y}"


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the organisation's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _percent(before: Decimal, after: Decimal) -> str:
    if not before:
        return ""
    change = (after - before) * 100 / before
    return f" ({'+' if change > 0 else '−'}{abs(change):.1f} %)"


# What a line names of its project: the rest of a project's row (its description, say) is not
# read for each risk, milestone or decision listed.
_PROJECT_FIELDS = ("project__name", "project__code", "project__portfolio_id")


def what_changed(
    *,
    portfolio_ids: list[int],
    since: date,
    project_ids: list[int] | None = None,
    today: date | None = None,
    budget_change_pct: Decimal = Decimal("5"),
) -> Changes:
    """What changed in the portfolios' projects in flight since `since`.

    - turned red / recovered: the rule health of the baseline snapshot against the live
      rollup. A project with no snapshot on or before `since` (new since, or never
      snapshotted) has no baseline: it is neither "turned red" nor "recovered", however it
      is rated now;
    - new high risks: open risks at or above the PMO's red risk score (the engine's high-risk
      definition, reporting.selectors.open_high_risks) created after `since`. A risk raised
      earlier whose score was raised to high since is not listed;
    - milestones that slipped: each milestone whose latest forecast recorded after `since`
      is later than the forecast that stood on `since` (its latest forecast recorded on or
      before it, else its baseline date): the net move over the window, one line per
      milestone, so a slip taken back within the window is not listed;
    - budget changes: BAC now against BAC at the baseline, when it moved by at least
      `budget_change_pct` % of the baseline BAC, or from or to zero;
    - gate decisions: gate reviews approved or rejected after `since`.

    `project_ids` narrows the projects further (e.g. to the ones a reader may see).
    """
    today = today or timezone.localdate()
    start, end = _start_of(since + timedelta(days=1)), _start_of(today + timedelta(days=1))
    project_filter: dict = {
        "project__portfolio_id__in": portfolio_ids,
        "project__state__in": IN_FLIGHT_STATES,
    }
    if project_ids is not None:
        project_filter["project_id__in"] = project_ids
    url = reverse("projects:detail", args=[0]).replace("/0/", "/{}/")

    def line(kind: str, project, portfolio_id: int, text: str, **extra) -> ChangeLine:
        return ChangeLine(
            kind=kind,
            project_id=project.pk,
            project_name=project.name,
            project_code=project.code,
            portfolio_id=portfolio_id,
            text=text,
            url=url.format(project.pk),
            **extra,
        )

    lines: list[ChangeLine] = []

    # Health and budget: live rollups against the baseline snapshots (two queries).
    current = list(
        ProjectRollup.objects.filter(**project_filter)
        .select_related("project", "portfolio")
        .only(
            "project__name",
            "project__code",
            "portfolio__currency",
            "portfolio_id",
            "health_rag",
            "bac",
        )
        .order_by("project__code", "project_id")
    )
    baselines = {
        row["project_id"]: row
        for row in ProjectRollupSnapshot.objects.filter(**project_filter, taken_on__lte=since)
        .order_by("project_id", "-taken_on")
        .distinct("project_id")
        .values("project_id", "taken_on", "health_rag", "bac")
    }
    baseline_day = max((row["taken_on"] for row in baselines.values()), default=None)
    for rollup in current:
        base = baselines.get(rollup.project_id)
        if base is None:
            continue
        was, now = base["health_rag"], rollup.health_rag
        if now == "red" and was != "red":
            lines.append(
                line(
                    "turned_red",
                    rollup.project,
                    rollup.portfolio_id,
                    f"Turned red (was {RAG_WORDS.get(was, was)} on {_day(base['taken_on'])})",
                    before=RAG_WORDS.get(was, was),
                    after="red",
                )
            )
        elif was == "red" and now != "red":
            lines.append(
                line(
                    "recovered",
                    rollup.project,
                    rollup.portfolio_id,
                    f"Recovered from red to {RAG_WORDS.get(now, now)}",
                    before="red",
                    after=RAG_WORDS.get(now, now),
                )
            )
    for rollup in current:
        base = baselines.get(rollup.project_id)
        if base is None:
            continue
        before, after = base["bac"], rollup.bac
        if before == after:
            continue
        if before and after and abs(after - before) * 100 < budget_change_pct * before:
            continue
        currency = rollup.portfolio.currency
        verb = "raised" if after > before else "cut"
        lines.append(
            line(
                "budget",
                rollup.project,
                rollup.portfolio_id,
                f"Budget at completion {verb} by "
                f"{format_money(abs(after - before), currency)}{_percent(before, after)}",
                before=format_money(before, currency),
                after=format_money(after, currency),
            )
        )

    # New high risks (one query).
    risks = (
        Risk.objects.filter(
            pk__in=open_high_risks(
                {**project_filter, "created_at__gte": start, "created_at__lt": end}
            )
        )
        .select_related("project")
        .only("title", "probability", "impact", "created_at", *_PROJECT_FIELDS)
        .order_by("project__code", "created_at", "pk")
    )
    for risk in risks:
        score = risk.probability * risk.impact
        lines.append(
            line(
                "new_high_risk",
                risk.project,
                risk.project.portfolio_id,
                f"New high risk: {risk.title} (score {score}, raised "
                f"{_day(timezone.localtime(risk.created_at).date())})",
                after=str(score),
            )
        )

    # Milestones that slipped (one query).
    forecasts = MilestoneForecast.objects.filter(milestone=OuterRef("pk")).order_by("-as_of", "-pk")
    milestones = (
        Milestone.objects.filter(**project_filter)
        .filter(Exists(forecasts.filter(as_of__gt=since, as_of__lte=today)))
        .annotate(
            standing=Coalesce(
                Subquery(forecasts.filter(as_of__lte=since).values("forecast_date")[:1]),
                F("baseline_date"),
            ),
            latest=Subquery(
                forecasts.filter(as_of__gt=since, as_of__lte=today).values("forecast_date")[:1]
            ),
        )
        .filter(latest__gt=F("standing"))
        .select_related("project")
        .only("name", "is_key", "baseline_date", *_PROJECT_FIELDS)
        .order_by("project__code", "baseline_date", "pk")
    )
    for milestone in milestones:
        days = (milestone.latest - milestone.standing).days
        lines.append(
            line(
                "slipped",
                milestone.project,
                milestone.project.portfolio_id,
                f"{milestone.name}{' (key)' if milestone.is_key else ''}: forecast "
                f"{days} day{'s' if days != 1 else ''} later",
                before=_day(milestone.standing),
                after=_day(milestone.latest),
            )
        )

    # Gate decisions (one query): every project of the portfolios, since a gate can close one.
    gate_filter = {k: v for k, v in project_filter.items() if k != "project__state__in"}
    reviews = (
        Review.objects.filter(
            **gate_filter,
            kind=ReviewKind.GATE,
            state__in=(ReviewState.APPROVED, ReviewState.REJECTED),
            decided_at__gte=start,
            decided_at__lt=end,
        )
        .select_related("project", "gate")
        .only("attempt", "state", "decided_at", "portfolio_id", "gate__name", *_PROJECT_FIELDS)
        .order_by("project__code", "decided_at", "pk")
    )
    for review in reviews:
        attempt = f" (attempt {review.attempt})" if review.attempt > 1 else ""
        lines.append(
            line(
                "gate",
                review.project,
                review.portfolio_id,
                f"Gate “{review.gate.name}” {review.get_state_display().lower()}{attempt} on "
                f"{_day(timezone.localtime(review.decided_at).date())}",
                after=review.get_state_display(),
            )
        )
    return Changes(since=since, until=today, baseline_taken_on=baseline_day, lines=lines)
