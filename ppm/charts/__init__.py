"""Charts defined once as data and drawn as SVG on the server.

A chart is a plain dataclass (model.py). `render_svg(chart)` turns it into a self-contained,
accessible SVG string (title and description for screen readers, a viewBox so it scales,
presentation attributes rather than CSS so a PDF renderer draws it the same). The page embeds
that string inline; the PDF board pack embeds the very same string, so no chart needs
JavaScript and the two can never disagree.

Chart types:
- `LineChart` (line.py): lines, optionally stepped, over a date or numeric x axis.
- `BubbleChart` (bubble.py): bubbles placed by two axes, their area proportional to a third
  figure, coloured and shaped by category, with guide lines (e.g. quadrants) and links.
- `HeatMap` (heatmap.py): rows by columns of cells coloured by value bands, each with its text,
  hover note and link.

Colour is never the only signal: lines and bubbles carry marker shapes, heat map cells their
value as text. Links in a chart stay within the site (a path or a query); others are dropped.

Adding a chart type (e.g. a bar chart) means a new dataclass in model.py and a renderer
registered with `svg.renderer`; scales, axes, legend, links and escaping are shared.
"""

from __future__ import annotations

from ppm.charts import bubble, heatmap, line  # noqa: F401 - registers the renderers
from ppm.charts.model import (
    Axis,
    Bubble,
    BubbleCategory,
    BubbleChart,
    Chart,
    ColourBand,
    GuideLine,
    HeatCell,
    HeatMap,
    HeatRow,
    LineChart,
    Point,
    ReferenceLine,
    Series,
    compact,
)
from ppm.charts.palette import (
    HEALTH_COLOURS,
    HEALTH_MARKERS,
    LOAD_COLOURS,
    MARKERS,
    PALETTE,
    colour_for,
    marker_for,
)
from ppm.charts.svg import render_svg

__all__ = [
    "HEALTH_COLOURS",
    "HEALTH_MARKERS",
    "LOAD_COLOURS",
    "MARKERS",
    "PALETTE",
    "Axis",
    "Bubble",
    "BubbleCategory",
    "BubbleChart",
    "Chart",
    "ColourBand",
    "GuideLine",
    "HeatCell",
    "HeatMap",
    "HeatRow",
    "LineChart",
    "Point",
    "ReferenceLine",
    "Series",
    "colour_for",
    "compact",
    "marker_for",
    "render_svg",
]
