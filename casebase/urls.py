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
    path("<int:pk>/reflection/", views.reflection_add, name="reflection_add"),
    path("manage/", views.catalogue, name="catalogue"),
    path("manage/new/", views.maintain_new_text, name="maintain_new_text"),
    path("manage/new/voice/", views.maintain_new_voice, name="maintain_new_voice"),
    path("manage/<int:pk>/", views.catalogue_detail, name="catalogue_detail"),
    path("manage/<int:pk>/edit/", views.maintain_edit, name="maintain_edit"),
    path("manage/<int:pk>/citations/", views.case_citations, name="case_citations"),
    path("manage/<int:pk>/retire/", views.maintain_retire, name="maintain_retire"),
    path(
        "manage/<int:pk>/competencies/", views.maintain_competencies, name="maintain_competencies"
    ),
    path("manage/<int:pk>/commentary/", views.commentary_edit, name="commentary_edit"),
    path("calls/", views.calls, name="calls"),
    path("calls/suggest/", views.call_suggest, name="call_suggest"),
    path("calls/<int:pk>/decide/", views.call_decide, name="call_decide"),
    path("reflections/", views.reflections, name="reflections"),
    path("reflections/<int:pk>/moderate/", views.reflection_moderate, name="reflection_moderate"),
    path("recordings/<int:pk>/", views.recording, name="recording"),
    path("recordings/proposal/<int:pk>/", views.proposal_recording, name="proposal_recording"),
]
