"""Keep the role groups present after every migrate and every test-database flush."""

from __future__ import annotations

from ppm.roles import ALL_ROLES


def ensure_role_groups(sender, **kwargs) -> None:
    from django.contrib.auth.models import Group

    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role.value)
