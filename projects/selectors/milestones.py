"""Reads behind the milestones section: the milestone table with slip and status, each
milestone's forecast series, and the milestone trend (slip-trend) chart built from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch

from ppm.charts import Axis, LineChart, Point, ReferenceLine, Series
from projects.metrics import milestone_slip_days
from projects.models import Milestone, MilestoneForecast, Project

ACHIEVED, ON_TRACK, SLIPPING, OVERDUE = "achieved", "on_track", "slipping", "overdue"
STATUS_LABELS = {
    ACHIEVED: "Achieved",
    ON_TRACK: "On track",
    SLIPPING: "Slipping",
    OVERDUE: "Overdue",
}


def milestone_status(milestone: Milestone, *, today: date) -> str:
    """Achieved once it has an actual date; overdue when its forecast has passed without it;
    slipping when forecast after baseline; else on track."""
    if milestone.actual_date is not None:
        return ACHIEVED
    if milestone.forecast_date < today:
        return OVERDUE
    if milestone.forecast_date > milestone.baseline_date:
        return SLIPPING
    return ON_TRACK


@dataclass(frozen=True)
class MilestoneLine:
    """A milestone as the table shows it, with its forecast series (oldest first)."""

    milestone: Milestone
    slip_days: int
    status: str
    forecasts: list[MilestoneForecast]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def achieved(self) -> bool:
        return self.status == ACHIEVED


def _forecasts() -> Prefetch:
    return Prefetch(
        "forecasts",
        queryset=MilestoneForecast.objects.select_related("recorded_by").order_by("as_of", "pk"),
    )


def milestone_lines(*, project: Project, today: date) -> list[MilestoneLine]:
    """The project's milestones by baseline date with slip, status and forecast series.

    Two queries whatever the number of milestones and forecasts."""
    milestones = Milestone.objects.filter(project=project).prefetch_related(_forecasts())
    return [_line(m, today) for m in milestones.order_by("baseline_date", "pk")]


def milestone_line(*, project: Project, pk: int, today: date) -> MilestoneLine:
    """One milestone of the project (raises Milestone.DoesNotExist) with its series."""
    milestone = Milestone.objects.prefetch_related(_forecasts()).get(project=project, pk=pk)
    milestone.project = project  # the services read it; it is already loaded
    return _line(milestone, today)


def _line(milestone: Milestone, today: date) -> MilestoneLine:
    return MilestoneLine(
        milestone=milestone,
        slip_days=milestone_slip_days(
            baseline=milestone.baseline_date,
            forecast=milestone.forecast_date,
            actual=milestone.actual_date,
        ),
        status=milestone_status(milestone, today=today),
        forecasts=list(milestone.forecasts.all()),
    )


# --- Milestone trend chart -------------------------------------------------------------------


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _trend_points(line: MilestoneLine, today: date) -> list[Point]:
    """One milestone's forecast as a step series: each forecast holds from the day it was
    stated until the next, up to today; an achieved milestone ends on the diagonal at its
    actual date (reporting date = forecast date = the day it was met)."""
    milestone = line.milestone
    end = milestone.actual_date or today
    by_day: dict[date, MilestoneForecast] = {}
    for forecast in line.forecasts:  # oldest first: the day's last forecast wins
        if forecast.as_of <= end:
            by_day[forecast.as_of] = forecast
    points = [
        Point(
            as_of,
            f.forecast_date,
            note=f"{milestone.name}: forecast {_day(f.forecast_date)}, stated {_day(as_of)}"
            + (f" ({f.reason})" if f.reason else ""),
        )
        for as_of, f in sorted(by_day.items())
    ]
    if milestone.actual_date is not None:
        if points and points[-1].x == end:
            points.pop()  # the day it was met, the actual date replaces that day's forecast
        points.append(
            Point(end, end, note=f"{milestone.name}: achieved {_day(milestone.actual_date)}")
        )
    elif not points:
        # No recorded history (e.g. imported): today's forecast is all that is known.
        points.append(
            Point(
                today,
                milestone.forecast_date,
                note=f"{milestone.name}: forecast {_day(milestone.forecast_date)}",
            )
        )
    elif points[-1].x < today:
        # Carry the standing forecast forward to today; no marker, it is not a new statement.
        points.append(Point(today, points[-1].y, marker=False))
    return points


def milestone_trend_chart(
    *, lines: list[MilestoneLine], today: date, project: Project | None = None
) -> LineChart:
    """The classic milestone trend analysis: x = reporting date, y = forecast date, one step
    line per milestone, and the diagonal where forecast = reporting date ("today line").

    A flat line is a stable forecast, a rising one a slipping milestone; a line meets the
    diagonal when its milestone is achieved (or would be overdue)."""
    series = [
        Series(name=line.milestone.name, points=_trend_points(line, today), step=True)
        for line in lines
    ]
    reported = [p.x for s in series for p in s.points]
    first = min(reported, default=today)
    slipped = [line for line in lines if line.slip_days > 0 and not line.achieved]
    summary = (
        f"{len(lines)} milestone{'s' if len(lines) != 1 else ''}"
        + (f", {len(slipped)} open and slipping" if slipped else "")
        + ". "
        + "; ".join(
            f"{line.milestone.name}: "
            + (
                f"achieved {_day(line.milestone.actual_date)}"
                if line.milestone.actual_date
                else f"forecast {_day(line.milestone.forecast_date)}"
            )
            + f" (baseline {_day(line.milestone.baseline_date)}, slip {line.slip_days:+d} days)"
            for line in lines
        )
    )
    name = f"{project.code} " if project is not None else ""
    return LineChart(
        id=f"mta-{project.pk}" if project is not None else "mta",
        title=f"{name}milestone trend: forecast dates by reporting date",
        description=summary if lines else "No milestones yet.",
        x_axis=Axis("Reporting date", kind="date"),
        y_axis=Axis("Forecast date", kind="date"),
        series=series,
        reference_lines=[
            ReferenceLine(start=(first, first), end=(today, today), label="Today line")
        ],
        empty_message="No milestones yet.",
        width=900,
        height=400,
    )
