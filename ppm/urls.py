from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from ppm import feeds, inbox, views
from ppm.accounts import urls as account_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz-live"),
    path("healthz/ready", views.healthz_ready, name="healthz-ready"),
    path("healthz/worker", views.healthz_worker, name="healthz-worker"),
    path("accounts/", include(account_urls)),
    # Calendar feeds: the owner's page, and the feed a calendar program fetches (ppm/feeds.py).
    path("accounts/feeds/", include(feeds.page_urlpatterns)),
    path("feeds/", include(feeds.feed_urlpatterns)),
    path("inbox/", include(inbox.urlpatterns)),
    path("api/v1/", include("ppm.api.urls", namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("reporting.urls")),
    path("projects/", include("projects.urls")),
    path("governance/", include("governance.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "ppm.views.server_error"
