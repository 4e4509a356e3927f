"""Output serializers of the role home panels' API (accounts/dashboard_api.py). Each one
renders the dataclass of the selector the web home page renders (accounts/dashboard_csr.py,
review.selectors.committee_dashboard, curriculum.selectors.training_dashboard,
promotion.selectors.hr_dashboard, points.desk.operations_desk): the same numbers,
nothing computed again. Names and titles are in the request's language (the ``*_en``
twin on English requests when it is written)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.template_filters import localized_value

# --- CSR ------------------------------------------------------------------------------


class DashboardLevelSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.SerializerMethodField()
    badge_colour = serializers.CharField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_title(self, level) -> str:
        return localized_value(level, "title")


class DashboardChecklistBarSerializer(serializers.Serializer):
    code = serializers.CharField(source="item.code")
    met = serializers.BooleanField(source="item.met")
    label = serializers.CharField(source="item.label")
    detail = serializers.CharField(source="item.detail", help_text="e.g. “620 / 800 points”.")
    percent = serializers.IntegerField(
        min_value=0, max_value=100, help_text="Share done, for a bar (0–100)."
    )


class DashboardRetentionPeriodSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    level = serializers.IntegerField()
    status = serializers.CharField()
    retest_opens_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()


class DashboardRetentionSerializer(serializers.Serializer):
    points_earned = serializers.IntegerField()
    points_task = serializers.IntegerField(source="period.points_task")
    points_met = serializers.BooleanField()
    apprentices_brought = serializers.IntegerField()
    apprentices_task = serializers.IntegerField(source="period.apprentices_task")
    apprentices_met = serializers.BooleanField()
    exam_passed = serializers.BooleanField()
    attempts_left = serializers.IntegerField()
    query_time_met = serializers.BooleanField()
    window_open = serializers.BooleanField()


class DashboardCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class DashboardCourseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="course.pk")
    title = serializers.SerializerMethodField()
    state = serializers.CharField(
        help_text="in_progress, not_started or new (never done or locked)."
    )

    @extend_schema_field(OpenApiTypes.STR)
    def get_title(self, progress) -> str:
        return localized_value(progress.course, "title")


class DashboardPointsEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    amount = serializers.IntegerField()
    rule = serializers.CharField(source="rule.code")
    rule_name = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_rule_name(self, entry) -> str:
        return localized_value(entry.rule, "name")


class DashboardProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="proposal.pk")
    kind = serializers.CharField(source="proposal.kind")
    kind_label = serializers.CharField(source="label")
    status = serializers.CharField(
        source="proposal.status", help_text="open, or stale (rebase it)."
    )
    approvals = serializers.IntegerField(source="proposal.approvals")
    rejections = serializers.IntegerField(source="proposal.rejections")


class CsrDashboardSerializer(serializers.Serializer):
    """accounts.dashboard_csr.csr_dashboard: the CSR's home panel."""

    level = DashboardLevelSerializer(allow_null=True)
    next_level = DashboardLevelSerializer(allow_null=True, help_text="null at the top level.")
    met = serializers.IntegerField(help_text="Requirements of the next promotion met.")
    total = serializers.IntegerField(
        help_text="Requirements of the next promotion (0: none to meet)."
    )
    percent = serializers.IntegerField(min_value=0, max_value=100)
    all_met = serializers.BooleanField(help_text="True: the employee may request their promotion.")
    checklist = DashboardChecklistBarSerializer(source="bars", many=True)
    retention_period = DashboardRetentionPeriodSerializer(
        allow_null=True, help_text="The running one, near or not."
    )
    retention_near = serializers.BooleanField(help_text="Its re-test window is open or opens soon.")
    retention = DashboardRetentionSerializer(
        allow_null=True, help_text="Its progress, only when near."
    )
    next_cases = DashboardCaseSerializer(
        many=True, help_text="Training cases of study_level to study next."
    )
    more_cases = serializers.BooleanField()
    study_level = serializers.IntegerField()
    next_course = DashboardCourseSerializer(
        allow_null=True, help_text="Next on the learning map; null when none."
    )
    points = DashboardPointsEntrySerializer(
        many=True, help_text="The latest entries, newest first."
    )
    balance = serializers.IntegerField()
    proposals = DashboardProposalSerializer(
        many=True, help_text="Own proposals waiting, newest first."
    )


# --- committee member ------------------------------------------------------------------


class DashboardWaitingProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    yours = serializers.BooleanField(help_text="Of a category the member is a review expert of.")
    approvals = serializers.IntegerField()
    rejections = serializers.IntegerField()


class CommitteeDashboardSerializer(serializers.Serializer):
    """review.selectors.committee_dashboard: the committee member's home panel."""

    is_member = serializers.BooleanField(help_text="False: may read proposals but not vote.")
    waiting = DashboardWaitingProposalSerializer(
        many=True, help_text="The first of the member's queue."
    )
    waiting_count = serializers.IntegerField()
    yours_count = serializers.IntegerField()
    oldest_at = serializers.DateTimeField(allow_null=True)
    votes_this_month = serializers.IntegerField()


# --- training manager ------------------------------------------------------------------


class DashboardLevelShortSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    pool = serializers.IntegerField(help_text="Active test cases that yield exam questions.")
    pool_needed = serializers.IntegerField(
        allow_null=True, help_text="What an exam of the level needs."
    )


class DashboardRoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    position = serializers.SerializerMethodField(
        help_text="The position whose competency weights are sorted."
    )
    rater_count = serializers.IntegerField()
    submission_count = serializers.IntegerField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_position(self, round_) -> str:
        return localized_value(round_.position, "name")


class TrainingDashboardSerializer(serializers.Serializer):
    """curriculum.selectors.training_dashboard: the training manager's home panel."""

    levels_short = DashboardLevelShortSerializer(
        many=True, help_text="Levels whose exam pool is short."
    )
    over_cap = serializers.IntegerField(help_text="Level × category cells over their cap.")
    no_questions = serializers.IntegerField(help_text="Active cases yielding no exam question.")
    open_rounds = DashboardRoundSerializer(many=True, help_text="Q-sort rounds open for sorting.")
    surveys_this_month = serializers.IntegerField()
    low_surveys_this_month = serializers.IntegerField(
        help_text=(
            "Of them, those with a score at or below the curriculum settings' low survey score."
        )
    )
    failed_exams_this_month = serializers.IntegerField()


# --- HR --------------------------------------------------------------------------------


class DashboardRosterSerializer(serializers.Serializer):
    event = serializers.CharField()
    count = serializers.IntegerField(help_text="Rows of the roster the url opens.")
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, roster) -> str:
        return f"{reverse('promotion:rosters')}?{roster.query}"


class HRDashboardSerializer(serializers.Serializer):
    """promotion.selectors.hr_dashboard: this local month's rosters."""

    month_start = serializers.DateField()
    month_end = serializers.DateField()
    promoted = DashboardRosterSerializer()
    demoted = DashboardRosterSerializer()
    due_retest = DashboardRosterSerializer()


# --- operations manager ----------------------------------------------------------------


class DashboardDeskItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    url = serializers.CharField()
    count = serializers.IntegerField(
        allow_null=True, help_text="What waits; null for a plain link."
    )


class OperationsDashboardSerializer(serializers.Serializer):
    """points.desk.operations_desk: what waits for an operations manager."""

    items = DashboardDeskItemSerializer(many=True)
