"""What the exam draw must know about a case: its exam uses (balance, classicness) and who
was shown it in full (case_exposure_record: an exam never draws it for them)."""

from django.db import IntegrityError, transaction
from django.db.models import F

from casebase.models import Case, CaseEvent, CaseExposure
from review.models import Proposal


@transaction.atomic
def case_record_exam_use(*, case_id: int, exam_ref: str = "") -> None:
    """The promotion engine drew the case into an exam: +1 exam use (feeds classicness)."""
    case_record_exam_uses(case_ids=[case_id], exam_ref=exam_ref)


@transaction.atomic
def case_record_exam_uses(*, case_ids: list[int], exam_ref: str = "") -> int:
    """The promotion engine drew these cases into one exam (counted when the exam starts, so
    an abandoned or expired attempt counts too): +1 exam use each — the exposure that the
    draw balances (least exposed first) and that feeds classicness — and one "exam_use"
    CaseEvent per case. Three queries whatever the number of cases (lock in pk order, update,
    insert); returns the cases counted."""
    ids = sorted(set(case_ids))
    # Lock the rows in pk order first (config/locks.py): an UPDATE … WHERE pk IN (…) locks them
    # in whatever order the plan reads them, which can cross a library group's lock.
    existing = list(
        Case.objects.filter(pk__in=ids)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )
    updated = Case.objects.filter(pk__in=existing).update(exam_uses=F("exam_uses") + 1)
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(kind=CaseEvent.Kind.EXAM_USE, case_id=pk, data={"exam": exam_ref})
            for pk in existing
        ]
    )
    return updated


def case_exposure_record(
    *, employee, case: Case | None = None, proposal: Proposal | None = None
) -> bool:
    """Record that ``employee`` was shown ``case`` (a test case: history page, recording)
    or ``proposal`` (a case proposal's content: proposal pages, its recording) in full, so
    an exam never draws it for them (casebase.selectors.cases_known_to). Only the first
    showing is kept (unique per employee and case / proposal; a concurrent duplicate is
    ignored). Returns True when this call wrote the row."""
    if employee is None or not employee.is_authenticated or (case is None and proposal is None):
        return False
    lookup = {"case": case} if case is not None else {"proposal": proposal}
    if CaseExposure.objects.filter(employee=employee, **lookup).exists():
        return False
    try:
        with transaction.atomic():
            CaseExposure.objects.create(employee=employee, **lookup)
    except IntegrityError:  # the same page opened twice at once
        return False
    return True
