from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.profile, name="profile"),
    path("training/", views.training_workspace, name="training_workspace"),
    path("operations/", views.operations_workspace, name="operations_workspace"),
    path("employees/", views.employee_directory, name="employee_directory"),
    path("getting-started/", views.getting_started, name="getting_started"),
    path("getting-started/read/", views.getting_started_read, name="getting_started_read"),
    path("sandbox/", views.sandbox, name="sandbox"),
    path("sandbox/kb/", views.sandbox_kb, name="sandbox_kb"),
    path("sandbox/case/", views.sandbox_case, name="sandbox_case"),
    path("sandbox/case/new/", views.sandbox_case_new, name="sandbox_case_new"),
    path("employees/import/", views.employee_import, name="employee_import"),
]
