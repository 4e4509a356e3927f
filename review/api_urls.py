from django.urls import path

from review import api

urlpatterns = [
    path("proposals/", api.ProposalCreateView.as_view(), name="api-review-proposals"),
    path("proposals/<int:pk>/votes/", api.VoteCreateView.as_view(), name="api-review-votes"),
    path("committee/applications/", api.ApplicationCreateView.as_view(), name="api-review-applications"),
]
