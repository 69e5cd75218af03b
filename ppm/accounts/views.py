from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ppm.accounts.throttle import login_throttle_clear_account


@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    """Shown to a signed-in user who holds no role yet: tells them whom to ask."""
    return render(request, "accounts/no_role.html", status=403)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset-by-link page; a reset also lifts a sign-in lockout on the account, since
    whoever holds the mailbox has just proved they are its owner."""

    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        login_throttle_clear_account(username=form.user.get_username())
        return response
