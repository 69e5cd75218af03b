from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.my_projects, name="mine"),
    path("<int:pk>/", views.project_detail, name="detail"),
]
