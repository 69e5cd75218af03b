"""The resources' routes under /api/v1/ (included by ppm/api/urls.py)."""

from rest_framework.routers import SimpleRouter

from ppm.api import resources, schema  # noqa: F401 - schema registers its extension

# Path converters (not regexes): ids are <int:…>, so a URL with a letter for an id is a 404
# before any view runs, and the URL sweeps of the tests can fill every route's arguments.
router = SimpleRouter(use_regex_path=False)
router.register("portfolios", resources.PortfolioViewSet, basename="portfolio")
router.register("projects", resources.ProjectViewSet, basename="project")
router.register("milestones", resources.MilestoneViewSet, basename="milestone")
router.register("risks", resources.RiskViewSet, basename="risk")
router.register("issues", resources.IssueViewSet, basename="issue")
router.register("change-requests", resources.ChangeRequestViewSet, basename="change-request")
router.register("status-reports", resources.StatusReportViewSet, basename="status-report")
router.register("cost-lines", resources.CostLineViewSet, basename="cost-line")
router.register("rollups", resources.RollupViewSet, basename="rollup")
router.register("snapshots", resources.SnapshotViewSet, basename="snapshot")
router.register("kpis", resources.KpiViewSet, basename="kpi")

urlpatterns = router.urls
