"""The role home panels over the API, read-only: each view reads its panel as the web home
page does (accounts.views.home), through the read function the owning app registered in
accounts.home, and requires the permission that shows that panel there, so a caller without
it gets 403. One view per panel; the serializers are in accounts/dashboard_serializers.py."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.dashboard_csr import csr_dashboard_cached
from accounts.dashboard_serializers import (
    CommitteeDashboardSerializer,
    CsrDashboardSerializer,
    HRDashboardSerializer,
    OperationsDashboardSerializer,
    TrainingDashboardSerializer,
)
from accounts.home import panel
from accounts.permissions import has_perm


class CsrDashboardView(APIView):
    """The CSR's home panel: level, the next promotion's checklist, the retention period,
    what to study next, recent points and own open proposals (employees who study). Like the
    web page it may be up to 30 s old for what others did (a vote on one's proposal); one's
    own writes show at once."""

    permission_classes = [has_perm(roles.STUDY)]

    @extend_schema(responses=CsrDashboardSerializer)
    def get(self, request):
        return Response(CsrDashboardSerializer(csr_dashboard_cached(request.user)).data)


class CommitteeDashboardView(APIView):
    """What waits for the caller on the review committee: the first proposals of their queue,
    counts, the oldest waiting, their votes this month (employees who may review)."""

    permission_classes = [has_perm(roles.REVIEW)]

    @extend_schema(responses=CommitteeDashboardSerializer)
    def get(self, request):
        return Response(CommitteeDashboardSerializer(panel("committee").read(request.user)).data)


class TrainingDashboardView(APIView):
    """The training manager's panel: case library health, open Q-sort rounds, this month's
    course surveys and failed course exams."""

    permission_classes = [has_perm(roles.MANAGE_TRAINING)]

    @extend_schema(responses=TrainingDashboardSerializer)
    def get(self, request):
        return Response(TrainingDashboardSerializer(panel("training").read(request.user)).data)


class HRDashboardView(APIView):
    """This local month's promotions, demotions and re-tests due, each with the roster page
    that lists exactly those rows (employees who export rosters)."""

    permission_classes = [has_perm(roles.EXPORT_ROSTERS)]

    @extend_schema(responses=HRDashboardSerializer)
    def get(self, request):
        return Response(HRDashboardSerializer(panel("hr").read(request.user)).data)


class OperationsDashboardView(APIView):
    """The operations manager's desk: what waits, as counts with the pages that deal with
    them, limited to the pages the caller may open."""

    permission_classes = [has_perm(roles.MANAGE_OPERATIONS)]

    @extend_schema(responses=OperationsDashboardSerializer)
    def get(self, request):
        return Response(
            OperationsDashboardSerializer({"items": panel("desk").read(request.user)}).data
        )
