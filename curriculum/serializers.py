"""Small input/output serializers for the curriculum API. Exam question serializers never
carry the correct flags: answers stay on the server until an attempt is graded."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from competency.models import CompetencyItem
from curriculum.models import (
    BehaviourRating,
    CallStep,
    Course,
    ExamAttempt,
    Option,
    Question,
    Topic,
)
from curriculum.services import MAX_QUESTION_ITEMS


class ItemRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CompetencyItem
        fields = ["id", "code", "name", "name_en"]


class CallStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallStep
        fields = ["code", "name", "name_en", "order"]


class TopicRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["id", "name", "name_en"]


class CourseSerializer(serializers.ModelSerializer):
    competency_items = ItemRefSerializer(many=True, read_only=True)
    call_steps = CallStepSerializer(many=True, read_only=True)
    topics = TopicRefSerializer(many=True, read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "title",
            "title_en",
            "description",
            "is_priority",
            "duration_hours",
            "exam_question_count",
            "pass_mark_percent",
            "competency_items",
            "call_steps",
            "topics",
        ]
        read_only_fields = fields


class CourseRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "code", "title", "is_priority"]


class MapCourseSerializer(serializers.Serializer):
    course = CourseRefSerializer()
    state = serializers.CharField()


class MapTopicSerializer(serializers.Serializer):
    topic = serializers.CharField(source="map_topic.topic.name")
    state = serializers.CharField()
    courses = MapCourseSerializer(many=True)


class MapStageSerializer(serializers.Serializer):
    level = serializers.CharField(source="stage.level")
    name = serializers.CharField(source="stage.name")
    state = serializers.CharField()
    done_count = serializers.IntegerField()
    total_count = serializers.IntegerField()
    locked_reason = serializers.CharField()
    finished_at = serializers.DateTimeField(
        allow_null=True, help_text="When the stage was recorded as finished."
    )
    new_count = serializers.IntegerField(help_text="Courses added after the stage was finished.")
    topics = MapTopicSerializer(many=True)


class MapProgressSerializer(serializers.Serializer):
    name = serializers.CharField(source="learning_map.name")
    position_family = serializers.CharField(source="learning_map.position_family.name")
    stages = MapStageSerializer(many=True)


class TrajectoryEntrySerializer(serializers.Serializer):
    when = serializers.DateTimeField()
    kind = serializers.CharField()
    subject = serializers.CharField()
    result = serializers.CharField()
    detail = serializers.CharField()


class ExamEvidenceSerializer(serializers.Serializer):
    """An item's result in the employee's latest counting promotion exam, re-test or course
    exam, read as a 1–5 level (curriculum.gaps.ExamEvidence); ``kind`` says which exam
    ``attempt`` belongs to: "promotion" (a promotion exam or re-test) or "course"."""

    level = serializers.IntegerField(min_value=1, max_value=5)
    percent = serializers.DecimalField(max_digits=4, decimal_places=1)
    correct = serializers.IntegerField()
    total = serializers.IntegerField()
    at = serializers.DateTimeField()
    attempt = serializers.IntegerField(source="attempt_id")
    kind = serializers.ChoiceField(choices=["promotion", "course"])


class GapRowSerializer(serializers.Serializer):
    """One competency item of the gap analysis (curriculum.gaps.GapRow). ``level`` is what the
    gap is measured from and ``source`` says which: "rating" (the latest rating), "exam"
    (nobody rated the item; the exam level stands in) or null (neither: no gap yet)."""

    item = ItemRefSerializer()
    weight = serializers.DecimalField(max_digits=6, decimal_places=4)
    target = serializers.IntegerField()
    before = serializers.IntegerField(allow_null=True)
    after = serializers.IntegerField(allow_null=True)
    improvement = serializers.IntegerField(allow_null=True)
    latest_rating = serializers.IntegerField(source="latest", allow_null=True)
    exam_evidence = ExamEvidenceSerializer(source="exam", allow_null=True)
    level = serializers.IntegerField(allow_null=True)
    source = serializers.ChoiceField(choices=["rating", "exam"], allow_null=True)
    gap = serializers.IntegerField(allow_null=True)
    weighted_gap = serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True)


class AdviceSerializer(serializers.Serializer):
    course = CourseRefSerializer()
    items = ItemRefSerializer(many=True)
    in_progress = serializers.BooleanField()


class GapAnalysisSerializer(serializers.Serializer):
    employee = serializers.IntegerField(source="employee.pk")
    staff_id = serializers.CharField(source="employee.staff_id")
    rows = GapRowSerializer(many=True, source="analysis.rows")
    advice = AdviceSerializer(many=True, source="analysis.advice")


class EnrolmentInputSerializer(serializers.Serializer):
    course = serializers.PrimaryKeyRelatedField(queryset=Course.objects.all())


class SurveyInputSerializer(serializers.Serializer):
    course = serializers.PrimaryKeyRelatedField(queryset=Course.objects.all())
    content_score = serializers.IntegerField(min_value=1, max_value=5)
    format_score = serializers.IntegerField(min_value=1, max_value=5)
    usefulness_score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ExamStartInputSerializer(serializers.Serializer):
    course = serializers.PrimaryKeyRelatedField(queryset=Course.objects.all())


class OptionOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = ["id", "text"]  # never is_correct


class QuestionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="question.id")
    order = serializers.IntegerField()
    text = serializers.CharField(source="question.text")
    kind = serializers.CharField(source="question.kind")
    options = OptionOutSerializer(source="question.options", many=True)


class ExamAttemptOutSerializer(serializers.ModelSerializer):
    # Plain strings: an enum here would collide with other apps' "status" enums in the schema.
    status = serializers.CharField(read_only=True)
    questions = QuestionOutSerializer(source="items", many=True)

    class Meta:
        model = ExamAttempt
        fields = ["id", "course", "status", "started_at", "pass_mark_percent", "questions"]


class AnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    options = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)


class ExamSubmitInputSerializer(serializers.Serializer):
    answers = AnswerSerializer(many=True)

    def validate_answers(self, value):
        questions = [a["question"] for a in value]
        if len(questions) != len(set(questions)):
            raise serializers.ValidationError(_("Answer each question at most once."))
        return value


class CompetencyScoreSerializer(serializers.Serializer):
    item = serializers.CharField()
    code = serializers.CharField()
    correct = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.FloatField()


class ExamResultSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    total = serializers.SerializerMethodField()
    competency_scores = serializers.SerializerMethodField(
        help_text=(
            "Correct / total per competency item: a question counts for its own competency "
            "items, or for its course's when it has none (curriculum.exam_items)."
        )
    )

    class Meta:
        model = ExamAttempt
        fields = [
            "id",
            "course",
            "status",
            "correct_count",
            "total",
            "score_percent",
            "pass_mark_percent",
            "passed",
            "submitted_at",
            "competency_scores",
        ]

    def get_total(self, attempt) -> int:
        return attempt.items.count()

    @extend_schema_field(CompetencyScoreSerializer(many=True))
    def get_competency_scores(self, attempt) -> list[dict]:
        from curriculum.exam_items import competency_scores

        return competency_scores(attempt)


class RatingInputSerializer(serializers.Serializer):
    employee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True)
    )
    item = serializers.PrimaryKeyRelatedField(queryset=CompetencyItem.objects.all())
    phase = serializers.ChoiceField(choices=BehaviourRating.Phase.choices)
    score = serializers.IntegerField(min_value=1, max_value=5)
    observed_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RatingOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = BehaviourRating
        fields = ["id", "employee", "item", "phase", "score", "observed_on", "note", "rater"]


class CourseQuestionSerializer(serializers.ModelSerializer):
    """A course question as a training manager tags it: never its options or answer key."""

    kind = serializers.CharField(read_only=True)
    competency_items = ItemRefSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["id", "course", "text", "kind", "is_active", "competency_items"]


class QuestionItemsInputSerializer(serializers.Serializer):
    competency_items = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=True,
        max_length=MAX_QUESTION_ITEMS,
        help_text=(
            "The ids of the competency items the question tests, replacing its tags; [] makes it "
            "count for its course's items again."
        ),
    )
