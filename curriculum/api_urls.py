from django.urls import path

from curriculum import api

urlpatterns = [
    path("courses/", api.CourseListView.as_view(), name="api-curriculum-courses"),
    path("courses/<int:pk>/", api.CourseDetailView.as_view(), name="api-curriculum-course"),
    path(
        "courses/<int:pk>/questions/",
        api.CourseQuestionListView.as_view(),
        name="api-curriculum-course-questions",
    ),
    path("questions/<int:pk>/", api.QuestionItemsView.as_view(), name="api-curriculum-question"),
    path("my/map/", api.MyMapView.as_view(), name="api-curriculum-my-map"),
    path("my/trajectory/", api.MyTrajectoryView.as_view(), name="api-curriculum-my-trajectory"),
    path("my/gaps/", api.MyGapsView.as_view(), name="api-curriculum-my-gaps"),
    path(
        "people/<int:pk>/gaps/", api.EmployeeGapsView.as_view(), name="api-curriculum-employee-gaps"
    ),
    path("enrolments/", api.EnrolmentCreateView.as_view(), name="api-curriculum-enrolments"),
    path("surveys/", api.SurveyCreateView.as_view(), name="api-curriculum-surveys"),
    path("exams/", api.ExamStartView.as_view(), name="api-curriculum-exams"),
    path("exams/<int:pk>/", api.ExamAttemptView.as_view(), name="api-curriculum-exam"),
    path("exams/<int:pk>/submit/", api.ExamSubmitView.as_view(), name="api-curriculum-exam-submit"),
    path("ratings/", api.RatingCreateView.as_view(), name="api-curriculum-ratings"),
]
