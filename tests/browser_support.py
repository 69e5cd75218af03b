"""What the browser tests share: viewports, where screenshots go, and demo people."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User

from ppm.roles import Role

SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery staple"


def person(username: str, first: str, last: str, *roles: Role) -> User:
    """A signed-up user with a real name, the shared password and the given roles."""
    user = User.objects.create_user(
        username=username, password=PASSWORD, first_name=first, last_name=last
    )
    for role in roles:
        user.groups.add(Group.objects.get(name=role.value))
    return user


def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form as a person would (any earlier session dropped)."""
    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def taking_screenshots() -> bool:
    """Whether this run retakes the pictures in docs/screenshots: `make screenshots` (pytest
    --screenshots) does; `make test` does not, so a test run leaves the committed pictures
    alone and spends no time encoding them."""
    return os.environ.get("CONDUCTOR_SCREENSHOTS") == "1"


def picture(page, name: str, *, full_page: bool = True) -> None:
    """docs/screenshots/<name>.png of the page as it is, when this run retakes them."""
    if not taking_screenshots():
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000, f"{name}.png is blank"


def shoot(page, name: str) -> None:
    """A full-page screenshot into docs/screenshots/<name>.png once the page is idle."""
    if not taking_screenshots():
        return
    page.wait_for_load_state("networkidle")
    picture(page, name)
