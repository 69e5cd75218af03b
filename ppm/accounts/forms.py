"""Sign-in forms, ours and the admin's, with the failed-attempt throttle (throttle.py)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from ppm.accounts.throttle import (
    client_address,
    login_attempt_failed,
    login_attempt_start,
    login_attempt_succeeded,
)


class ThrottledLoginMixin:
    """Refuses an attempt without checking the password once the account or the address has
    failed too often; counts the attempt otherwise."""

    throttled_message = (
        "Too many failed sign-in attempts for this account or from this address. "
        "Try again in {minutes} minute{plural}, or reset your password."
    )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return super().clean()  # a missing field is reported next to it; nothing is tried
        address = client_address(self.request)
        lockout = login_attempt_start(username=username, address=address)
        if lockout is not None:
            raise forms.ValidationError(
                self.throttled_message.format(
                    minutes=lockout.minutes, plural="" if lockout.minutes == 1 else "s"
                ),
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_attempt_failed(username=username, address=address)
            raise
        login_attempt_succeeded(username=username, address=address)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """Conductor's sign-in form."""


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's sign-in form: staff only, throttled like ours."""


def no_control_characters(value: str) -> None:
    """A field validator for names people give things (tokens, feeds): NUL has Django's own
    message (every CharField refuses it); tabs, escapes and other control characters would
    only hide in a list."""
    if any(unicodedata.category(c) == "Cc" and c != "\x00" for c in value):
        raise forms.ValidationError(
            "Use letters, digits, spaces and punctuation: no control characters.",
            code="control",
        )
