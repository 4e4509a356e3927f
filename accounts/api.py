from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import has_perm
from accounts.selectors import employee_list, employee_search_q
from accounts.serializers import EmployeeSerializer, MeSerializer


class MeView(APIView):
    """The logged-in employee."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class EmployeeFilter(filters.FilterSet):
    centre = filters.NumberFilter(field_name="centre_id")
    team = filters.NumberFilter(field_name="team_id")
    level = filters.NumberFilter(field_name="level", min_value=0, max_value=5)
    q = filters.CharFilter(method="filter_q")

    def filter_q(self, queryset, name, value):
        return queryset.filter(employee_search_q(value))


class EmployeeListView(generics.ListAPIView):
    """Employee directory for HR, training and operations managers."""

    serializer_class = EmployeeSerializer
    permission_classes = [has_perm(roles.VIEW_EMPLOYEES)]
    filterset_class = EmployeeFilter

    def get_queryset(self):
        return employee_list()
