"""The chart package: definitions render to valid, escaped, accessible SVG with sensible axes,
and the milestone trend chart draws one step line per milestone ending where it should."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest

from ppm.charts import (
    PALETTE,
    Axis,
    Chart,
    LineChart,
    Point,
    ReferenceLine,
    Series,
    colour_for,
    compact,
    marker_for,
    render_svg,
)
from ppm.charts.scales import build_scale, date_ticks, number_ticks
from ppm.charts.svg import safe_id
from projects.models import Milestone, MilestoneForecast
from projects.selectors.milestones import MilestoneLine, milestone_trend_chart

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def series_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if g.get("class") == "series"]


def date_chart(**kwargs) -> LineChart:
    defaults = {
        "title": "Trend",
        "description": "Two lines.",
        "x_axis": Axis("Reporting date", kind="date"),
        "y_axis": Axis("Forecast date", kind="date"),
        "series": [
            Series(
                "A",
                [
                    Point(date(2026, 1, 5), date(2026, 6, 1)),
                    Point(date(2026, 3, 2), date(2026, 7, 1)),
                ],
            ),
            Series("B", [Point(date(2026, 2, 1), date(2026, 5, 1))]),
        ],
    }
    defaults.update(kwargs)
    return LineChart(**defaults)


# --- The SVG document --------------------------------------------------------------------------


def test_a_line_chart_is_valid_svg_with_title_description_and_viewbox():
    root = parse(render_svg(date_chart(id="mta-7")))
    assert root.tag == f"{NS}svg"
    assert root.get("viewBox").startswith("0 0 760 ")
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "mta-7-title mta-7-desc"
    assert root.find(f"{NS}title").text == "Trend"
    assert root.find(f"{NS}title").get("id") == "mta-7-title"
    assert root.find(f"{NS}desc").text == "Two lines."


def test_every_text_from_data_is_escaped():
    evil = "<script>alert(\"x\")</script> & 'quotes'"
    chart = date_chart(
        title=evil,
        description=evil,
        series=[Series(evil, [Point(date(2026, 1, 1), date(2026, 2, 1), note=evil)])],
        x_axis=Axis(evil, kind="date"),
        reference_lines=[
            ReferenceLine(
                (date(2026, 1, 1), date(2026, 1, 1)), (date(2026, 3, 1), date(2026, 3, 1)), evil
            )
        ],
    )
    svg = render_svg(chart)
    assert "<script>" not in svg
    root = parse(svg)  # still well-formed XML
    assert root.find(f"{NS}title").text == evil
    assert series_groups(root)[0].get("data-series") == evil
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert evil in texts  # the axis label and the reference label, as plain text
    notes = [t.text for t in root.iter(f"{NS}title")]
    assert notes.count(evil) >= 3  # chart title, series title, point note


def test_colours_and_ids_from_definitions_cannot_inject_markup():
    chart = date_chart(
        id='x" onload="alert(1)',
        series=[Series("A", [Point(date(2026, 1, 1), date(2026, 2, 1))], colour='red" onclick="x')],
    )
    root = parse(render_svg(chart))
    assert root.get("onload") is None
    assert root.find(f"{NS}title").get("id") == "x--onload--alert-1--title"
    marker = next(e for e in series_groups(root)[0] if e.get("class") == "marker")
    assert marker.get("fill") == PALETTE[0]
    assert marker.get("onclick") is None


def test_safe_ids_start_with_a_letter():
    assert safe_id("42") == "c-42"
    assert safe_id("mta-3") == "mta-3"


def test_a_series_per_definition_with_palette_colours_and_distinct_markers():
    series = [Series(f"S{i}", [Point(i, i), Point(i + 1, i + 2)]) for i in range(9)]
    chart = LineChart(
        title="Nine",
        description="Nine lines.",
        x_axis=Axis("x"),
        y_axis=Axis("y"),
        series=series,
    )
    root = parse(render_svg(chart))
    groups = series_groups(root)
    assert [g.get("data-series") for g in groups] == [f"S{i}" for i in range(9)]
    strokes = [g.find(f"{NS}path").get("stroke") for g in groups]
    assert strokes[:7] == list(PALETTE)
    assert strokes[7] == PALETTE[0]  # the palette repeats…
    assert marker_for(7) != marker_for(0)  # …but the marker shape tells them apart
    assert colour_for(3) == PALETTE[3]
    legend = next(g for g in root.iter(f"{NS}g") if g.get("class") == "legend")
    assert [t.text for t in legend.iter(f"{NS}text")] == [f"S{i}" for i in range(9)]


def test_the_legend_wraps_and_the_chart_grows_to_hold_it():
    one = parse(
        render_svg(date_chart(series=[Series("Only", [Point(date(2026, 1, 1), date(2026, 2, 1))])]))
    )
    many = parse(
        render_svg(
            date_chart(
                series=[
                    Series(
                        f"A rather long milestone name {i}",
                        [Point(date(2026, 1, 1), date(2026, 2, i + 1))],
                    )
                    for i in range(12)
                ]
            )
        )
    )
    height = lambda root: float(root.get("viewBox").split()[3])  # noqa: E731
    assert height(many) > height(one) + 3 * 22


def test_a_step_series_holds_its_value_until_the_next_point():
    chart = date_chart(
        series=[
            Series(
                "Step",
                [
                    Point(date(2026, 1, 1), date(2026, 6, 1)),
                    Point(date(2026, 2, 1), date(2026, 7, 1)),
                ],
                step=True,
            )
        ]
    )
    path = series_groups(parse(render_svg(chart)))[0].find(f"{NS}path").get("d")
    assert path.startswith("M")
    assert "H" in path and "V" in path and "L" not in path


def test_points_without_a_marker_are_drawn_through_but_not_marked():
    chart = date_chart(
        series=[
            Series(
                "A",
                [
                    Point(date(2026, 1, 1), date(2026, 6, 1), note="stated"),
                    Point(date(2026, 3, 1), date(2026, 6, 1), marker=False),
                ],
            )
        ]
    )
    group = series_groups(parse(render_svg(chart)))[0]
    markers = [e for e in group if e.get("class") == "marker"]
    assert len(markers) == 1
    assert markers[0].find(f"{NS}title").text == "stated"


def test_an_empty_chart_says_so():
    root = parse(render_svg(date_chart(series=[], empty_message="No milestones yet.")))
    assert series_groups(root) == []
    assert "No milestones yet." in [t.text for t in root.iter(f"{NS}text")]


def test_an_unknown_chart_type_is_refused():
    with pytest.raises(TypeError, match="no SVG renderer"):
        render_svg(Chart(title="t", description="d"))


def test_a_date_axis_refuses_numbers():
    with pytest.raises(TypeError, match="date axis"):
        render_svg(date_chart(series=[Series("A", [Point(1, date(2026, 1, 1))])]))


# --- Axes and scales ---------------------------------------------------------------------------


def test_a_date_scale_covers_the_data_with_round_month_ticks():
    scale = build_scale(
        Axis("d", kind="date"),
        [date(2026, 1, 12), date(2026, 11, 22)],
        start=0,
        end=600,
        max_ticks=8,
    )
    lo, hi = scale.domain
    assert lo <= date(2026, 1, 12) and hi >= date(2026, 11, 22)
    assert lo.day == 1 and hi.day == 1
    assert 2 <= len(scale.ticks) <= 8
    assert scale(lo) == 0 and scale(hi) == 600
    assert scale.ticks[0][1] == "Jan 2026"


def test_date_ticks_pick_a_step_for_the_span():
    _, _, days = date_ticks(date(2026, 3, 2), date(2026, 3, 9), 10)
    assert [label for _, label in days][:2] == ["2 Mar", "3"]
    _, _, years = date_ticks(date(2020, 5, 1), date(2029, 5, 1), 6)
    assert all(label.isdigit() for _, label in years)
    _, _, months = date_ticks(date(2026, 11, 1), date(2027, 3, 1), 8)
    labels = [label for _, label in months]
    assert "Jan 2027" in labels  # the year is named where it changes


def test_a_single_date_gets_a_range_around_it():
    scale = build_scale(Axis("d", kind="date"), [date(2026, 6, 15)], start=0, end=100, max_ticks=5)
    lo, hi = scale.domain
    assert lo < date(2026, 6, 15) < hi


def test_a_number_scale_rounds_outwards_to_nice_ticks():
    first, last, ticks = number_ticks(3.2, 97.5, 6)
    assert first == 0 and last == 100
    assert [label for _, label in ticks] == ["0", "20", "40", "60", "80", "100"]
    _, _, negative = number_ticks(-5, 5, 5)
    assert [label for _, label in negative] == ["−5.0", "−2.5", "0.0", "2.5", "5.0"]
    _, _, money = number_ticks(1000, 250000, 6)
    assert [label for _, label in money][-2:] == ["200,000", "250,000"]


def test_a_number_axis_takes_decimals_and_fixed_bounds():
    scale = build_scale(
        Axis("cpi", minimum=Decimal("0"), maximum=Decimal("2")),
        [Decimal("0.85"), Decimal("1.1")],
        start=100,
        end=0,
        max_ticks=5,
    )
    assert scale.domain == (Decimal("0.0"), Decimal("2.0"))
    assert scale(Decimal("1")) == 50
    assert [label for _, label in scale.ticks] == ["0.0", "0.5", "1.0", "1.5", "2.0"]


def test_reference_lines_widen_the_range_unless_told_not_to():
    line = ReferenceLine((date(2025, 1, 1), date(2025, 1, 1)), (date(2027, 1, 1), date(2027, 1, 1)))
    wide = parse(render_svg(date_chart(reference_lines=[line])))
    narrow_line = ReferenceLine(line.start, line.end, extends_range=False)
    narrow = parse(render_svg(date_chart(reference_lines=[narrow_line])))

    def x_labels(root):
        axis = next(g for g in root.iter(f"{NS}g") if g.get("class") == "axis axis-x")
        return [t.text for t in axis.iter(f"{NS}text")]

    assert "2025" in " ".join(x_labels(wide))
    assert "2025" not in " ".join(x_labels(narrow))


# --- The milestone trend chart -------------------------------------------------------------------


def line_of(name, baseline, forecasts, actual=None, pk=1) -> MilestoneLine:
    milestone = Milestone(
        pk=pk,
        name=name,
        baseline_date=baseline,
        forecast_date=forecasts[-1][1] if forecasts else baseline,
        actual_date=actual,
    )
    series = [
        MilestoneForecast(milestone=milestone, as_of=as_of, forecast_date=f, reason=r)
        for as_of, f, r in forecasts
    ]
    slip = ((actual or milestone.forecast_date) - baseline).days
    return MilestoneLine(milestone=milestone, slip_days=slip, status="", forecasts=series)


TODAY = date(2026, 11, 22)


def test_an_open_milestone_steps_through_its_forecasts_and_runs_to_today():
    line = line_of(
        "Go-live",
        date(2026, 11, 30),
        [
            (date(2026, 1, 12), date(2026, 11, 30), "Planned"),
            (date(2026, 6, 3), date(2026, 12, 7), "Vendor"),
            (date(2026, 6, 3), date(2026, 12, 14), "Vendor again"),  # same day: the last wins
            (date(2026, 9, 1), date(2026, 12, 14), "Confirmed"),
        ],
    )
    chart = milestone_trend_chart(lines=[line], today=TODAY)
    (series,) = chart.series
    assert series.step
    assert [(p.x, p.y) for p in series.points] == [
        (date(2026, 1, 12), date(2026, 11, 30)),
        (date(2026, 6, 3), date(2026, 12, 14)),
        (date(2026, 9, 1), date(2026, 12, 14)),
        (TODAY, date(2026, 12, 14)),
    ]
    assert series.points[-1].marker is False
    assert "Vendor again" in series.points[1].note
    diagonal = chart.reference_lines[0]
    assert diagonal.start == (date(2026, 1, 12), date(2026, 1, 12))
    assert diagonal.end == (TODAY, TODAY)


def test_an_achieved_milestone_ends_on_the_diagonal():
    line = line_of(
        "Build complete",
        date(2026, 7, 31),
        [
            (date(2026, 1, 12), date(2026, 7, 31), "Planned"),
            (date(2026, 5, 4), date(2026, 8, 28), "Rework"),
        ],
        actual=date(2026, 8, 26),
    )
    (series,) = milestone_trend_chart(lines=[line], today=TODAY).series
    last = series.points[-1]
    assert (last.x, last.y) == (date(2026, 8, 26), date(2026, 8, 26))
    assert "achieved" in last.note
    assert all(p.x <= date(2026, 8, 26) for p in series.points)


def test_a_milestone_without_history_shows_todays_forecast():
    line = line_of("Imported", date(2026, 12, 1), [])
    (series,) = milestone_trend_chart(lines=[line], today=TODAY).series
    assert [(p.x, p.y) for p in series.points] == [(TODAY, date(2026, 12, 1))]


def test_the_trend_chart_renders_one_line_per_milestone_inside_its_axes():
    lines = [
        line_of(
            f"M{i}",
            date(2026, 12, i + 1),
            [(date(2026, 3, 1), date(2026, 12, i + 1), "Planned")],
            pk=i,
        )
        for i in range(5)
    ]
    chart = milestone_trend_chart(lines=lines, today=TODAY)
    root = parse(render_svg(chart))
    assert [g.get("data-series") for g in series_groups(root)] == [f"M{i}" for i in range(5)]
    x_axis = Axis("Reporting date", kind="date")
    scale = build_scale(x_axis, [date(2026, 3, 1), TODAY], start=0, end=1, max_ticks=8)
    lo, hi = scale.domain
    assert lo <= date(2026, 3, 1) and hi >= TODAY
    assert "5 milestones" in chart.description


def test_the_compact_drawing_is_the_same_chart_narrower():
    chart = date_chart(id="mta-1")
    small = compact(chart)
    assert small.series == chart.series
    assert (small.width, small.id) == (420, "mta-1-compact")
    wide_root, small_root = parse(render_svg(chart)), parse(render_svg(small))
    assert small_root.get("viewBox").startswith("0 0 420 ")
    assert [g.get("data-series") for g in series_groups(small_root)] == [
        g.get("data-series") for g in series_groups(wide_root)
    ]
    # Text keeps its size: only the drawing is narrower.
    assert small_root.get("font-size") == wide_root.get("font-size")
