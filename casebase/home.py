"""casebase's part of the home page (accounts.home): what the CSR studies next, from
casebase.selectors.study_list (training cases only); and its lines of the operations
manager's desk (points.desk). Registered from CasebaseConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.home import CsrSection, register_csr_section
from casebase import selectors as cases
from casebase.models import MAINTAIN_CASES
from casebase.selectors import next_level, study_list
from points.desk import DeskItem, DeskLine, register_line

NEXT_CASES = 5  # training cases of the next level listed as "study next"


def csr_study_section(user, now: datetime) -> dict:
    cases = list(study_list(user).filter(studied=False)[: NEXT_CASES + 1])
    return {
        "next_cases": cases[:NEXT_CASES],
        "more_cases": len(cases) > NEXT_CASES,
        "study_level": next_level(user),
    }


def desk_calls(user) -> DeskItem | None:
    if not user.has_perm(MAINTAIN_CASES):
        return None
    return DeskItem(
        "calls",
        _("Suggested calls to decide"),
        reverse("casebase:calls"),
        cases.call_suggestions(user=user).count(),
    )


def desk_reflections(user) -> DeskItem | None:
    if not cases.can_moderate_reflections(user):
        return None
    return DeskItem(
        "reflections",
        _("Case reflections to moderate"),
        reverse("casebase:reflections"),
        cases.pending_reflections(user).count(),
    )


def desk_catalogue(user) -> DeskItem | None:
    if not cases.can_browse_catalogue(user):
        return None
    return DeskItem("catalogue", _("Case catalogue"), reverse("casebase:catalogue"))


def register() -> None:
    register_csr_section(CsrSection(name="casebase", order=20, read=csr_study_section))
    register_line(DeskLine(code="calls", order=50, read=desk_calls))
    register_line(DeskLine(code="reflections", order=60, read=desk_reflections))
    register_line(DeskLine(code="catalogue", order=80, read=desk_catalogue))
