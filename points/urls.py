from django.urls import path

from points import views

app_name = "points"

urlpatterns = [
    path("", views.my_points, name="my_points"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("proposals/", views.hub, name="hub"),
    path("proposals/submit/", views.proposal_submit, name="proposal_submit"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/judge/", views.proposal_judge, name="proposal_judge"),
    path("qc/new/", views.topic_new, name="topic_new"),
    path("qc/<int:pk>/", views.topic_detail, name="topic_detail"),
    path("qc/<int:pk>/claim/", views.topic_claim, name="topic_claim"),
    path("qc/groups/<int:pk>/complete/", views.group_complete, name="group_complete"),
    path("volunteer/", views.volunteer_import, name="volunteer_import"),
    path("volunteer/<int:pk>/confirm/", views.volunteer_confirm, name="volunteer_confirm"),
    path("volunteer/<int:pk>/reject/", views.volunteer_reject, name="volunteer_reject"),
]
