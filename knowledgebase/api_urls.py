from django.urls import path

from knowledgebase import api

urlpatterns = [
    path("search/", api.SearchView.as_view(), name="api-kb-search"),
    path("search-misses/", api.SearchMissesView.as_view(), name="api-kb-search-misses"),
    path("stale/", api.StaleListView.as_view(), name="api-kb-stale"),
    path("stale/<int:pk>/resolve/", api.StaleResolveView.as_view(), name="api-kb-stale-resolve"),
    path("entries/", api.EntryCreateView.as_view(), name="api-kb-entry-create"),
    path("entries/<int:pk>/", api.EntryDetailView.as_view(), name="api-kb-entry"),
    path("entries/<int:pk>/history/", api.EntryHistoryView.as_view(), name="api-kb-entry-history"),
    path("entries/<int:pk>/revise/", api.EntryReviseView.as_view(), name="api-kb-entry-revise"),
    path("entries/<int:pk>/retire/", api.EntryRetireView.as_view(), name="api-kb-entry-retire"),
    path("entries/<int:pk>/restore/", api.EntryRestoreView.as_view(), name="api-kb-entry-restore"),
    path(
        "query-test/calibration/",
        api.QueryTimeCalibrationView.as_view(),
        name="api-kb-query-calibration",
    ),
]
