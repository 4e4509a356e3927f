from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import User


class EmployeeSerializer(serializers.ModelSerializer):
    centre = serializers.CharField(source="centre.name", default=None, read_only=True, allow_null=True)
    team = serializers.CharField(source="team.name", default=None, read_only=True, allow_null=True)
    position = serializers.CharField(source="position.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "staff_id", "name", "centre", "team", "position", "level", "hire_date"]
        read_only_fields = fields


class MeSerializer(EmployeeSerializer):
    # Not an EmailField: many employees have none on file, and "" is no e-mail address.
    email = serializers.CharField(read_only=True, help_text='an e-mail address, or "" when none is on file')
    roles = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    years_of_service = serializers.SerializerMethodField()

    class Meta(EmployeeSerializer.Meta):
        fields = EmployeeSerializer.Meta.fields + [
            "email", "education", "performance_rating", "years_of_service", "roles", "permissions",
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
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class EmployeeImportInput(serializers.Serializer):
    file = serializers.FileField(help_text="The HR system's CSV or XLSX (at most 2 MB, 5,000 rows).")
    dry_run = serializers.BooleanField(default=True, help_text="True (default): validate and report, write nothing.")

    def validate_file(self, upload):
        from accounts.importing import MAX_FILE_BYTES

        if upload.size > MAX_FILE_BYTES:
            raise serializers.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
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
