"""Charts defined once as data and drawn as SVG on the server.

A chart is a plain dataclass (model.py). `render_svg(chart)` turns it into a self-contained,
accessible SVG string (title and description for screen readers, a viewBox so it scales,
presentation attributes rather than CSS so a PDF renderer draws it the same). The page embeds
that string inline; the PDF board pack embeds the very same string, so no chart needs
JavaScript and the two can never disagree.

Adding a chart type (scatter/bubble, bar, heat map) means a new dataclass in model.py and a
renderer registered with `svg.renderer`; scales, axes, legend and escaping are shared.
"""

from __future__ import annotations

from ppm.charts import line  # noqa: F401 - registers the line chart's renderer
from ppm.charts.model import Axis, Chart, LineChart, Point, ReferenceLine, Series, compact
from ppm.charts.palette import MARKERS, PALETTE, colour_for, marker_for
from ppm.charts.svg import render_svg

__all__ = [
    "MARKERS",
    "PALETTE",
    "Axis",
    "Chart",
    "LineChart",
    "Point",
    "ReferenceLine",
    "Series",
    "colour_for",
    "compact",
    "marker_for",
    "render_svg",
]
