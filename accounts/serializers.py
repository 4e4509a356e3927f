from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.levels import MAX_LEVEL, MIN_CASE_LEVEL
from accounts.models import User


class EmployeeSerializer(serializers.ModelSerializer):
    centre = serializers.CharField(
        source="centre.name", default=None, read_only=True, allow_null=True
    )
    team = serializers.CharField(source="team.name", default=None, read_only=True, allow_null=True)
    position = serializers.CharField(
        source="position.name", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = User
        fields = ["id", "staff_id", "name", "centre", "team", "position", "level", "hire_date"]
        read_only_fields = fields


class MeSerializer(EmployeeSerializer):
    # Not an EmailField: many employees have none on file, and "" is no e-mail address.
    email = serializers.CharField(
        read_only=True, help_text='an e-mail address, or "" when none is on file'
    )
    roles = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    years_of_service = serializers.SerializerMethodField()

    class Meta(EmployeeSerializer.Meta):
        fields = EmployeeSerializer.Meta.fields + [
            "email",
            "education",
            "performance_rating",
            "years_of_service",
            "roles",
            "permissions",
        ]
        read_only_fields = fields

    def get_roles(self, user: User) -> list[str]:
        return user.role_names

    def get_permissions(self, user: User) -> list[str]:
        return sorted(p for p in user.get_all_permissions() if p.startswith("accounts."))

    def get_years_of_service(self, user: User) -> float | None:
        return user.years_of_service()


class TokenInput(serializers.Serializer):
    staff_id = serializers.CharField(max_length=20)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


# --- first day (accounts.onboarding) -------------------------------------------------------


class TourStepSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    url = serializers.CharField()
    done = serializers.BooleanField()
    done_at = serializers.DateTimeField(allow_null=True)


class TourSerializer(serializers.Serializer):
    steps = TourStepSerializer(many=True)
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)


class SandboxInput(serializers.Serializer):
    """A practice proposal: ``kind`` and the fields of the real proposal form of that kind
    (kb_revision: category, title, keywords, body, reason, base_version; case_revision:
    base_version, title, category, background, tree, reason, participants; case_new: title,
    category, suggested_level, background, tree, reason, participants). ``tree`` is the
    structured text format of the case pages. The form checks them (400 with field messages)."""

    kind = serializers.ChoiceField(choices=["kb_revision", "case_revision", "case_new"])
    title = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    category = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1
    )
    keywords = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    body = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    base_version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    background = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    tree = serializers.CharField(required=False, allow_blank=True, max_length=50000)
    suggested_level = serializers.IntegerField(
        required=False, allow_null=True, min_value=MIN_CASE_LEVEL, max_value=MAX_LEVEL
    )
    participants = serializers.CharField(required=False, allow_blank=True, max_length=500)


class SandboxOutput(serializers.Serializer):
    kind = serializers.CharField()
    preview_html = serializers.CharField(
        help_text="The diff or summary as the review committee would see it."
    )
    approvals_required = serializers.IntegerField()
    points_range = serializers.CharField()
    tour = TourSerializer()


class EmployeeImportInput(serializers.Serializer):
    file = serializers.FileField(
        help_text="The HR system's CSV or XLSX (at most 2 MB, 5,000 rows)."
    )
    dry_run = serializers.BooleanField(
        default=True, help_text="True (default): validate and report, write nothing."
    )

    def validate_file(self, upload):
        from accounts.importing import MAX_FILE_BYTES

        if upload.size > MAX_FILE_BYTES:
            raise serializers.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


class EmployeeImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    type = serializers.ChoiceField(choices=["new", "update", "skip", "error", "invalid"])
    employee = serializers.CharField()


class EmployeeImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    new = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rows = EmployeeImportRowSerializer(many=True)
    line_errors = serializers.SerializerMethodField()

    def get_line_errors(self, report) -> list[dict]:
        return [{"line": line, "message": message} for line, message in report.line_errors]
