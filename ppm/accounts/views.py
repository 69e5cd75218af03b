from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    """Shown to a signed-in user who holds no role yet: tells them whom to ask."""
    return render(request, "accounts/no_role.html", status=403)
