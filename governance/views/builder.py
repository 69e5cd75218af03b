"""Who may use the workflow builder's pages (workflows, selection rules, change rules): the
PMO configures them; directors (who sit on the panels) and executives read them; everyone
else gets 403, whatever the method."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.http import require_http_methods

from ppm.roles import Role, has_role

READERS = (Role.DIRECTOR, Role.PMO, Role.EXECUTIVE)


def may_build(user) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, Role.PMO))


def may_read(user) -> bool:
    return user.is_authenticated and has_role(user, *READERS)


def require_reader(request: HttpRequest) -> None:
    if not may_read(request.user):
        raise PermissionDenied(
            "Workflows and their rules are for the PMO, directors and executives."
        )


def require_builder(request: HttpRequest) -> None:
    if not may_build(request.user):
        raise PermissionDenied("Only the PMO changes workflows and their rules.")


def pmo_post(view):
    """Who before how: anyone but the PMO gets 403 whatever the method (the permission matrix
    holds every route to that); the PMO gets 405 for anything but POST."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        require_builder(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, *args, **kwargs)

    return wrapper


def pmo_form(view):
    """A PMO page with a form: 403 for anyone else, GET and POST only."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        require_builder(request)
        return require_http_methods(["GET", "POST"])(view)(request, *args, **kwargs)

    return wrapper
