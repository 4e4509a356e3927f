from django.urls import path

from points import api

urlpatterns = [
    path("me/", api.MyBalanceView.as_view(), name="api-points-me"),
    path("me/history/", api.MyHistoryView.as_view(), name="api-points-history"),
    path("leaderboard/", api.LeaderboardView.as_view(), name="api-points-leaderboard"),
    path("rationalisation/", api.RationalisationView.as_view(), name="api-points-rationalisation"),
    path(
        "rationalisation/<int:pk>/judge/",
        api.RationalisationJudgeView.as_view(),
        name="api-points-rationalisation-judge",
    ),
    path("corrections/", api.CorrectionView.as_view(), name="api-points-corrections"),
    path("qc/topics/", api.TopicListView.as_view(), name="api-points-qc-topics"),
    path("qc/topics/<int:pk>/claim/", api.TopicClaimView.as_view(), name="api-points-qc-claim"),
    path(
        "qc/groups/<int:pk>/complete/",
        api.GroupCompleteView.as_view(),
        name="api-points-qc-complete",
    ),
    path(
        "volunteer/import/", api.VolunteerImportView.as_view(), name="api-points-volunteer-import"
    ),
    path(
        "volunteer/pending/",
        api.VolunteerPendingView.as_view(),
        name="api-points-volunteer-pending",
    ),
    path(
        "volunteer/sheets/<int:pk>/confirm/",
        api.VolunteerConfirmView.as_view(),
        name="api-points-volunteer-confirm",
    ),
    path(
        "volunteer/sheets/<int:pk>/reject/",
        api.VolunteerRejectView.as_view(),
        name="api-points-volunteer-reject",
    ),
]
