"""The line chart's renderer: lines (optionally stepped) with markers and guide lines over a
date or numeric x axis against a date or numeric y axis."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ppm.charts.model import LineChart, Point, Series, Value
from ppm.charts.palette import MARKERS, MUTED, REFERENCE, colour_for, marker_for
from ppm.charts.scales import Scale, build_scale, drawable
from ppm.charts.svg import (
    TICK_SPACING,
    Svg,
    draw_grid_and_axes,
    draw_legend,
    draw_marker,
    legend_layout,
    num,
    open_svg,
    pick_colour,
    renderer,
    text_width,
)


def _points(series: Series) -> list[Point]:
    """The series' points that can be drawn: one dated in year 9999 is skipped, not fatal."""
    points = [p if isinstance(p, Point) else Point(*p) for p in series.points]
    return [p for p in points if drawable(p.x) and drawable(p.y)]


def _line_path(points: list[Point], x: Scale, y: Scale, *, step: bool) -> str:
    parts = []
    for i, point in enumerate(points):
        px, py = x(point.x), y(point.y)
        if i == 0:
            parts.append(f"M{num(px)} {num(py)}")
        elif step:
            parts.append(f"H{num(px)}V{num(py)}")
        else:
            parts.append(f"L{num(px)} {num(py)}")
    return "".join(parts)


def _reference_label(
    svg: Svg, label: str, x1: float, y1: float, x2: float, y2: float, *, at_start: bool = False
) -> None:
    """The label runs along the line, near its end (or start), on the side below it (for a
    rising diagonal that is the side no forecast can reach: a date already past)."""
    length = math.hypot(x2 - x1, y2 - y1)
    if length < 1:
        return
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    nx, ny = (-uy, ux) if ux >= 0 else (uy, -ux)  # the perpendicular pointing down
    if at_start:
        x, y = x1 + ux * 10 + nx * 14, y1 + uy * 10 + ny * 14
    else:
        x, y = x2 - ux * 10 + nx * 14, y2 - uy * 10 + ny * 14
    angle = math.degrees(math.atan2(uy, ux))
    svg.leaf(
        "text",
        label,
        x=x,
        y=y,
        text_anchor="start" if at_start else "end",
        fill=MUTED,
        transform=f"rotate({num(angle)} {num(x)} {num(y)})",
    )


def _values(chart: LineChart, axis: str) -> Iterable[Value]:
    for series in chart.series:
        for point in _points(series):
            yield point.x if axis == "x" else point.y
    for line in chart.reference_lines:
        if line.extends_range:
            index = 0 if axis == "x" else 1
            yield line.start[index]
            yield line.end[index]


@renderer
def _render_line_chart(chart: LineChart) -> str:
    svg = Svg()
    series_style = [
        (
            s.name,
            pick_colour(s.colour, colour_for(i)),
            s.marker if s.marker in MARKERS else marker_for(i),
            s.dashed,
        )
        for i, s in enumerate(chart.series)
    ]

    # Build the y scale first: its tick labels decide the left margin.
    top = 14.0
    plot_bottom = chart.height - 52.0
    probe = build_scale(chart.y_axis, _values(chart, "y"), start=plot_bottom, end=top, max_ticks=8)
    label_width = max((text_width(label) for _v, label in probe.ticks), default=20)
    left = 30 + label_width + 8
    # Room for half of the last x tick label, which is centred on the plot's right edge.
    right = chart.width - 36.0
    max_x_ticks = max(2, int((right - left) / TICK_SPACING))
    x = build_scale(chart.x_axis, _values(chart, "x"), start=left, end=right, max_ticks=max_x_ticks)
    y_ticks = max(2, min(8, int((plot_bottom - top) / 36)))
    y = build_scale(
        chart.y_axis, _values(chart, "y"), start=plot_bottom, end=top, max_ticks=y_ticks
    )

    legend = legend_layout(list(series_style) if chart.legend else [], right - left)
    height = chart.height + legend.height
    cid = open_svg(svg, chart, height)
    svg.open("defs")
    svg.open("clipPath", id=f"{cid}-plot")
    svg.leaf("rect", x=left, y=top, width=right - left, height=plot_bottom - top)
    svg.close("clipPath")
    svg.close("defs")

    draw_grid_and_axes(
        svg, x, y, chart.x_axis.label, chart.y_axis.label, top=top, bottom=plot_bottom
    )

    if chart.is_empty:
        svg.leaf(
            "text",
            chart.empty_message,
            x=(left + right) / 2,
            y=(top + plot_bottom) / 2,
            text_anchor="middle",
            fill=MUTED,
            class_="empty",
        )

    for line in chart.reference_lines:
        if not all(drawable(v) for v in (*line.start, *line.end)):
            continue
        colour = pick_colour(line.colour, REFERENCE)
        x1, y1 = x(line.start[0]), y(line.start[1])
        x2, y2 = x(line.end[0]), y(line.end[1])
        svg.open("g", class_="reference", clip_path=f"url(#{cid}-plot)")
        svg.leaf(
            "line",
            x1=x1,
            y1=y1,
            x2=x2,
            y2=y2,
            stroke=colour,
            stroke_width=1.5,
            stroke_dasharray="5 4" if line.dashed else None,
        )
        if line.label:
            _reference_label(svg, line.label, x1, y1, x2, y2, at_start=line.label_at == "start")
        svg.close("g")

    for series, (name, colour, marker, dashed) in zip(chart.series, series_style, strict=True):
        points = _points(series)
        if not points:
            continue
        svg.open("g", class_="series", data_series=name)
        svg.leaf("title", name)
        if len(points) > 1:
            svg.leaf(
                "path",
                d=_line_path(points, x, y, step=series.step),
                fill="none",
                stroke=colour,
                stroke_width=2.5,
                stroke_linejoin="round",
                stroke_dasharray="6 4" if dashed else None,
                clip_path=f"url(#{cid}-plot)",
            )
        for point in points:
            if point.marker and x.contains(point.x) and y.contains(point.y):
                draw_marker(svg, marker, x(point.x), y(point.y), colour, point.note)
        svg.close("g")

    if legend.rows:
        draw_legend(svg, legend, left=left, top=chart.height)
    svg.close("svg")
    return str(svg)
