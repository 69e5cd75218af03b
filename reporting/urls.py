"""Reporting's pages. Mounted at the site root: the figure pages keep the /portfolios/ paths
they had when they lived in `portfolio`, the exports their /exports/ paths."""

from django.urls import path

from reporting.views import exports, gates, portfolios, report_definitions
from reporting.views import reports as report_views  # PDF report pages (issue 11)
from reporting.views import trends as trend_views  # trends and what changed (issue 11)

app_name = "reporting"
urlpatterns = [
    path("portfolios/", portfolios.portfolio_list, name="portfolio-list"),
    path("portfolios/dashboard/", portfolios.dashboard, name="dashboard"),
    path("portfolios/projects/", portfolios.project_list, name="projects"),
    path(
        "portfolios/dashboard/explain/<slug:key>/",
        portfolios.kpi_explain,
        name="kpi-explain",
    ),
    path("portfolios/<int:pk>/", portfolios.portfolio_detail, name="portfolio-detail"),
    path("exports/projects.<fmt>", exports.projects_export, name="projects-export"),
    path(
        "exports/portfolios/<int:pk>/projects.<fmt>",
        exports.portfolio_projects_export,
        name="portfolio-projects-export",
    ),
    *gates.urlpatterns,
    # --- Trends and what changed (issue 11, reporting) ---
    path("portfolios/trends/", trend_views.trends, name="trends"),
    path(
        "portfolios/projects/<int:pk>/trends/",
        trend_views.project_trends,
        name="project-trends",
    ),
    # --- PDF report pages: library, runs, downloads, definitions (issue 11) ---
    *report_views.urlpatterns,
    *report_definitions.urlpatterns,
]
