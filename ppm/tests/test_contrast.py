"""The house colours hold WCAG AA contrast (4.5:1 for text) where the stylesheets put text on
them: RAG badges on their tints, the muted grey of outline buttons on the page grey, and the
risk heat map's score digits on every band. The browser test (tests/test_accessibility_browser.py)
checks the rendered pages; this one names the colour pair that broke, without a browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from ppm.charts.palette import HEALTH_COLOURS, contrast

CSS = Path(settings.BASE_DIR) / "static" / "css"
AA_TEXT = 4.5


def _variables() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", (CSS / "app.css").read_text(), re.S).group(1)
    return dict(re.findall(r"--(cd-[\w-]+):\s*(#[0-9a-fA-F]{6})", root))


@pytest.mark.parametrize("rag", ["green", "amber", "red", "none"])
def test_a_rag_badge_text_reads_on_its_tint_and_on_the_page(rag):
    colours = _variables()
    text = colours[f"cd-{rag}"]
    assert contrast(text, colours[f"cd-{rag}-bg"]) >= AA_TEXT
    assert contrast(text, colours["cd-page"]) >= AA_TEXT


def test_the_charts_draw_green_in_the_badges_hue():
    assert HEALTH_COLOURS["green"] == _variables()["cd-green"]


def test_outline_secondary_buttons_use_the_muted_grey_that_reads_on_the_page():
    css = (CSS / "app.css").read_text()
    rule = re.search(r"\.btn-outline-secondary\s*\{(.*?)\}", css, re.S).group(1)
    assert "--bs-btn-color: var(--cd-muted)" in rule
    colours = _variables()
    assert contrast(colours["cd-muted"], colours["cd-page"]) >= AA_TEXT


def test_the_heat_map_score_digits_read_on_every_band():
    css = (CSS / "raid.css").read_text()
    score = re.search(r"\.heat-cell \.score\s*\{(.*?)\}", css, re.S).group(1)
    colour = re.search(r"\bcolor:\s*(#[0-9a-fA-F]{6})", score).group(1)
    bands = re.findall(r"\.heat-cell(?:\.has-risks)?\.band-\w+\s*\{\s*background:\s*(#\w{6})", css)
    assert len(bands) == 6
    for band in bands:
        assert contrast(colour, band) >= AA_TEXT, band
