from governance.views import criteria, policy, ranking, scores

app_name = "governance"
urlpatterns = [
    *criteria.urlpatterns,
    *policy.urlpatterns,
    *scores.urlpatterns,
    *ranking.urlpatterns,
]
