"""The operations manager's desk (the home panel "desk", /people/operations/ and the
operations dashboard API): what waits for an operations manager, as counts with links to the
pages that deal with it, each line shown only to a user who may open its page.

points sits below knowledgebase and casebase (they pay through points and import it), so it
never imports them: each app registers its lines from its AppConfig.ready() — points and the
review committee's lines here, casebase's in casebase/home.py, the knowledge base's in
knowledgebase/home.py. The lines are listed by ``order``, lowest first:

    10 volunteer sheets   20 rationalisation proposals   30 QC topics   (points)
    40 committee applications                                           (review)
    50 suggested calls    60 case reflections                           (casebase)
    70 reviewer insights and flags                                      (review)
    80 case catalogue                                                   (casebase)
    90 knowledge-base maintenance                                       (knowledgebase)

A line's ``read(user)`` returns its DeskItem, or None when ``user`` may not open its page;
it runs one COUNT at most, so the desk takes a constant number of queries, whatever waits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import roles
from points import roles as points_roles
from points.models import QCTopic
from points.selectors import rationalisation_pending, volunteer_sheets_pending
from review.selectors import pending_applications


@dataclass
class DeskItem:
    """One line of a manager's desk: what waits (``count``; None for a plain link) and the
    page that deals with it."""

    code: str
    label: str
    url: str
    count: int | None = None


@dataclass(frozen=True)
class DeskLine:
    code: str
    order: int
    # user -> the line's DeskItem, or None when the user may not open its page
    read: Callable[[Any], DeskItem | None]


_lines: dict[str, DeskLine] = {}


def register_line(line: DeskLine) -> None:
    """Add a line of the desk (from the owning app's AppConfig.ready(); registering the same
    line twice is harmless, another one under a taken code or order is an error)."""
    for other in _lines.values():
        if other != line and (other.code == line.code or other.order == line.order):
            raise ValueError(f"{line.code!r} clashes with {other.code!r} (code or order taken)")
    _lines[line.code] = line


def lines() -> list[DeskLine]:
    return sorted(_lines.values(), key=lambda line: line.order)


def operations_desk(user) -> list[DeskItem]:
    """What waits for an operations manager, limited to the pages ``user`` may open:
    volunteer sheets awaiting a second manager, rationalisation proposals to judge, QC
    topics, committee applications, suggested calls and case reflections to moderate, and
    the knowledge-base and case maintenance pages (every registered line, in order)."""
    return [item for line in lines() if (item := line.read(user)) is not None]


# --- the lines of points and of the review committee -------------------------------------


def _volunteer(user) -> DeskItem | None:
    if not user.has_perm(points_roles.IMPORT_VOLUNTEER_SHEETS):
        return None
    return DeskItem(
        "volunteer",
        _("Volunteer sheets awaiting confirmation"),
        reverse("points:volunteer_import"),
        volunteer_sheets_pending().count(),
    )


def _rationalisation(user) -> DeskItem | None:
    if not user.has_perm(points_roles.JUDGE_PROPOSALS):
        return None
    return DeskItem(
        "rationalisation",
        _("Rationalisation proposals to judge"),
        reverse("points:hub"),
        rationalisation_pending().count(),
    )


def _qc(user) -> DeskItem | None:
    if not user.has_perm(points_roles.MANAGE_QC_TOPICS):
        return None
    return DeskItem(
        "qc",
        _("Open QC topics"),
        reverse("points:hub"),
        QCTopic.objects.filter(status=QCTopic.Status.OPEN).count(),
    )


def _applications(user) -> DeskItem | None:
    if not (user.has_perm(roles.REVIEW) or user.has_perm(roles.MANAGE_OPERATIONS)):
        return None
    return DeskItem(
        "applications",
        _("Committee applications waiting"),
        reverse("review:committee"),
        pending_applications().count(),
    )


def _review_flags(user) -> DeskItem | None:
    if not user.has_perm(roles.MANAGE_OPERATIONS):
        return None
    # a link only: the flags take a few queries of their own
    return DeskItem("review_flags", _("Reviewer insights and flags"), reverse("review:insights"))


def register() -> None:
    for code, order, read in (
        ("volunteer", 10, _volunteer),
        ("rationalisation", 20, _rationalisation),
        ("qc", 30, _qc),
        ("applications", 40, _applications),
        ("review_flags", 70, _review_flags),
    ):
        register_line(DeskLine(code=code, order=order, read=read))
