from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path(
        "portfolios/<int:pk>/projects.<fmt>",
        views.portfolio_projects_export,
        name="portfolio-projects-export",
    ),
]
