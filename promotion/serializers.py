from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.levels import MAX_LEVEL, MIN_LEVEL
from promotion.models import ExamAttempt, Mentorship, PromotionEvent
from promotion.selectors import competency_scores, exam_feedback


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


class PromotionExamFeedbackItemSerializer(serializers.Serializer):
    kind = serializers.CharField(required=False)
    category = serializers.CharField(required=False)
    label = serializers.CharField(required=False)
    correct = serializers.IntegerField()
    total = serializers.IntegerField()


class PromotionExamFeedbackSerializer(serializers.Serializer):
    by_kind = PromotionExamFeedbackItemSerializer(many=True)
    by_category = PromotionExamFeedbackItemSerializer(many=True)


class PromotionCompetencyScoreSerializer(serializers.Serializer):
    item = serializers.CharField()
    code = serializers.CharField()
    correct = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.FloatField()


class PromotionExamAttemptSerializer(serializers.ModelSerializer):
    """The examinee's attempt: ``questions`` (without answers) only while it is open;
    afterwards the score, the pass mark and ``feedback`` (correct / total per question kind
    and per category) — never the test cases' prompts, options or keys."""

    questions = serializers.SerializerMethodField()
    feedback = serializers.SerializerMethodField()
    competency_scores = serializers.SerializerMethodField(
        help_text=(
            "Correct / total per competency item of the drawn cases (their tags at draw time); "
            "empty while the attempt is open."
        )
    )
    question_count = serializers.IntegerField()

    class Meta:
        model = ExamAttempt
        fields = [
            "id",
            "level",
            "purpose",
            "status",
            "started_at",
            "deadline",
            "submitted_at",
            "question_count",
            "correct_count",
            "score_percent",
            "pass_percent",
            "passed",
            "questions",
            "feedback",
            "competency_scores",
        ]

    def get_questions(self, attempt: ExamAttempt) -> list[dict]:
        return attempt.public_questions()

    @extend_schema_field(PromotionExamFeedbackSerializer)
    def get_feedback(self, attempt: ExamAttempt) -> dict:
        return exam_feedback(attempt)

    @extend_schema_field(PromotionCompetencyScoreSerializer(many=True))
    def get_competency_scores(self, attempt: ExamAttempt) -> list[dict]:
        return competency_scores(attempt)


class PromotionExamAttemptFullSerializer(serializers.ModelSerializer):
    """An attempt in full for staff holding promotion.view_exam_answers: every question with
    its options, the correct option (``answer``), the option given and whether it was right."""

    staff_id = serializers.CharField(source="employee.staff_id")
    name = serializers.CharField(source="employee.name")
    status = serializers.CharField(read_only=True, help_text="passed, failed or expired")
    questions = serializers.SerializerMethodField()
    feedback = serializers.SerializerMethodField()
    competency_scores = serializers.SerializerMethodField(
        help_text=(
            "Correct / total per competency item of the drawn cases (their tags at draw time); "
            "empty while the attempt is open."
        )
    )
    question_count = serializers.IntegerField()

    class Meta:
        model = ExamAttempt
        fields = [
            "id",
            "staff_id",
            "name",
            "level",
            "purpose",
            "status",
            "started_at",
            "deadline",
            "submitted_at",
            "question_count",
            "correct_count",
            "score_percent",
            "pass_percent",
            "passed",
            "case_ids",
            "questions",
            "feedback",
            "competency_scores",
        ]

    def get_questions(self, attempt: ExamAttempt) -> list[dict]:
        return attempt.graded_questions()

    @extend_schema_field(PromotionExamFeedbackSerializer)
    def get_feedback(self, attempt: ExamAttempt) -> dict:
        return exam_feedback(attempt)

    @extend_schema_field(PromotionCompetencyScoreSerializer(many=True))
    def get_competency_scores(self, attempt: ExamAttempt) -> list[dict]:
        return competency_scores(attempt)


class PromotionExamStartInput(serializers.Serializer):
    level = serializers.IntegerField(min_value=MIN_LEVEL, max_value=MAX_LEVEL)


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


class PromotionPaceSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=10, decimal_places=2)
    training_cases = serializers.DecimalField(max_digits=10, decimal_places=2)
    apprentices = serializers.DecimalField(max_digits=10, decimal_places=2)


class PromotionForecastSerializer(serializers.Serializer):
    """One employee's forecast: ``bottleneck`` is a checklist item code (null when all is met
    or there is no next level); ``estimated_on`` null means "not at this pace"."""

    staff_id = serializers.CharField(source="employee.staff_id")
    name = serializers.CharField(source="employee.name")
    level = serializers.IntegerField(source="employee.level")
    next_level = serializers.IntegerField(allow_null=True)
    bottleneck = serializers.SerializerMethodField()
    estimated_on = serializers.DateField(allow_null=True)
    pace = PromotionPaceSerializer()
    checklist = PromotionChecklistItemSerializer(source="items", many=True)

    def get_bottleneck(self, obj) -> str | None:
        return obj.bottleneck.code if obj.bottleneck else None


class PromotionRiskSerializer(serializers.Serializer):
    staff_id = serializers.CharField(source="period.employee.staff_id")
    level = serializers.IntegerField(source="period.level")
    due_at = serializers.DateTimeField(source="period.due_at")
    days_left = serializers.IntegerField()
    missing = serializers.ListField(child=serializers.CharField())
    plan = serializers.SerializerMethodField()

    def get_plan(self, obj) -> str:
        return obj.plan.text()


class PromotionMonthLevelsSerializer(serializers.Serializer):
    month = serializers.DateField()
    counts = serializers.ListField(
        child=serializers.IntegerField(), help_text="employees at level 0..5"
    )


class PromotionMonthMovesSerializer(serializers.Serializer):
    month = serializers.DateField()
    promoted = serializers.IntegerField()
    demoted = serializers.IntegerField()


class PromotionRetestSerializer(serializers.Serializer):
    """A running retention period whose re-test window is open or opens within the horizon."""

    staff_id = serializers.CharField(source="employee.staff_id")
    name = serializers.CharField(source="employee.name")
    team = serializers.CharField(source="employee.team.name", allow_null=True)
    level = serializers.IntegerField()
    retest_opens_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()


class PromotionWorkforceForecastSerializer(PromotionForecastSerializer):
    """One employee's row of the workforce forecast table."""

    team = serializers.CharField(source="employee.team.name", allow_null=True)


class PromotionWorkforceForecastPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="employees in the scope")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = PromotionWorkforceForecastSerializer(
        many=True, help_text="50 employees a page, by staff ID"
    )


class PromotionWorkforceSerializer(serializers.Serializer):
    headcount = serializers.IntegerField()
    levels = PromotionMonthLevelsSerializer(many=True)
    moves = PromotionMonthMovesSerializer(many=True)
    retest_count = serializers.IntegerField(help_text="re-tests due within horizon_days, all")
    retests = PromotionRetestSerializer(
        many=True, help_text="the first 50 re-tests due within horizon_days, soonest due first"
    )
    horizon_days = serializers.IntegerField()
    risk_days = serializers.IntegerField()
    risks = PromotionRiskSerializer(many=True)
    forecasts = PromotionWorkforceForecastPageSerializer(
        help_text="each employee's promotion forecast, one page (?page=)"
    )


class PromotionBlueprintLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    planned = serializers.IntegerField(help_text="Cases the level's exam draws for the item.")
    available = serializers.IntegerField(
        help_text="Active test cases of the level with questions tagged with it."
    )


class PromotionBlueprintItemSerializer(serializers.Serializer):
    code = serializers.CharField(source="item.code")
    name = serializers.CharField(source="item.name")
    weight = serializers.DecimalField(max_digits=7, decimal_places=5)
    levels = PromotionBlueprintLevelSerializer(source="by_level", many=True)


class PromotionBlueprintExamSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    case_count = serializers.IntegerField()
    untagged = serializers.IntegerField(
        help_text="Active test cases of the level without competency items."
    )


class PromotionBlueprintSerializer(serializers.Serializer):
    """A position's exam blueprint (no test-case content, no keys)."""

    position = serializers.CharField(source="position.code", allow_null=True)
    floor_percent = serializers.IntegerField()
    exams = PromotionBlueprintExamSerializer(source="levels", many=True)
    items = PromotionBlueprintItemSerializer(source="rows", many=True)
