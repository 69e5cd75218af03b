from governance.views import (
    approvals,
    criteria,
    gates,
    intake,
    policy,
    ranking,
    reviews,
    scores,
    workflows,
)

app_name = "governance"
urlpatterns = [
    *criteria.urlpatterns,
    *policy.urlpatterns,
    *scores.urlpatterns,
    *ranking.urlpatterns,
    *approvals.urlpatterns,
    *reviews.urlpatterns,
    *workflows.urlpatterns,
    *intake.urlpatterns,
    *gates.urlpatterns,
]
