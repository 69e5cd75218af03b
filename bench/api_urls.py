"""The app's URLs plus the floor of bench (h): the first page of the director's projects as
one `.values()` query dumped by JsonResponse, authenticated by the same token lookup and
narrowed by the same scope as /api/v1/projects/, but with no DRF, no serializer, no cursor.
Used only by bench/api.py (override_settings(ROOT_URLCONF=…)); never by the app."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from ppm.access import scope
from ppm.api.auth import TokenAuthentication
from ppm.api.resources import ProjectSerializer
from ppm.urls import urlpatterns as app_urlpatterns
from projects.models import Project

# The API's own columns, read as plain values (the people and the health joined in).
_JOINED = {
    "portfolio": "portfolio_id",
    "program": "program_id",
    "manager": "manager__username",
    "sponsor": "sponsor__username",
    "health": "rollup__health_rag",
}
FIELDS = tuple(_JOINED.get(f, f) for f in ProjectSerializer.Meta.fields)


def values_page(request: HttpRequest) -> JsonResponse:
    user, _token = TokenAuthentication().authenticate(request)
    size = min(int(request.GET.get("page_size", "50")), 200)
    rows = scope(Project.objects.all(), user).order_by("code").values(*FIELDS)[:size]
    return JsonResponse(list(rows), safe=False)


urlpatterns = [*app_urlpatterns, path("bench/values/", values_page)]
