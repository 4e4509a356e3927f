from django.shortcuts import get_object_or_404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import has_perm
from review import calibration, insights, ledger, registry, selectors, services
from review.models import ReviewExpertise
from review.serializers import (
    ApplicationInput,
    ApplicationSerializer,
    CalibrationItemSerializer,
    CalibrationRoundInput,
    CalibrationRoundSerializer,
    ExpertiseInput,
    ExpertiseSerializer,
    FlagReversalInput,
    FlagsSerializer,
    InsightsPeriodInput,
    MemberFiguresSerializer,
    ProposalKindInput,
    ProposalSerializer,
    VoteInput,
    VoteSerializer,
    proposal_input_schema,
)


class ProposalCreateView(APIView):
    """Create a proposal of a registered kind (e.g. "kb_revision", "kb_new_entry",
    "case_new", "case_revision", "quality_case"): the body is that kind's input with its
    ``kind``. 400 with field messages for bad input, 404 for a target the caller cannot see,
    409 when base_version is outdated."""

    permission_classes = [has_perm(roles.STUDY)]
    codes: tuple[str, ...] | None = None  # the kinds this endpoint accepts (None: every kind)

    @extend_schema(
        request=proposal_input_schema("ProposalInput"), responses={201: ProposalSerializer}
    )
    def post(self, request):
        return self.create(request)

    def create(self, request) -> Response:
        chosen = ProposalKindInput(data=request.data, codes=self.codes)
        chosen.is_valid(raise_exception=True)
        kind = registry.get_kind(chosen.validated_data["kind"])
        data = kind.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = kind.propose(proposer=request.user, **data.validated_data)
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class VoteCreateView(APIView):
    """Vote on a proposal. 403 for non-members, the proposer and recused employees (e.g. the
    contributors of a quality-case application), 409 for closed proposals or a second vote.

    Approving some kinds needs ``extra`` fields (the kind's vote form): ``points`` for the
    proposer within the point rule's current range (KB revision / new entry 2–5, new case
    20–50, case revision 5–20, quality-case contributors 5–10 by default), a new case's
    ``level`` and ``split``, a quality case's ``outstanding`` contributor (user id). Refused
    fields answer 400 with {"fields": {"extra.points": ["…range…"]}}. Where the proposal's
    category has enough review experts, only they vote (403 with code "not_expert")."""

    @extend_schema(request=VoteInput, responses={201: VoteSerializer})
    def post(self, request, pk: int):
        data = VoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = calibration.item_for(proposal_id=pk, member=request.user)
        if (
            item is not None
        ):  # a known-answer item (review.calibration): nothing but the item changes
            answered = calibration.calibration_answer(
                assignment_id=item.pk, member=request.user, **data.validated_data
            )
            return Response(
                VoteSerializer(calibration.as_vote(answered)).data, status=status.HTTP_201_CREATED
            )
        vote = services.proposal_vote(proposal_id=pk, reviewer=request.user, **data.validated_data)
        vote.proposal.refresh_from_db(fields=["status"])
        return Response(VoteSerializer(vote).data, status=status.HTTP_201_CREATED)


class ExpertiseListCreateView(APIView):
    """Review experts per category (training managers). GET lists every assignment; POST
    assigns an active committee member to a KB or case category (403 for assigning
    oneself, 400 for a non-member or an unknown category, 409 when already assigned)."""

    permission_classes = [has_perm(roles.MANAGE_TRAINING)]

    @extend_schema(responses={200: ExpertiseSerializer(many=True)})
    def get(self, request):
        return Response(ExpertiseSerializer(selectors.experts_list(), many=True).data)

    @extend_schema(request=ExpertiseInput, responses={201: ExpertiseSerializer})
    def post(self, request):
        data = ExpertiseInput(data=request.data)
        data.is_valid(raise_exception=True)
        expertise = services.expertise_assign(assigned_by=request.user, **data.validated_data)
        return Response(ExpertiseSerializer(expertise).data, status=status.HTTP_201_CREATED)


class ExpertiseDeleteView(APIView):
    """Remove one review-expert assignment (training managers; 404 when there is none)."""

    permission_classes = [has_perm(roles.MANAGE_TRAINING)]

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        expertise = get_object_or_404(ReviewExpertise, pk=pk)
        services.expertise_remove(expertise_id=expertise.pk, removed_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplicationCreateView(APIView):
    """Apply to join the review committee (level and pass rate are checked). The committee
    then votes on the returned ``proposal`` through /api/review/proposals/<id>/votes/."""

    @extend_schema(request=ApplicationInput, responses={201: ApplicationSerializer})
    def post(self, request):
        data = ApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.committee_application_submit(
            applicant=request.user, **data.validated_data
        )
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


# --- reviewer insights and calibration ---------------------------------------------------


def _period(request) -> insights.Period:
    """The ?date_from=&date_to= period of the insights (400 with the field's message)."""
    params = InsightsPeriodInput(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.period()


class InsightsMembersView(APIView):
    """Every committee member's figures (operations managers) in a period (the last 90 days
    unless ?date_from=&date_to= choose it): agreement with the final decision, approval rate,
    median time to vote, top-3 proposers' share, calibration items answered."""

    permission_classes = [has_perm(roles.MANAGE_OPERATIONS)]

    @extend_schema(
        parameters=[InsightsPeriodInput], responses={200: MemberFiguresSerializer(many=True)}
    )
    def get(self, request):
        period = _period(request)
        figures = insights.member_figures(since=period.since, until=period.until)
        return Response(MemberFiguresSerializer(figures, many=True).data)


class InsightsFlagsView(APIView):
    """The flags raised by the votes of a period (operations managers; the last 90 days
    unless ?date_from=&date_to= choose it): reciprocal approvals and serial voting, under
    ReviewSettings' k, m and s. Nothing is reversed automatically."""

    permission_classes = [has_perm(roles.MANAGE_OPERATIONS)]

    @extend_schema(parameters=[InsightsPeriodInput], responses={200: FlagsSerializer})
    def get(self, request):
        period = _period(request)
        window = {"since": period.since, "until": period.until}
        return Response(
            FlagsSerializer(
                {
                    "reciprocal": insights.reciprocal_flags(**window),
                    "serial": insights.serial_flags(**window),
                }
            ).data
        )


class _LedgerEntrySchema(AutoSchema):
    """The reversal answers with the ledger's entry, whose serializer the ledger registers
    (review.ledger): read when the schema is generated, after every app is ready."""

    def get_response_serializers(self):
        return {201: ledger.current().entry_serializer}


class FlagReversalView(APIView):
    """Record the reversal of a points entry paid for a review decision (operations managers,
    a reason is mandatory): the ledger's own reversal (403 for one's own entry, 409 when
    already reversed, 400 for an entry not paid by a review decision)."""

    permission_classes = [has_perm(roles.MANAGE_OPERATIONS)]
    schema = _LedgerEntrySchema()

    @extend_schema(request=FlagReversalInput)
    def post(self, request):
        data = FlagReversalInput(data=request.data)
        data.is_valid(raise_exception=True)
        insights.flag_entry(data.validated_data["entry"])  # 404 for an unknown entry
        reversal = insights.flag_points_reverse(
            entry_id=data.validated_data["entry"],
            by=request.user,
            reason=data.validated_data["reason"],
        )
        serializer = ledger.current().entry_serializer
        return Response(serializer(reversal).data, status=status.HTTP_201_CREATED)


class CalibrationRoundsView(APIView):
    """Calibration rounds (training and operations managers). GET lists every round with its
    items; POST starts one on an applied or rejected proposal for chosen active members."""

    def check_permissions(self, request):
        super().check_permissions(request)
        if not calibration.may_manage(request.user):
            self.permission_denied(request)

    @extend_schema(responses={200: CalibrationRoundSerializer(many=True)})
    def get(self, request):
        return Response(CalibrationRoundSerializer(calibration.rounds_with_items(), many=True).data)

    @extend_schema(request=CalibrationRoundInput, responses={201: CalibrationRoundSerializer})
    def post(self, request):
        data = CalibrationRoundInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = calibration.calibration_round_create(
            proposal_id=data.validated_data["proposal"],
            members=data.validated_data["members"],
            created_by=request.user,
            note=data.validated_data["note"],
        )
        created = calibration.rounds_with_items().get(pk=created.pk)
        return Response(CalibrationRoundSerializer(created).data, status=status.HTTP_201_CREATED)


class MyCalibrationView(APIView):
    """The caller's ANSWERED calibration items with the committee's decision (pending ones
    are never listed)."""

    @extend_schema(responses={200: CalibrationItemSerializer(many=True)})
    def get(self, request):
        return Response(
            CalibrationItemSerializer(calibration.my_answers(request.user), many=True).data
        )
