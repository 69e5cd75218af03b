"""HTML and CSS to PDF with WeasyPrint: the report's own page (reporting/pdf/documents.py)
laid out for A4, with its header, footer and page numbers from the print stylesheet.

WeasyPrint fetches nothing: the stylesheet is read from the app's static files and inlined,
charts are SVG images in `data:` URLs (`chart_url`), and `ChartsOnly` serves those and refuses
any other URL a document might name, so a report can never make the server reach out (or read
a local file) on a user's behalf.
The PDF is made whole in memory and checked before anyone stores it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gc
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.contrib.staticfiles import finders
from django.utils import timezone

from reporting.models import ReportRun

log = logging.getLogger(__name__)

STYLESHEET = "css/report.css"
# WeasyPrint tags the PDF's structure (headings, tables, figures' alternative text) for
# PDF/UA; it is the variant the issue asks for "where WeasyPrint supports it".
PDF_VARIANT = "pdf/ua-1"


class RenderError(RuntimeError):
    """WeasyPrint produced something that is not a whole PDF."""


@dataclass(frozen=True)
class Document:
    pdf: bytes
    pages: int
    as_of: datetime


@cache
def stylesheet() -> str:
    path = finders.find(STYLESHEET)
    if path is None:
        raise RenderError(f"The report stylesheet {STYLESHEET} is missing.")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@cache
def _parsed_stylesheet():
    """The stylesheet parsed once per process: WeasyPrint reuses a CSS object across
    documents, and parsing it again cost each render a tenth of a second."""
    from weasyprint import CSS

    return CSS(string=stylesheet())


# Indentation and blank lines between tags: the HTML parser (pure Python) reads every one of
# them. A run of white space holding a line break is one line break to the layout anyway.
_INDENTATION = re.compile(r"[ \t]*\n\s*")


def _squeeze(html: str) -> str:
    # Never inside preformatted text (a <pre> in a status narrative keeps its lines).
    return html if "<pre" in html or "<textarea" in html else _INDENTATION.sub("\n", html)


CHART_URL_PREFIX = "data:image/svg+xml;base64,"
# A chart's SVG is tens of kilobytes; the pack's largest (the bubble chart) about 50.
CHART_MAX_BYTES = 2 * 1024 * 1024


def chart_url(svg: str) -> str:
    """`svg` as the one kind of URL the renderer serves (see ChartsOnly)."""
    return CHART_URL_PREFIX + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@cache
def _charts_only():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ChartsOnly(URLFetcher):
        """Serves the charts' own `data:image/svg+xml` URLs from memory and refuses every
        other URL (http, file, any other data): WeasyPrint logs and skips the element (an
        image in a status narrative, say) instead of reaching out or reading a local file.
        An SVG naming another resource gets the same answer."""

        def fetch(self, url, headers=None):
            if not url.startswith(CHART_URL_PREFIX):
                raise ValueError(f"a report fetches no URL: {url[:80]}")
            encoded = url[len(CHART_URL_PREFIX) :]
            if len(encoded) > CHART_MAX_BYTES * 4 // 3 + 4:
                raise ValueError("a chart larger than CHART_MAX_BYTES")
            try:
                body = base64.b64decode(encoded, validate=True)
            except binascii.Error as error:
                raise ValueError("a chart URL that is not base64") from error
            return URLFetcherResponse(url, body, {"Content-Type": "image/svg+xml"})

    return ChartsOnly(allowed_protocols=frozenset(), fail_on_errors=False)


@contextlib.contextmanager
def no_cyclic_collection():
    """Python's cycle collector paused for one report. WeasyPrint builds a tree of tens of
    thousands of boxes, and each full collection walks all of it: a pack spent about a
    seventh of its render time there (bench (g)). Most garbage is freed by reference counting
    as it goes; the cycles WeasyPrint leaves (some 75,000 objects for a pack) are collected
    once, when the collector next runs. A pack of the large data peaks at about 150 MB."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """The PDF of `html` and its page count."""
    # Imported here: WeasyPrint (pango, fonts) costs a web process memory it never uses.
    from weasyprint import HTML

    with no_cyclic_collection():
        # No presentational hints: the reports' HTML sets its look in report.css (the one
        # attribute it may carry, `align` on a narrative table's cells, is styled there), and
        # the hints' extra stylesheet is cascaded over every element.
        document = HTML(string=_squeeze(html), url_fetcher=_charts_only(), base_url="/").render(
            stylesheets=[_parsed_stylesheet()]
        )
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    if not pdf or not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-64:]:
        raise RenderError("WeasyPrint did not produce a whole PDF.")
    return pdf, len(document.pages)


def render_report(run: ReportRun, *, progress: Callable[[str], None] = lambda _stage: None):
    """The PDF of `run`, as of now."""
    from reporting.pdf.documents import build_html

    as_of = timezone.now()
    with no_cyclic_collection():
        progress("Reading the figures")
        html = build_html(run, as_of=as_of)
        progress("Laying out the pages")
        pdf, pages = html_to_pdf(html)
    return Document(pdf=pdf, pages=pages, as_of=as_of)
