"""The one list of navigation entries; each is shown only to users holding its permission.

Hiding a link is a convenience: every view behind these links checks the same permission
on the server.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts import roles


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str | None = None  # None: every logged-in employee


NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home"),
    NavItem(_("Knowledge base"), "knowledgebase:search", roles.STUDY),
    NavItem(_("Query-time test"), "knowledgebase:query_test", roles.STUDY),
    NavItem(_("Case library"), "casebase:library", roles.STUDY),
    NavItem(_("History library"), "casebase:history", "casebase.view_history_library"),
    NavItem(_("Review queue"), "review:queue", roles.REVIEW),
    NavItem(_("Committee"), "review:committee"),
    NavItem(_("Training management"), "accounts:training_workspace", roles.MANAGE_TRAINING),
    NavItem(_("Competency model"), "competency:dictionary"),
    NavItem(_("Q-sort rounds"), "competency:round_list", roles.MANAGE_TRAINING),
    NavItem(_("My learning map"), "curriculum:my_map", roles.STUDY),
    NavItem(_("My points"), "points:my_points", roles.STUDY),
    NavItem(_("Leaderboard"), "points:leaderboard"),
    NavItem(_("Proposals & QC"), "points:hub"),
    NavItem(_("Volunteer import"), "points:volunteer_import", "points.import_volunteer_sheets"),
    NavItem(_("Course evaluations"), "curriculum:evaluations", roles.MANAGE_TRAINING),
    NavItem(_("Behaviour ratings"), "curriculum:people", roles.RATE_BEHAVIOUR),
    NavItem(_("Employees"), "accounts:employee_directory", roles.VIEW_EMPLOYEES),
    NavItem(_("Operations"), "accounts:operations_workspace", roles.MANAGE_OPERATIONS),
    NavItem(_("My profile"), "accounts:profile"),
]


def navigation_for(user, current_path: str = "") -> list[dict]:
    """The entries ``user`` may see, each as {label, url, active}; [] when logged out."""
    if not user.is_authenticated:
        return []
    items = []
    for item in NAV_ITEMS:
        if item.permission and not user.has_perm(item.permission):
            continue
        url = reverse(item.url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active})
    return items
