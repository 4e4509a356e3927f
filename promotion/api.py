"""REST API of the promotion app (under /api/promotion/). Views parse, call one service or
selector and serialize; domain errors are answered by the one API error handler
(config.errors) with the service's exact message."""

from dataclasses import fields

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.levels import CASE_LEVELS, LEVELS
from accounts.permissions import has_perm, object_rule
from promotion import forecast, item_stats, rosters, selectors
from promotion.forms import (
    BlueprintFilterForm,
    ItemStatsFilterForm,
    RosterFilterForm,
    WorkforceFilterForm,
)
from promotion.models import VIEW_EXAM_ANSWERS, ExamAttempt
from promotion.rules import VIEW_ATTEMPT_IN_FULL
from promotion.serializers import (
    PromotionBlueprintSerializer,
    PromotionChecklistItemSerializer,
    PromotionEventSerializer,
    PromotionExamAttemptFullSerializer,
    PromotionExamAttemptSerializer,
    PromotionExamStartInput,
    PromotionExamSubmitInput,
    PromotionForecastSerializer,
    PromotionMentorshipInput,
    PromotionMentorshipSerializer,
    PromotionPromoteInput,
    PromotionWorkforceSerializer,
)
from promotion.services.exams import exam_start, exam_submit
from promotion.services.levels import employee_promote
from promotion.services.mentoring import mentorship_create

PAGE_SIZE = 50
MSG_UNKNOWN_STAFF_ID = gettext_noop("Unknown staff ID.")


def _employee(staff_id: str):
    user = (
        get_user_model()
        .objects.filter(staff_id=(staff_id or "").strip().upper(), is_active=True)
        .first()
    )
    if user is None:
        raise NotFound(_(MSG_UNKNOWN_STAFF_ID))
    return user


class MyLevelView(APIView):
    """My level, its title and badge, and the checklist of my next promotion."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(responses={200: {"type": "object"}})
    def get(self, request):
        user = request.user
        level = selectors.level_of(user.level)
        checklist = selectors.promotion_checklist(user)
        period = selectors.current_retention(user)
        retention = selectors.retention_status(period) if period else None
        demotion = selectors.last_demotion(user)
        return Response(
            {
                "staff_id": user.staff_id,
                "level": user.level,
                "title": level.title if level else "",
                "title_en": level.title_en if level else "",
                "badge_colour": level.badge_colour if level else "",
                "can_mentor": bool(level and level.can_mentor),
                "next_level": user.level + 1 if checklist else None,
                "checklist": PromotionChecklistItemSerializer(checklist, many=True).data,
                "all_met": bool(checklist) and all(item.met for item in checklist),
                "retention": {
                    "level": retention.period.level,
                    "status": retention.period.status,
                    "retest_opens_at": retention.period.retest_opens_at,
                    "due_at": retention.period.due_at,
                    "points_earned": retention.points_earned,
                    "points_task": retention.period.points_task,
                    "apprentices_brought": retention.apprentices_brought,
                    "apprentices_task": retention.period.apprentices_task,
                    "exam_passed": retention.exam_passed,
                    "attempts_left": retention.attempts_left,
                    "query_time_met": retention.query_time_met,
                }
                if retention
                else None,
                "last_demotion": PromotionEventSerializer(demotion).data if demotion else None,
            }
        )


class ExamStartView(APIView):
    """Start (or resume) an exam; the questions come without their answers."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=PromotionExamStartInput, responses={201: PromotionExamAttemptSerializer})
    def post(self, request):
        data = PromotionExamStartInput(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = exam_start(employee=request.user, level=data.validated_data["level"])
        return Response(
            PromotionExamAttemptSerializer(attempt).data, status=status.HTTP_201_CREATED
        )


class ExamDetailView(APIView):
    """My attempt: the questions (without answers) while it is open; afterwards the score
    and feedback only. 404 for anybody else's attempt."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(responses=PromotionExamAttemptSerializer)
    def get(self, request, pk: int):
        attempt = ExamAttempt.objects.filter(pk=pk, employee=request.user).first()
        if attempt is None:
            raise NotFound
        return Response(PromotionExamAttemptSerializer(attempt).data)


class ExamFullView(APIView):
    """An attempt in full, with the correct and the given options (training managers and
    the review committee: promotion.view_exam_answers). 403 for one's own attempt, an open
    attempt, or — for a committee member who sits exams — an attempt at or above their level."""

    permission_classes = [has_perm(VIEW_EXAM_ANSWERS), object_rule(VIEW_ATTEMPT_IN_FULL)]

    @extend_schema(responses=PromotionExamAttemptFullSerializer)
    def get(self, request, pk: int):
        attempt = ExamAttempt.objects.select_related("employee").filter(pk=pk).first()
        if attempt is None:
            raise NotFound
        self.check_object_permissions(request, attempt)
        return Response(PromotionExamAttemptFullSerializer(attempt).data)


class ExamSubmitView(APIView):
    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=PromotionExamSubmitInput, responses=PromotionExamAttemptSerializer)
    def post(self, request, pk: int):
        data = PromotionExamSubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = exam_submit(
            attempt_id=pk, employee=request.user, answers=data.validated_data["answers"]
        )
        return Response(PromotionExamAttemptSerializer(attempt).data)


class PromoteView(APIView):
    """Request my promotion to the next level, or (managers) promote ``staff_id``. 400
    names the missing requirements (the checklist of /api/promotion/me/ lists them one by
    one)."""

    @extend_schema(request=PromotionPromoteInput, responses=PromotionEventSerializer)
    def post(self, request):
        data = PromotionPromoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        staff_id = data.validated_data.get("staff_id")
        if staff_id and staff_id.strip().upper() != request.user.staff_id:
            if not request.user.has_perm(roles.MANAGE_OPERATIONS):
                raise ApiPermissionDenied
            employee = _employee(staff_id)
        else:
            if not request.user.has_perm(roles.STUDY):
                raise ApiPermissionDenied
            employee = request.user
        event = employee_promote(
            employee=employee, to_level=employee.level + 1, decided_by=request.user
        )
        return Response(PromotionEventSerializer(event).data)


ROSTER_KEYS = {event: rosters.roster_keys(event) for event in rosters.Event.CHOICES}


class RosterView(APIView):
    (
        """HR rosters, 50 rows a page. Each row is an object keyed by stable identifiers (the same
    in every language; the CSV/XLSX exports carry the translated headers): """
        + "; ".join(f"{event}: {', '.join(keys)}" for event, keys in ROSTER_KEYS.items())
        + "."
    )

    permission_classes = [has_perm(roles.EXPORT_ROSTERS)]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "event", str, enum=rosters.Event.CHOICES, description="default: promoted"
            ),
            OpenApiParameter("centre", int, description="centre id"),
            OpenApiParameter("team", int, description="team id"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="from 2000-01-01"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="up to 2099-12-31"),
            OpenApiParameter("level", int, enum=list(LEVELS)),
            OpenApiParameter("page", int, description="page number (50 rows a page)"),
        ],
        responses=inline_serializer(
            "Roster",
            {
                "count": serializers.IntegerField(),
                "page": serializers.IntegerField(),
                "pages": serializers.IntegerField(),
                "event": serializers.ChoiceField(choices=rosters.Event.CHOICES),
                "results": serializers.ListField(
                    child=serializers.DictField(
                        help_text=(
                            "a row keyed by the event's column identifiers (see the description)"
                        )
                    )
                ),
            },
        ),
    )
    def get(self, request):
        form = RosterFilterForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    ("non_field_errors" if name == "__all__" else name): list(errors)
                    for name, errors in form.errors.items()
                }
            )
        filters = form.filters()
        page = Paginator(rosters.roster_queryset(filters), PAGE_SIZE).get_page(
            request.query_params.get("page")
        )
        to_row = rosters.RosterRows(filters.event)
        keys = ROSTER_KEYS[filters.event]
        return Response(
            {
                "count": page.paginator.count,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "event": filters.event,
                "results": [dict(zip(keys, row, strict=True)) for row in to_row.rows(page)],
            }
        )


class MentorshipCreateView(APIView):
    permission_classes = [has_perm(roles.MANAGE_OPERATIONS)]

    @extend_schema(request=PromotionMentorshipInput, responses={201: PromotionMentorshipSerializer})
    def post(self, request):
        data = PromotionMentorshipInput(data=request.data)
        data.is_valid(raise_exception=True)
        mentor, apprentice = (
            _employee(data.validated_data["mentor"]),
            _employee(data.validated_data["apprentice"]),
        )
        mentorship = mentorship_create(mentor=mentor, apprentice=apprentice, by=request.user)
        return Response(
            PromotionMentorshipSerializer(mentorship).data, status=status.HTTP_201_CREATED
        )


class CanViewItemStats(BasePermission):
    """Training managers and review committee members (promotion.item_stats.can_view_item_stats)."""

    message = "You do not have permission to perform this action."

    def has_permission(self, request, view) -> bool:
        return item_stats.can_view_item_stats(request.user)


class ItemStatsRowSerializer(serializers.Serializer):
    case_id = serializers.IntegerField()
    title = serializers.CharField()
    level = serializers.IntegerField()
    question_key = serializers.CharField(
        help_text='"" for a per-case row; the question kind and turn otherwise'
    )
    kind = serializers.CharField(help_text='the question kind ("" for a per-case row)')
    exposure = serializers.IntegerField(help_text="times the case was drawn into an exam")
    responses = serializers.IntegerField(help_text="answers in submitted attempts")
    attempts = serializers.IntegerField(help_text="submitted attempts that asked it")
    correct = serializers.IntegerField()
    difficulty = serializers.FloatField(
        allow_null=True, help_text="share of the answers that were correct"
    )
    discrimination = serializers.FloatField(
        allow_null=True,
        help_text="point-biserial correlation of a correct answer with the attempt's score (%)",
    )
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=list(item_stats.FLAG_LABELS))
    )
    open_proposal = serializers.IntegerField(
        allow_null=True, help_text="an open move proposal of the case"
    )


class ItemStatsView(APIView):
    """Exam item statistics of the active test cases the caller may see (training managers
    and review committee members; a member who sits exams sees only the levels below their
    own), 50 rows a page, per case or per question. The definitions (difficulty,
    point-biserial discrimination, flags) are those of the web page."""

    permission_classes = [CanViewItemStats]

    @extend_schema(
        parameters=[
            OpenApiParameter("level", int, enum=list(CASE_LEVELS)),
            OpenApiParameter("by", str, enum=["case", "question"], description="default: case"),
            OpenApiParameter("flagged", bool, description="only flagged rows"),
            OpenApiParameter(
                "sort", str, enum=list(item_stats.SORTS), description="default: flags (most first)"
            ),
            OpenApiParameter("page", int, description="page number (50 rows a page)"),
        ],
        responses=inline_serializer(
            "ExamItemStats",
            {
                "count": serializers.IntegerField(),
                "page": serializers.IntegerField(),
                "pages": serializers.IntegerField(),
                "min_responses": serializers.IntegerField(),
                "discrimination_floor": serializers.FloatField(),
                "exposure_cap": serializers.IntegerField(help_text="0: no cap"),
                "level_medians": serializers.DictField(
                    child=serializers.FloatField(), help_text="median share correct per level"
                ),
                "results": ItemStatsRowSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        form = ItemStatsFilterForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    ("non_field_errors" if name == "__all__" else name): list(errors)
                    for name, errors in form.errors.items()
                }
            )
        report = item_stats.item_report(request.user, **form.filters())
        page = Paginator(report.rows, PAGE_SIZE).get_page(request.query_params.get("page"))
        return Response(
            {
                "count": page.paginator.count,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "min_responses": report.config.item_min_responses,
                "discrimination_floor": float(report.config.item_discrimination_floor),
                "exposure_cap": report.config.exam_exposure_cap,
                "level_medians": {
                    str(level): round(median, 4) for level, median in sorted(report.medians.items())
                },
                "results": ItemStatsRowSerializer(page.object_list, many=True).data,
            }
        )


class ForecastMeView(APIView):
    """My promotion forecast: the next level's checklist, my pace over the last days, the
    requirement holding me back and the estimated date (null: not at this pace)."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(responses={200: PromotionForecastSerializer})
    def get(self, request):
        return Response(PromotionForecastSerializer(forecast.forecast_of(request.user)).data)


class WorkforceView(APIView):
    """The workforce numbers of the viewer's scope (HR: everyone, narrowed by ``centre`` or
    ``team``; a centre's operations manager: the centre; a team leader: the team): employees
    per level per month, promotions and demotions per month, re-tests due soon (their count
    and the first 50), the retention risks with their remedial plans and each employee's
    promotion forecast, 50 a page (``page``; as on the web page, a page out of range answers
    the nearest one)."""

    permission_classes = [IsAuthenticated]  # the scope (forecast.workforce_scope) decides

    @extend_schema(
        parameters=[
            OpenApiParameter("centre", int, description="centre id"),
            OpenApiParameter("team", int, description="team id"),
            OpenApiParameter(
                "page", int, description="page of the forecast table (50 employees a page)"
            ),
        ],
        responses={200: PromotionWorkforceSerializer},
    )
    def get(self, request):
        scope = forecast.workforce_scope(request.user)
        if scope is None:
            raise ApiPermissionDenied()
        form = WorkforceFilterForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(
                {name: list(errors) for name, errors in form.errors.items()}
            )
        data = form.cleaned_data
        narrowed = forecast.narrow(
            scope,
            centre_id=data["centre"].pk if data.get("centre") else None,
            team_id=data["team"].pk if data.get("team") else None,
        )
        if narrowed is None:
            raise ApiPermissionDenied()
        numbers = forecast.workforce(narrowed)
        page = Paginator(forecast.employees_in(narrowed), PAGE_SIZE).get_page(
            request.query_params.get("page")
        )
        body = {f.name: getattr(numbers, f.name) for f in fields(numbers)}
        body["forecasts"] = {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "results": forecast.forecasts(page.object_list),
        }
        return Response(PromotionWorkforceSerializer(body).data)


class BlueprintView(APIView):
    """The exam blueprint of a position (training managers): per competency item its Q-sort
    weight, the cases each level's exam plans for it and the level's test cases tagged with
    it. Counts only — no test-case content, no answer keys."""

    permission_classes = [has_perm(roles.MANAGE_TRAINING)]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "position", int, description="position id; default: the first position with weights"
            )
        ],
        responses=PromotionBlueprintSerializer,
    )
    def get(self, request):
        form = BlueprintFilterForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(
                {name: list(errors) for name, errors in form.errors.items()}
            )
        return Response(
            PromotionBlueprintSerializer(selectors.exam_blueprint(form.chosen_position())).data
        )
