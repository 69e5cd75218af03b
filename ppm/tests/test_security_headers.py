"""Content-Security-Policy, Cache-Control for signed-in pages, and the markup rules the policy
needs (no inline script, event handler, hx-on or style attribute anywhere we write HTML)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.template import Context, Template
from django.urls import reverse

from ppm.views import server_error

ROOT = Path(settings.BASE_DIR)


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


# --- Content-Security-Policy -------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_send_a_policy_that_allows_scripts_only_from_our_origin(client, pm):
    client.force_login(pm)

    for response in (client.get(reverse("projects:mine")), client.get(reverse("login"))):
        policy = _policy(response)
        assert policy["default-src"] == "'self'"
        assert policy["script-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["base-uri"] == "'self'"
        assert policy["form-action"] == "'self'"
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
        # No page but the 500 page uses the nonce, so none is sent.
        assert policy["style-src"] == "'self'"


def test_the_500_page_styles_itself_with_the_nonce_its_policy_names(rf):
    request = rf.get("/")
    response = ContentSecurityPolicyMiddleware(server_error)(request)

    nonce = re.search(r'<style nonce="([^"]+)">', response.content.decode()).group(1)
    assert response.status_code == 500
    assert _policy(response)["style-src"] == f"'self' 'nonce-{nonce}'"


def test_htmx_is_told_not_to_eval_nor_inject_its_indicator_styles():
    base = (ROOT / "templates" / "base.html").read_text()

    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", base).group(1)
    assert '"allowEval": false' in meta
    assert '"includeIndicatorStyles": false' in meta


# --- Markup the policy would block -------------------------------------------------------------

INLINE = [
    (re.compile(r"\shx-on[:\-]"), "hx-on attribute (needs eval)"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "inline event handler"),
    (re.compile(r"\sstyle\s*=\s*[\"']"), "style attribute"),
    (
        re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>"),
        "inline script",
    ),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
]


def _offences(path: Path) -> list[str]:
    text = path.read_text()
    found = []
    for pattern, what in INLINE:
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    return found


def test_no_template_carries_inline_script_handlers_or_style_attributes():
    offences = [
        offence
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if path.name != "500.html"  # its <style> carries the nonce (test above)
        for offence in _offences(path)
    ]

    assert offences == [], "move these to static/js or static/css (see docs/architecture.md)"


def test_no_python_that_writes_html_carries_them_either():
    sources = [
        path
        for app in ("ppm", "portfolio", "projects", "governance", "reporting")
        for path in sorted((ROOT / app).rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]
    handler = re.compile(r"""["'][^"'\n]*<[a-z][^>\n]*\s(?:on[a-z]+|style|hx-on[:\-][a-z-]+)=""")

    offences = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
        for path in sources
        for text in [path.read_text()]
        for m in handler.finditer(text)
    ]

    assert offences == []


@pytest.mark.parametrize(
    ("value", "css"),
    [
        (Decimal("62.4"), "w-pct-62"),
        (Decimal("62.5"), "w-pct-63"),
        (Decimal("140"), "w-pct-100"),
        (Decimal("-3"), "w-pct-0"),
        (None, "w-pct-0"),
        ("nonsense", "w-pct-0"),
    ],
)
def test_a_bar_width_is_a_whole_percent_class_from_0_to_100(value, css):
    html = Template("{% load conductor %}{{ v|width_class }}").render(Context({"v": value}))

    assert html == css
    assert f".{css} {{ width:" in (ROOT / "static" / "css" / "app.css").read_text()


# --- Cache-Control -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_in_pages_are_private_and_not_stored(client, pm):
    client.force_login(pm)

    response = client.get(reverse("projects:mine"))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_anonymous_pages_keep_their_own_caching(client):
    response = client.get(reverse("password_reset_done"))

    assert response.status_code == 200
    assert "Cache-Control" not in response.headers


@pytest.mark.django_db
def test_static_files_are_not_marked_no_store_for_a_signed_in_user(client, pm, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client.force_login(pm)

    response = client.get(f"{settings.STATIC_URL}js/app.js")

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
