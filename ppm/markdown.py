"""Markdown as people type it in status reports, rendered to safe HTML: the one renderer.

Every place that shows user-written Markdown (the status pages, the project overview, later
the PDF board pack) calls `render_markdown`, so a text reads the same everywhere.

Two layers of safety. First, HTML typed into the text is not HTML: Markdown's raw-HTML
handling is switched off, so "<50 users" or "<script>" shows as the characters typed. Second,
whatever Markdown produces passes nh3 (the Rust ammonia sanitiser) with a short allow-list of
tags, attributes and link schemes, so no script, style, event handler or javascript: URL can
reach the page even if the Markdown library had a bug.
"""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

EXTENSIONS = ["sane_lists", "nl2br", "tables", "fenced_code"]

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def _converter() -> markdown.Markdown:
    # A Markdown instance keeps state between conversions; a fresh one per call is cheap and
    # safe across threads.
    md = markdown.Markdown(extensions=EXTENSIONS, output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def render_markdown(text: str | None) -> SafeString:
    """Markdown `text` as sanitised HTML, safe to put in a template as is ('' for no text)."""
    if not text or not text.strip():
        return mark_safe("")
    html = _converter().convert(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has just sanitised it
