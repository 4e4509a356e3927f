from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import has_perm
from casebase import selectors, services
from casebase.models import VIEW_HEALTH, Case
from casebase.serializers import (
    CaseDetailSerializer,
    CaseListSerializer,
    CaseRatingInput,
    LibraryHealthSerializer,
    NewVoiceCaseInput,
    RatingSerializer,
    StudiedSerializer,
    StudyListInput,
)
from config.parsers import LimitedFormParser, LimitedMultiPartParser, ObjectJSONParser
from review import api as review_api
from review.serializers import ProposalSerializer, proposal_input_schema


class StudyListView(generics.ListAPIView):
    """Training cases of the caller's next level (?level= any level ≤ next, ?category=id).
    Test cases are never listed."""

    permission_classes = [has_perm(roles.STUDY)]
    serializer_class = CaseListSerializer
    filter_backends = []

    @extend_schema(parameters=[StudyListInput])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = StudyListInput(data=self.request.query_params, context={"user": self.request.user})
        params.is_valid(raise_exception=True)
        return selectors.study_list(self.request.user, **params.validated_data)


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
        study, created = services.case_mark_studied(employee=request.user, case_id=pk)
        return Response(StudiedSerializer(study).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RatingView(APIView):
    """Rate a training case once (PUT or POST): 201 with the rating; 409 with the exact
    message when the caller rated it before (ratings are final); 400 for a bad value."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=CaseRatingInput, responses={201: RatingSerializer})
    def put(self, request, pk: int):
        data = CaseRatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.case_rate(employee=request.user, case_id=pk, value=data.validated_data["value"])
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseRatingInput, responses={201: RatingSerializer})
    def post(self, request, pk: int):
        return self.put(request, pk)


class ProposalCreateView(review_api.ProposalCreateView):
    """Propose a new text case ({"kind": "case_new", ..., "tree": {...}}) or a revision
    ({"kind": "case_revision", "case_id", "base_version", ...}). 400 with field messages for
    an invalid tree, 404 for a case outside the caller's study scope, 409 when outdated."""

    codes = (services.KIND_NEW, services.KIND_REVISION)

    @extend_schema(request=proposal_input_schema("CaseProposalInput", codes), responses={201: ProposalSerializer})
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
        proposal = services.case_new_propose(proposer=request.user, kind=Case.Kind.VOICE, **data.validated_data)
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class LibraryHealthView(APIView):
    """The library health (training managers, review experts): per level the training and
    test sets against their targets, per level × category the counts against the cap, the
    cases that yield no exam question and the exam pool's readiness."""

    permission_classes = [has_perm(VIEW_HEALTH)]

    @extend_schema(responses=LibraryHealthSerializer)
    def get(self, request):
        return Response(LibraryHealthSerializer(selectors.library_health()).data)
