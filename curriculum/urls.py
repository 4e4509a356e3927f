from django.urls import path

from curriculum import views

app_name = "curriculum"

urlpatterns = [
    path("courses/", views.course_list, name="course_list"),
    path("courses/<int:pk>/", views.course_detail, name="course_detail"),
    path("courses/<int:pk>/enrol/", views.course_enrol, name="course_enrol"),
    path("courses/<int:pk>/survey/", views.course_survey, name="course_survey"),
    path("courses/<int:pk>/exam/", views.course_exam, name="course_exam"),
    path("exams/<int:pk>/", views.exam_attempt, name="exam_attempt"),
    path("my-map/", views.my_map, name="my_map"),
    path("my-trajectory/", views.trajectory, name="my_trajectory"),
    path("my-trajectory/export.<fmt>", views.trajectory_export, name="my_trajectory_export"),
    path("my-gaps/", views.gaps, name="my_gaps"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/trajectory/", views.trajectory, name="employee_trajectory"),
    path(
        "people/<int:pk>/trajectory/export.<fmt>",
        views.trajectory_export,
        name="employee_trajectory_export",
    ),
    path("people/<int:pk>/gaps/", views.gaps, name="employee_gaps"),
    path("people/<int:pk>/rate/", views.rate_employee, name="rate_employee"),
    path("evaluations/", views.evaluations, name="evaluations"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
]
