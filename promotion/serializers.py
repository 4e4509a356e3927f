from rest_framework import serializers

from promotion.models import ExamAttempt, Mentorship, PromotionEvent


class PromotionChecklistItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    met = serializers.BooleanField()
    label = serializers.CharField()
    detail = serializers.CharField()


class PromotionEventSerializer(serializers.ModelSerializer):
    staff_id = serializers.CharField(source="employee.staff_id")
    reason = serializers.CharField(source="reason_display")

    class Meta:
        model = PromotionEvent
        fields = ["id", "staff_id", "kind", "from_level", "to_level", "at", "reason", "evidence"]


class PromotionExamAttemptSerializer(serializers.ModelSerializer):
    """An attempt; ``questions`` never carry the answer while the attempt is open, and
    ``graded`` (with the correct options) is empty until it is submitted."""

    questions = serializers.SerializerMethodField()
    graded = serializers.SerializerMethodField()
    question_count = serializers.IntegerField()

    class Meta:
        model = ExamAttempt
        fields = ["id", "level", "purpose", "status", "started_at", "deadline", "submitted_at", "question_count",
                  "correct_count", "score_percent", "pass_percent", "questions", "graded"]

    def get_questions(self, attempt: ExamAttempt) -> list[dict]:
        return attempt.public_questions()

    def get_graded(self, attempt: ExamAttempt) -> list[dict]:
        return attempt.graded_questions()


class PromotionExamStartInput(serializers.Serializer):
    level = serializers.IntegerField(min_value=0, max_value=5)


class PromotionExamSubmitInput(serializers.Serializer):
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True), allow_empty=True)


class PromotionPromoteInput(serializers.Serializer):
    staff_id = serializers.CharField(required=False, allow_blank=True, max_length=20)


class PromotionMentorshipInput(serializers.Serializer):
    mentor = serializers.CharField(max_length=20)
    apprentice = serializers.CharField(max_length=20)


class PromotionMentorshipSerializer(serializers.ModelSerializer):
    mentor = serializers.CharField(source="mentor.staff_id")
    apprentice = serializers.CharField(source="apprentice.staff_id")

    class Meta:
        model = Mentorship
        fields = ["id", "mentor", "apprentice", "from_level", "started_at", "ended_at"]
