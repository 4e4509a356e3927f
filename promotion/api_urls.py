from django.urls import path

from promotion import api

urlpatterns = [
    path("me/", api.MyLevelView.as_view(), name="api-promotion-me"),
    path("exam/start/", api.ExamStartView.as_view(), name="api-promotion-exam-start"),
    path("exam/<int:pk>/", api.ExamDetailView.as_view(), name="api-promotion-exam"),
    path("exam/<int:pk>/submit/", api.ExamSubmitView.as_view(), name="api-promotion-exam-submit"),
    path(
        "exam/attempts/<int:pk>/full/", api.ExamFullView.as_view(), name="api-promotion-exam-full"
    ),
    path("exam/items/", api.ItemStatsView.as_view(), name="api-promotion-exam-items"),
    path("promote/", api.PromoteView.as_view(), name="api-promotion-promote"),
    path("blueprint/", api.BlueprintView.as_view(), name="api-promotion-blueprint"),
    path("rosters/", api.RosterView.as_view(), name="api-promotion-rosters"),
    path("forecast/me/", api.ForecastMeView.as_view(), name="api-promotion-forecast-me"),
    path("workforce/", api.WorkforceView.as_view(), name="api-promotion-workforce"),
    path("mentorships/", api.MentorshipCreateView.as_view(), name="api-promotion-mentorships"),
]
