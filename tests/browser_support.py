"""What the browser tests share: viewports, where screenshots go, and demo people."""

from __future__ import annotations

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
