from django.urls import path

from review import insight_views, views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/vote/", views.proposal_vote_view, name="proposal_vote"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw_view, name="proposal_withdraw"),
    path("committee/", views.committee, name="committee"),
    path("committee/apply/", views.committee_apply, name="committee_apply"),
    path("committee/appoint/", views.committee_appoint, name="committee_appoint"),
    path("committee/members/<int:pk>/remove/", views.committee_remove, name="committee_remove"),
    path("experts/", views.experts, name="experts"),
    path("experts/assign/", views.experts_assign, name="experts_assign"),
    path("experts/<int:pk>/remove/", views.experts_remove, name="experts_remove"),
    path("insights/", insight_views.insights_page, name="insights"),
    path("insights/pairs/<int:first>/<int:second>/", insight_views.pair_flag, name="insights_pair"),
    path(
        "insights/serial/<int:member>/<int:proposer>/<str:day>/",
        insight_views.serial_flag,
        name="insights_serial",
    ),
    path("calibration/", insight_views.calibration_page, name="calibration"),
    path("calibration/<int:pk>/", insight_views.calibration_round, name="calibration_round"),
]
