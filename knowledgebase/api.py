from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import has_perm
from knowledgebase import search
from knowledgebase.models import Category, Entry
from knowledgebase.selectors import query_time_calibration
from knowledgebase.serializers import (
    CalibrationInput,
    CalibrationSerializer,
    EntrySerializer,
    SearchHitSerializer,
)


class SearchInput(serializers.Serializer):
    q = serializers.CharField(max_length=100, allow_blank=True)
    category = serializers.IntegerField(required=False, min_value=1)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=20)


class SearchView(APIView):
    """Knowledge-base search: best matches first, highlighted title and snippet."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(
        parameters=[OpenApiParameter("q", str), OpenApiParameter("category", int), OpenApiParameter("limit", int)],
        responses=SearchHitSerializer(many=True),
    )
    def get(self, request):
        params = SearchInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        category_ids = None
        if params.validated_data.get("category"):
            category = Category.objects.filter(pk=params.validated_data["category"]).first()
            if category is None:
                raise serializers.ValidationError({"category": ["Unknown category."]})
            category_ids = category.descendant_ids()
        hits = search.search(params.validated_data["q"], category_ids=category_ids,
                             limit=params.validated_data["limit"])
        return Response({"results": SearchHitSerializer(hits, many=True).data})


class EntryDetailView(generics.RetrieveAPIView):
    permission_classes = [has_perm(roles.STUDY)]
    serializer_class = EntrySerializer
    queryset = Entry.objects.select_related("category")


class QueryTimeCalibrationView(APIView):
    """Training managers: recent query-time results against the bands and the seed's reference
    shares, with suggested per-task thresholds (nothing changes automatically)."""

    permission_classes = [has_perm(roles.MANAGE_TRAINING)]

    @extend_schema(parameters=[CalibrationInput], responses=CalibrationSerializer)
    def get(self, request):
        params = CalibrationInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        calibration = query_time_calibration(days=params.validated_data["days"])
        return Response(CalibrationSerializer(calibration).data)
