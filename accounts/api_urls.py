from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token

from accounts import api

urlpatterns = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("employees/", api.EmployeeListView.as_view(), name="api-employees"),
    path("auth/token/", obtain_auth_token, name="api-token"),
]
