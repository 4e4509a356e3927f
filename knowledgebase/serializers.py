from rest_framework import serializers

from knowledgebase.models import Entry, EntryChange
from knowledgebase.selectors import CALIBRATION_DEFAULT_DAYS, CALIBRATION_MAX_DAYS


class SearchHitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="entry_id")
    title = serializers.CharField()
    category = serializers.CharField()
    version = serializers.IntegerField()
    title_html = serializers.CharField()
    snippet_html = serializers.CharField()

    def to_representation(self, hit):
        """The declared fields (the schema's), written directly: the search API answers every
        keystroke with up to 20 hits, and DRF's field-by-field walk cost it more CPU than the
        cached search (knowledgebase/tests/test_api.py checks both give the same)."""
        return {
            "id": hit.entry_id,
            "title": str(hit.title),
            "category": str(hit.category),
            "version": int(hit.version),
            "title_html": str(hit.title_html),
            "snippet_html": str(hit.snippet_html),
        }


class SearchMissSerializer(serializers.Serializer):
    query = serializers.CharField(help_text="The normalised query.")
    count = serializers.IntegerField(help_text="Searches without a strict match.")
    zero_results = serializers.IntegerField(
        help_text="Of those, searches that found nothing at all."
    )
    last_seen = serializers.DateTimeField()


class EntrySerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    category_id = serializers.IntegerField()
    keywords = serializers.ListField(source="keyword_list", child=serializers.CharField())

    class Meta:
        model = Entry
        fields = [
            "id",
            "title",
            "category",
            "category_id",
            "body",
            "keywords",
            "effective_from",
            "effective_to",
            "version",
            "updated_at",
            "retired_at",
        ]


class EntryChangeSerializer(serializers.Serializer):
    """One version of an entry: what kind of change, made through what, by whom and why."""

    version = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EntryChange.Kind.choices)
    via = serializers.ChoiceField(choices=EntryChange.Via.choices)
    author = serializers.CharField(
        source="author.staff_id",
        allow_null=True,
        default=None,
        help_text="Staff ID of the author; null for loaded data.",
    )
    reason = serializers.CharField(help_text="The author's reason, as typed.")
    proposal = serializers.IntegerField(
        source="proposal_id", allow_null=True, help_text="The committee proposal applied, if any."
    )
    created_at = serializers.DateTimeField()


class EntryMaintainInput(serializers.Serializer):
    """A maintainer's new entry (saved at once, version 1)."""

    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    keywords = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    category_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reason = serializers.CharField(max_length=2000)


class EntryReviseInput(EntryMaintainInput):
    """A maintainer's revision, on ``base_version`` (409 when the entry moved on)."""

    base_version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class EntryRetireInput(serializers.Serializer):
    base_version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    reason = serializers.CharField(max_length=2000)


class EntryWriteSerializer(serializers.Serializer):
    entry = EntrySerializer()
    change = EntryChangeSerializer()
    outdated_proposals = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Open proposals of the entry now marked outdated.",
    )


class NewEntryProposalInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    keywords = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    category_id = serializers.IntegerField()
    reason = serializers.CharField()


class RevisionProposalInput(NewEntryProposalInput):
    entry_id = serializers.IntegerField()
    base_version = serializers.IntegerField(min_value=1)


# --- query-time calibration ------------------------------------------------------------


class CalibrationInput(serializers.Serializer):
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=CALIBRATION_MAX_DAYS,
        default=CALIBRATION_DEFAULT_DAYS,
    )


class HistogramBinSerializer(serializers.Serializer):
    lower = serializers.DecimalField(
        max_digits=6, decimal_places=1, help_text="Seconds per task (exclusive)."
    )
    upper = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        allow_null=True,
        help_text="Seconds per task (inclusive); null: every slower result.",
    )
    count = serializers.IntegerField()


class BandShareSerializer(serializers.Serializer):
    allowed_level = serializers.IntegerField()
    slower_than = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    at_most = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        allow_null=True,
        help_text="Null: slower than every band (level 0).",
    )
    employees = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)


class ReferenceCheckSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    limit = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    target_percent = serializers.IntegerField()
    within = serializers.IntegerField()
    observed_percent = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)


class SuggestedBandSerializer(serializers.Serializer):
    allowed_level = serializers.IntegerField()
    current = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    suggested = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class CalibrationSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    result_count = serializers.IntegerField()
    employee_count = serializers.IntegerField()
    histogram = HistogramBinSerializer(many=True)
    bands = BandShareSerializer(many=True)
    reference_months = serializers.IntegerField()
    reference_hired_on_or_before = serializers.DateField()
    reference_count = serializers.IntegerField()
    reference = ReferenceCheckSerializer(many=True)
    suggestions = SuggestedBandSerializer(many=True)


class StaleFlagSerializer(serializers.Serializer):
    """One stale item: a case or a query-time-test task whose cited entry changed from
    ``base_version`` to ``version`` since it was last reviewed; ``diff`` is that change as
    HTML (del/ins)."""

    id = serializers.IntegerField()
    item = serializers.SerializerMethodField()
    case = serializers.IntegerField(source="case_id", allow_null=True)
    query_task = serializers.IntegerField(source="query_task_id", allow_null=True)
    title = serializers.SerializerMethodField()
    entry = serializers.IntegerField(source="entry_id")
    entry_title = serializers.CharField(source="entry.title")
    base_version = serializers.IntegerField()
    version = serializers.IntegerField(source="change.version")
    changed_at = serializers.DateTimeField(source="change.created_at")
    flagged_at = serializers.DateTimeField(source="created_at")
    diff = serializers.SerializerMethodField()

    def get_item(self, obj) -> str:
        return "case" if obj.case_id else "query_task"

    def get_title(self, obj) -> str:
        return obj.case.title if obj.case_id else obj.query_task.question

    def get_diff(self, obj) -> str:
        return str(self.context.get("diffs", {}).get(obj.pk, ""))


class StaleResolveInput(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=["reviewed", "revision"])


class StaleResolvedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    resolved_at = serializers.DateTimeField()
