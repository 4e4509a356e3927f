"""REST API of the points app (under /api/points/). Views parse, call one service or
selector and serialize; domain errors are answered by the one API error handler
(config.errors) with the service's exact message."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import has_perm
from points import roles as points_roles
from points import selectors, services
from points.filters import PointsHistoryFilter
from points.models import PointsEntry, QCGroup
from points.serializers import (
    PointsCorrectionInput,
    PointsEntrySerializer,
    PointsLeaderboardInput,
    PointsLeaderboardRowSerializer,
    QCClaimInput,
    QCGroupSerializer,
    QCTopicSerializer,
    RationalisationInput,
    RationalisationJudgeInput,
    RationalisationSerializer,
    VolunteerSheetImportInput,
    VolunteerSheetRejectInput,
    VolunteerSheetSerializer,
)

MSG_UNKNOWN_STAFF_ID = gettext_noop("Unknown staff ID.")


class MyBalanceView(APIView):
    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(
        responses=inline_serializer(
            "PointsBalance",
            {"staff_id": serializers.CharField(), "balance": serializers.IntegerField()},
        )
    )
    def get(self, request):
        return Response(
            {"staff_id": request.user.staff_id, "balance": selectors.points_balance(request.user)}
        )


class MyHistoryView(ListAPIView):
    """My ledger entries, newest first; ?rule=<code>&date_from=&date_to= (YYYY-MM-DD)."""

    permission_classes = [has_perm(roles.STUDY)]
    serializer_class = PointsEntrySerializer
    filterset_class = PointsHistoryFilter
    queryset = PointsEntry.objects.none()  # the schema's model; get_queryset gives the rows

    def get_queryset(self):
        return selectors.points_history(self.request.user)


class LeaderboardView(APIView):
    """Top employees of the caller's centre by points earned in ?period= (all/7d/30d/90d/365d)."""

    @extend_schema(
        parameters=[PointsLeaderboardInput],
        responses=inline_serializer(
            "PointsLeaderboard", {"results": PointsLeaderboardRowSerializer(many=True)}
        ),
    )
    def get(self, request):
        params = PointsLeaderboardInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        if request.user.centre_id is None:
            return Response({"results": []})
        rows = selectors.leaderboard(
            centre=request.user.centre,
            since=selectors.period_start(params.validated_data["period"]),
            limit=params.validated_data["limit"],
        )
        return Response({"results": PointsLeaderboardRowSerializer(rows, many=True).data})


class RationalisationView(APIView):
    """GET: my proposals. POST: submit one."""

    @extend_schema(
        responses=inline_serializer(
            "RationalisationProposals",
            {"results": RationalisationSerializer(many=True)},
            help_text="my 100 most recent proposals",
        )
    )
    def get(self, request):
        proposals = selectors.rationalisation_proposals_of(proposer=request.user)[:100]
        return Response({"results": RationalisationSerializer(proposals, many=True).data})

    @extend_schema(request=RationalisationInput, responses={201: RationalisationSerializer})
    def post(self, request):
        data = RationalisationInput(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.rationalisation_submit(proposer=request.user, **data.validated_data)
        return Response(RationalisationSerializer(proposal).data, status=status.HTTP_201_CREATED)


class RationalisationJudgeView(APIView):
    permission_classes = [has_perm(points_roles.JUDGE_PROPOSALS)]

    @extend_schema(request=RationalisationJudgeInput, responses={200: RationalisationSerializer})
    def post(self, request, pk: int):
        data = RationalisationJudgeInput(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.rationalisation_judge(
            proposal_id=pk, judge=request.user, **data.validated_data
        )
        return Response(RationalisationSerializer(proposal).data)


class CorrectionView(APIView):
    """Add a manual correction to an employee's ledger (negative to deduct). 400 with
    {"amount": [...]} for an amount outside the manual-correction rule's range."""

    permission_classes = [has_perm(points_roles.CORRECT_ENTRIES)]

    @extend_schema(request=PointsCorrectionInput, responses={201: PointsEntrySerializer})
    def post(self, request):
        data = PointsCorrectionInput(data=request.data)
        data.is_valid(raise_exception=True)
        employee = (
            get_user_model()
            .objects.filter(staff_id=data.validated_data["staff_id"].strip().upper())
            .first()
        )
        if employee is None:
            raise serializers.ValidationError({"staff_id": [_(MSG_UNKNOWN_STAFF_ID)]})
        entry = services.points_correct(
            employee=employee,
            amount=data.validated_data["amount"],
            by=request.user,
            reason=data.validated_data["reason"],
            token=data.validated_data["token"] or None,
        )
        return Response(PointsEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class TopicListView(ListAPIView):
    serializer_class = QCTopicSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.qc_topics()


class TopicClaimView(APIView):
    """Form a group (you plus ``members`` staff IDs) and claim the topic."""

    @extend_schema(request=QCClaimInput, responses={201: QCGroupSerializer})
    def post(self, request, pk: int):
        data = QCClaimInput(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.qc_group_claim(
            topic_id=pk,
            creator=request.user,
            name=data.validated_data["name"],
            member_staff_ids=data.validated_data["members"],
        )
        return Response(QCGroupSerializer(group).data, status=status.HTTP_201_CREATED)


class GroupCompleteView(APIView):
    permission_classes = [has_perm(points_roles.MANAGE_QC_TOPICS)]

    @extend_schema(request=None, responses={200: QCGroupSerializer})
    def post(self, request, pk: int):
        services.qc_group_complete(group_id=pk, by=request.user)
        return Response(QCGroupSerializer(QCGroup.objects.get(pk=pk)).data)


class VolunteerImportView(APIView):
    """Multipart upload of a weekly sheet. 400 with each bad line's messages under
    "fields": {"file.<line>": [...]} when any row is bad (nothing imported); 409 for a sheet
    imported before."""

    permission_classes = [has_perm(points_roles.IMPORT_VOLUNTEER_SHEETS)]

    @extend_schema(
        request={"multipart/form-data": VolunteerSheetImportInput},
        responses={
            201: inline_serializer(
                "VolunteerSheetImported",
                {
                    "id": serializers.IntegerField(),
                    "rows": serializers.IntegerField(),
                    "points": serializers.IntegerField(),
                    "status": serializers.ChoiceField(
                        choices=["paid", "pending"],
                        help_text="pending: above the confirmation threshold, nothing paid until "
                        "another manager confirms it",
                    ),
                },
            )
        },
    )
    def post(self, request):
        data = VolunteerSheetImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        sheet = services.volunteer_sheet_import(
            file_name=upload.name, content=upload.read(), imported_by=request.user
        )
        return Response(
            {
                "id": sheet.pk,
                "rows": sheet.row_count,
                "points": sheet.total_points,
                "status": sheet.status,
            },
            status=status.HTTP_201_CREATED,
        )


class VolunteerPendingView(APIView):
    """Volunteer sheets awaiting a second manager's confirmation, oldest first."""

    permission_classes = [has_perm(points_roles.IMPORT_VOLUNTEER_SHEETS)]

    @extend_schema(
        responses=inline_serializer(
            "VolunteerSheetsPending", {"results": VolunteerSheetSerializer(many=True)}
        )
    )
    def get(self, request):
        return Response(
            {
                "results": VolunteerSheetSerializer(
                    selectors.volunteer_sheets_pending()[:100], many=True
                ).data
            }
        )


class VolunteerConfirmView(APIView):
    """Confirm a pending sheet: its rows are paid (403 for its importer or anyone it pays,
    409 when it was already confirmed or rejected)."""

    permission_classes = [has_perm(points_roles.IMPORT_VOLUNTEER_SHEETS)]

    @extend_schema(request=None, responses={200: VolunteerSheetSerializer})
    def post(self, request, pk: int):
        sheet = services.volunteer_sheet_confirm(sheet_id=pk, by=request.user)
        return Response(VolunteerSheetSerializer(sheet).data)


class VolunteerRejectView(APIView):
    """Reject a pending sheet with a reason: nothing is paid (409 when already decided)."""

    permission_classes = [has_perm(points_roles.IMPORT_VOLUNTEER_SHEETS)]

    @extend_schema(request=VolunteerSheetRejectInput, responses={200: VolunteerSheetSerializer})
    def post(self, request, pk: int):
        data = VolunteerSheetRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        sheet = services.volunteer_sheet_reject(
            sheet_id=pk, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(VolunteerSheetSerializer(sheet).data)
