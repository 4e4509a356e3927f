from django.urls import path

from promotion import views

app_name = "promotion"

urlpatterns = [
    path("", views.my_level, name="my_level"),
    path("request/", views.promote_request, name="promote_request"),
    path("exam/", views.exam_home, name="exam_home"),
    path("exam/start/", views.exam_start, name="exam_start"),
    path("exam/<int:pk>/", views.exam_take, name="exam_take"),
    path("exam/<int:pk>/submit/", views.exam_submit, name="exam_submit"),
    path("exam/<int:pk>/answers/", views.exam_answers_save, name="exam_answers_save"),
    path("exam/attempts/", views.exam_attempts, name="exam_attempts"),
    path("exam/attempts/<int:pk>/", views.exam_attempt_full, name="exam_attempt_full"),
    path("exam/items/", views.exam_items, name="exam_items"),
    path("exam/items/<int:pk>/propose/", views.exam_item_propose, name="exam_item_propose"),
    path("certificates/<int:pk>/", views.certificate, name="certificate"),
    path("mentoring/", views.mentoring, name="mentoring"),
    path("mentoring/pair/", views.mentorship_create, name="mentorship_create"),
    path("mentoring/<int:pk>/end/", views.mentorship_end, name="mentorship_end"),
    path("mentoring/promote/", views.manager_promote, name="manager_promote"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("exam/blueprint/", views.exam_blueprint, name="exam_blueprint"),
    path("rosters/", views.roster, name="rosters"),
    path("rosters/export.csv", views.roster_csv, name="rosters_csv"),
    path("rosters/export.xlsx", views.roster_xlsx, name="rosters_xlsx"),
    path("workforce/", views.workforce, name="workforce"),
    path("medals/", views.medals, name="medals"),
    path("medals/award/", views.medal_award, name="medal_award"),
]
