"""Chart definitions: what to draw, independent of how (see svg.py for the drawing).

Values on an axis are either dates or numbers (int or Decimal); an axis says which. Nothing
here knows about pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
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
