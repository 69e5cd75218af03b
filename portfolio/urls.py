from django.urls import path

from portfolio import views

app_name = "portfolio"
urlpatterns = [
    path("", views.portfolio_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("projects/", views.project_list, name="projects"),
    path("<int:pk>/", views.portfolio_detail, name="detail"),
]
