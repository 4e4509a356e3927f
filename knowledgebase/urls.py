from django.urls import path

from knowledgebase import views

app_name = "knowledgebase"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("go/<int:log_id>/<int:entry_id>/", views.search_click, name="search_click"),
    path("misses/", views.search_misses_page, name="search_misses"),
    path("knowledge-work/", views.knowledge_work, name="knowledge_work"),
    path("knowledge-work/<int:pk>/resolve/", views.stale_resolve, name="stale_resolve"),
    path("misses/synonym/", views.synonym_from_miss, name="synonym_from_miss"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/diff/", views.entry_diff, name="entry_diff"),
    path("entries/<int:pk>/propose/", views.propose_revision, name="propose_revision"),
    path("propose/", views.propose_entry, name="propose_entry"),
    path("maintain/", views.maintain_list, name="maintain"),
    path("maintain/new/", views.maintain_add, name="maintain_add"),
    path("entries/<int:pk>/edit/", views.maintain_edit, name="maintain_edit"),
    path("entries/<int:pk>/retire/", views.maintain_retire, name="maintain_retire"),
    path("entries/<int:pk>/restore/", views.maintain_restore, name="maintain_restore"),
    path("proposals/mine/", views.my_proposals, name="my_proposals"),
    path("proposals/<int:pk>/rebase/", views.proposal_rebase, name="proposal_rebase"),
    path("query-test/", views.query_test_home, name="query_test"),
    path("query-test/start/", views.query_test_start_view, name="query_test_start"),
    path("query-test/<int:pk>/", views.query_test_task, name="query_test_task"),
    path("query-test/<int:pk>/answer/", views.query_test_answer_view, name="query_test_answer"),
    path("query-test/<int:pk>/result/", views.query_test_result, name="query_test_result"),
    path(
        "query-test/calibration/", views.query_time_calibration_page, name="query_time_calibration"
    ),
]
