from django.urls import path

from promotion import api

urlpatterns = [
    path("me/", api.MyLevelView.as_view(), name="api-promotion-me"),
    path("exam/start/", api.ExamStartView.as_view(), name="api-promotion-exam-start"),
    path("exam/<int:pk>/", api.ExamDetailView.as_view(), name="api-promotion-exam"),
    path("exam/<int:pk>/submit/", api.ExamSubmitView.as_view(), name="api-promotion-exam-submit"),
    path("exam/attempts/<int:pk>/full/", api.ExamFullView.as_view(), name="api-promotion-exam-full"),
    path("promote/", api.PromoteView.as_view(), name="api-promotion-promote"),
    path("blueprint/", api.BlueprintView.as_view(), name="api-promotion-blueprint"),
    path("rosters/", api.RosterView.as_view(), name="api-promotion-rosters"),
    path("mentorships/", api.MentorshipCreateView.as_view(), name="api-promotion-mentorships"),
]
