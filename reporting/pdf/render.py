"""HTML and CSS to PDF with WeasyPrint: the report's own page (reporting/pdf/documents.py)
laid out for A4, with its header, footer and page numbers from the print stylesheet.

WeasyPrint fetches nothing: the stylesheet is read from the app's static files and inlined,
charts are inline SVG, and `_no_fetching` refuses any URL a document might still name, so a
report can never make the server reach out (or read a local file) on a user's behalf.
The PDF is made whole in memory and checked before anyone stores it.
"""

from __future__ import annotations

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


@cache
def _no_fetching():
    """A fetcher that allows no protocol: WeasyPrint logs and skips any URL a document names
    (an image in a status narrative, say) instead of reaching out or reading a local file."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=frozenset(), fail_on_errors=False)


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """The PDF of `html` and its page count."""
    # Imported here: WeasyPrint (pango, fonts) costs a web process memory it never uses.
    from weasyprint import HTML

    document = HTML(string=_squeeze(html), url_fetcher=_no_fetching(), base_url="/").render(
        stylesheets=[_parsed_stylesheet()], presentational_hints=True
    )
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    if not pdf or not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-64:]:
        raise RenderError("WeasyPrint did not produce a whole PDF.")
    return pdf, len(document.pages)


def render_report(run: ReportRun, *, progress: Callable[[str], None] = lambda _stage: None):
    """The PDF of `run`, as of now."""
    from reporting.pdf.documents import build_html

    as_of = timezone.now()
    progress("Reading the figures")
    html = build_html(run, as_of=as_of)
    progress("Laying out the pages")
    pdf, pages = html_to_pdf(html)
    return Document(pdf=pdf, pages=pages, as_of=as_of)
