"""The app's URLs plus the floor of bench (h): the first page of the director's projects as
one `.values()` query dumped by JsonResponse, authenticated by the same token lookup and
narrowed by the same scope as /api/v1/projects/, but with no DRF, no serializer, no cursor.
Used only by bench/api.py (override_settings(ROOT_URLCONF=…)); never by the app."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from ppm.access import scope
from ppm.api.auth import TokenAuthentication
from ppm.urls import urlpatterns as app_urlpatterns
from projects.models import Project

FIELDS = (
    "id",
    "code",
    "name",
    "portfolio_id",
    "program_id",
    "manager__username",
    "sponsor__username",
    "category",
    "delivery_method",
    "state",
    "phase",
    "baseline_start",
    "baseline_finish",
    "forecast_finish",
    "actual_finish",
    "rollup__health_rag",
    "version",
)


def values_page(request: HttpRequest) -> JsonResponse:
    user, _token = TokenAuthentication().authenticate(request)
    size = min(int(request.GET.get("page_size", "50")), 200)
    rows = scope(Project.objects.all(), user).order_by("code").values(*FIELDS)[:size]
    return JsonResponse(list(rows), safe=False)


urlpatterns = [*app_urlpatterns, path("bench/values/", values_page)]
