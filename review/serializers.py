from rest_framework import serializers

from review.models import CommitteeApplication, Proposal, Vote


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
