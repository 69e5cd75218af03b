"""User-written Markdown renders to safe HTML, the same way everywhere."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from ppm.markdown import render_markdown


def test_markdown_becomes_html():
    html = render_markdown("**Build** done.\nUAT *started*.\n\n- one\n- two")
    assert "<strong>Build</strong> done.<br>" in html
    assert "<em>started</em>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html


def test_typed_html_is_shown_as_text_not_run():
    html = render_markdown('<script>alert(1)</script> fewer than <50 users & <b onclick="x">b</b>')
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;50 users &amp;" in html
    assert "<b" not in html


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
    ],
)
def test_dangerous_links_lose_their_target(link):
    html = render_markdown(link)
    assert "href" not in html
    assert ">x</a>" in html


def test_safe_links_open_without_leaking_the_referrer():
    html = render_markdown("See [the plan](https://example.org/plan) or <mailto:pmo@example.org>.")
    assert 'href="https://example.org/plan"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "mailto:pmo@example.org" in html


def test_images_are_not_loaded_from_report_text():
    assert "<img" not in render_markdown("![tracker](https://evil.example/pixel.gif)")


def test_tables_and_code_survive():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nx < y\n```")
    assert "<table>" in html and "<td>1</td>" in html
    assert "<pre><code>x &lt; y" in html


def test_no_text_renders_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
    assert render_markdown("   \n") == ""


def test_the_template_filter_uses_the_same_renderer():
    template = Template("{% load conductor %}{{ text|markdown }}")
    out = template.render(Context({"text": "**x** <i>"}))
    assert out == render_markdown("**x** <i>")
    assert "<strong>x</strong> &lt;i&gt;" in out
