"""Colours and marker shapes that stay distinguishable for colour-blind readers.

The colours are Okabe & Ito's palette (2008), ordered for a white background: the pale
yellow of the original set is left out because it has too little contrast on white. Colour is
never the only signal: each series also gets its own marker shape, so a grey-scale print or a
reader who cannot tell two hues apart still can tell the lines apart.
"""

from __future__ import annotations

PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
)

MARKERS: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "cross")

INK = "#1d2530"
MUTED = "#5f6b7a"
GRID = "#e3e7ec"
REFERENCE = "#8a94a3"


def colour_for(index: int) -> str:
    """The palette colour of the `index`-th series (the palette repeats after seven)."""
    return PALETTE[index % len(PALETTE)]


def marker_for(index: int) -> str:
    """The marker shape of the `index`-th series. Shapes cycle at a different period from the
    colours (5 against 7), so the first 35 series all differ in colour or shape."""
    return MARKERS[index % len(MARKERS)]
