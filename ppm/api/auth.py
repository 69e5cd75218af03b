"""Personal API tokens on the wire: the secret's format, and the DRF authentication class that
turns `Authorization: Bearer <secret>` into the token's owner.

A secret is `cnd_` and 40 URL-safe characters from `secrets` (240 random bits). Only its
SHA-256 digest is stored, so a request is matched by hashing what it offers and looking the
digest up in a unique index: no secret is ever compared in Python, so there is no timing to
measure, and the table holds nothing a caller could replay.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from ppm.models import ApiToken

log = logging.getLogger(__name__)

SECRET_PREFIX = "cnd_"  # noqa: S105 - the format's marker, not a secret
SECRET_RANDOM_CHARS = 40
# What a secret looks like; anything else is refused before the database is asked. The
# class is ASCII only, so non-ASCII characters, NUL and spaces never match.
SECRET_PATTERN = re.compile(rf"{SECRET_PREFIX}[A-Za-z0-9_-]{{{SECRET_RANDOM_CHARS}}}")
# How many of the secret's first characters the token lists show.
PREFIX_LENGTH = 8
# last_used_at is written at most this often per token: a script calling in a loop costs one
# UPDATE a minute, and "last used" needs no finer grain.
LAST_USED_GRAIN = timedelta(minutes=1)

MALFORMED = "Malformed token."


def new_secret(prefix: str = SECRET_PREFIX) -> str:
    """A fresh secret: `prefix` (a token's `cnd_`, a calendar feed's `cal_`) and 40 URL-safe
    characters (30 random bytes in base64, which is exactly 40 characters with no padding)."""
    return prefix + secrets.token_urlsafe(SECRET_RANDOM_CHARS * 3 // 4)


def secret_digest(secret: str) -> str:
    """The stored form of a secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def api_token_mark_used(*, token: ApiToken, now: datetime) -> None:
    """Record that the token was used now, unless that was already recorded less than a minute
    ago: no query at all when the row just read says so, else one conditional UPDATE (two
    requests racing past the first check write once; the second finds the row fresh)."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_GRAIN:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_GRAIN)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <secret>` → the token's owner, with the token as `request.auth`.

    A request without a Bearer header is left to the next class (the session); one with a
    Bearer header either authenticates or gets 401 saying why: malformed, unknown, revoked,
    expired, or an owner whose account is disabled."""

    keyword = "bearer"

    def authenticate(self, request: HttpRequest) -> tuple[AbstractBaseUser, ApiToken] | None:
        # request.headers is text (WSGI decodes headers as Latin-1), so a header with odd
        # bytes reaches the pattern as odd characters rather than failing to encode.
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != self.keyword:
            return None
        secret = credentials.strip(" \t")
        if not SECRET_PATTERN.fullmatch(secret):
            raise AuthenticationFailed(MALFORMED)
        token = (
            ApiToken.objects.select_related("owner").filter(digest=secret_digest(secret)).first()
        )
        if token is None:
            raise AuthenticationFailed("Invalid token.")
        now = timezone.now()
        ended = token.ended(now)
        if ended is not None:
            how, when = ended
            log.info("api token refused", extra={"token": token.pk, "reason": how})
            if how == "revoked":
                raise AuthenticationFailed("This token was revoked.")
            raise AuthenticationFailed(
                f"This token has expired on {timezone.localdate(when).isoformat()}."
            )
        if not token.owner.is_active:
            log.info("api token refused", extra={"token": token.pk, "reason": "inactive owner"})
            raise AuthenticationFailed("The account this token belongs to is disabled.")
        api_token_mark_used(token=token, now=now)
        return token.owner, token

    def authenticate_header(self, request: HttpRequest) -> str:
        # Given, DRF answers an unauthenticated request with 401 and this challenge (not 403).
        return 'Bearer realm="api"'
