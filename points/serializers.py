from django.utils.translation import gettext_noop
from rest_framework import serializers

from points.models import (
    AMOUNT_LIMIT,
    PointsEntry,
    QCGroup,
    QCTopic,
    RationalisationProposal,
    VolunteerSheet,
    VolunteerSheetRow,
)

MSG_UNKNOWN_RULE = gettext_noop("Unknown rule.")


def amount_field(**kwargs) -> serializers.IntegerField:
    """A whole number within ±AMOUNT_LIMIT (400 with a field message otherwise); the rule's
    own range is checked by the service (400 {"amount": [...]} too)."""
    return serializers.IntegerField(min_value=-AMOUNT_LIMIT, max_value=AMOUNT_LIMIT, **kwargs)


class PointsEntrySerializer(serializers.ModelSerializer):
    rule = serializers.SlugRelatedField(slug_field="code", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    granted_by = serializers.SlugRelatedField(
        slug_field="staff_id",
        read_only=True,
        allow_null=True,
        help_text="null for the system's own awards",
    )

    note_text = serializers.CharField(
        source="note_display",
        read_only=True,
        help_text="The note in the request's language (coded reasons rendered).",
    )

    class Meta:
        model = PointsEntry
        fields = [
            "id",
            "amount",
            "rule",
            "rule_name",
            "source",
            "note",
            "note_text",
            "granted_by",
            "created_at",
        ]


class PointsLeaderboardInput(serializers.Serializer):
    period = serializers.ChoiceField(
        choices=["all", "7d", "30d", "90d", "365d"], required=False, default="all"
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)


class PointsLeaderboardRowSerializer(serializers.Serializer):
    staff_id = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField()
    balance = serializers.IntegerField()


class RationalisationInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()


class RationalisationJudgeInput(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["rejected", "reasonable", "feasible"])
    amount = amount_field(required=False, allow_null=True, default=None)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PointsCorrectionInput(serializers.Serializer):
    staff_id = serializers.CharField(max_length=20)
    amount = amount_field(
        help_text="Negative to deduct; within the manual-correction rule's range."
    )
    reason = serializers.CharField(max_length=2000)
    token = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="Any unique string: resending the same token pays once.",
    )


class RationalisationSerializer(serializers.ModelSerializer):
    proposer = serializers.SlugRelatedField(slug_field="staff_id", read_only=True)
    judged_by = serializers.SlugRelatedField(
        slug_field="staff_id",
        read_only=True,
        allow_null=True,
        help_text="null until the proposal is judged",
    )

    class Meta:
        model = RationalisationProposal
        fields = [
            "id",
            "title",
            "description",
            "status",
            "amount",
            "proposer",
            "judged_by",
            "judge_comment",
            "judged_at",
            "created_at",
        ]


class QCTopicSerializer(serializers.ModelSerializer):
    group_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = QCTopic
        fields = [
            "id",
            "title",
            "description",
            "points_per_member",
            "max_groups",
            "min_group_size",
            "max_group_size",
            "status",
            "group_count",
            "created_at",
        ]


class QCClaimInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    members = serializers.ListField(
        child=serializers.CharField(max_length=20), min_length=1, max_length=20
    )


class QCGroupSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = QCGroup
        fields = ["id", "topic", "name", "status", "members", "completed_at"]

    def get_members(self, group) -> list[str]:
        return [m.employee.staff_id for m in group.members.select_related("employee")]


class VolunteerSheetImportInput(serializers.Serializer):
    file = serializers.FileField()


class VolunteerSheetRejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class VolunteerSheetRowSerializer(serializers.ModelSerializer):
    employee = serializers.SlugRelatedField(slug_field="staff_id", read_only=True)

    class Meta:
        model = VolunteerSheetRow
        fields = ["line", "employee", "date", "hours", "points", "note"]


class VolunteerSheetSerializer(serializers.ModelSerializer):
    imported_by = serializers.SlugRelatedField(slug_field="staff_id", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="staff_id",
        read_only=True,
        allow_null=True,
        help_text="who confirmed or rejected it; null while pending or when it was paid at import",
    )
    rows = VolunteerSheetRowSerializer(many=True, read_only=True)

    class Meta:
        model = VolunteerSheet
        fields = [
            "id",
            "file_name",
            "status",
            "row_count",
            "total_points",
            "imported_by",
            "imported_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "rows",
        ]
