"""points' part of the home page (accounts.home): the CSR's recent points and balance, and
the operations manager's desk (its lines: points.desk). Registered from
PointsConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from accounts import roles
from accounts.home import CsrSection, HomePanel, register_csr_section, register_panel
from points.desk import operations_desk
from points.selectors import points_balance, points_history

RECENT_POINTS = 5  # latest points entries shown


def csr_points_section(user, now: datetime) -> dict:
    return {
        "points": list(points_history(user)[:RECENT_POINTS]),
        "balance": points_balance(user),
    }


def register() -> None:
    register_csr_section(CsrSection(name="points", order=40, read=csr_points_section))
    register_panel(
        HomePanel(
            name="desk",
            order=60,
            permission=roles.MANAGE_OPERATIONS,
            template="accounts/home/_operations.html",
            read=operations_desk,
        )
    )
