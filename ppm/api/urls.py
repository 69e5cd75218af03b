"""/api/v1/: the REST API's URLs (namespace "api")."""

from django.urls import path

from ppm.api import router, views

app_name = "api"

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    *router.urlpatterns,
]
