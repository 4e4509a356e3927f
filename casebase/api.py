from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import has_perm
from casebase import selectors
from casebase.filters import CallSuggestionFilter, CatalogueFilter, StudyFilter
from casebase.models import MAINTAIN_CASES, VIEW_HEALTH, CallSuggestion, Case
from casebase.selectors import KIND_NEW, KIND_REVISION
from casebase.serializers import (
    CallDecisionInput,
    CallSuggestionInput,
    CallSuggestionSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    CaseRatingInput,
    CatalogueCaseSerializer,
    CatalogueDetailSerializer,
    CommentarySerializer,
    LibraryHealthSerializer,
    MaintainRevisionInput,
    MaintainTextInput,
    MaintainVoiceInput,
    ModerationInput,
    NewVoiceCaseInput,
    RatingSerializer,
    ReasonInput,
    ReflectionSerializer,
    StudiedSerializer,
    TextInput,
)
from casebase.services.exam_use import case_exposure_record
from casebase.services.maintenance import (
    case_maintain_create,
    case_maintain_retire,
    case_maintain_revise,
)
from casebase.services.proposals import case_new_propose
from casebase.services.study import case_mark_studied, case_rate
from casebase.services.voice import (
    call_suggest,
    call_suggestion_decide,
    commentary_set,
    reflection_add,
    reflection_moderate,
)
from config.parsers import LimitedFormParser, LimitedMultiPartParser, ObjectJSONParser
from review import api as review_api
from review.serializers import ProposalSerializer, proposal_input_schema


class StudyListView(generics.ListAPIView):
    """Training cases of the caller's next level (?level= any level ≤ next, ?category=id).
    Test cases are never listed."""

    permission_classes = [has_perm(roles.STUDY)]
    serializer_class = CaseListSerializer
    filterset_class = StudyFilter
    queryset = Case.objects.none()  # the schema's model; get_queryset gives the rows

    def get_queryset(self):
        return selectors.study_rows(self.request.user)


class StudyDetailView(generics.RetrieveAPIView):
    """A training case with its nested tree (or recording). 404 for test cases."""

    permission_classes = [has_perm(roles.STUDY)]
    serializer_class = CaseDetailSerializer

    def get_queryset(self):
        return selectors.study_cases(self.request.user).select_related("category")


class StudiedView(APIView):
    """Mark a training case studied: 201 the first time, 200 afterwards (same timestamp)."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=None, responses={201: StudiedSerializer, 200: StudiedSerializer})
    def post(self, request, pk: int):
        study, created = case_mark_studied(employee=request.user, case_id=pk)
        return Response(
            StudiedSerializer(study).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class RatingView(APIView):
    """Rate a training case once (PUT or POST): 201 with the rating; 409 with the exact
    message when the caller rated it before (ratings are final); 400 for a bad value."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=CaseRatingInput, responses={201: RatingSerializer})
    def put(self, request, pk: int):
        data = CaseRatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        rating = case_rate(employee=request.user, case_id=pk, value=data.validated_data["value"])
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseRatingInput, responses={201: RatingSerializer})
    def post(self, request, pk: int):
        return self.put(request, pk)


class ProposalCreateView(review_api.ProposalCreateView):
    """Propose a new text case ({"kind": "case_new", ..., "tree": {...}}) or a revision
    ({"kind": "case_revision", "case_id", "base_version", ...}). 400 with field messages for
    an invalid tree, 404 for a case outside the caller's study scope, 409 when outdated."""

    codes = (KIND_NEW, KIND_REVISION)

    @extend_schema(
        request=proposal_input_schema("CaseProposalInput", codes),
        responses={201: ProposalSerializer},
    )
    def post(self, request):
        return self.create(request)


class VoiceProposalCreateView(APIView):
    """Propose a new voice case (multipart upload). 400 with field "audio" for a bad file."""

    permission_classes = [has_perm(roles.STUDY)]
    parser_classes = [LimitedMultiPartParser, LimitedFormParser, ObjectJSONParser]

    @extend_schema(request=NewVoiceCaseInput, responses={201: ProposalSerializer})
    def post(self, request):
        data = NewVoiceCaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = case_new_propose(
            proposer=request.user, kind=Case.Kind.VOICE, **data.validated_data
        )
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class LibraryHealthView(APIView):
    """The library health (training managers, review experts): per level the training and
    test sets against their targets, per level × category the counts against the cap, the
    cases that yield no exam question and the exam pool's readiness."""

    permission_classes = [has_perm(VIEW_HEALTH)]

    @extend_schema(responses=LibraryHealthSerializer)
    def get(self, request):
        return Response(LibraryHealthSerializer(selectors.library_health()).data)


# --- the catalogue and direct maintenance ---------------------------------------------------


def _rule(check, name: str) -> type[BasePermission]:
    """A DRF permission class from one of casebase.selectors' who-may rules."""

    class _Rule(BasePermission):
        message = "You do not have permission to perform this action."

        def has_permission(self, request, view) -> bool:
            return bool(request.user and request.user.is_authenticated and check(request.user))

    _Rule.__name__ = name
    return _Rule


CanBrowse = _rule(selectors.can_browse_catalogue, "CanBrowseCatalogue")
CanModerate = _rule(selectors.can_moderate_reflections, "CanModerateReflections")
CanComment = _rule(selectors.can_write_commentary, "CanWriteCommentary")


class CatalogueView(generics.ListAPIView):
    """GET: the whole library for maintainers and managers (?level, category, split, kind,
    status, q); test cases only of the levels the caller may see. POST (maintainers): enter
    a text case directly (version 1, no committee)."""

    serializer_class = CatalogueCaseSerializer
    filterset_class = CatalogueFilter
    queryset = Case.objects.none()  # the schema's model; get_queryset gives the rows

    def get_permissions(self):
        return [has_perm(MAINTAIN_CASES)()] if self.request.method == "POST" else [CanBrowse()]

    def get_queryset(self):
        return selectors.catalogue_list(self.request.user)

    @extend_schema(request=MaintainTextInput, responses={201: CatalogueDetailSerializer})
    def post(self, request):
        data = MaintainTextInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_maintain_create(user=request.user, kind=Case.Kind.TEXT, **data.validated_data)
        return Response(
            CatalogueDetailSerializer(case, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class CatalogueVoiceView(APIView):
    """Enter a voice case directly with its recording (maintainers only; multipart)."""

    permission_classes = [has_perm(MAINTAIN_CASES)]
    parser_classes = [LimitedMultiPartParser, LimitedFormParser, ObjectJSONParser]

    @extend_schema(request=MaintainVoiceInput, responses={201: CatalogueDetailSerializer})
    def post(self, request):
        data = MaintainVoiceInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_maintain_create(user=request.user, kind=Case.Kind.VOICE, **data.validated_data)
        return Response(
            CatalogueDetailSerializer(case, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class CatalogueDetailView(generics.RetrieveAPIView):
    """A case in full with its history (versions: who, when, why, diff). Reading a test case
    records the caller's exposure (never drawn into their exams); 404 for a test case they
    may still be examined on."""

    permission_classes = [CanBrowse]
    serializer_class = CatalogueDetailSerializer

    def get_queryset(self):
        return selectors.catalogue_cases(self.request.user).select_related("category")

    def get_object(self):
        case = super().get_object()
        if case.split == Case.Split.TEST:
            case_exposure_record(employee=self.request.user, case=case)
        return case


class CatalogueReviseView(APIView):
    """Revise a case directly (maintainers): a new version; open proposals on it become
    stale. 409 when ``base_version`` is not current, 400 for no change or a bad tree."""

    permission_classes = [has_perm(MAINTAIN_CASES)]
    parser_classes = [ObjectJSONParser, LimitedMultiPartParser, LimitedFormParser]

    @extend_schema(request=MaintainRevisionInput, responses={200: CatalogueDetailSerializer})
    def post(self, request, pk: int):
        data = MaintainRevisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_maintain_revise(
            user=request.user,
            case_id=pk,
            scope=selectors.catalogue_cases(request.user),
            **data.validated_data,
        )
        return Response(CatalogueDetailSerializer(case, context={"request": request}).data)


class CatalogueRetireView(APIView):
    """Move a case to the history library (maintainers): out of study and the exam draw, its
    history kept. 409 when it is already there."""

    permission_classes = [has_perm(MAINTAIN_CASES)]

    @extend_schema(request=ReasonInput, responses={200: CatalogueDetailSerializer})
    def post(self, request, pk: int):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_maintain_retire(
            user=request.user,
            case_id=pk,
            scope=selectors.catalogue_cases(request.user),
            **data.validated_data,
        )
        return Response(CatalogueDetailSerializer(case, context={"request": request}).data)


class CommentaryView(APIView):
    """The trainer's commentary of a voice case: PUT writes the current text (training
    managers, review experts); earlier texts stay in its history."""

    permission_classes = [CanComment]

    @extend_schema(request=TextInput, responses={200: CommentarySerializer})
    def put(self, request, pk: int):
        data = TextInput(data=request.data)
        data.is_valid(raise_exception=True)
        commentary = commentary_set(user=request.user, case_id=pk, text=data.validated_data["text"])
        return Response(CommentarySerializer(commentary).data)


class CallSuggestionsView(generics.ListAPIView):
    """GET (maintainers): the suggested calls waiting for a decision (?status=accepted or
    declined for the decided ones). POST (CSRs): suggest a real call as a voice case by its
    reference."""

    serializer_class = CallSuggestionSerializer
    filterset_class = CallSuggestionFilter
    queryset = CallSuggestion.objects.none()  # the schema's model; get_queryset gives the rows

    def get_permissions(self):
        return (
            [has_perm(roles.STUDY)()]
            if self.request.method == "POST"
            else [has_perm(MAINTAIN_CASES)()]
        )

    def get_queryset(self):
        return selectors.call_suggestions_visible(self.request.user)

    @extend_schema(request=CallSuggestionInput, responses={201: CallSuggestionSerializer})
    def post(self, request):
        data = CallSuggestionInput(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion = call_suggest(user=request.user, **data.validated_data)
        return Response(CallSuggestionSerializer(suggestion).data, status=status.HTTP_201_CREATED)


class CallDecisionView(APIView):
    """A maintainer accepts or declines a suggested call (once: 409 afterwards)."""

    permission_classes = [has_perm(MAINTAIN_CASES)]

    @extend_schema(request=CallDecisionInput, responses={200: CallSuggestionSerializer})
    def post(self, request, pk: int):
        data = CallDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion = call_suggestion_decide(
            user=request.user, suggestion_id=pk, **data.validated_data
        )
        return Response(CallSuggestionSerializer(suggestion).data)


class ReflectionCreateView(APIView):
    """A CSR who studied a voice case writes their reflection on it (hidden until a
    moderator approves it)."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=TextInput, responses={201: ReflectionSerializer})
    def post(self, request, pk: int):
        data = TextInput(data=request.data)
        data.is_valid(raise_exception=True)
        reflection = reflection_add(
            employee=request.user, case_id=pk, text=data.validated_data["text"]
        )
        return Response(ReflectionSerializer(reflection).data, status=status.HTTP_201_CREATED)


class ReflectionModerateView(APIView):
    """A maintainer or training manager shows (approve=true) or hides a reflection."""

    permission_classes = [CanModerate]

    @extend_schema(request=ModerationInput, responses={200: ReflectionSerializer})
    def post(self, request, pk: int):
        data = ModerationInput(data=request.data)
        data.is_valid(raise_exception=True)
        reflection = reflection_moderate(user=request.user, reflection_id=pk, **data.validated_data)
        return Response(ReflectionSerializer(reflection).data)
