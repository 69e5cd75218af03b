"""The Content-Security-Policy in a real browser: every main page loads with no violation, and
what used inline handlers (hx-on, onchange) still works from static/js/app.js.

Headless Chromium from the system package (/usr/bin/chromium) through Playwright's sync API
against pytest-django's live server, on the small demo organisation (committed: transactional
tests). Chromium reports each blocked script, style or eval on the console as "Refused to …".
"""

from __future__ import annotations

import os
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from projects.models import Project
from reporting.engine import recompute
from tests.browser_support import DESKTOP, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo"


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", "--size", "small", "--seed", "1729", verbosity=0)
    recompute()
    User.objects.create_superuser("root", "root@example.org", DEMO_PASSWORD)
    return Project.objects.filter(manager__username="pm", state="active").order_by("code").first()


class Violations:
    """Console messages and page errors that mean the policy blocked something."""

    def __init__(self, page) -> None:
        self.seen: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.seen.append(f"page error: {error}"))
        self.page = page

    def _console(self, message) -> None:
        text = message.text
        if "Refused to" in text or "Content Security Policy" in text or "eval" in text.lower():
            self.seen.append(f"{self.page.url}: {text}")


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, (url, policy)
    page.wait_for_load_state("networkidle")


def test_the_main_pages_load_with_no_policy_violation(browser, live_server, demo):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    violations = Violations(page)
    base = live_server.url

    for name in ("login", "password_reset"):
        visit(page, f"{base}{reverse(name)}")

    sign_in(page, base, "director", DEMO_PASSWORD)
    dashboard = f"{base}{reverse('reporting:dashboard')}"
    visit(page, dashboard)
    page.mouse.wheel(0, 4000)  # the compact charts load when they scroll into view
    page.wait_for_load_state("networkidle")
    for name in ("reporting:portfolio-list", "reporting:projects"):
        visit(page, f"{base}{reverse(name)}")
    for name in ("reporting:portfolio-detail", "governance:scores", "governance:ranking"):
        visit(page, f"{base}{reverse(name, args=[demo.portfolio_id])}")
    for name in (
        "projects:detail",
        "projects:status",
        "projects:milestones",
        "projects:costs",
        "projects:raid",
        "projects:changes",
        "projects:lessons",
        "projects:history",
    ):
        visit(page, f"{base}{reverse(name, args=[demo.pk])}")

    sign_in(page, base, "root", DEMO_PASSWORD)
    for url in ("/admin/", "/admin/auth/user/", "/admin/auth/user/add/"):
        visit(page, f"{base}{url}")

    assert violations.seen == []
    context.close()


def test_what_used_inline_handlers_still_works(browser, live_server, demo):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    violations = Violations(page)
    base = live_server.url

    # The dashboard's portfolio picker submits itself on change (was onchange="…").
    sign_in(page, base, "director", DEMO_PASSWORD)
    visit(page, f"{base}{reverse('reporting:dashboard')}")
    picker = page.get_by_test_id("portfolio-picker").get_by_label("Portfolio")
    choice = picker.locator("option").nth(1)
    picker.select_option(choice.get_attribute("value"))
    page.wait_for_url(re.compile(rf"portfolio={choice.get_attribute('value')}"))

    # The score grid's "show" radios submit their form on change (was onchange="…").
    visit(page, f"{base}{reverse('governance:scores', args=[demo.portfolio_id])}")
    radios = page.locator("input[name=show]")
    target = radios.nth(radios.count() - 1)
    page.locator(f"label[for={target.get_attribute('id')}]").click()
    page.wait_for_url(re.compile(rf"show={target.get_attribute('value')}"))

    # Cancel on a RAID and a change-request form loaded by htmx removes the card in place
    # (was hx-on:click="…").
    sign_in(page, base, "pm", DEMO_PASSWORD)
    for section, add, form_id in [
        ("projects:raid", re.compile(r"^Add risk$"), "raid-form"),
        ("projects:changes", re.compile(r"^Raise a change request$"), "change-form"),
    ]:
        visit(page, f"{base}{reverse(section, args=[demo.pk])}")
        url = page.url
        page.get_by_role("link", name=add).click()
        form = page.get_by_test_id(form_id)
        form.wait_for()
        form.get_by_role("link", name="Cancel").click()
        form.wait_for(state="detached")
        assert page.url == url

    assert violations.seen == []
    context.close()
