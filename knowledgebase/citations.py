"""The cases citing a KB entry, contributed by casebase.

knowledgebase sits below casebase (casebase imports it), so it never imports casebase, not
even inside a function. What the stale-knowledge queue needs to know of the cases citing an
entry (knowledgebase.models.StaleFlag points at a case or at a query-time-test task),
casebase registers from its AppConfig.ready(), in ``casebase/citations.py``:

- ``citing(entry_id)``: the ids of the active cases citing the entry, flagged when it changes
  (knowledgebase.services.stale_flags_raise);
- ``revisable(user, case_ids)``: of ``case_ids``, the cases ``user`` may answer with a case
  revision (the knowledge-work page offers it, stale_flag_resolve checks it);
- ``revision_page(user, case_id)``: the URL of the page where ``user`` writes that revision.

Without a registration no case is flagged and none is revisable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CaseCiters:
    citing: Callable[[int], set[int]]
    revisable: Callable[[Any, set[int]], set[int]]
    revision_page: Callable[[Any, int], str]


_case_citers: CaseCiters | None = None


def register_case_citers(citers: CaseCiters) -> None:
    """Register casebase's part (from its AppConfig.ready(); registering the same one twice
    is harmless, another one is an error)."""
    global _case_citers
    if _case_citers is not None and _case_citers != citers:
        raise ValueError("The cases citing KB entries are registered already.")
    _case_citers = citers


def cases_citing(entry_id: int) -> set[int]:
    """Ids of the active cases citing the KB entry ``entry_id``."""
    return _case_citers.citing(entry_id) if _case_citers else set()


def revisable_cases(user, case_ids: Iterable[int | None]) -> set[int]:
    """Of ``case_ids`` (None ignored), the cases ``user`` can answer with a revision."""
    case_ids = {pk for pk in case_ids if pk}
    if not case_ids or _case_citers is None:
        return set()
    return _case_citers.revisable(user, case_ids)


def revision_page(user, case_id: int) -> str:
    """The URL where ``user`` writes the revision of case ``case_id``."""
    if _case_citers is None:
        raise LookupError("No app registered the cases citing KB entries.")
    return _case_citers.revision_page(user, case_id)
