from functools import cache

from django.utils.translation import gettext_lazy, gettext_noop
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from config.validators import filter_date
from review import registry
from review.models import CommitteeApplication, Proposal, ReviewExpertise, Vote

MSG_UNKNOWN_KIND = gettext_noop("Unknown proposal kind.")


def proposable_kinds(codes: tuple[str, ...] | None = None) -> dict[str, registry.ProposalKind]:
    """The registered kinds that can be proposed through the API (``codes``: only these)."""
    return {
        code: kind
        for code, kind in sorted(registry.kinds().items())
        if kind.propose is not None
        and kind.input_serializer is not None
        and (codes is None or code in codes)
    }


class ProposalKindInput(serializers.Serializer):
    """The ``kind`` of a proposal body; the rest is validated by that kind's input serializer."""

    kind = serializers.ChoiceField(
        choices=[], error_messages={"invalid_choice": gettext_lazy(MSG_UNKNOWN_KIND)}
    )

    def __init__(self, *args, codes: tuple[str, ...] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(proposable_kinds(codes))


@cache
def _documented_input(code: str, input_serializer: type) -> type:
    """``input_serializer`` with its ``kind`` discriminator, for the OpenAPI schema only (the
    view validates with the kind's own serializer)."""
    name = "".join(part.title() for part in code.split("_")) + "ProposalInput"
    return type(
        name,
        (input_serializer,),
        {
            "__module__": __name__,
            "__doc__": input_serializer.__doc__,
            "kind": serializers.ChoiceField(choices=[code]),
        },
    )


def proposal_input_schema(
    component_name: str, codes: tuple[str, ...] | None = None
) -> PolymorphicProxySerializer:
    """The request body of a proposal endpoint: one of the registered kinds' inputs, chosen by
    ``kind`` (resolved when the schema is generated, after every app registered its kinds)."""
    return PolymorphicProxySerializer(
        component_name=component_name,
        resource_type_field_name="kind",
        serializers=lambda: {
            code: _documented_input(code, kind.input_serializer)
            for code, kind in proposable_kinds(codes).items()
        },
    )


class ProposalSerializer(serializers.ModelSerializer):
    proposer = serializers.CharField(source="proposer.staff_id")

    class Meta:
        model = Proposal
        fields = [
            "id",
            "kind",
            "proposer",
            "status",
            "reason",
            "target_id",
            "base_version",
            "payload",
            "applied_version",
            "created_at",
            "decided_at",
        ]


class VoteInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Vote.Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    extra = serializers.DictField(
        required=False,
        default=dict,
        help_text=(
            "Approval fields some kinds require when approving: points (within the point rule's "
            "current range), level and split of a new case, outstanding (user id) of a quality "
            "case."
        ),
    )


class VoteSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.staff_id")
    proposal_status = serializers.CharField(source="proposal.status")

    class Meta:
        model = Vote
        fields = [
            "id",
            "proposal",
            "reviewer",
            "decision",
            "comment",
            "extra",
            "created_at",
            "proposal_status",
        ]


class ApplicationInput(serializers.Serializer):
    statement = serializers.CharField(required=False, allow_blank=True, default="")


class ApplicationSerializer(serializers.ModelSerializer):
    applicant = serializers.CharField(source="applicant.staff_id")

    class Meta:
        model = CommitteeApplication
        fields = [
            "id",
            "applicant",
            "level_snapshot",
            "pass_rate_snapshot",
            "status",
            "statement",
            "proposal",
            "created_at",
        ]


class ExpertiseSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.staff_id")
    tree = serializers.SerializerMethodField()
    category_id = serializers.SerializerMethodField()
    category_name = serializers.SerializerMethodField()
    assigned_by = serializers.CharField(
        source="assigned_by.staff_id", allow_null=True, default=None
    )

    class Meta:
        model = ReviewExpertise
        fields = [
            "id",
            "member",
            "tree",
            "category_id",
            "category_name",
            "assigned_by",
            "assigned_at",
        ]

    def get_tree(self, obj) -> str:
        """ "kb" (knowledge-base category) or "case" (case category)."""
        return "kb" if obj.kb_category_id else "case"

    def get_category_id(self, obj) -> int:
        return obj.kb_category_id or obj.case_category_id

    def get_category_name(self, obj) -> str:
        return str(obj.category)


class ExpertiseInput(serializers.Serializer):
    """Make an active committee member (``staff_id``) a review expert of a category of the
    knowledge base (``tree`` "kb") or of the case libraries (``tree`` "case"), subcategories
    included."""

    staff_id = serializers.CharField(max_length=20)
    tree = serializers.ChoiceField(choices=["kb", "case"])
    category_id = serializers.IntegerField(min_value=1)

    def validate(self, attrs):
        from django import forms as django_forms

        from accounts.models import User
        from review.forms import category_from_choice

        member = User.objects.filter(
            staff_id=attrs["staff_id"].strip().upper(), is_active=True
        ).first()
        if member is None:
            raise serializers.ValidationError(
                {"staff_id": [gettext_lazy("No active employee has this staff ID.")]}
            )
        try:
            category = category_from_choice(f"{attrs['tree']}:{attrs['category_id']}")
        except django_forms.ValidationError as exc:
            raise serializers.ValidationError({"category_id": exc.messages}) from None
        return {"member": member, "category": category}


# --- reviewer insights and calibration ----------------------------------------------------


class MemberFiguresSerializer(serializers.Serializer):
    """One member's figures (review.insights): percentages with one decimal, null when the
    member has no vote to compute them from."""

    staff_id = serializers.CharField(source="member.staff_id")
    name = serializers.CharField(source="member.name")
    active = serializers.BooleanField()
    votes = serializers.IntegerField()
    approvals = serializers.IntegerField()
    decided_votes = serializers.IntegerField(help_text="Votes on applied or rejected proposals.")
    agreed = serializers.IntegerField(
        help_text="Of those, the votes that match the committee's decision."
    )
    agreement = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    approval_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    median_hours_to_vote = serializers.DecimalField(
        source="median_hours", max_digits=10, decimal_places=1, allow_null=True
    )
    top_proposers_share = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        allow_null=True,
        help_text="Share of the votes on the 3 proposers voted on most.",
    )
    calibration_answered = serializers.IntegerField()
    calibration_matched = serializers.IntegerField()


class ReciprocalFlagSerializer(serializers.Serializer):
    first = serializers.CharField(source="first.staff_id")
    second = serializers.CharField(source="second.staff_id")
    first_approved = serializers.IntegerField(help_text="Approvals of first on second's proposals.")
    second_approved = serializers.IntegerField()
    votes_between = serializers.IntegerField()
    mutual_rate = serializers.DecimalField(max_digits=4, decimal_places=1)
    base_rate = serializers.DecimalField(max_digits=4, decimal_places=1)


class SerialFlagSerializer(serializers.Serializer):
    member = serializers.CharField(source="member.staff_id")
    proposer = serializers.CharField(source="proposer.staff_id")
    day = serializers.DateField()
    votes = serializers.IntegerField()


class FlagsSerializer(serializers.Serializer):
    reciprocal = ReciprocalFlagSerializer(many=True)
    serial = SerialFlagSerializer(many=True)


class InsightsPeriodInput(serializers.Serializer):
    """?date_from=&date_to= (YYYY-MM-DD, local days, both inclusive): the period every figure
    and flag counts; the last 90 days up to today when omitted, at most 731 days."""

    date_from = serializers.DateField(required=False, validators=[filter_date])
    date_to = serializers.DateField(required=False, validators=[filter_date])

    def validate(self, attrs):
        from review import insights

        errors = insights.period_errors(attrs.get("date_from"), attrs.get("date_to"))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def period(self):
        from review import insights

        return insights.choose_period(
            self.validated_data.get("date_from"), self.validated_data.get("date_to")
        )


class FlagReversalInput(serializers.Serializer):
    entry = serializers.IntegerField(
        min_value=1, help_text="A points entry paid for a review decision."
    )
    reason = serializers.CharField(max_length=500)


class CalibrationItemSerializer(serializers.Serializer):
    member = serializers.CharField(source="member.staff_id")
    proposal = serializers.IntegerField(source="proposal_id")
    decision = serializers.CharField(help_text='"approve", "reject", or "" while unanswered.')
    expected = serializers.CharField(source="round.expected")
    matched = serializers.BooleanField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)


class CalibrationRoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    proposal = serializers.IntegerField(source="proposal_id")
    expected = serializers.CharField(
        help_text="The committee's decision: approve (applied) or reject."
    )
    note = serializers.CharField()
    created_by = serializers.CharField(source="created_by.staff_id")
    created_at = serializers.DateTimeField()
    items = serializers.SerializerMethodField()

    @extend_schema_field(CalibrationItemSerializer(many=True))
    def get_items(self, obj):
        items = sorted(
            obj.assignments.all(), key=lambda a: a.member.staff_id
        )  # prefetched with members
        return CalibrationItemSerializer(items, many=True).data


class CalibrationRoundInput(serializers.Serializer):
    proposal = serializers.IntegerField(min_value=1, help_text="An applied or rejected proposal.")
    members = serializers.ListField(
        child=serializers.CharField(max_length=20),
        allow_empty=False,
        help_text="Staff IDs of active committee members.",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_members(self, value):
        from accounts.models import User

        ids = sorted({v.strip().upper() for v in value if v.strip()})
        users = list(User.objects.filter(staff_id__in=ids, is_active=True))
        unknown = sorted(set(ids) - {u.staff_id for u in users})
        if unknown:
            raise serializers.ValidationError(
                gettext_lazy("Unknown staff ID: %(ids)s.") % {"ids": ", ".join(unknown)}
            )
        return users
