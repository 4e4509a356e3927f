from django.utils.translation import gettext_noop
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.levels import MAX_LEVEL, MIN_CASE_LEVEL
from accounts.staff_ids import staff_ids_parse
from casebase.models import (
    CallSuggestion,
    Case,
    CaseCommentary,
    CaseRating,
    CaseReflection,
)
from casebase.tree import TreeError, validate_tree

MSG_LEVEL_RANGE = gettext_noop("Choose a level from 1 to %(max)s.")
MSG_UNKNOWN_CATEGORY = gettext_noop("Unknown category.")
ID_MAX = 2**63 - 1  # a primary key (bigint): anything larger is no id


class CaseListSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="text or voice")
    category = serializers.CharField(source="category.name")
    studied = serializers.BooleanField(read_only=True)
    my_rating = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = ["id", "kind", "title", "category", "level", "version", "studied", "my_rating"]


class CaseDetailSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="text or voice")
    category = serializers.CharField(source="category.name")
    tree = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField()
    reflections = serializers.SerializerMethodField(
        help_text="Voice cases: employees' reflections the caller sees."
    )
    commentary = serializers.SerializerMethodField(
        help_text="Voice cases: the trainer's current commentary."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "kind",
            "title",
            "category",
            "level",
            "version",
            "background",
            "tree",
            "audio_url",
            "duration_seconds",
            "premise",
            "emotion_grade",
            "transcript",
            "reflections",
            "commentary",
        ]

    @extend_schema_field({"type": "array", "items": {"type": "object"}, "nullable": True})
    def get_reflections(self, case) -> list | None:
        from casebase.selectors import visible_reflections

        request = self.context.get("request")
        if case.is_text or request is None:
            return None
        return ReflectionSerializer(visible_reflections(case, request.user), many=True).data

    @extend_schema_field({"type": "object", "nullable": True})
    def get_commentary(self, case) -> dict | None:
        from casebase.selectors import case_commentary

        if case.is_text:
            return None
        commentary = case_commentary(case)
        return CommentarySerializer(commentary).data if commentary else None

    def get_tree(self, case) -> dict | None:
        from casebase.selectors import case_tree_with_ids

        return case_tree_with_ids(case) if case.is_text else None

    def get_audio_url(self, case) -> str | None:
        return case.recording_url() or None


class CaseRatingInput(serializers.Serializer):
    value = serializers.ChoiceField(choices=CaseRating.Value.choices)


class TreeField(serializers.JSONField):
    """A nested case tree, validated by casebase.tree.validate_tree (field messages)."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        try:
            return validate_tree(data)
        except TreeError as exc:
            raise serializers.ValidationError(exc.messages) from None


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        "description": "Staff IDs of the other participants (at most 4).",
    }
)
class ParticipantsField(serializers.Field):
    """Staff IDs of the colleagues who worked on the case with the proposer: a list of
    strings or one string separated by commas, spaces or new lines. Checked by
    casebase.services.proposals.participants_resolve (400 {"participants": [...]})."""

    def to_internal_value(self, data):
        if isinstance(data, str) or (
            isinstance(data, list) and all(isinstance(item, str) for item in data)
        ):
            return staff_ids_parse(data)
        raise serializers.ValidationError("Give staff IDs as a list or a comma-separated string.")

    def to_representation(self, value):
        return value


def participants_field() -> ParticipantsField:
    return ParticipantsField(required=False, default=list)


class NewTextCaseInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    category_id = serializers.IntegerField()
    suggested_level = serializers.IntegerField(min_value=MIN_CASE_LEVEL, max_value=MAX_LEVEL)
    background = serializers.CharField(allow_blank=True, default="")
    tree = TreeField()
    reason = serializers.CharField()
    participants = participants_field()

    def validate(self, attrs):
        return {**attrs, "kind": Case.Kind.TEXT}


class RevisionInput(serializers.Serializer):
    case_id = serializers.IntegerField()
    base_version = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    category_id = serializers.IntegerField()
    background = serializers.CharField(allow_blank=True, default="")
    tree = TreeField(required=False, allow_null=True, default=None)
    premise = serializers.CharField(required=False, allow_blank=True, default="")
    emotion_grade = serializers.IntegerField(required=False, allow_null=True, default=None)
    transcript = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField()
    participants = participants_field()


class QualityCaseApplicationInput(serializers.Serializer):
    """Apply for a case's quality-case review: POST /api/review/proposals/ with
    {"kind": "quality_case", "case_id": …, "statement": "…"} (contributors only: 403)."""

    case_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    statement = serializers.CharField(max_length=2000)


class ItemMoveInput(serializers.Serializer):
    """Propose moving a test case flagged by the exam item statistics: POST
    /api/review/proposals/ with {"kind": "case_item_move", "case_id": …, "action": "level_down" |
    "level_up" | "training" | "retire", "reason": "…"} (training managers and committee
    members: otherwise 403)."""

    case_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    action = serializers.ChoiceField(choices=["level_down", "level_up", "training", "retire"])
    reason = serializers.CharField(max_length=2000)


class NewVoiceCaseInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    category_id = serializers.IntegerField()
    suggested_level = serializers.IntegerField(min_value=MIN_CASE_LEVEL, max_value=MAX_LEVEL)
    background = serializers.CharField(allow_blank=True, default="")
    audio = serializers.FileField()
    premise = serializers.ChoiceField(choices=Case.Premise.choices)
    emotion_grade = serializers.IntegerField(min_value=1, max_value=5)
    transcript = serializers.CharField(allow_blank=True, default="")
    reason = serializers.CharField()
    participants = participants_field()


class StudiedSerializer(serializers.Serializer):
    case = serializers.IntegerField(source="case_id")
    studied_at = serializers.DateTimeField()


class RatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseRating
        fields = ["case", "value", "rated_at"]


class HealthRowSerializer(serializers.Serializer):
    category_id = serializers.IntegerField(source="category.pk")
    category = serializers.CharField(source="category.name")
    training = serializers.IntegerField()
    test = serializers.IntegerField()
    total = serializers.IntegerField()
    cap = serializers.IntegerField()
    over_cap = serializers.BooleanField()


class LevelHealthSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    training = serializers.IntegerField(source="counts.training")
    test = serializers.IntegerField(source="counts.test")
    training_target = serializers.IntegerField(source="counts.training_target")
    test_target = serializers.IntegerField(source="counts.test_target")
    training_short = serializers.IntegerField(source="counts.training_short")
    test_short = serializers.IntegerField(source="counts.test_short")
    short_of = serializers.CharField(
        source="counts.short_of",
        allow_null=True,
        help_text="training, test, or null when both sets reach their targets",
    )
    no_questions = serializers.IntegerField(
        help_text="active cases of the level that yield no exam question"
    )
    exam_pool = serializers.IntegerField(
        source="pool", help_text="active test cases that yield questions"
    )
    exam_pool_needed = serializers.IntegerField(source="pool_needed", allow_null=True)
    exam_ready = serializers.BooleanField(source="ready", allow_null=True)
    categories = HealthRowSerializer(source="rows", many=True)


class NoQuestionCaseSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")

    class Meta:
        model = Case
        fields = ["id", "title", "kind", "level", "split", "category"]


class LibraryHealthSerializer(serializers.Serializer):
    default_cap = serializers.IntegerField()
    levels = LevelHealthSerializer(many=True)
    no_question_total = serializers.IntegerField()
    no_question_cases = NoQuestionCaseSerializer(many=True)


# --- the catalogue and direct maintenance ---------------------------------------------------


class CatalogueCaseSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    kind = serializers.CharField(read_only=True, help_text="text or voice")
    status = serializers.CharField(read_only=True, help_text="active or history")

    class Meta:
        model = Case
        fields = [
            "id",
            "kind",
            "title",
            "category",
            "level",
            "split",
            "status",
            "version",
            "created_at",
            "revised_at",
            "retired_at",
        ]


class CaseVersionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.staff_id", allow_null=True, default=None)
    reason = serializers.CharField()
    via = serializers.CharField()
    proposal_id = serializers.IntegerField(allow_null=True)
    diff = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()), allow_null=True
    )


class CatalogueDetailSerializer(CaseDetailSerializer):
    status = serializers.CharField(read_only=True, help_text="active or history")
    versions = serializers.SerializerMethodField()

    class Meta(CaseDetailSerializer.Meta):
        fields = [*CaseDetailSerializer.Meta.fields, "split", "status", "author", "versions"]

    @extend_schema_field(CaseVersionSerializer(many=True))
    def get_versions(self, case) -> list:
        from casebase.selectors import case_versions

        return CaseVersionSerializer(case_versions(case), many=True).data


class MaintainTextInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    category_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    level = serializers.IntegerField(min_value=MIN_CASE_LEVEL, max_value=MAX_LEVEL)
    split = serializers.ChoiceField(choices=Case.Split.choices)
    background = serializers.CharField(allow_blank=True, default="")
    tree = TreeField()
    reason = serializers.CharField(max_length=500)


class MaintainVoiceInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    category_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    level = serializers.IntegerField(min_value=MIN_CASE_LEVEL, max_value=MAX_LEVEL)
    split = serializers.ChoiceField(choices=Case.Split.choices)
    background = serializers.CharField(allow_blank=True, default="")
    audio = serializers.FileField()
    premise = serializers.ChoiceField(choices=Case.Premise.choices)
    emotion_grade = serializers.IntegerField(min_value=1, max_value=5)
    transcript = serializers.CharField(allow_blank=True, default="")
    reason = serializers.CharField(max_length=500)


class MaintainRevisionInput(serializers.Serializer):
    """A direct revision: a text case's ``tree``, or a voice case's fields (and optionally a
    new ``audio`` upload, multipart)."""

    base_version = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200)
    category_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    level = serializers.IntegerField(min_value=MIN_CASE_LEVEL, max_value=MAX_LEVEL, required=False)
    split = serializers.ChoiceField(choices=Case.Split.choices, required=False)
    background = serializers.CharField(allow_blank=True, default="")
    tree = TreeField(required=False, allow_null=True, default=None)
    audio = serializers.FileField(required=False, allow_null=True, default=None)
    premise = serializers.CharField(required=False, allow_blank=True, default="")
    emotion_grade = serializers.IntegerField(required=False, allow_null=True, default=None)
    transcript = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=500)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CallSuggestionInput(serializers.Serializer):
    call_ref = serializers.CharField(max_length=100)
    reason = serializers.CharField(max_length=2000)


class CallSuggestionSerializer(serializers.ModelSerializer):
    suggested_by = serializers.CharField(source="suggested_by.staff_id")
    status = serializers.CharField(read_only=True, help_text="pending, accepted or declined")

    class Meta:
        model = CallSuggestion
        fields = [
            "id",
            "call_ref",
            "reason",
            "suggested_by",
            "status",
            "created_at",
            "decided_at",
            "decision_note",
            "case",
        ]


class CallDecisionInput(serializers.Serializer):
    accept = serializers.BooleanField()
    note = serializers.CharField(max_length=300, allow_blank=True, default="")
    case_id = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, allow_null=True, default=None
    )


class TextInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class ModerationInput(serializers.Serializer):
    approve = serializers.BooleanField()


class ReflectionSerializer(serializers.ModelSerializer):
    employee = serializers.CharField(source="employee.name")
    status = serializers.CharField(read_only=True, help_text="pending, approved or hidden")

    class Meta:
        model = CaseReflection
        fields = ["id", "case", "employee", "text", "status", "created_at"]


class CommentarySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.name")

    class Meta:
        model = CaseCommentary
        fields = ["case", "text", "author", "updated_at"]
