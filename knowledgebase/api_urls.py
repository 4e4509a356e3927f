from django.urls import path

from knowledgebase import api

urlpatterns = [
    path("search/", api.SearchView.as_view(), name="api-kb-search"),
    path("search-misses/", api.SearchMissesView.as_view(), name="api-kb-search-misses"),
    path("entries/<int:pk>/", api.EntryDetailView.as_view(), name="api-kb-entry"),
    path("query-test/calibration/", api.QueryTimeCalibrationView.as_view(), name="api-kb-query-calibration"),
]
