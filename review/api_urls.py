from django.urls import path

from review import api

urlpatterns = [
    path("proposals/", api.ProposalCreateView.as_view(), name="api-review-proposals"),
    path("proposals/<int:pk>/votes/", api.VoteCreateView.as_view(), name="api-review-votes"),
    path("experts/", api.ExpertiseListCreateView.as_view(), name="api-review-experts"),
    path("experts/<int:pk>/", api.ExpertiseDeleteView.as_view(), name="api-review-expert"),
    path(
        "committee/applications/",
        api.ApplicationCreateView.as_view(),
        name="api-review-applications",
    ),
    path(
        "insights/members/", api.InsightsMembersView.as_view(), name="api-review-insights-members"
    ),
    path("insights/flags/", api.InsightsFlagsView.as_view(), name="api-review-insights-flags"),
    path(
        "insights/reversals/", api.FlagReversalView.as_view(), name="api-review-insights-reversals"
    ),
    path(
        "calibration/rounds/",
        api.CalibrationRoundsView.as_view(),
        name="api-review-calibration-rounds",
    ),
    path("calibration/mine/", api.MyCalibrationView.as_view(), name="api-review-calibration-mine"),
]
