from functools import cache

from django.utils.translation import gettext_lazy, gettext_noop
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from review import registry
from review.models import CommitteeApplication, Proposal, Vote

MSG_UNKNOWN_KIND = gettext_noop("Unknown proposal kind.")


def proposable_kinds(codes: tuple[str, ...] | None = None) -> dict[str, registry.ProposalKind]:
    """The registered kinds that can be proposed through the API (``codes``: only these)."""
    return {code: kind for code, kind in sorted(registry.kinds().items())
            if kind.propose is not None and kind.input_serializer is not None and (codes is None or code in codes)}


class ProposalKindInput(serializers.Serializer):
    """The ``kind`` of a proposal body; the rest is validated by that kind's input serializer."""

    kind = serializers.ChoiceField(choices=[], error_messages={"invalid_choice": gettext_lazy(MSG_UNKNOWN_KIND)})

    def __init__(self, *args, codes: tuple[str, ...] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(proposable_kinds(codes))


@cache
def _documented_input(code: str, input_serializer: type) -> type:
    """``input_serializer`` with its ``kind`` discriminator, for the OpenAPI schema only (the
    view validates with the kind's own serializer)."""
    name = "".join(part.title() for part in code.split("_")) + "ProposalInput"
    return type(name, (input_serializer,), {
        "__module__": __name__, "__doc__": input_serializer.__doc__,
        "kind": serializers.ChoiceField(choices=[code]),
    })


def proposal_input_schema(component_name: str, codes: tuple[str, ...] | None = None) -> PolymorphicProxySerializer:
    """The request body of a proposal endpoint: one of the registered kinds' inputs, chosen by
    ``kind`` (resolved when the schema is generated, after every app registered its kinds)."""
    return PolymorphicProxySerializer(
        component_name=component_name, resource_type_field_name="kind",
        serializers=lambda: {code: _documented_input(code, kind.input_serializer)
                             for code, kind in proposable_kinds(codes).items()},
    )


class ProposalSerializer(serializers.ModelSerializer):
    proposer = serializers.CharField(source="proposer.staff_id")

    class Meta:
        model = Proposal
        fields = ["id", "kind", "proposer", "status", "reason", "target_id", "base_version", "payload",
                  "applied_version", "created_at", "decided_at"]


class VoteInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Vote.Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    extra = serializers.DictField(
        required=False, default=dict,
        help_text="Approval fields some kinds require when approving: points (within the point rule's "
                  "current range), level and split of a new case, outstanding (user id) of a quality case.",
    )


class VoteSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.staff_id")
    proposal_status = serializers.CharField(source="proposal.status")

    class Meta:
        model = Vote
        fields = ["id", "proposal", "reviewer", "decision", "comment", "extra", "created_at", "proposal_status"]


class ApplicationInput(serializers.Serializer):
    statement = serializers.CharField(required=False, allow_blank=True, default="")


class ApplicationSerializer(serializers.ModelSerializer):
    applicant = serializers.CharField(source="applicant.staff_id")

    class Meta:
        model = CommitteeApplication
        fields = ["id", "applicant", "level_snapshot", "pass_rate_snapshot", "status", "statement", "proposal",
                  "created_at"]
