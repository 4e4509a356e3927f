from django.db.models import Q, QuerySet

from accounts.models import User


def employee_list(*, centre_id: int | None = None, team_id: int | None = None,
                  level: int | None = None, query: str = "") -> QuerySet[User]:
    """Active employees with centre, team and position joined, filtered as given."""
    qs = User.objects.filter(is_active=True).select_related("centre", "team", "position")
    if centre_id:
        qs = qs.filter(centre_id=centre_id)
    if team_id:
        qs = qs.filter(team_id=team_id)
    if level is not None:
        qs = qs.filter(level=level)
    if query:
        qs = qs.filter(employee_search_q(query))
    return qs.order_by("staff_id")


def employee_search_q(query: str) -> Q:
    """Match a staff ID or a name fragment (case-insensitive, the query stripped): the one
    employee search of every page and API that finds employees by what a person types."""
    query = query.strip()
    return Q(staff_id__icontains=query) | Q(name__icontains=query)
