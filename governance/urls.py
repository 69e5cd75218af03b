from governance.views import criteria, ranking, scores

app_name = "governance"
urlpatterns = [*criteria.urlpatterns, *scores.urlpatterns, *ranking.urlpatterns]
