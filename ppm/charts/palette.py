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


# RAG health in the badges' hues (static/css/app.css), which stay apart for the common
# colour-vision deficiencies, and with the badges' shapes (● ▲ ■), so a bubble chart and the
# table beside it speak the same language. Amber is a shade lighter than the badge's text
# colour so that it also differs from red in lightness.
HEALTH_COLOURS: dict[str, str] = {
    "green": "#177855",
    "amber": "#b07400",
    "red": "#b0233a",
    "none": "#8a94a3",
}
HEALTH_MARKERS: dict[str, str] = {
    "green": "circle",
    "amber": "triangle",
    "red": "square",
    "none": "diamond",
}

# A load scale (demand over capacity) from idle to overbooked: pale and mid blue up to full,
# then orange and a dark burnt orange. Blue against orange stays apart for red-green colour
# blindness, and the lightness falls step by step, so a grey-scale print keeps the order.
LOAD_COLOURS: tuple[str, ...] = ("#e4eef8", "#a9cbe8", "#e8902a", "#a63c06")

WHITE = "#ffffff"


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def darken(colour: str, amount: float) -> str:
    """The colour mixed with `amount` (0–1) of black: a stroke that holds its hue but stands
    out better against white."""
    return "#" + "".join(f"{round(c * (1 - amount)):02x}" for c in _rgb(colour))


def luminance(colour: str) -> float:
    """Relative luminance as WCAG 2 defines it (0 for black, 1 for white)."""
    channels = [c / 255 for c in _rgb(colour)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_colour_on(fill: str) -> str:
    """Dark ink or white, whichever reads better on `fill`."""
    return INK if contrast(INK, fill) >= contrast(WHITE, fill) else WHITE
