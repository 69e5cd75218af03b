"""The demo's people: one login per role plus named project managers, all with password "demo".

Only `seed_demo` creates these users. They are recognised by their e-mail domain, so a reset
keeps (and refreshes) the ones still needed — their ids stay stable, and a browser session of
a demo user survives a reset — and removes generated ones a smaller run no longer needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User

from ppm.roles import Role
from projects.demo.texts import FIRST_NAMES, LAST_NAMES

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented password of the public demo logins
DEMO_EMAIL_DOMAIN = "demo.conductor.example"


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    role: Role


PERSONAS = [
    Persona("director", "Diane", "Fischer", Role.DIRECTOR),
    Persona("director2", "Marcus", "Okafor", Role.DIRECTOR),
    Persona("pm", "Peter", "Morgan", Role.PROJECT_MANAGER),
    Persona("pmo", "Priya", "Nair", Role.PMO),
    Persona("executive", "Eleanor", "Hughes", Role.EXECUTIVE),
    Persona("ana.silva", "Ana", "Silva", Role.PROJECT_MANAGER),
    Persona("raj.patel", "Raj", "Patel", Role.PROJECT_MANAGER),
    Persona("sophie.martin", "Sophie", "Martin", Role.PROJECT_MANAGER),
    Persona("lukas.weber", "Lukas", "Weber", Role.PROJECT_MANAGER),
    Persona("wei.chen", "Wei", "Chen", Role.PROJECT_MANAGER),
    Persona("fatima.khan", "Fatima", "Khan", Role.PROJECT_MANAGER),
]
PERSONA_PMS = [p.username for p in PERSONAS if p.role is Role.PROJECT_MANAGER]


def generated_pms(count: int) -> list[Persona]:
    """`count` further project managers with distinct realistic names (large sizes only)."""
    taken = {p.username for p in PERSONAS}
    out: list[Persona] = []
    n = 0
    while len(out) < count:
        # Walk the name grid diagonally so neighbours do not share a first or last name.
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        last = LAST_NAMES[(n + n // len(FIRST_NAMES)) % len(LAST_NAMES)]
        suffix = "" if n < len(FIRST_NAMES) * len(LAST_NAMES) else str(n)
        username = f"{first}.{last}{suffix}".lower()
        if username not in taken:
            taken.add(username)
            out.append(Persona(username, first, last, Role.PROJECT_MANAGER))
        n += 1
    return out


def ensure_users(*, personas: list[Persona], joined: date) -> dict[str, int]:
    """Create or refresh the demo users; return username → id.

    Hashing a password is deliberately slow, so it is done once and the hash reused.
    """
    password = make_password(DEMO_PASSWORD)
    joined_at = datetime.combine(joined, time(9, 0), tzinfo=UTC)
    wanted = {p.username: p for p in personas}
    demo_users = User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
    demo_users.exclude(username__in=wanted).delete()

    existing = {u.username: u for u in User.objects.filter(username__in=wanted)}
    for user in existing.values():
        p = wanted[user.username]
        user.first_name, user.last_name = p.first_name, p.last_name
        user.email = f"{p.username}@{DEMO_EMAIL_DOMAIN}"
        user.password, user.is_active = password, True
    User.objects.bulk_update(
        existing.values(), ["first_name", "last_name", "email", "password", "is_active"]
    )
    User.objects.bulk_create(
        [
            User(
                username=p.username,
                first_name=p.first_name,
                last_name=p.last_name,
                email=f"{p.username}@{DEMO_EMAIL_DOMAIN}",
                password=password,
                date_joined=joined_at,
            )
            for p in personas
            if p.username not in existing
        ]
    )
    ids = dict(User.objects.filter(username__in=wanted).values_list("username", "id"))

    groups = dict(Group.objects.values_list("name", "id"))
    missing = {r.value for r in Role} - set(groups)
    if missing:
        raise RuntimeError(f"role groups missing (run migrate first): {sorted(missing)}")
    membership = User.groups.through
    membership.objects.filter(user_id__in=ids.values()).delete()
    membership.objects.bulk_create(
        [membership(user_id=ids[p.username], group_id=groups[p.role.value]) for p in personas]
    )
    return ids
