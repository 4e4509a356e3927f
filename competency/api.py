from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.models import Position
from accounts.permissions import has_perm
from competency import selectors, services
from competency.filters import ItemFilter
from competency.models import QSortRound
from competency.serializers import (
    CompetencyItemSerializer,
    PositionModelSerializer,
    ResultRowSerializer,
    SubmissionInputSerializer,
    SubmissionOutputSerializer,
)


class ItemListView(generics.ListAPIView):
    """The competency dictionary; filter by module code and KSAO section (K, S, A)."""

    serializer_class = CompetencyItemSerializer
    filterset_class = ItemFilter

    def get_queryset(self):
        return selectors.item_list()


class PositionModelView(APIView):
    """A position's competency model: items with weight, target score and indicators."""

    @extend_schema(responses=PositionModelSerializer)
    def get(self, request, code):
        position = get_object_or_404(Position.objects.select_related("family"), code=code)
        context = {"competencies": selectors.position_model(position)}
        return Response(PositionModelSerializer(position, context=context).data)


class SubmissionView(APIView):
    """Create or replace the logged-in rater's sort in an open round (201 created, 200 updated)."""

    @extend_schema(request=SubmissionInputSerializer, responses=SubmissionOutputSerializer)
    def post(self, request, pk):
        get_object_or_404(QSortRound.objects.exclude(status=QSortRound.Status.DRAFT), pk=pk)
        serializer = SubmissionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission, created = services.qsort_submission_save(
            round_id=pk, rater=request.user, placements=serializer.placements_list()
        )
        return Response(
            SubmissionOutputSerializer(submission).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class RoundResultsView(APIView):
    """The aggregated result of a closed or published round (training managers)."""

    permission_classes = [has_perm(roles.MANAGE_TRAINING)]

    @extend_schema(
        responses=inline_serializer(
            "QSortRoundResult",
            {
                "round": serializers.IntegerField(),
                "position": serializers.CharField(),
                "status": serializers.CharField(),
                "raters": serializers.IntegerField(),
                "columns": serializers.ListField(
                    child=serializers.IntegerField(),
                    help_text="the forced distribution: items per score column, from -k to +k",
                ),
                "rows": ResultRowSerializer(many=True),
            },
        )
    )
    def get(self, request, pk):
        round = get_object_or_404(QSortRound.objects.select_related("position"), pk=pk)
        if round.result is None:
            raise ValidationError(
                {"non_field_errors": [_("The round has no result until it is closed.")]}
            )
        return Response(
            {
                "round": round.pk,
                "position": round.position.code,
                "status": round.status,
                "raters": round.result["raters"],
                "columns": round.result["columns"],
                "rows": ResultRowSerializer(selectors.round_result_table(round), many=True).data,
            }
        )
