from django.urls import path

from competency import api

urlpatterns = [
    path("items/", api.ItemListView.as_view(), name="api-competency-items"),
    path(
        "positions/<slug:code>/model/",
        api.PositionModelView.as_view(),
        name="api-competency-position-model",
    ),
    path(
        "qsort/rounds/<int:pk>/submission/",
        api.SubmissionView.as_view(),
        name="api-competency-qsort-submission",
    ),
    path(
        "qsort/rounds/<int:pk>/results/",
        api.RoundResultsView.as_view(),
        name="api-competency-qsort-results",
    ),
]
