"""What the home page shows, contributed by the apps that own the data.

accounts sits at the bottom of the app graph (every app imports it), so it never imports the
apps whose data the home page shows. Each app registers its part from its AppConfig.ready(),
in its own ``<app>/home.py``:

- a role panel (``HomePanel``): shown to an employee holding its permission, rendered with
  its template, its data read by ``read(user)`` under the context name ``name``; the role
  panels' API (accounts/dashboard_api.py) serves the same ``read``;
- a section of the CSR's panel (``CsrSection``): ``read(user, now)`` returns some attributes
  of accounts.dashboard_csr.CsrDashboard (together the sections fill every attribute).

Both are listed by ``order``, lowest first (a stable order, whatever the order in which the
apps are loaded):

    role panels   10 CSR (accounts)      20 committee (review)   30 training (curriculum)
                  40 employees (accounts) 50 HR rosters (promotion) 60 operations (points)
                  70 my team (curriculum)
    CSR sections  10 level, checklist, retention (promotion)   20 study next (casebase)
                  30 next course (curriculum)   40 recent points (points)
                  50 own open proposals (review)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class HomePanel:
    name: str  # context name of its data on the home page ("committee")
    order: int
    permission: str  # shown only to an employee holding it
    template: str
    # user -> the panel's data; None for a panel without data (a link)
    read: Callable[[Any], Any] | None = None
    # (request, template) -> the panel's HTML, for a panel that keeps its own rendered copy
    # (the CSR's: accounts.dashboard_csr.csr_panel_html); the page then reads no data for it
    render: Callable[[Any, str], str] | None = None


@dataclass(frozen=True)
class CsrSection:
    name: str
    order: int
    # (user, now) -> {attribute of CsrDashboard: value}
    read: Callable[[Any, datetime], dict[str, Any]]


_panels: dict[str, HomePanel] = {}
_sections: dict[str, CsrSection] = {}


def _register(registry: dict, item) -> None:
    for other in registry.values():
        if other != item and (other.name == item.name or other.order == item.order):
            raise ValueError(f"{item.name!r} clashes with {other.name!r} (name or order taken)")
    registry[item.name] = item


def register_panel(panel: HomePanel) -> None:
    """Add a role panel (from the owning app's AppConfig.ready(); registering the same panel
    twice is harmless, another one under a taken name or order is an error)."""
    _register(_panels, panel)


def register_csr_section(section: CsrSection) -> None:
    """Add a section of the CSR's panel (same rules as register_panel)."""
    _register(_sections, section)


def panels() -> list[HomePanel]:
    return sorted(_panels.values(), key=lambda panel: panel.order)


def panel(name: str) -> HomePanel:
    """The registered panel ``name``; KeyError when no app registered it."""
    return _panels[name]


def csr_sections() -> list[CsrSection]:
    return sorted(_sections.values(), key=lambda section: section.order)


def register() -> None:
    """accounts' own panels: the CSR's (its sections come from the other apps) and the
    employee directory's link."""
    from accounts import roles
    from accounts.dashboard_csr import csr_dashboard_cached, csr_panel_html

    register_panel(
        HomePanel(
            name="csr",
            order=10,
            permission=roles.STUDY,
            template="accounts/home/_csr.html",
            read=csr_dashboard_cached,
            render=csr_panel_html,
        )
    )
    register_panel(
        HomePanel(
            name="employees",
            order=40,
            permission=roles.VIEW_EMPLOYEES,
            template="accounts/home/_employees.html",
        )
    )
