from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.profile, name="profile"),
    path("training/", views.training_workspace, name="training_workspace"),
    path("operations/", views.operations_workspace, name="operations_workspace"),
    path("employees/", views.employee_directory, name="employee_directory"),
    path("employees/import/", views.employee_import, name="employee_import"),
]
