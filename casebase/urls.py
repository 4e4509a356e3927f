from django.urls import path

from casebase import views

app_name = "casebase"

urlpatterns = [
    path("", views.library, name="library"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/studied/", views.case_studied, name="case_studied"),
    path("<int:pk>/rate/", views.case_rate_view, name="case_rate"),
    path("<int:pk>/revise/", views.revise, name="revise"),
    path("<int:pk>/quality-review/", views.quality_apply, name="quality_apply"),
    path("propose/", views.propose_text, name="propose_text"),
    path("propose/voice/", views.propose_voice, name="propose_voice"),
    path("proposals/mine/", views.my_proposals, name="my_proposals"),
    path("history/", views.history_list, name="history"),
    path("history/<int:pk>/", views.history_detail, name="history_detail"),
    path("retirements/", views.retirements, name="retirements"),
    path("health/", views.library_health, name="health"),
    path("retirements/<int:pk>/decide/", views.retirement_decide, name="retirement_decide"),
    path("recordings/<int:pk>/", views.recording, name="recording"),
    path("recordings/proposal/<int:pk>/", views.proposal_recording, name="proposal_recording"),
]
