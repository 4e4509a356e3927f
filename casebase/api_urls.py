from django.urls import path

from casebase import api

urlpatterns = [
    path("study/", api.StudyListView.as_view(), name="api-cases-study"),
    path("study/<int:pk>/", api.StudyDetailView.as_view(), name="api-cases-study-detail"),
    path("study/<int:pk>/studied/", api.StudiedView.as_view(), name="api-cases-studied"),
    path("study/<int:pk>/rating/", api.RatingView.as_view(), name="api-cases-rating"),
    path("proposals/", api.ProposalCreateView.as_view(), name="api-cases-proposals"),
    path(
        "proposals/voice/", api.VoiceProposalCreateView.as_view(), name="api-cases-voice-proposals"
    ),
    path("health/", api.LibraryHealthView.as_view(), name="api-cases-health"),
    path(
        "study/<int:pk>/reflections/",
        api.ReflectionCreateView.as_view(),
        name="api-cases-reflections",
    ),
    path(
        "reflections/<int:pk>/moderate/",
        api.ReflectionModerateView.as_view(),
        name="api-cases-reflection-moderate",
    ),
    path("catalogue/", api.CatalogueView.as_view(), name="api-cases-catalogue"),
    path("catalogue/voice/", api.CatalogueVoiceView.as_view(), name="api-cases-catalogue-voice"),
    path(
        "catalogue/<int:pk>/", api.CatalogueDetailView.as_view(), name="api-cases-catalogue-detail"
    ),
    path(
        "catalogue/<int:pk>/revise/",
        api.CatalogueReviseView.as_view(),
        name="api-cases-catalogue-revise",
    ),
    path(
        "catalogue/<int:pk>/retire/",
        api.CatalogueRetireView.as_view(),
        name="api-cases-catalogue-retire",
    ),
    path(
        "catalogue/<int:pk>/commentary/", api.CommentaryView.as_view(), name="api-cases-commentary"
    ),
    path("calls/", api.CallSuggestionsView.as_view(), name="api-cases-calls"),
    path("calls/<int:pk>/decide/", api.CallDecisionView.as_view(), name="api-cases-call-decide"),
]
