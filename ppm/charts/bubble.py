"""The bubble chart's renderer: bubbles placed by two axes, their area proportional to a third
figure, their colour and centre shape by category, with optional guide lines across the plot.

Larger bubbles are drawn first so that a small one on top of a large one stays visible and
clickable; fills are translucent so that overlaps show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal

from ppm.charts.model import Bubble, BubbleChart
from ppm.charts.palette import MARKERS, MUTED, REFERENCE, colour_for, darken, marker_for
from ppm.charts.scales import Scale, build_scale
from ppm.charts.svg import (
    TICK_SPACING,
    Svg,
    draw_grid_and_axes,
    draw_legend,
    draw_marker,
    has_links,
    legend_layout,
    open_svg,
    pick_colour,
    renderer,
    text_width,
    truncate,
)

NOTE_ROW = 18
LABEL_HEIGHT = 14


@dataclass(frozen=True)
class _Style:
    label: str
    colour: str
    marker: str


def _styles(chart: BubbleChart) -> dict[str, _Style]:
    return {
        c.key: _Style(
            c.label,
            pick_colour(c.colour, colour_for(i)),
            c.marker if c.marker in MARKERS else marker_for(i),
        )
        for i, c in enumerate(chart.categories)
    }


def _radii(chart: BubbleChart, bubbles: list[Bubble], max_radius: float) -> list[float]:
    """Area proportional to size: the radius grows with its square root. The largest bubble
    gets `max_radius`; none is smaller than `min_radius` (so each stays visible and can be
    pointed at), which is also the radius of a bubble without a size."""
    largest = max((b.size for b in bubbles if b.size), default=0)
    low = min(chart.min_radius, max_radius)
    if not largest:
        return [low] * len(bubbles)
    return [
        max(low, max_radius * math.sqrt(float(Decimal(b.size) / Decimal(largest))))
        if b.size
        else low
        for b in bubbles
    ]


def _scales(
    chart: BubbleChart, *, left: float, right: float, top: float, bottom: float, pad: float
) -> tuple[Scale, Scale]:
    """Scales over the bubbles and guides, mapped inside the frame by `pad` on every side so
    that no bubble at the edge of the range is cut off."""
    bubbles = chart.plotted
    xs = [b.x for b in bubbles] + [g.value for g in chart.guides if g.axis == "x"]
    ys = [b.y for b in bubbles] + [g.value for g in chart.guides if g.axis == "y"]
    x_ticks = max(2, int((right - left) / TICK_SPACING))
    y_ticks = max(2, min(8, int((bottom - top) / 36)))
    x = build_scale(chart.x_axis, xs, start=left + pad, end=right - pad, max_ticks=x_ticks)
    y = build_scale(chart.y_axis, ys, start=bottom - pad, end=top + pad, max_ticks=y_ticks)
    return x, y


def _draw_guides(
    svg: Svg, chart: BubbleChart, x: Scale, y: Scale, frame: tuple[float, float, float, float]
) -> None:
    left, right, top, bottom = frame
    svg.open("g", class_="guides", fill=MUTED)
    for guide in chart.guides:
        scale = x if guide.axis == "x" else y
        if not scale.contains(guide.value):
            continue
        at = scale(guide.value)
        line = {"x1": at, "x2": at, "y1": top, "y2": bottom}
        if guide.axis == "y":
            line = {"x1": left, "x2": right, "y1": at, "y2": at}
        svg.leaf("line", **line, stroke=REFERENCE, stroke_width=1.5, stroke_dasharray="5 4")
        if not guide.label:
            continue
        if guide.axis == "x":
            fits_right = at + 4 + text_width(guide.label) <= right
            svg.label(
                guide.label,
                40,
                x=at + 4 if fits_right else at - 4,
                y=top + 12,
                text_anchor="start" if fits_right else "end",
            )
        else:
            svg.label(guide.label, 40, x=right - 4, y=at - 5, text_anchor="end")
    svg.close("g")


def _draw_bubble(svg: Svg, bubble: Bubble, style: _Style, cx: float, cy: float, r: float) -> None:
    linked = svg.open_link(bubble.href, bubble.note or bubble.label)
    svg.open("g", class_="bubble", data_category=bubble.category)
    if bubble.note or bubble.label:
        svg.leaf("title", bubble.note or bubble.label)
    stroke = darken(style.colour, 0.2)
    svg.leaf(
        "circle",
        class_="area",
        cx=cx,
        cy=cy,
        r=r,
        fill=style.colour,
        fill_opacity=0.35,
        stroke=stroke,
        stroke_width=1.5,
    )
    draw_marker(svg, style.marker, cx, cy, stroke, "", size=min(4.5, r * 0.5), class_name="glyph")
    svg.close("g")
    if linked:
        svg.close("a")


def _place_labels(
    svg: Svg,
    placed: list[tuple[Bubble, float, float, float]],
    frame: tuple[float, float, float, float],
) -> None:
    """Short labels beside the bubbles, largest bubble first, each at the first side (right,
    left, above, below) where it stays inside the plot and clear of other labels and of the
    bubbles' centres; a label with no such side is left out (the hover note still names it)."""
    left, right, top, bottom = frame
    centres = [(cx, cy) for _b, cx, cy, _r in placed]
    boxes: list[tuple[float, float, float, float]] = []
    svg.open("g", class_="labels")
    for bubble, cx, cy, r in placed:
        if not bubble.label:
            continue
        text = truncate(bubble.label, 24)
        w, h = text_width(text), LABEL_HEIGHT
        sides = (
            (cx + r + 4, cy + 4, "start", cx + r + 4),
            (cx - r - 4, cy + 4, "end", cx - r - 4 - w),
            (cx, cy - r - 5, "middle", cx - w / 2),
            (cx, cy + r + 14, "middle", cx - w / 2),
        )
        for tx, ty, anchor, x0 in sides:
            box = (x0, ty - h + 3, x0 + w, ty + 3)
            inside = left <= box[0] and box[2] <= right and top <= box[1] and box[3] <= bottom
            clear = not any(_overlap(box, other) for other in boxes) and not any(
                box[0] - 4 <= px <= box[2] + 4 and box[1] - 4 <= py <= box[3] + 4
                for px, py in centres
            )
            if inside and clear:
                boxes.append(box)
                halo = {"stroke": "#ffffff", "stroke_width": 3, "stroke_linejoin": "round"}
                svg.leaf("text", text, x=tx, y=ty, text_anchor=anchor, aria_hidden="true", **halo)
                svg.leaf("text", text, x=tx, y=ty, text_anchor=anchor)
                break
    svg.close("g")


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _notes(chart: BubbleChart) -> list[str]:
    notes = []
    if chart.size_note:
        note = chart.size_note
        largest = max((Decimal(b.size) for b in chart.plotted if b.size), default=None)
        if chart.size_format and largest is not None:
            note += f" (largest: {chart.size_format(largest)})"
        notes.append(note)
    if chart.skipped:
        notes.append(chart.skipped_note.replace("{count}", str(chart.skipped)))
    return notes


@renderer
def _render_bubble_chart(chart: BubbleChart) -> str:
    styles = _styles(chart)
    bubbles = chart.plotted
    for bubble in bubbles:
        if bubble.category not in styles:
            raise ValueError(f"bubble category {bubble.category!r} is not one of the chart's")

    top, bottom = 14.0, chart.height - 52.0
    right = chart.width - 36.0
    probe = build_scale(
        chart.y_axis,
        [b.y for b in bubbles] + [g.value for g in chart.guides if g.axis == "y"],
        start=bottom,
        end=top,
        max_ticks=8,
    )
    left = 30 + max((text_width(label) for _v, label in probe.ticks), default=20) + 8
    max_radius = min(chart.max_radius, (right - left) * 0.07, (bottom - top) * 0.12)
    radii = _radii(chart, bubbles, max_radius)
    pad = max(radii, default=0) + 2
    x, y = _scales(chart, left=left, right=right, top=top, bottom=bottom, pad=pad)
    frame = (left, right, top, bottom)

    entries = [(s.label, s.colour, s.marker, False) for s in styles.values()]
    legend = legend_layout(entries if chart.legend else [], right - left)
    notes = _notes(chart)
    height = chart.height + legend.height + len(notes) * NOTE_ROW + (4 if notes else 0)
    skipped = notes[-1:] if chart.skipped else []
    description = " ".join(filter(None, [chart.description, *skipped]))

    svg = Svg()
    cid = open_svg(
        svg,
        replace(chart, description=description),
        height,
        links=has_links(b.href for b in bubbles),
    )
    svg.open("defs")
    svg.open("clipPath", id=f"{cid}-plot")
    svg.leaf("rect", x=left, y=top, width=right - left, height=bottom - top)
    svg.close("clipPath")
    svg.close("defs")
    draw_grid_and_axes(
        svg,
        x,
        y,
        chart.x_axis.label,
        chart.y_axis.label,
        top=top,
        bottom=bottom,
        frame=(left, right),
    )
    if chart.is_empty:
        svg.leaf(
            "text",
            chart.empty_message,
            x=(left + right) / 2,
            y=(top + bottom) / 2,
            text_anchor="middle",
            fill=MUTED,
            class_="empty",
        )
    _draw_guides(svg, chart, x, y, frame)

    order = sorted(range(len(bubbles)), key=lambda i: -radii[i])  # stable: ties keep order
    placed = [(bubbles[i], x(bubbles[i].x), y(bubbles[i].y), radii[i]) for i in order]
    svg.open("g", class_="bubbles", clip_path=f"url(#{cid}-plot)")
    for bubble, cx, cy, r in placed:
        _draw_bubble(svg, bubble, styles[bubble.category], cx, cy, r)
    svg.close("g")
    _place_labels(svg, placed, frame)

    if legend.rows:
        draw_legend(svg, legend, left=left, top=chart.height, swatch="bubble")
    svg.open("g", class_="notes", fill=MUTED)
    for index, note in enumerate(notes):
        svg.leaf("text", note, x=left, y=chart.height + legend.height + 14 + index * NOTE_ROW)
    svg.close("g")
    svg.close("svg")
    return str(svg)
