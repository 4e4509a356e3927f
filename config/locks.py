"""THE lock order of the project, and the retry of a transaction that still loses a race.

Two transactions that lock the same rows in opposite orders deadlock: PostgreSQL kills one
("deadlock detected", SQLSTATE 40P01) and, unhandled, its user sees a 500. Every service
therefore takes its row locks (``select_for_update``, and the implicit lock of an
``UPDATE``) in this one order, ties broken by primary key (ascending):

1. **Employee rows** (the user table), ``FOR NO KEY UPDATE`` (``select_for_update(no_key=True)``):
   promotion, demotion, exam starts, mentorship pairing (both employees, by pk), the
   retention job, query-time test starts. ``NO KEY`` because rows that merely *reference*
   an employee (points entries, notifications, votes, group memberships) take a KEY SHARE
   lock on the employee row when they are written; a ``FOR UPDATE`` would make every such
   write wait for — and possibly deadlock with — a promotion of that employee.
2. **The employee's own rows**: retention periods (the retention job and a promotion both
   take the employee first, then the periods), promotion exam attempts, mentorships,
   query-time test sessions.
3. **Review targets**: knowledge-base entries, cases (several cases: by pk, e.g. a library
   group in ``casebase.services.pruning.lock_group``; exam-use counters of drawn cases),
   committee applications. ``FOR UPDATE``.
4. **Proposals** of a target, by id (``FOR NO KEY UPDATE``): the one being decided, then its
   open siblings that an applied revision makes stale. The review engine finds a
   proposal's target WITHOUT a lock, locks the target, then the proposal
   (``review.services._lock_for_decision``); creating a proposal reads the target's version
   under the target's lock (``kb_revision_propose``, ``case_revision_propose``,
   ``quality_case_apply``, and again in ``review.services.proposal_create``), so a proposal
   is either based on the version an approval just wrote or refused as outdated — never left
   open on an old version.
5. **Rows that hang off those**: retirement candidates (after their case group), votes and
   events (inserted, unique constraints as the last line of defence).

Other locks are single-row, or a parent before its children, and meet none of the above.

Every ``select_for_update`` of the project (check a new one against this list and the order):

- accounts/user rows (1): ``promotion.services.common._locked_employee``
  (levels.employee_promote, levels.employee_demote, exams._exam_start,
  mentoring.mentorship_create — two employees by pk);
  ``accounts.services.employees_lock`` (many employees in one statement by pk), used by the
  retention job's bulk steps (``promotion.services.retention``)
  _retention_open_due/_retention_keep/_retention_fail (which demotes through
  levels._demote_locked)/_retention_remind_due (all of the step's employees, BEFORE their
  periods are locked and claimed), ``points.services.volunteer_sheet_import``
  (the importer, before anything else), ``points_correct`` (the corrector, while their
  corrections are counted) and ``reviewer_reward`` (the paid members, while the day's review
  points are counted); ``knowledgebase.services._query_test_start``.
- promotion (2), in ``promotion.services``: ``exams._exam_start`` (the employee's open
  ExamAttempt, after the employee; then the drawn cases' exam-use counters, 3);
  ``exams.exam_expire_overdue``, ``exams.exam_submit``, ``exams.exam_answers_save`` (one
  attempt, nothing after it); ``mentoring.mentorship_end`` (one mentorship). Retention periods
  are locked by the UPDATEs of ``levels._close_open_periods``, ``levels._demote_locked`` and
  the retention steps, always after the employee.
- knowledgebase: ``kb_revision_propose`` and ``apply_revision`` (the entry, 3);
  ``query_test_answer``, ``query_test_expire_overdue`` (one session, skip_locked).
- casebase: ``case_revision_propose``, ``quality_case_apply``, ``apply_revision``,
  ``apply_quality_case`` (the case, 3); ``lock_group`` (a library group's cases by pk, 3,
  then its retirement candidates, 5: ``case_library_prune``, ``retirement_decide``);
  ``case_record_exam_uses`` (the drawn cases by pk, 3).
- review: ``_lock_targets`` / ``_lock_for_decision`` (the target, 3, then the proposal, 4:
  ``proposal_vote``, ``proposal_withdraw``, ``proposal_create``); ``_apply`` (open siblings
  by id, 4); ``committee_member_appoint`` (``_lock_open_proposals``: the pending
  applications, 3, then their proposals, 4); ``committee_application_apply`` /
  ``committee_application_closed`` (the application — the target already locked);
  ``committee_member_remove`` (one membership); ``target_proposals_outdate`` (a directly
  edited entry or case, 3 — the caller may hold it already — then its open proposals by id,
  4); and the search vocabulary's nightly rebuild takes a table lock on its own table only
  (``knowledgebase.search.vocabulary_rebuild``: entries being indexed wait for its commit).
- points: ``points_reverse`` (one entry), ``rationalisation_judge`` (one proposal),
  ``qc_group_claim`` (the topic, then its new group), ``qc_group_complete`` (one group).
- curriculum: ``enrolment_complete`` (one enrolment); ``exam_attempt_submit`` (the attempt,
  then its enrolment).
- competency: ``_locked`` (a Q-sort round), ``qsort_round_publish`` (the round, then its
  position).

Where a cycle is still possible (rows the order cannot rank, serialisation failures), the
OUTERMOST transaction of the service is wrapped in ``retry_on_deadlock``: it runs again a
few times, and a race lost every time reaches the user as a ``ConflictError`` (HTTP 409,
"reload and try again"), never as a 500.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.utils.translation import gettext as _

from config.errors import MSG_CONFLICT, ConflictError

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
RETRYABLE = frozenset({DEADLOCK_DETECTED, SERIALIZATION_FAILURE})


class TransactionConflict(ConflictError):
    """A transaction lost a race with another one (deadlock or serialisation failure) on
    every attempt (HTTP 409)."""

    default_code = "transaction_conflict"


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` (a database error, or an error caused by one) is a deadlock or a
    serialisation failure: the transaction was rolled back and may simply run again."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "pgcode", None) or getattr(seen, "sqlstate", None)
        if code in RETRYABLE:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def retry_on_deadlock(
    func: F | None = None,
    *,
    attempts: int = 3,
    using: str = DEFAULT_DB_ALIAS,
    backoff: float = 0.05,
) -> Any:
    """Run the decorated function — the OUTERMOST atomic block of a service, so put this
    decorator above ``@transaction.atomic`` — again when its transaction fails with a
    deadlock or a serialisation failure, up to ``attempts`` runs in all with a short random
    pause between them; then raise TransactionConflict (HTTP 409).

    Inside a transaction that somebody else opened (``connection.in_atomic_block`` when the
    call starts) a retry is impossible — the outer transaction is already aborted — so the
    error is re-raised untouched for the outermost retry to handle."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if connections[using].in_atomic_block:
                return fn(*args, **kwargs)
            for attempt in range(1, attempts + 1):
                try:
                    return fn(*args, **kwargs)
                except OperationalError as exc:
                    if not is_retryable(exc):
                        raise
                    if attempt == attempts:
                        log.warning(
                            "%s lost a race %s times; answering 409", fn.__qualname__, attempts
                        )
                        raise TransactionConflict(_(MSG_CONFLICT)) from exc
                    log.info(
                        "%s: %s, retry %s of %s",
                        fn.__qualname__,
                        exc.__class__.__name__,
                        attempt,
                        attempts - 1,
                    )
                    time.sleep(random.uniform(0, backoff * attempt))  # noqa: S311 - jitter, not security
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate
