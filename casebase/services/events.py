"""The audit trail of a case: every important change writes a CaseEvent through
case_event_record (case_events_record: many of one kind in one INSERT)."""

from typing import Any

from casebase.models import Case, CaseEvent


def case_event_record(
    *, kind: str, case: Case, actor=None, data: dict[str, Any] | None = None
) -> CaseEvent:
    return CaseEvent.objects.create(kind=kind, case=case, actor=actor, data=data or {})


def case_events_record(
    *, kind: str, events: list[tuple[int, dict[str, Any]]], actor=None
) -> list[CaseEvent]:
    """Many audit rows of one kind in one INSERT: ``events`` as (case id, data) pairs (the
    pruning job's candidates and retirements)."""
    return CaseEvent.objects.bulk_create(
        CaseEvent(kind=kind, case_id=pk, actor=actor, data=data) for pk, data in events
    )
