from django.urls import path

from competency import views

app_name = "competency"

urlpatterns = [
    path("dictionary/", views.dictionary, name="dictionary"),
    path("positions/<slug:code>/", views.position_model, name="position_model"),
    path("qsort/", views.round_list, name="round_list"),
    path("qsort/new/", views.round_create, name="round_create"),
    path("qsort/invitations/", views.my_invitations, name="my_invitations"),
    path("qsort/<int:pk>/", views.round_detail, name="round_detail"),
    path("qsort/<int:pk>/open/", views.round_open, name="round_open"),
    path("qsort/<int:pk>/close/", views.round_close, name="round_close"),
    path("qsort/<int:pk>/publish/", views.round_publish, name="round_publish"),
    path("qsort/<int:pk>/sort/", views.round_sort, name="round_sort"),
]
