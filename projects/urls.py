"""Project URLs: the list, the project page, and one module of URLs per section."""

from django.urls import path

from projects.views import (
    changes,
    costs,
    edit,
    history,
    lessons,
    lifecycle,
    milestones,
    mspdi,
    pages,
    raid,
    status,
)

app_name = "projects"
urlpatterns = [
    path("", pages.my_projects, name="mine"),
    path("<int:pk>/", pages.project_detail, name="detail"),
    *status.urlpatterns,
    *milestones.urlpatterns,
    *mspdi.urlpatterns,
    *costs.urlpatterns,
    *raid.urlpatterns,
    *changes.urlpatterns,
    *lessons.urlpatterns,
    *history.urlpatterns,
    *lifecycle.urlpatterns,
    *edit.urlpatterns,
]
