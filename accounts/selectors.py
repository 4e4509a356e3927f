from django.db.models import Q, QuerySet

from accounts.models import User


def employee_list() -> QuerySet[User]:
    """Active employees with centre, team and position joined, by staff ID (the directory
    page and API filter them through accounts.filters.EmployeeFilter)."""
    return (
        User.objects.filter(is_active=True)
        .select_related("centre", "team", "position")
        .order_by("staff_id")
    )


def employee_search_q(query: str) -> Q:
    """Match a staff ID or a name fragment (case-insensitive, the query stripped): the one
    employee search of every page and API that finds employees by what a person types."""
    query = query.strip()
    return Q(staff_id__icontains=query) | Q(name__icontains=query)
