"""The inbox in a real browser at phone width: the unread badge in the navigation, marking
read, the mail preference — and no page scrolls sideways at 390 px."""

from __future__ import annotations

import os

import pytest

from ppm.models import NotificationPreference
from ppm.notifications import notify
from ppm.roles import Role
from tests.browser_support import PHONE, person, shoot, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_inbox_works_at_phone_width(browser, live_server):
    ana = person("ana.silva", "Ana", "Silva", Role.PROJECT_MANAGER)
    long_name = "Customer-identity-and-access-management-platform-consolidation-programme"
    notify(
        [ana],
        kind="status_due",
        title=f"Status report due soon: CIAM-01 {long_name}",
        body="The March 2026 report is due once the month ends (31 Mar 2026).",
        url="/projects/",
    )
    notify([ana], kind="change_decided", title="Change request approved: ERP-01 Add payroll")

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "ana.silva")
    page.get_by_role("button", name="Toggle navigation").click()
    inbox_link = page.get_by_role("link", name="Inbox 2 unread")
    inbox_link.wait_for(state="visible")
    inbox_link.click()
    page.wait_for_load_state("networkidle")

    assert page.get_by_role("heading", name="Inbox").is_visible()
    assert page.get_by_test_id("inbox-summary").inner_text().startswith("2 unread")
    assert page.locator("[data-testid=notification].is-unread").count() == 2
    assert overflow(page) <= 0, "the inbox scrolls sideways"
    shoot(page, "inbox-phone")

    page.get_by_role("button", name="Mark read Change request approved: ERP-01 Add payroll").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=notification].is-unread").count() == 1
    assert page.get_by_test_id("inbox-badge").inner_text().startswith("1")

    page.get_by_test_id("mark-all-read").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=notification].is-unread").count() == 0
    assert page.get_by_test_id("inbox-badge").count() == 0
    assert "Marked 1 notification read." in page.locator(".messages").inner_text()

    page.get_by_role("link", name="Mail settings").click()
    page.wait_for_load_state("networkidle")
    assert overflow(page) <= 0, "the mail settings scroll sideways"
    assert page.get_by_label("Each notification as it happens").is_checked()
    page.get_by_label("One daily digest, at 07:00 (UTC)").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert "Saved: one daily digest." in page.locator(".messages").inner_text()
    assert NotificationPreference.objects.get(user=ana).email == "digest"
    shoot(page, "inbox-settings-phone")
    context.close()
