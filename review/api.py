from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import has_perm
from review import registry, services
from review.models import Proposal
from review.serializers import (
    ApplicationInput,
    ApplicationSerializer,
    ProposalSerializer,
    VoteInput,
    VoteSerializer,
)


def _error(message: str, code: int) -> Response:
    return Response({"detail": message}, status=code)


class ProposalCreateView(APIView):
    """Create a proposal of a registered kind (e.g. "kb_revision", "kb_new_entry").

    400 with field messages for bad input, 409 when base_version is outdated."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=None, responses={201: ProposalSerializer})
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}  # a list or a bare value: no kind
        kind = registry.kinds().get(body.get("kind", ""))
        if kind is None or kind.propose is None or kind.input_serializer is None:
            raise serializers.ValidationError({"kind": ["Unknown proposal kind."]})
        data = kind.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            proposal = kind.propose(proposer=request.user, **data.validated_data)
        except ObjectDoesNotExist:
            raise NotFound() from None
        except services.OutdatedBaseVersion as exc:
            return _error(str(exc), status.HTTP_409_CONFLICT)
        except services.ReviewPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except services.ReviewError as exc:
            if exc.field:  # an owning app's error about one input field
                return Response({exc.field: [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
            return _error(str(exc), status.HTTP_400_BAD_REQUEST)
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class VoteCreateView(APIView):
    """Vote on a proposal. 403 for non-members, the proposer and recused employees (e.g. the
    contributors of a quality-case application), 400 for closed proposals or a second vote.

    Approving some kinds needs ``extra`` fields (the kind's vote form): ``points`` for the
    proposer within the point rule's current range (KB revision / new entry 2–5, new case
    20–50, case revision 5–20, quality-case contributors 5–10 by default), a new case's
    ``level`` and ``split``, a quality case's ``outstanding`` contributor (user id). Refused
    fields answer 400 {"extra": {"points": ["…range…"]}}."""

    @extend_schema(request=VoteInput, responses={201: VoteSerializer})
    def post(self, request, pk: int):
        data = VoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            vote = services.proposal_vote(proposal_id=pk, reviewer=request.user, **data.validated_data)
        except Proposal.DoesNotExist:
            raise NotFound() from None
        except services.ReviewPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except services.VoteExtraInvalid as exc:
            return Response({"extra": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        except services.ReviewError as exc:
            return _error(str(exc), status.HTTP_400_BAD_REQUEST)
        vote.proposal.refresh_from_db(fields=["status"])
        return Response(VoteSerializer(vote).data, status=status.HTTP_201_CREATED)


class ApplicationCreateView(APIView):
    """Apply to join the review committee (level and pass rate are checked). The committee
    then votes on the returned ``proposal`` through /api/review/proposals/<id>/votes/."""

    @extend_schema(request=ApplicationInput, responses={201: ApplicationSerializer})
    def post(self, request):
        data = ApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            application = services.committee_application_submit(applicant=request.user, **data.validated_data)
        except services.ReviewError as exc:
            return _error(str(exc), status.HTTP_400_BAD_REQUEST)
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)
