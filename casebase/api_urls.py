from django.urls import path

from casebase import api

urlpatterns = [
    path("study/", api.StudyListView.as_view(), name="api-cases-study"),
    path("study/<int:pk>/", api.StudyDetailView.as_view(), name="api-cases-study-detail"),
    path("study/<int:pk>/studied/", api.StudiedView.as_view(), name="api-cases-studied"),
    path("study/<int:pk>/rating/", api.RatingView.as_view(), name="api-cases-rating"),
    path("proposals/", api.ProposalCreateView.as_view(), name="api-cases-proposals"),
    path("proposals/voice/", api.VoiceProposalCreateView.as_view(), name="api-cases-voice-proposals"),
    path("health/", api.LibraryHealthView.as_view(), name="api-cases-health"),
]
