from governance.views import approvals, criteria, policy, ranking, scores

app_name = "governance"
urlpatterns = [
    *criteria.urlpatterns,
    *policy.urlpatterns,
    *scores.urlpatterns,
    *ranking.urlpatterns,
    *approvals.urlpatterns,
]
