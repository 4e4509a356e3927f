"""The one list of navigation entries; each is shown only to users holding its permission.

Hiding a link is a convenience: every view behind these links checks the same permission
on the server.
"""

import functools
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts import roles


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str | tuple[str, ...] | None = (
        None  # None: every logged-in employee; a tuple: any of them
    )
    group: str | None = None  # a key of NAV_GROUPS; None: a top-level link

    def visible_with(self, permissions: frozenset[str], superuser: bool) -> bool:
        """Whether a holder of ``permissions`` sees the entry: the rule of ``user.has_perm``
        for an active employee (a superuser holds every permission)."""
        if not self.permission or superuser:
            return True
        wanted = (self.permission,) if isinstance(self.permission, str) else self.permission
        return any(perm in permissions for perm in wanted)


# Menus of the top bar, in display order; a group the user can see nothing of is hidden.
NAV_GROUPS: dict[str, str | Promise] = {
    "learning": _("Learning"),
    "points": _("Points & level"),
    "review": _("Review"),
    "management": _("Management"),
}


NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home"),
    NavItem(_("Getting started"), "accounts:getting_started", roles.STUDY, group="learning"),
    NavItem(_("My learning map"), "curriculum:my_map", roles.STUDY, group="learning"),
    # the rule of curriculum.views.gaps for one's own analysis
    NavItem(_("My competency gaps"), "curriculum:my_gaps", roles.STUDY, group="learning"),
    NavItem(_("Case library"), "casebase:library", roles.STUDY, group="learning"),
    NavItem(_("Suggest a call"), "casebase:call_suggest", roles.STUDY, group="learning"),
    # the same rule as casebase.selectors.can_browse_catalogue
    NavItem(
        _("Case catalogue"),
        "casebase:catalogue",
        ("casebase.maintain_cases", roles.MANAGE_TRAINING, roles.MANAGE_OPERATIONS),
        group="review",
    ),
    NavItem(_("Suggested calls"), "casebase:calls", "casebase.maintain_cases", group="review"),
    NavItem(
        _("Reflections to moderate"),
        "casebase:reflections",
        ("casebase.maintain_cases", roles.MANAGE_TRAINING),
        group="review",
    ),
    NavItem(_("Knowledge base"), "knowledgebase:search", roles.STUDY, group="learning"),
    NavItem(_("Query-time test"), "knowledgebase:query_test", roles.STUDY, group="learning"),
    NavItem(_("Competency model"), "competency:dictionary", group="learning"),
    NavItem(_("My points"), "points:my_points", roles.STUDY, group="points"),
    NavItem(_("Leaderboard"), "points:leaderboard", group="points"),
    NavItem(_("Proposals & QC"), "points:hub", group="points"),
    NavItem(_("My level"), "promotion:my_level", roles.STUDY, group="points"),
    NavItem(_("Mentoring"), "promotion:mentoring", roles.STUDY, group="points"),
    NavItem(_("My notifications"), "promotion:notifications", group="points"),
    NavItem(_("Review queue"), "review:queue", roles.REVIEW, group="review"),
    # the rule of knowledgebase.views.can_review_misses
    NavItem(
        _("Knowledge work"),
        "knowledgebase:knowledge_work",
        (roles.REVIEW, roles.MANAGE_OPERATIONS),
        group="review",
    ),
    NavItem(_("Committee"), "review:committee", group="review"),
    NavItem(_("Review experts"), "review:experts", roles.MANAGE_TRAINING, group="review"),
    NavItem(_("Reviewer insights"), "review:insights", roles.MANAGE_OPERATIONS, group="review"),
    NavItem(
        _("Calibration"),
        "review:calibration",
        (roles.REVIEW, roles.MANAGE_TRAINING),
        group="review",
    ),
    NavItem(
        _("History library"), "casebase:history", "casebase.view_history_library", group="review"
    ),
    NavItem(_("Library health"), "casebase:health", "casebase.view_library_health", group="review"),
    NavItem(
        _("Exam attempts"), "promotion:exam_attempts", "promotion.view_exam_answers", group="review"
    ),
    # the same rule as promotion.item_stats.can_view_item_stats
    NavItem(
        _("Exam item statistics"),
        "promotion:exam_items",
        (roles.MANAGE_TRAINING, roles.REVIEW),
        group="review",
    ),
    NavItem(
        _("Training management"),
        "accounts:training_workspace",
        roles.MANAGE_TRAINING,
        group="management",
    ),
    NavItem(_("Q-sort rounds"), "competency:round_list", roles.MANAGE_TRAINING, group="management"),
    NavItem(
        _("Exam blueprint"), "promotion:exam_blueprint", roles.MANAGE_TRAINING, group="management"
    ),
    NavItem(
        _("Course evaluations"), "curriculum:evaluations", roles.MANAGE_TRAINING, group="management"
    ),
    NavItem(
        _("Query-time calibration"),
        "knowledgebase:query_time_calibration",
        roles.MANAGE_TRAINING,
        group="management",
    ),
    NavItem(_("Behaviour ratings"), "curriculum:people", roles.RATE_BEHAVIOUR, group="management"),
    NavItem(
        _("Volunteer import"),
        "points:volunteer_import",
        "points.import_volunteer_sheets",
        group="management",
    ),
    NavItem(
        _("Employees"), "accounts:employee_directory", roles.VIEW_EMPLOYEES, group="management"
    ),
    NavItem(
        _("Import employees"),
        "accounts:employee_import",
        roles.IMPORT_EMPLOYEES,
        group="management",
    ),
    NavItem(_("Rosters"), "promotion:rosters", roles.EXPORT_ROSTERS, group="management"),
    # the roles of promotion.forecast.workforce_scope (the page answers 403 to one without a centre
    # or team)
    NavItem(
        _("Workforce"),
        "promotion:workforce",
        (roles.EXPORT_ROSTERS, roles.MANAGE_OPERATIONS, roles.RATE_BEHAVIOUR),
        group="management",
    ),
    NavItem(
        _("Operations"),
        "accounts:operations_workspace",
        roles.MANAGE_OPERATIONS,
        group="management",
    ),
    NavItem(
        _("Maintain the knowledge base"),
        "knowledgebase:maintain",
        "knowledgebase.maintain_entries",
        group="management",
    ),
    NavItem(_("My profile"), "accounts:profile"),
]


def navigation_for(user, current_path: str = "") -> list[dict]:
    """The entries ``user`` may see, each as {label, url, active, group}; [] when logged out."""
    if not user.is_authenticated:
        return []
    # An active superuser holds every permission without reading them (as has_perm does).
    superuser = bool(user.is_active and user.is_superuser)
    permissions = frozenset() if superuser else frozenset(user.get_all_permissions())
    entries = _entries_for(permissions, superuser, get_language())
    return [
        {
            "label": label,
            "url": url,
            "active": current_path == url if url == "/" else current_path.startswith(url),
            "group": group,
        }
        for label, url, group in entries
    ]


@functools.lru_cache(maxsize=256)
def _entries_for(
    permissions: frozenset[str], superuser: bool, language: str
) -> tuple[tuple[str, str, str | None], ...]:
    """(label, url, group) of the entries a holder of ``permissions`` sees, in ``language``.
    Built once per process for each permission set and language (a centre has a handful of
    role combinations): the walk over NAV_ITEMS with a permission check and a reverse() each
    cost ~1 ms of every page. Only the permission set varies: the entries and the URLconf are
    code."""
    return tuple(
        (str(item.label), reverse(item.url_name), item.group)
        for item in NAV_ITEMS
        if item.visible_with(permissions, superuser)
    )


def navigation_menus(items: list[dict]) -> list[dict]:
    """``items`` arranged for the top bar: top-level links and one menu per group, each
    {label, url, active} or {label, active, entries: [...]}, each group
    placed where their first item stood."""
    menus: list[dict] = []
    by_group: dict[str, dict] = {}
    for item in items:
        key = item["group"]
        if key is None:
            menus.append(item)
            continue
        if key not in by_group:
            by_group[key] = {"label": NAV_GROUPS[key], "active": False, "entries": []}
            menus.append(by_group[key])
        by_group[key]["entries"].append(item)
        by_group[key]["active"] |= item["active"]
    return menus


def navigation_html(items: list[dict], is_staff: bool) -> str:
    """The top bar's <nav> for ``items`` (navigation_for), rendered once per process for each
    list of entries with its active one, staff flag and language: a CSR's 17 links through
    nested template loops cost every page 185 µs of its 4–5 ms of CPU (4 µs kept). The key
    is what the HTML is made of, so a changed permission set, page or language is a new key,
    never a stale one."""
    key = tuple((item["label"], item["url"], item["active"], item["group"]) for item in items)
    return _navigation_html(key, bool(is_staff), get_language())


@functools.lru_cache(maxsize=1024)
def _navigation_html(key: tuple, is_staff: bool, language: str) -> str:
    items = [
        {"label": label, "url": url, "active": active, "group": group}
        for label, url, active, group in key
    ]
    return render_to_string(
        "accounts/_nav.html", {"nav_menus": navigation_menus(items), "is_staff": is_staff}
    )
