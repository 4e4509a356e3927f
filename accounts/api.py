from drf_spectacular.utils import extend_schema
from knox.views import LogoutAllView as KnoxLogoutAllView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import onboarding, roles, services
from accounts.auth import ApiTokenAuthentication
from accounts.filters import EmployeeFilter
from accounts.permissions import has_perm
from accounts.selectors import employee_list
from accounts.serializers import (
    EmployeeImportInput,
    EmployeeImportReportSerializer,
    EmployeeSerializer,
    MeSerializer,
    SandboxInput,
    SandboxOutput,
    TokenInput,
    TokenOutput,
    TourSerializer,
)
from config.errors import ValidationFailedError


class TokenLoginView(APIView):
    """Exchange a staff ID and password for an API token that expires (see README).

    The same limits as the web login apply (per staff ID and per IP); a locked staff ID gets
    no token even with the right password (429)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenInput, responses={200: TokenOutput}, auth=[])
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = services.api_token_issue(request=request._request, **data.validated_data)
        return Response(TokenOutput({"token": key, "expiry": token.expiry}).data)


class TokenLogoutView(KnoxLogoutView):
    """Revoke the token this request was made with."""

    authentication_classes = [ApiTokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        super().post(request, format)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenLogoutAllView(KnoxLogoutAllView):
    """Revoke every token of the requesting user."""

    authentication_classes = [ApiTokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        super().post(request, format)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The logged-in employee."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class EmployeeListView(generics.ListAPIView):
    """Employee directory for HR, training and operations managers."""

    serializer_class = EmployeeSerializer
    permission_classes = [has_perm(roles.VIEW_EMPLOYEES)]
    filterset_class = EmployeeFilter

    def get_queryset(self):
        return employee_list()


def _tour_data(state: onboarding.TourState) -> dict:
    return {
        "steps": [vars(step) for step in state.steps],
        "completed": state.completed,
        "completed_at": state.completed_at,
    }


class TourView(APIView):
    """The logged-in employee's first-day tour: each step done or not (only one's own)."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(responses=TourSerializer)
    def get(self, request):
        return Response(TourSerializer(_tour_data(onboarding.tour_state(request.user))).data)


class SandboxView(APIView):
    """Try a practice proposal on the simulated 口径 or case: the real form's checks (400 with
    field messages), then the preview the committee would see. Nothing is proposed, notified
    or paid; the caller's own tour step is ticked."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(request=SandboxInput, responses={200: SandboxOutput})
    def post(self, request):
        data = SandboxInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {k: ("" if v is None else v) for k, v in data.validated_data.items()}
        kind = fields.pop("kind")
        if kind == onboarding.SANDBOX_KB or kind == onboarding.SANDBOX_CASE_REVISION:
            fields.setdefault("base_version", onboarding.SIMULATED_VERSION)
        attempt = onboarding.sandbox_try(user=request.user, kind=kind, data=fields)
        if not attempt.valid:
            raise ValidationFailedError(fields=onboarding.sandbox_errors(attempt.form))
        return Response(
            SandboxOutput(
                {
                    "kind": kind,
                    "preview_html": str(attempt.preview),
                    "approvals_required": attempt.approvals_required,
                    "points_range": attempt.points_range,
                    "tour": _tour_data(attempt.tour),
                }
            ).data
        )


class EmployeeImportView(APIView):
    """Import employees from the HR system's CSV/XLSX (HR and training managers). With
    dry_run (the default) every line is checked and the changes reported, nothing written;
    without it the file is imported in one transaction — any line error imports nothing
    (400, field messages "file.<line>")."""

    permission_classes = [has_perm(roles.IMPORT_EMPLOYEES)]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": EmployeeImportInput},
        responses={200: EmployeeImportReportSerializer},
    )
    def post(self, request):
        data = EmployeeImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        report = services.employees_import(
            file_name=upload.name,
            content=upload.read(),
            by=request.user,
            dry_run=data.validated_data["dry_run"],
        )
        return Response(EmployeeImportReportSerializer(report).data)
