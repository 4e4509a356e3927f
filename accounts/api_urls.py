from django.urls import path

from accounts import api, dashboard_api

urlpatterns = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("employees/", api.EmployeeListView.as_view(), name="api-employees"),
    path("onboarding/", api.TourView.as_view(), name="api-onboarding"),
    path("onboarding/sandbox/", api.SandboxView.as_view(), name="api-onboarding-sandbox"),
    path("employees/import/", api.EmployeeImportView.as_view(), name="api-employees-import"),
    path("auth/token/", api.TokenLoginView.as_view(), name="api-token"),
    path("auth/logout/", api.TokenLogoutView.as_view(), name="api-token-logout"),
    path("auth/logout-all/", api.TokenLogoutAllView.as_view(), name="api-token-logout-all"),
    path("dashboard/csr/", dashboard_api.CsrDashboardView.as_view(), name="api-dashboard-csr"),
    path(
        "dashboard/committee/",
        dashboard_api.CommitteeDashboardView.as_view(),
        name="api-dashboard-committee",
    ),
    path(
        "dashboard/training/",
        dashboard_api.TrainingDashboardView.as_view(),
        name="api-dashboard-training",
    ),
    path("dashboard/hr/", dashboard_api.HRDashboardView.as_view(), name="api-dashboard-hr"),
    path(
        "dashboard/operations/",
        dashboard_api.OperationsDashboardView.as_view(),
        name="api-dashboard-operations",
    ),
]
