"""Draw chart definitions as SVG strings, on the server, with no JavaScript: the entry point
(`render_svg`, dispatching on the chart's type) and the drawing parts every chart type shares
(frame, markers, axes, legend). Each chart type's renderer lives in a module of its own
(line.py) and registers itself with `renderer`.

The output is self-contained: presentation attributes rather than a stylesheet (a PDF renderer
and an e-mail client draw it the same as a browser), a viewBox so it scales to its container,
and <title>/<desc> so a screen reader announces what it shows. Every piece of text that comes
from data is escaped; colours and ids are checked against strict patterns before use.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import singledispatch

from ppm.charts.model import Chart
from ppm.charts.palette import GRID, INK, MUTED, darken
from ppm.charts.scales import Scale

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
FONT_SIZE = 12
CHAR_WIDTH = 6.8  # average advance of a 12px sans-serif character, for layout estimates
TICK_SPACING = 70  # minimum pixels between two tick labels
LEGEND_ROW = 22
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# A link within the site: a path ("/…" but not "//host", which leaves it) or a query ("?…"),
# with no backslash (browsers read "/\host" as "//host"), space or control character.
_SAFE_HREF = re.compile(r"(?:/(?![/\\])|\?)[^\\\s\x00-\x1f\x7f]*")


# --- Escaping and small helpers ---------------------------------------------------------------


# Most values (numbers, colours, ids, path data) need no escaping: one regex search finds the
# few that do. A chart of a few hundred marks writes tens of thousands of attributes, and
# escaping each unconditionally was most of the time a dashboard spent drawing.
_TEXT_SPECIAL = re.compile(r"[&<>]")
_ATTR_SPECIAL = re.compile(r"[&<>\"']")


def _text(value: object) -> str:
    """Text content, escaped (&, <, >)."""
    text = str(value)
    if _TEXT_SPECIAL.search(text) is None:
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: object) -> str:
    """An attribute value, escaped for a double-quoted attribute."""
    text = str(value)
    if _ATTR_SPECIAL.search(text) is None:
        return text
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


@functools.cache
def _attr_name(name: str) -> str:
    """A Python keyword argument as an SVG attribute name: class_ → class, stroke_width →
    stroke-width."""
    return name.rstrip("_").replace("_", "-")


def num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def pick_colour(value: str | None, fallback: str) -> str:
    return value if value and _COLOUR.match(value) else fallback


def safe_id(value: str) -> str:
    """An XML id made of letters, digits, '-' and '_' only, starting with a letter."""
    cleaned = _ID_UNSAFE.sub("-", value) or "chart"
    return cleaned if cleaned[0].isalpha() else f"c-{cleaned}"


def safe_href(value: str | None) -> str | None:
    """The link if it stays within the site ("/path…" or "?query…"), else None."""
    return value if value and _SAFE_HREF.fullmatch(value) else None


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


class Svg:
    """Collects SVG elements as escaped strings."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def open(self, tag: str, **attrs: object) -> None:
        self.parts.append(f"<{tag}{_attrs(attrs)}>")

    def close(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")

    def leaf(self, tag: str, text: str | None = None, **attrs: object) -> None:
        if text is None:
            self.parts.append(f"<{tag}{_attrs(attrs)}/>")
        else:
            self.parts.append(f"<{tag}{_attrs(attrs)}>{_text(text)}</{tag}>")

    def label(self, text: str, limit: int, **attrs: object) -> None:
        """A <text> cut to `limit` characters; when cut, the whole text shows on hover."""
        shown = truncate(text, limit)
        if shown == text:
            self.leaf("text", text, **attrs)
            return
        self.open("text", **attrs)
        self.leaf("title", text)
        self.parts.append(_text(shown))
        self.close("text")

    def open_link(self, href: str | None, name: str = "") -> bool:
        """Open an <a> for a link within the site; False (and nothing drawn) for any other.

        `name` is what a screen reader announces for the link; it should contain the text the
        mark shows (a cell's "75%"), so a speech user can say what they see."""
        safe = safe_href(href)
        if safe:
            self.open("a", href=safe, aria_label=name or None)
        return safe is not None

    def __str__(self) -> str:
        return "".join(self.parts)


def _attrs(attrs: dict[str, object]) -> str:
    out = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        if isinstance(value, float):
            text = num(value)  # digits, a sign and a point: nothing to escape
        elif isinstance(value, int):
            text = str(value)
        else:
            text = _attr(value)
        out.append(f' {_attr_name(name)}="{text}"')
    return "".join(out)


# --- Entry point ------------------------------------------------------------------------------


@singledispatch
def render_svg(chart: Chart) -> str:
    """The chart as an SVG document fragment (an <svg> element), ready to embed inline."""
    raise TypeError(f"no SVG renderer for {type(chart).__name__}")


renderer = render_svg.register  # new chart types register their renderer with this


# --- Shared layout: frame, axes, legend --------------------------------------------------------


@dataclass(frozen=True)
class Legend:
    entries: tuple[tuple[str, str, str, bool], ...]  # (name, colour, marker, dashed)
    rows: tuple[tuple[int, ...], ...]  # indexes of entries per row
    widths: tuple[float, ...]

    @property
    def height(self) -> float:
        return len(self.rows) * LEGEND_ROW + (8 if self.rows else 0)


def legend_layout(entries: list[tuple[str, str, str, bool]], available: float) -> Legend:
    widths = [36 + text_width(truncate(name, 40)) + 18 for name, *_ in entries]
    rows: list[list[int]] = []
    used = available + 1
    for index, width in enumerate(widths):
        if used + width > available and (not rows or rows[-1]):
            rows.append([])
            used = 0
        rows[-1].append(index)
        used += width
    return Legend(tuple(entries), tuple(tuple(r) for r in rows if r), tuple(widths))


def has_links(hrefs: Iterable[str | None]) -> bool:
    """Whether any of the marks will be drawn as a link (see open_link)."""
    return any(safe_href(href) for href in hrefs)


def open_svg(svg: Svg, chart: Chart, height: float, *, links: bool = False) -> str:
    """Open the chart's <svg>. A chart without links is one image to assistive technology; one
    whose marks are links is a named group, because an image's content is presentational
    and links inside it could be neither reached by name nor announced (axe's
    nested-interactive)."""
    cid = safe_id(chart.id)
    svg.open(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {chart.width} {num(height)}",
        width=chart.width,
        height=num(height),
        role="group" if links else "img",
        aria_labelledby=f"{cid}-title {cid}-desc",
        class_=f"chart chart-{type(chart).__name__.lower()}",
        font_family=FONT,
        font_size=FONT_SIZE,
        fill=INK,
    )
    svg.leaf("title", chart.title, id=f"{cid}-title")
    svg.leaf("desc", chart.description, id=f"{cid}-desc")
    return cid


def draw_marker(
    svg: Svg,
    shape: str,
    x: float,
    y: float,
    colour: str,
    note: str,
    *,
    size: float = 4.5,
    class_name: str = "marker",
) -> None:
    common = {"fill": colour, "stroke": "#ffffff", "stroke_width": 1}
    tag = "circle"
    attrs: dict[str, object]
    if shape == "square":
        tag, attrs = "rect", {"x": x - size, "y": y - size, "width": size * 2, "height": size * 2}
    elif shape == "triangle":
        t = size * 11 / 9  # 5.5 at the default size
        points = f"{num(x)},{num(y - t)} {num(x + t)},{num(y + size)} "
        points += f"{num(x - t)},{num(y + size)}"
        tag, attrs = "polygon", {"points": points}
    elif shape == "diamond":
        s = size * 11 / 9
        points = f"{num(x)},{num(y - s)} {num(x + s)},{num(y)} {num(x)},{num(y + s)} "
        points += f"{num(x - s)},{num(y)}"
        tag, attrs = "polygon", {"points": points}
    elif shape == "cross":
        s = size
        d = f"M{num(x - s)} {num(y - s)}L{num(x + s)} {num(y + s)}"
        d += f"M{num(x - s)} {num(y + s)}L{num(x + s)} {num(y - s)}"
        tag, attrs = "path", {"d": d}
        common = {"fill": "none", "stroke": colour, "stroke_width": size * 5 / 9}
    else:
        attrs = {"cx": x, "cy": y, "r": size}
    if note:
        svg.open(tag, class_=class_name, **attrs, **common)
        svg.leaf("title", note)
        svg.close(tag)
    else:
        svg.leaf(tag, class_=class_name, **attrs, **common)


def draw_grid_and_axes(
    svg: Svg,
    x: Scale,
    y: Scale,
    x_label: str,
    y_label: str,
    *,
    top: float,
    bottom: float,
    frame: tuple[float, float] | None = None,
) -> None:
    """Grid, axis lines, ticks and axis titles. The axis lines run along `frame` (left and
    right edges), by default the x scale's ends; a chart whose marks need room at the edges
    maps its data onto a narrower range inside the frame."""
    left, right = frame or (x.start, x.end)
    svg.open("g", class_="grid", stroke=GRID, stroke_width=1)
    for value, _label in y.ticks:
        py = y.position(value)
        svg.leaf("line", x1=left, x2=right, y1=py, y2=py)
    for value, _label in x.ticks:
        px = x.position(value)
        svg.leaf("line", x1=px, x2=px, y1=top, y2=bottom)
    svg.close("g")

    svg.open("g", class_="axis axis-x", fill=MUTED)
    svg.leaf("line", x1=left, x2=right, y1=bottom, y2=bottom, stroke=MUTED, stroke_width=1)
    for value, label in x.ticks:
        svg.leaf("text", label, x=x.position(value), y=bottom + 17, text_anchor="middle")
    svg.leaf("text", x_label, x=(left + right) / 2, y=bottom + 38, text_anchor="middle", fill=INK)
    svg.close("g")

    svg.open("g", class_="axis axis-y", fill=MUTED)
    svg.leaf("line", x1=left, x2=left, y1=top, y2=bottom, stroke=MUTED, stroke_width=1)
    for value, label in y.ticks:
        svg.leaf("text", label, x=left - 8, y=y.position(value) + 4, text_anchor="end")
    mid = (top + bottom) / 2
    svg.leaf(
        "text",
        y_label,
        x=14,
        y=mid,
        text_anchor="middle",
        transform=f"rotate(-90 14 {num(mid)})",
        fill=INK,
    )
    svg.close("g")


def _swatch(svg: Svg, kind: str, px: float, py: float, colour: str, marker: str, dashed: bool):
    if kind == "box":
        svg.leaf(
            "rect",
            x=px + 6,
            y=py - 7,
            width=16,
            height=14,
            fill=colour,
            stroke=darken(colour, 0.2),
            stroke_width=1,
        )
    elif kind == "bubble":
        stroke = darken(colour, 0.2)
        svg.leaf("circle", cx=px + 13, cy=py, r=9, fill=colour, fill_opacity=0.35, stroke=stroke)
        draw_marker(svg, marker, px + 13, py, stroke, "", size=3.6, class_name="glyph")
    else:
        svg.leaf(
            "line",
            x1=px,
            x2=px + 26,
            y1=py,
            y2=py,
            stroke=colour,
            stroke_width=2.5,
            stroke_dasharray="6 4" if dashed else None,
        )
        draw_marker(svg, marker, px + 13, py, colour, "")


def draw_legend(svg: Svg, legend: Legend, *, left: float, top: float, swatch: str = "line") -> None:
    """The legend's rows; each entry's swatch is a line with its marker ("line"), a bubble
    with its centre shape ("bubble") or a filled box ("box")."""
    svg.open("g", class_="legend")
    for row_index, row in enumerate(legend.rows):
        px = left
        py = top + 8 + row_index * LEGEND_ROW + LEGEND_ROW / 2
        for index in row:
            name, colour, marker, dashed = legend.entries[index]
            _swatch(svg, swatch, px, py, colour, marker, dashed)
            svg.label(name, 40, x=px + 32, y=py + 4)
            px += legend.widths[index]
    svg.close("g")
