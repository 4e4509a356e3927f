"""Curriculum REST API (mounted under /api/curriculum/). Thin: validate, call one service
or selector, serialize. Domain errors are answered by the one API error handler
(config.errors): 400 with the field they are about, 409 for what is already done."""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import has_perm, object_rule
from curriculum import gaps, permissions, selectors, services
from curriculum.filters import CourseFilter
from curriculum.models import Course, ExamAttempt, Question
from curriculum.rules import VIEW_EMPLOYEE
from curriculum.serializers import (
    CourseQuestionSerializer,
    CourseSerializer,
    EnrolmentInputSerializer,
    ExamAttemptOutSerializer,
    ExamResultSerializer,
    ExamStartInputSerializer,
    ExamSubmitInputSerializer,
    GapAnalysisSerializer,
    MapProgressSerializer,
    QuestionItemsInputSerializer,
    RatingInputSerializer,
    RatingOutSerializer,
    SurveyInputSerializer,
    TrajectoryEntrySerializer,
)

CAN_STUDY = has_perm(roles.STUDY)
CATALOGUE_READERS = has_perm(roles.STUDY) | has_perm(roles.MANAGE_TRAINING)
TRAINING_MANAGERS = has_perm(roles.MANAGE_TRAINING)


class CourseListView(generics.ListAPIView):
    """Course catalogue; filters: priority, item (competency item id), call_step (code)."""

    serializer_class = CourseSerializer
    permission_classes = [CATALOGUE_READERS]
    filterset_class = CourseFilter

    def get_queryset(self):
        return selectors.course_list()


class CourseDetailView(generics.RetrieveAPIView):
    serializer_class = CourseSerializer
    permission_classes = [CATALOGUE_READERS]

    def get_queryset(self):
        return selectors.course_list()


class MyMapView(APIView):
    """The logged-in employee's learning map with done / in_progress / not_started / locked."""

    permission_classes = [CAN_STUDY]

    @extend_schema(responses=MapProgressSerializer)
    def get(self, request):
        learning_map = selectors.learning_map_for_employee(request.user, cached=True)
        if learning_map is None:
            raise NotFound(_("No learning map is set up for your position yet."))
        progress = selectors.map_progress(employee=request.user, learning_map=learning_map)
        return Response(MapProgressSerializer(progress).data)


class MyTrajectoryView(generics.ListAPIView):
    """The logged-in employee's learning trajectory, newest first, paginated (?page=):
    courses, exams, surveys, stages, ratings, plan items, case study, promotion exams,
    re-tests, query-time tests, level changes and points."""

    permission_classes = [CAN_STUDY]
    serializer_class = TrajectoryEntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        # A lazy sequence (count + slices), not a QuerySet: the pagination reads one page.
        return selectors.trajectory(employee=self.request.user)


class MyGapsView(APIView):
    """The logged-in employee's gap analysis: per competency item the ratings, the exam
    evidence (latest counting promotion exam or re-test, with its date), the gap and the
    learning advice (curriculum.gaps)."""

    permission_classes = [CAN_STUDY]

    @extend_schema(responses=GapAnalysisSerializer)
    def get(self, request):
        analysis = gaps.gap_analysis(employee=request.user)
        return Response(
            GapAnalysisSerializer({"employee": request.user, "analysis": analysis}).data
        )


class EmployeeGapsView(APIView):
    """One employee's gap analysis, as on their gap page: for themselves, a training manager
    or a team leader of their team (curriculum.view_employee)."""

    permission_classes = [IsAuthenticated, object_rule(VIEW_EMPLOYEE)]

    @extend_schema(responses=GapAnalysisSerializer)
    def get(self, request, pk: int):
        employee = get_object_or_404(
            get_user_model().objects.select_related("position", "team"), pk=pk
        )
        self.check_object_permissions(request, employee)
        analysis = gaps.gap_analysis(employee=employee)
        return Response(GapAnalysisSerializer({"employee": employee, "analysis": analysis}).data)


class EnrolmentCreateView(APIView):
    permission_classes = [CAN_STUDY]

    @extend_schema(
        request=EnrolmentInputSerializer,
        responses={
            201: inline_serializer(
                "EnrolmentCreated",
                {
                    "id": serializers.IntegerField(),
                    "course": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "run": serializers.IntegerField(allow_null=True),
                },
            )
        },
    )
    def post(self, request):
        data = EnrolmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrolment = services.enrolment_create(employee=request.user, **data.validated_data)
        return Response(
            {
                "id": enrolment.pk,
                "course": enrolment.course_id,
                "status": enrolment.status,
                "run": enrolment.run_id,
            },
            status=status.HTTP_201_CREATED,
        )


class SurveyCreateView(APIView):
    permission_classes = [CAN_STUDY]

    @extend_schema(
        request=SurveyInputSerializer,
        responses={
            201: inline_serializer(
                "SurveyCreated",
                {
                    "id": serializers.IntegerField(),
                    "course": serializers.IntegerField(),
                    "run": serializers.IntegerField(allow_null=True),
                },
            )
        },
    )
    def post(self, request):
        data = SurveyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = services.survey_response_create(employee=request.user, **data.validated_data)
        return Response(
            {"id": response.pk, "course": response.course_id, "run": response.run_id},
            status=status.HTTP_201_CREATED,
        )


class ExamStartView(APIView):
    """Start an attempt: returns the drawn questions and their options, never the answers."""

    permission_classes = [CAN_STUDY]

    @extend_schema(request=ExamStartInputSerializer, responses={201: ExamAttemptOutSerializer})
    def post(self, request):
        data = ExamStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.exam_attempt_start(employee=request.user, **data.validated_data)
        attempt = ExamAttempt.objects.prefetch_related("items__question__options").get(
            pk=attempt.pk
        )
        return Response(ExamAttemptOutSerializer(attempt).data, status=status.HTTP_201_CREATED)


class ExamAttemptView(APIView):
    """One of the caller's course exam attempts, as its submission answered it: the score,
    pass or not and the result per competency item (competency_scores, read with the
    questions' tags of now). The same attempts as the result page (the caller's own:
    curriculum.permissions.visible_exam_attempts; another employee's is 404). Never an answer
    key: an open attempt has no score and no result per item yet."""

    permission_classes = [CAN_STUDY]

    @extend_schema(responses=ExamResultSerializer)
    def get(self, request, pk: int):
        attempt = get_object_or_404(permissions.visible_exam_attempts(request.user), pk=pk)
        return Response(ExamResultSerializer(attempt).data)


class ExamSubmitView(APIView):
    permission_classes = [CAN_STUDY]

    @extend_schema(request=ExamSubmitInputSerializer, responses=ExamResultSerializer)
    def post(self, request, pk: int):
        attempt = get_object_or_404(permissions.visible_exam_attempts(request.user), pk=pk)
        data = ExamSubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = {a["question"]: a["options"] for a in data.validated_data["answers"]}
        attempt = services.exam_attempt_submit(
            attempt=attempt, employee=request.user, answers=answers
        )
        return Response(ExamResultSerializer(attempt).data)


class RatingCreateView(APIView):
    permission_classes = [has_perm(roles.RATE_BEHAVIOUR)]

    @extend_schema(request=RatingInputSerializer, responses={201: RatingOutSerializer})
    def post(self, request):
        data = RatingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.behaviour_rating_create(rater=request.user, **data.validated_data)
        return Response(RatingOutSerializer(rating).data, status=status.HTTP_201_CREATED)


# --- what course questions test (training managers) ------------------------------------------


def _questions():
    return Question.objects.select_related("course").prefetch_related("competency_items")


class CourseQuestionListView(generics.ListAPIView):
    """A course's exam questions (in use or not, oldest first) with the competency items each
    tests: empty means it counts for the course's items (curriculum.exam_items). Training
    managers only; never the options or the answer key."""

    serializer_class = CourseQuestionSerializer
    permission_classes = [TRAINING_MANAGERS]
    filter_backends: list = []

    def get_queryset(self):
        course = get_object_or_404(Course, pk=self.kwargs["pk"])
        return _questions().filter(course=course).order_by("pk")


class QuestionItemsView(APIView):
    """One course question's competency items: read them, or replace them (PATCH with the
    item ids; [] makes it count for its course's items again). Every past attempt's result
    per item follows the new tags. Training managers only."""

    permission_classes = [TRAINING_MANAGERS]

    @extend_schema(responses=CourseQuestionSerializer)
    def get(self, request, pk: int):
        return Response(CourseQuestionSerializer(get_object_or_404(_questions(), pk=pk)).data)

    @extend_schema(request=QuestionItemsInputSerializer, responses=CourseQuestionSerializer)
    def patch(self, request, pk: int):
        data = QuestionItemsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.question_items_set(
            question_id=pk, item_ids=data.validated_data["competency_items"], by=request.user
        )
        return Response(CourseQuestionSerializer(_questions().get(pk=pk)).data)
