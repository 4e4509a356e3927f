from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts import roles
from accounts.forms import EmployeeFilterForm
from accounts.selectors import employee_list

EMPLOYEES_PER_PAGE = 50


@login_required
def home(request):
    """Dashboard: one panel per role the employee holds."""
    user = request.user
    return render(
        request,
        "accounts/home.html",
        {
            "can_study": user.has_perm(roles.STUDY),
            "can_review": user.has_perm(roles.REVIEW),
            "can_manage_training": user.has_perm(roles.MANAGE_TRAINING),
            "can_view_employees": user.has_perm(roles.VIEW_EMPLOYEES),
            "can_export_rosters": user.has_perm(roles.EXPORT_ROSTERS),
            "can_manage_operations": user.has_perm(roles.MANAGE_OPERATIONS),
            "can_rate_behaviour": user.has_perm(roles.RATE_BEHAVIOUR),
        },
    )


@login_required
def profile(request):
    return render(request, "accounts/profile.html", {"employee": request.user})


@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def training_workspace(request):
    return render(request, "accounts/training_workspace.html")


@permission_required(roles.MANAGE_OPERATIONS, raise_exception=True)
def operations_workspace(request):
    return render(request, "accounts/operations_workspace.html")


@permission_required(roles.VIEW_EMPLOYEES, raise_exception=True)
def employee_directory(request):
    form = EmployeeFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "centre_id": data["centre"].pk if data["centre"] else None,
            "team_id": data["team"].pk if data["team"] else None,
            "level": data["level"],
            "query": data["q"],
        }
    employees = employee_list(**filters) if not form.errors else employee_list().none()
    page = Paginator(employees, EMPLOYEES_PER_PAGE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "accounts/employee_directory.html",
        {"form": form, "page": page, "querystring": querystring.urlencode()},
    )
