from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import has_perm
from casebase import selectors, services
from casebase.models import VIEW_HEALTH, Case, CaseCategory
from casebase.serializers import (
    CaseDetailSerializer,
    CaseErrorSerializer,
    CaseListSerializer,
    CaseRatingInput,
    LibraryHealthSerializer,
    NewTextCaseInput,
    NewVoiceCaseInput,
    RatingSerializer,
    RevisionInput,
    StudiedSerializer,
)
from review.serializers import ProposalSerializer
from review.services import OutdatedBaseVersion, ReviewError


def _error(message: str, code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"detail": message}, status=code)


class StudyListView(generics.ListAPIView):
    """Training cases of the caller's next level (?level= any level ≤ next, ?category=id).
    Test cases are never listed."""

    permission_classes = [has_perm(roles.STUDY)]
    serializer_class = CaseListSerializer
    filter_backends = []

    def get_queryset(self):
        nxt = selectors.next_level(self.request.user)
        try:
            level = int(self.request.query_params.get("level") or nxt)
        except ValueError:
            raise serializers.ValidationError({"level": ["Give a level number."]}) from None
        if not 1 <= level <= nxt:
            raise serializers.ValidationError({"level": [f"Choose a level from 1 to {nxt}."]})
        category = None
        if self.request.query_params.get("category"):
            category = CaseCategory.objects.filter(pk=self.request.query_params["category"]).first()
            if category is None:
                raise serializers.ValidationError({"category": ["Unknown category."]})
        return selectors.study_list(self.request.user, level=level, category=category)


class StudyDetailView(generics.RetrieveAPIView):
    """A training case with its nested tree (or recording). 404 for test cases."""

    permission_classes = [has_perm(roles.STUDY)]
    serializer_class = CaseDetailSerializer

    def get_queryset(self):
        return selectors.study_cases(self.request.user).select_related("category")


class StudiedView(APIView):
    """Mark a training case studied: 201 the first time, 200 afterwards (same timestamp)."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=None, responses={201: StudiedSerializer})
    def post(self, request, pk: int):
        try:
            study, created = services.case_mark_studied(employee=request.user, case_id=pk)
        except Case.DoesNotExist:
            raise NotFound() from None
        return Response(StudiedSerializer(study).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RatingView(APIView):
    """Rate a training case once (PUT or POST): 201 with the rating; 409 with the exact
    message when the caller rated it before (ratings are final); 400 for a bad value."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=CaseRatingInput, responses={201: RatingSerializer, 409: CaseErrorSerializer})
    def put(self, request, pk: int):
        data = CaseRatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            rating = services.case_rate(employee=request.user, case_id=pk, value=data.validated_data["value"])
        except Case.DoesNotExist:
            raise NotFound() from None
        except services.CaseAlreadyRated as exc:
            return _error(str(exc), status.HTTP_409_CONFLICT)
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseRatingInput, responses={201: RatingSerializer, 409: CaseErrorSerializer})
    def post(self, request, pk: int):
        return self.put(request, pk)


class ProposalCreateView(APIView):
    """Propose a new text case ({"kind": "case_new", ..., "tree": {...}}) or a revision
    ({"kind": "case_revision", "case_id", "base_version", ...}). 400 with field messages for
    an invalid tree, 404 for a case outside the caller's study scope, 409 when outdated."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=NewTextCaseInput, responses={201: ProposalSerializer})
    def post(self, request):
        kind = request.data.get("kind") if isinstance(request.data, dict) else None  # a list: no kind
        if kind == services.KIND_NEW:
            data = NewTextCaseInput(data=request.data)
            data.is_valid(raise_exception=True)
            call = lambda: services.case_new_propose(proposer=request.user, **data.validated_data)  # noqa: E731
        elif kind == services.KIND_REVISION:
            data = RevisionInput(data=request.data)
            data.is_valid(raise_exception=True)
            call = lambda: services.case_revision_propose(  # noqa: E731
                proposer=request.user, visible_cases=selectors.study_cases(request.user), **data.validated_data)
        else:
            raise serializers.ValidationError({"kind": ["Use case_new or case_revision."]})
        try:
            proposal = call()
        except Case.DoesNotExist:
            raise NotFound() from None
        except services.CaseTreeInvalid as exc:
            return Response({"tree": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        except services.ParticipantsInvalid as exc:
            return Response({"participants": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        except OutdatedBaseVersion as exc:
            return _error(str(exc), status.HTTP_409_CONFLICT)
        except ReviewError as exc:
            return _error(str(exc))
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class VoiceProposalCreateView(APIView):
    """Propose a new voice case (multipart upload). 400 {"audio": [...]} for a bad file."""

    permission_classes = [has_perm(roles.STUDY)]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=NewVoiceCaseInput, responses={201: ProposalSerializer})
    def post(self, request):
        data = NewVoiceCaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            proposal = services.case_new_propose(proposer=request.user, kind=Case.Kind.VOICE, **data.validated_data)
        except services.AudioInvalid as exc:
            return Response({"audio": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        except services.ParticipantsInvalid as exc:
            return Response({"participants": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        except ReviewError as exc:
            return _error(str(exc))
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class LibraryHealthView(APIView):
    """The library health (training managers, review experts): per level the training and
    test sets against their targets, per level × category the counts against the cap, the
    cases that yield no exam question and the exam pool's readiness."""

    permission_classes = [has_perm(VIEW_HEALTH)]

    @extend_schema(responses=LibraryHealthSerializer)
    def get(self, request):
        return Response(LibraryHealthSerializer(selectors.library_health()).data)
