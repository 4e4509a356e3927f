import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import home as home_registry
from accounts import onboarding, roles, services
from accounts.filters import EmployeeFilter
from accounts.forms import EmployeeImportForm
from accounts.selectors import employee_list
from config.errors import AppError
from config.filtering import filter_list

EMPLOYEES_PER_PAGE = 50


# Roles that have a panel of their own on the home page; an employee holding none of them is
# told to ask HR for one (exporting rosters alone does not count, as before).
HOME_ROLES = (
    roles.STUDY,
    roles.REVIEW,
    roles.MANAGE_TRAINING,
    roles.VIEW_EMPLOYEES,
    roles.MANAGE_OPERATIONS,
    roles.RATE_BEHAVIOUR,
)


@login_required
def home(request):
    """Dashboard: one panel per role the employee holds, as the apps registered them
    (accounts.home), each panel's data under its context name."""
    user = request.user
    shown = [panel for panel in home_registry.panels() if user.has_perm(panel.permission)]
    context = {
        "tour": onboarding.tour_checklist_for_home(user, can_study=user.has_perm(roles.STUDY)),
        "panels": shown,
        "no_role": not any(user.has_perm(role) for role in HOME_ROLES),
    }
    rendered = []
    for panel in shown:
        if panel.render:
            rendered.append((panel, panel.render(request, panel.template)))
            continue
        context[panel.name] = panel.read(user) if panel.read else None
        rendered.append((panel, None))
    context["rendered_panels"] = rendered
    return render(request, "accounts/home.html", context)


@login_required
def profile(request):
    return render(request, "accounts/profile.html", {"employee": request.user})


@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def training_workspace(request):
    return render(request, "accounts/training_workspace.html")


@permission_required(roles.MANAGE_OPERATIONS, raise_exception=True)
def operations_workspace(request):
    return render(
        request,
        "accounts/operations_workspace.html",
        {"desk": home_registry.panel("desk").read(request.user)},
    )


@permission_required(roles.VIEW_EMPLOYEES, raise_exception=True)
def employee_directory(request):
    filterset, employees = filter_list(EmployeeFilter, request, employee_list())
    page = Paginator(employees, EMPLOYEES_PER_PAGE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "accounts/employee_directory.html",
        {"form": filterset.form, "page": page, "querystring": querystring.urlencode()},
    )


# --- first day: the getting-started guide and the sandbox (accounts.onboarding) ---------------


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def getting_started(request):
    return render(
        request,
        "accounts/getting_started.html",
        {
            **onboarding.getting_started(),
            "tour": onboarding.tour_state(request.user),
        },
    )


@require_POST
@permission_required(roles.STUDY, raise_exception=True)
def getting_started_read(request):
    """Tick "read getting started" for the logged-in employee (no one else: nothing in the
    request names an employee)."""
    onboarding.onboarding_step_done(user=request.user, step=onboarding.STEP_READ)
    messages.success(request, _("Marked as read. Next: practise in the sandbox."))
    return redirect("accounts:sandbox")


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def sandbox(request):
    return render(
        request,
        "accounts/sandbox.html",
        {
            "tour": onboarding.tour_state(request.user),
            "kinds": [(kind, _(label)) for kind, label in onboarding.SANDBOX_LABELS.items()],
        },
    )


def _sandbox_page(request, kind: str):
    if request.method == "POST":
        attempt = onboarding.sandbox_try(user=request.user, kind=kind, data=request.POST)
    else:
        attempt = onboarding.SandboxAttempt(kind=kind, form=onboarding.sandbox_form(kind))
    return render(
        request,
        "accounts/sandbox_form.html",
        {
            "attempt": attempt,
            "kind": kind,
            "title": _(onboarding.SANDBOX_LABELS[kind]),
            "entry": None,
            "simulated_case": onboarding.SIMULATED_CASE
            if kind == onboarding.SANDBOX_CASE_REVISION
            else None,
            **onboarding.sandbox_page_context(kind),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def sandbox_kb(request):
    return _sandbox_page(request, onboarding.SANDBOX_KB)


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def sandbox_case(request):
    return _sandbox_page(request, onboarding.SANDBOX_CASE_REVISION)


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def sandbox_case_new(request):
    return _sandbox_page(request, onboarding.SANDBOX_CASE_NEW)


# --- bulk import of employees (HR) -------------------------------------------------------------

IMPORT_TTL = 30 * 60  # seconds a previewed file waits for its confirmation


def _import_key(token: str) -> str:
    return f"employee-import:{token}"


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(roles.IMPORT_EMPLOYEES, raise_exception=True)
def employee_import(request):
    """Upload → dry-run preview (every line error, nothing written) → confirm (one
    transaction). The previewed file waits in the cache under a random token bound to the
    uploader; the confirmation imports exactly that file."""
    form = EmployeeImportForm()
    context = {"form": form}
    status = 200
    if request.method == "POST" and request.POST.get("token"):
        stored = cache.get(_import_key(request.POST["token"]))
        if not stored or stored["user"] != request.user.pk:
            messages.error(request, _("The preview has expired; upload the file again."))
            return redirect("accounts:employee_import")
        try:
            report = services.employees_import(
                file_name=stored["name"], content=stored["content"], by=request.user, dry_run=False
            )
        except AppError as error:
            context["errors"] = getattr(error, "line_errors", [(0, error.message)])
            return render(request, "accounts/employee_import.html", context, status=400)
        cache.delete(_import_key(request.POST["token"]))
        messages.success(
            request,
            _("Imported: %(new)s new, %(updated)s updated, %(unchanged)s unchanged.")
            % {"new": report.new, "updated": report.updated, "unchanged": report.unchanged},
        )
        return redirect("accounts:employee_import")
    if request.method == "POST":
        form = EmployeeImportForm(request.POST, request.FILES)
        context["form"] = form
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            try:
                report = services.employees_import(
                    file_name=upload.name, content=content, by=request.user, dry_run=True
                )
            except AppError as error:
                context["errors"] = getattr(error, "line_errors", [(0, error.message)])
            else:
                context["report"] = report
                if report.has_errors:
                    context["errors"] = report.line_errors
                else:
                    token = secrets.token_urlsafe(24)
                    cache.set(
                        _import_key(token),
                        {"user": request.user.pk, "name": upload.name, "content": content},
                        IMPORT_TTL,
                    )
                    context["token"] = token
                    status = 200
    return render(request, "accounts/employee_import.html", context, status=status)
