from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import has_perm
from knowledgebase import search, services
from knowledgebase.models import Category, Entry, EntryChange
from knowledgebase.selectors import (
    flag_diffs,
    query_time_calibration,
    search_misses,
    stale_flags_for,
)
from knowledgebase.serializers import (
    CalibrationInput,
    CalibrationSerializer,
    EntryChangeSerializer,
    EntryMaintainInput,
    EntryRetireInput,
    EntryReviseInput,
    EntrySerializer,
    EntryWriteSerializer,
    SearchHitSerializer,
    SearchMissSerializer,
    StaleFlagSerializer,
    StaleResolvedSerializer,
    StaleResolveInput,
)
from knowledgebase.views import MISSES_DAYS, can_read_kb

MSG_UNKNOWN_CATEGORY = gettext_noop("Unknown category.")


class SearchInput(serializers.Serializer):
    q = serializers.CharField(
        max_length=100, allow_blank=True, help_text="The search text (required; may be empty)."
    )
    category = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="A KB category id: search it and its sub-categories.",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=20)

    def validate_category(self, value: int) -> list[int]:
        category = Category.objects.filter(pk=value).first()
        if category is None:
            raise serializers.ValidationError(_(MSG_UNKNOWN_CATEGORY))
        return category.descendant_ids()


class CanReadKB(BasePermission):
    """CSRs (study) and maintainers (operations managers)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and can_read_kb(request.user))


class SearchView(APIView):
    """Knowledge-base search: best matches first, highlighted title and snippet (at most
    ``limit`` hits, no further pages)."""

    permission_classes = [CanReadKB]

    @extend_schema(
        parameters=[SearchInput],
        responses=inline_serializer(
            "SearchResults",
            {
                "results": SearchHitSerializer(many=True),
                "also_searched": serializers.ListField(
                    child=serializers.CharField(),
                    help_text="Synonyms searched besides the typed words.",
                ),
                "fallback": serializers.BooleanField(
                    help_text="True when no entry holds all the words and these "
                    "are the closest matches (some words, homophones)."
                ),
            },
        ),
    )
    def get(self, request):
        params = SearchInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        outcome = search.search_outcome_cached(
            params.validated_data["q"],
            category_ids=params.validated_data.get("category"),
            limit=params.validated_data["limit"],
        )
        services.search_log_record(
            user=request.user,
            query=params.validated_data["q"],
            result_count=len(outcome.hits),
            fallback=outcome.fallback,
        )
        return Response(
            {
                "results": SearchHitSerializer(outcome.hits, many=True).data,
                "also_searched": outcome.also_searched,
                "fallback": outcome.fallback,
            }
        )


class CanReviewMisses(BasePermission):
    """Operations managers and committee members."""

    def has_permission(self, request, view) -> bool:
        return bool(
            request.user
            and request.user.is_authenticated
            and (
                request.user.has_perm(roles.MANAGE_OPERATIONS)
                or request.user.has_perm(roles.REVIEW)
            )
        )


class SearchMissesView(generics.ListAPIView):
    """Searches whose words no entry contains (found nothing, or only the fallback's closest
    matches) in the last 90 days, grouped by normalised query, most frequent first."""

    permission_classes = [CanReviewMisses]
    serializer_class = SearchMissSerializer

    def get_queryset(self):
        return search_misses(days=MISSES_DAYS)


class EntryDetailView(generics.RetrieveAPIView):
    permission_classes = [CanReadKB]
    serializer_class = EntrySerializer
    queryset = Entry.objects.select_related("category")


class EntryHistoryView(generics.ListAPIView):
    """The versions of an entry, newest first: committee-applied and direct changes alike,
    with kind, author, reason and the proposal applied."""

    permission_classes = [CanReadKB]
    serializer_class = EntryChangeSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no entry in the URL
            return EntryChange.objects.none()
        entry = get_object_or_404(Entry.objects.only("pk"), pk=self.kwargs["pk"])
        return EntryChange.objects.filter(entry=entry).select_related("author").order_by("-version")


def _written(write: services.EntryWrite, status_code: int = status.HTTP_200_OK) -> Response:
    entry = Entry.objects.select_related("category").get(pk=write.entry.pk)
    return Response(
        EntryWriteSerializer(
            {"entry": entry, "change": write.change, "outdated_proposals": write.outdated_proposals}
        ).data,
        status=status_code,
    )


class EntryCreateView(APIView):
    """Maintainers (knowledgebase.maintain_entries): add an entry at once (version 1). 400 with
    field messages for bad input."""

    permission_classes = [has_perm(services.MAINTAIN_ENTRIES)]

    @extend_schema(request=EntryMaintainInput, responses={201: EntryWriteSerializer})
    def post(self, request):
        data = EntryMaintainInput(data=request.data)
        data.is_valid(raise_exception=True)
        write = services.entry_add(
            author=request.user, via=EntryChange.Via.API, **data.validated_data
        )
        return _written(write, status.HTTP_201_CREATED)


class EntryReviseView(APIView):
    """Maintainers: revise an entry at once (a new version with the reason in its history);
    the entry's open proposals are marked outdated. 409 when ``base_version`` is not the
    current version or the entry is retired; 400 when nothing changed."""

    permission_classes = [has_perm(services.MAINTAIN_ENTRIES)]

    @extend_schema(request=EntryReviseInput, responses={200: EntryWriteSerializer})
    def post(self, request, pk: int):
        data = EntryReviseInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = get_object_or_404(Entry.objects.only("pk"), pk=pk)
        write = services.entry_revise(
            author=request.user, entry_id=entry.pk, via=EntryChange.Via.API, **data.validated_data
        )
        return _written(write)


class EntryRetireView(APIView):
    """Maintainers: retire an entry (hidden from search, history kept). 409 when already
    retired or ``base_version`` is outdated."""

    permission_classes = [has_perm(services.MAINTAIN_ENTRIES)]
    service = staticmethod(services.entry_retire)

    @extend_schema(request=EntryRetireInput, responses={200: EntryWriteSerializer})
    def post(self, request, pk: int):
        data = EntryRetireInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = get_object_or_404(Entry.objects.only("pk"), pk=pk)
        write = self.service(
            author=request.user, entry_id=entry.pk, via=EntryChange.Via.API, **data.validated_data
        )
        return _written(write)


class EntryRestoreView(EntryRetireView):
    """Maintainers: bring a retired entry back into search. 409 when it is not retired or
    ``base_version`` is outdated."""

    service = staticmethod(services.entry_restore)


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


class StaleListView(generics.ListAPIView):
    """The knowledge-work queue: open stale items (cases and query-time-test tasks citing an
    entry that changed since they were last reviewed) that the caller may resolve — all for
    operations managers, their categories' for review experts — oldest first, each with the
    entry's diff. The search misses are at search-misses/."""

    permission_classes = [CanReviewMisses]
    serializer_class = StaleFlagSerializer

    def get_queryset(self):
        return stale_flags_for(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        serializer = self.get_serializer(page, many=True, context={"diffs": flag_diffs(page)})
        return self.get_paginated_response(serializer.data)


class StaleResolveView(APIView):
    """Resolve a stale item: "reviewed" (still correct) or "revision" (a case revision
    proposal follows; cases only). 403 outside the caller's categories, 409 when resolved."""

    permission_classes = [CanReviewMisses]

    @extend_schema(request=StaleResolveInput, responses={200: StaleResolvedSerializer})
    def post(self, request, pk: int):
        from knowledgebase.models import StaleFlag

        data = StaleResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            flag = services.stale_flag_resolve(
                user=request.user, flag_id=pk, resolution=data.validated_data["resolution"]
            )
        except StaleFlag.DoesNotExist:
            raise NotFound() from None
        return Response(StaleResolvedSerializer(flag).data)
