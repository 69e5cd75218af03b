"""The heat map's renderer: a grid of cells coloured by the band their value falls in, with
the value written in each cell (so the colour is never the only signal) and a legend of bands.

The chart's width is shared among the columns, so 24 months fit as well as 6: column headings
that do not fit across are slanted, and cell text shrinks with its column (down to a legible
minimum; below that the cell keeps only its hover note).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ppm.charts.model import HeatCell, HeatMap
from ppm.charts.palette import GRID, INK, MUTED, WHITE, text_colour_on
from ppm.charts.svg import (
    CHAR_WIDTH,
    FONT_SIZE,
    Svg,
    draw_legend,
    has_links,
    legend_layout,
    open_svg,
    pick_colour,
    renderer,
    text_width,
    truncate,
)

MIN_CELL_FONT = 8.0  # smaller cell text is not drawn: the hover note carries it
HEADING_LIMIT = 16  # characters of a column heading
SLANT = math.cos(math.radians(45))
# Cell text is mostly digits and "%", wider than the average letter the layout elsewhere
# assumes: this width per character (in em) keeps "100%" inside its cell.
CELL_CHAR_EM = 0.6


@dataclass(frozen=True)
class _Layout:
    left: float  # where the first column starts (row labels end 8 units before it)
    label_chars: int  # characters of a row label before it is cut short
    column_width: float
    top: float  # where the first row starts (below the headings)
    slanted: bool  # whether the column headings are slanted
    heading_step: int  # every how many columns a heading is written (1: every column)
    cell_font: float  # font size of the cell text; 0 when it is not drawn


def _layout(chart: HeatMap) -> _Layout:
    """Row labels take up to 30% of the width; when that leaves the cells too narrow for their
    text, the labels give way (down to 15%) before the cell text is dropped; if it is dropped
    anyway, the labels keep their 30%."""
    layouts = (_layout_with(chart, chart.width * share) for share in (0.3, 0.25, 0.2, 0.15))
    return next(
        (layout for layout in layouts if layout.cell_font), _layout_with(chart, chart.width * 0.3)
    )


def _layout_with(chart: HeatMap, label_cap: float) -> _Layout:
    widest = max((text_width(row.label) for row in chart.rows), default=0)
    label_width = min(widest, label_cap)
    label_chars = max(4, int(label_width / CHAR_WIDTH))
    left = 8 + label_chars * CHAR_WIDTH + 8
    headings = [truncate(column, HEADING_LIMIT) for column in chart.columns]
    heading_width = max((text_width(h) for h in headings), default=0)
    count = max(len(chart.columns), 1)

    width = (chart.width - left - 8) / count
    slanted = heading_width + 6 > width
    top = 26.0
    if slanted:
        # A slanted heading starts above its column's centre and runs up to the right: the last
        # one needs room beyond the grid.
        overhang = heading_width * SLANT - width / 2
        right_margin = max(8.0, overhang + 4)
        width = (chart.width - left - right_margin) / count
        right_margin = max(8.0, heading_width * SLANT - width / 2 + 4)
        width = (chart.width - left - right_margin) / count
        top = heading_width * SLANT + 18

    longest = max((len(c.text) for row in chart.rows for c in row.cells), default=1)
    font = min(float(FONT_SIZE), (width - 5) / (max(longest, 1) * CELL_CHAR_EM))
    font = min(font, chart.row_height * 0.5)
    return _Layout(
        left=left,
        label_chars=label_chars,
        column_width=width,
        top=top,
        slanted=slanted,
        # Slanted headings of narrow columns would run into each other: write every second
        # (or third…) one; each cell's note still names its column.
        heading_step=math.ceil(FONT_SIZE * 1.5 / width) if slanted else 1,
        cell_font=font if font >= MIN_CELL_FONT else 0.0,
    )


def _draw_headings(svg: Svg, chart: HeatMap, layout: _Layout) -> None:
    svg.open("g", class_="columns", fill=MUTED)
    for index, column in enumerate(chart.columns):
        if index % layout.heading_step:
            continue
        cx = layout.left + (index + 0.5) * layout.column_width
        if layout.slanted:
            y = layout.top - 8
            svg.label(
                column,
                HEADING_LIMIT,
                x=cx,
                y=y,
                text_anchor="start",
                transform=f"rotate(-45 {cx:.1f} {y:.1f})",
            )
        else:
            svg.label(column, HEADING_LIMIT, x=cx, y=layout.top - 9, text_anchor="middle")
    svg.close("g")


def _draw_cell(
    svg: Svg, chart: HeatMap, cell: HeatCell, layout: _Layout, x: float, y: float
) -> None:
    band = chart.band_for(cell.value)
    fill = pick_colour(band.colour, GRID) if band else WHITE
    # The link's name is the cell's note, which ends with the value the cell shows.
    linked = svg.open_link(cell.href, cell.note or cell.text)
    svg.open("g", class_="cell")
    if cell.note:
        svg.leaf("title", cell.note)
    svg.leaf(
        "rect",
        x=x + 1,
        y=y + 1,
        width=max(layout.column_width - 2, 1),
        height=chart.row_height - 2,
        fill=fill,
        stroke=GRID if band is None else None,
        stroke_dasharray="3 2" if band is None else None,
    )
    if cell.text and layout.cell_font:
        svg.leaf(
            "text",
            cell.text,
            x=x + layout.column_width / 2,
            y=y + chart.row_height / 2 + layout.cell_font * 0.35,
            text_anchor="middle",
            font_size=round(layout.cell_font, 1),
            fill=text_colour_on(fill) if band else MUTED,
        )
    svg.close("g")
    if linked:
        svg.close("a")


@renderer
def _render_heat_map(chart: HeatMap) -> str:
    layout = _layout(chart)
    missing = any(c.value is None for row in chart.rows for c in row.cells)
    entries = [(b.label, pick_colour(b.colour, GRID), "", False) for b in chart.bands]
    if missing:
        entries.append((chart.missing_label, WHITE, "", False))
    legend = legend_layout(entries if chart.legend and not chart.is_empty else [], chart.width - 16)
    grid_bottom = layout.top + len(chart.rows) * chart.row_height
    height = (60.0 if chart.is_empty else grid_bottom + 4) + legend.height

    svg = Svg()
    open_svg(svg, chart, height, links=has_links(c.href for row in chart.rows for c in row.cells))
    if chart.is_empty:
        svg.leaf(
            "text",
            chart.empty_message,
            x=chart.width / 2,
            y=34,
            text_anchor="middle",
            fill=MUTED,
            class_="empty",
        )
        svg.close("svg")
        return str(svg)

    _draw_headings(svg, chart, layout)
    svg.open("g", class_="rows", fill=INK)
    for index, row in enumerate(chart.rows):
        y = layout.top + index * chart.row_height
        svg.label(
            row.label,
            layout.label_chars,
            x=layout.left - 8,
            y=y + chart.row_height / 2 + 4,
            text_anchor="end",
            class_="row-label",
        )
    svg.close("g")
    svg.open("g", class_="cells")
    for index, row in enumerate(chart.rows):
        y = layout.top + index * chart.row_height
        for column, cell in enumerate(row.cells):
            _draw_cell(svg, chart, cell, layout, layout.left + column * layout.column_width, y)
    svg.close("g")
    if legend.rows:
        draw_legend(svg, legend, left=8, top=grid_bottom + 4, swatch="box")
    svg.close("svg")
    return str(svg)
