"""Chart definitions: what to draw, independent of how (see svg.py for the drawing).

Values on an axis are either dates or numbers (int or Decimal); an axis says which. Nothing
here knows about pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Literal

Value = date | int | Decimal
AxisKind = Literal["date", "number"]


@dataclass(frozen=True)
class Axis:
    """One axis: its title, whether it carries dates or numbers, and an optional fixed range.

    Without `minimum` / `maximum` the range is taken from the data (and reference lines),
    widened to round tick values. `tick_format` turns a tick value into its label.
    """

    label: str
    kind: AxisKind = "number"
    minimum: Value | None = None
    maximum: Value | None = None
    tick_format: Callable[[Value], str] | None = None


@dataclass(frozen=True)
class Point:
    """One data point. `note` is shown on hover (an SVG <title>) and read by screen readers;
    `marker=False` draws the line through the point without a marker (e.g. a line carried
    forward to today)."""

    x: Value
    y: Value
    note: str = ""
    marker: bool = True


@dataclass(frozen=True)
class Series:
    """A named line. `colour` and `marker` default to the palette by the series' position.

    `step=True` draws a step line: the value holds until the next point's x, then jumps (a
    forecast that stands until it is changed).
    """

    name: str
    points: Sequence[Point]
    colour: str | None = None
    marker: str | None = None
    step: bool = False
    dashed: bool = False


@dataclass(frozen=True)
class ReferenceLine:
    """A straight guide line from `start` to `end` (x, y), e.g. a target or a diagonal."""

    start: tuple[Value, Value]
    end: tuple[Value, Value]
    label: str = ""
    colour: str | None = None
    dashed: bool = True
    # Whether the line widens the axes' ranges; False lets it be clipped to the data's range.
    extends_range: bool = True
    # Where the label sits along the line: near its end (the default) or near its start,
    # e.g. a budget line whose far end the data curves run into.
    label_at: Literal["start", "end"] = "end"


@dataclass(frozen=True)
class Chart:
    """What every chart has: a title and a description (both read out by screen readers),
    an id unique on the page, and a nominal size in SVG units (the SVG scales to its box)."""

    title: str
    description: str
    id: str = "chart"
    width: int = 760
    height: int = 380
    legend: bool = True


@dataclass(frozen=True)
class LineChart(Chart):
    """Lines over a date or numeric x axis against a date or numeric y axis."""

    x_axis: Axis = field(default_factory=lambda: Axis(""))
    y_axis: Axis = field(default_factory=lambda: Axis(""))
    series: Sequence[Series] = ()
    reference_lines: Sequence[ReferenceLine] = ()
    empty_message: str = "No data yet."

    @property
    def is_empty(self) -> bool:
        return not any(s.points for s in self.series)


def compact[C: Chart](chart: C, *, width: int = 420, height: int = 340) -> C:
    """The same chart drawn for a narrow screen: its labels keep their size while the plot
    shrinks (scaling the wide drawing down would shrink the text with it)."""
    return replace(chart, id=f"{chart.id}-compact", width=width, height=height)


# --- Bubble chart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BubbleCategory:
    """A kind of bubble (e.g. a health rating): its legend label, its colour and the shape drawn
    in the bubble's centre, so that the category reads without colour too. `colour` and
    `marker` default to the palette by the category's position."""

    key: str
    label: str
    colour: str | None = None
    marker: str | None = None


@dataclass(frozen=True)
class Bubble:
    """One bubble. Its area is proportional to `size` (None or zero draws the smallest bubble);
    `category` is the key of one of the chart's categories. A bubble without `x` or `y` is
    not drawn, but counted (see BubbleChart.skipped_note). `note` shows on hover; `label` is a
    short text written beside the bubble where it fits; `href`, a link within the site (it
    must start with "/" or "?"; anything else is dropped)."""

    x: Value | None
    y: Value | None
    size: Decimal | int | None
    category: str
    note: str = ""
    label: str = ""
    href: str = ""

    def __post_init__(self) -> None:
        if self.size is not None and self.size < 0:
            raise ValueError(f"a bubble's size cannot be negative: {self.size}")


@dataclass(frozen=True)
class GuideLine:
    """A straight line across the plot at one value of an axis ("x": a vertical line, "y": a
    horizontal one), e.g. the thresholds that divide a chart into quadrants."""

    axis: Literal["x", "y"]
    value: Value
    label: str = ""


@dataclass(frozen=True)
class BubbleChart(Chart):
    """Bubbles placed by two axes, sized by a third figure and coloured by category.

    `size_note` says what the area stands for; with `size_format` it also names the largest
    value. `skipped_note` is said (and added to the description) when bubbles lack a position;
    "{count}" in it becomes their number.
    """

    x_axis: Axis = field(default_factory=lambda: Axis(""))
    y_axis: Axis = field(default_factory=lambda: Axis(""))
    bubbles: Sequence[Bubble] = ()
    categories: Sequence[BubbleCategory] = ()
    guides: Sequence[GuideLine] = ()
    size_note: str = ""
    size_format: Callable[[Decimal], str] | None = None
    skipped_note: str = "{count} not shown: no value on an axis."
    empty_message: str = "No data yet."
    max_radius: float = 30.0
    min_radius: float = 6.0

    @property
    def plotted(self) -> list[Bubble]:
        return [b for b in self.bubbles if b.x is not None and b.y is not None]

    @property
    def skipped(self) -> int:
        return len(self.bubbles) - len(self.plotted)

    @property
    def is_empty(self) -> bool:
        return not self.plotted


# --- Heat map -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColourBand:
    """One band of a heat map's colour scale: values up to and including `up_to` (None: no
    upper bound) that no earlier band took. `label` names the band in the legend."""

    label: str
    colour: str
    up_to: Decimal | int | None = None


@dataclass(frozen=True)
class HeatCell:
    """One cell: `value` picks its colour band (None: no value, drawn blank); `text` is written
    in the cell, `note` shows on hover, `href` links within the site ("/" or "?" only)."""

    value: Decimal | int | None
    text: str = ""
    note: str = ""
    href: str = ""


@dataclass(frozen=True)
class HeatRow:
    """A row of cells, one per column, under a label (cut short if long, whole on hover)."""

    label: str
    cells: Sequence[HeatCell]


@dataclass(frozen=True)
class HeatMap(Chart):
    """A grid of coloured cells: rows (e.g. resource groups) by columns (e.g. months).

    The colour of a cell is the first of `bands` whose `up_to` holds its value: bands are listed
    from the lowest values up, and the last has no upper bound. The width is shared out among
    the columns; the height follows from the number of rows (`row_height` each), so `height`
    is not used.
    """

    columns: Sequence[str] = ()
    rows: Sequence[HeatRow] = ()
    bands: Sequence[ColourBand] = ()
    missing_label: str = "No value"
    empty_message: str = "No data yet."
    row_height: int = 28

    def __post_init__(self) -> None:
        limits = [band.up_to for band in self.bands]
        if limits and (
            limits[-1] is not None
            or None in limits[:-1]
            or any(a >= b for a, b in pairwise(limits[:-1]))
        ):
            raise ValueError("bands go up in order and the last one has no upper bound")
        for row in self.rows:
            if len(row.cells) != len(self.columns):
                raise ValueError(
                    f"row {row.label!r} has {len(row.cells)} cells for {len(self.columns)} columns"
                )

    @property
    def is_empty(self) -> bool:
        return not self.rows or not self.columns

    def band_for(self, value: Decimal | int | None) -> ColourBand | None:
        """The band a value falls in; None for no value."""
        if value is None:
            return None
        return next((b for b in self.bands if b.up_to is None or value <= b.up_to), None)
