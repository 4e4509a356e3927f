"""casebase's part of knowledgebase.citations: which active cases cite a KB entry, which of
them a user may answer with a revision and on which page (knowledgebase never imports
casebase). Registered from CasebaseConfig.ready()."""

from __future__ import annotations

from django.urls import reverse

from casebase.selectors import can_maintain, cases_citing, revisable_cases
from knowledgebase.citations import CaseCiters, register_case_citers


def revision_page(user, case_id: int) -> str:
    """A case maintainer revises on the case's edit page, anyone else proposes a revision."""
    name = "casebase:maintain_edit" if can_maintain(user) else "casebase:revise"
    return reverse(name, kwargs={"pk": case_id})


def register() -> None:
    register_case_citers(
        CaseCiters(citing=cases_citing, revisable=revisable_cases, revision_page=revision_page)
    )
