"""Moves of test cases proposed from the exam item statistics (kind "case_item_move"):
one level down or up, into the training set or to the history library."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from accounts.levels import MAX_LEVEL, MIN_CASE_LEVEL
from casebase.models import Case, CaseEvent, RetirementCandidate
from casebase.selectors import KIND_ITEM_MOVE, sees_test_content
from casebase.services.errors import CaseConflict, CaseError, CasePermissionDenied
from casebase.services.events import case_event_record
from casebase.services.proposals import case_proposals, stale_open_proposals
from config.locks import retry_on_deadlock
from review.models import Proposal
from review.registry import StaleBaseVersion
from review.services import proposal_create


class ItemMove:
    """What a review of a test case's exam statistics may decide (case_item_move_propose)."""

    LEVEL_DOWN = "level_down"
    LEVEL_UP = "level_up"
    TRAINING = "training"
    RETIRE = "retire"
    CHOICES = (LEVEL_DOWN, LEVEL_UP, TRAINING, RETIRE)


ITEM_MOVE_PERMISSIONS = (roles.MANAGE_TRAINING, roles.REVIEW)
MSG_ITEM_MOVE_FORBIDDEN = gettext_noop(
    "Only training managers and review committee members propose moves of test cases."
)
MSG_ITEM_MOVE_ACTION = gettext_noop(
    "Choose a move: one level down, one level up, to the training set or retire."
)
MSG_ITEM_MOVE_NOT_TEST = gettext_noop("Only active test cases are moved from the item statistics.")
MSG_ITEM_MOVE_EDGE = gettext_noop("A level-%(level)s case cannot move one level %(direction)s.")
MSG_ITEM_MOVE_OPEN = gettext_noop(
    "This case already has an open move proposal; vote on it instead."
)


def item_move_target(case: Case, action: str) -> tuple[int, str] | None:
    """(level, set) the case would have after ``action``; None for a retirement."""
    if action == ItemMove.LEVEL_DOWN:
        return case.level - 1, case.split
    if action == ItemMove.LEVEL_UP:
        return case.level + 1, case.split
    if action == ItemMove.TRAINING:
        return case.level, Case.Split.TRAINING
    return None


@retry_on_deadlock
@transaction.atomic
def case_item_move_propose(
    *, proposer, case_id: int, action: str, reason: str, evidence: dict[str, Any] | None = None
) -> Proposal:
    """A training manager or committee member proposes, from the exam item statistics, to
    move an active TEST case one level down or up, into the training set, or to the history
    library. The review experts of the case's category decide it (the "case_item_move"
    kind). ``evidence`` (the statistics shown when proposing) is kept in the payload.
    Raises CasePermissionDenied, Case.DoesNotExist, CaseError (action, not a test case,
    level edge, no reason), CaseConflict (an open move proposal exists)."""
    if not (
        proposer
        and proposer.is_authenticated
        and proposer.is_active
        and any(proposer.has_perm(perm) for perm in ITEM_MOVE_PERMISSIONS)
    ):
        raise CasePermissionDenied(_(MSG_ITEM_MOVE_FORBIDDEN))
    if action not in ItemMove.CHOICES:
        raise CaseError(_(MSG_ITEM_MOVE_ACTION), field="action")
    case = Case.objects.select_for_update().get(pk=case_id)
    if not sees_test_content(
        proposer, case.level
    ):  # a level they are still examined on: not theirs to see
        raise Case.DoesNotExist
    if case.status != Case.Status.ACTIVE or case.split != Case.Split.TEST:
        raise CaseError(_(MSG_ITEM_MOVE_NOT_TEST))
    target = item_move_target(case, action)
    if target is not None and not MIN_CASE_LEVEL <= target[0] <= MAX_LEVEL:
        raise CaseError(
            _(MSG_ITEM_MOVE_EDGE)
            % {"level": case.level, "direction": _("down") if target[0] < case.level else _("up")},
            field="action",
        )
    if case_proposals(case, KIND_ITEM_MOVE).filter(status=Proposal.Status.OPEN).exists():
        raise CaseConflict(_(MSG_ITEM_MOVE_OPEN), code="item_move_open")
    payload: dict[str, Any] = {
        "title": case.title,
        "category_id": case.category_id,
        "action": action,
        "from_level": case.level,
        "from_split": case.split,
        "to_level": target[0] if target else None,
        "to_split": target[1] if target else None,
        "evidence": evidence or {},
    }
    return proposal_create(
        kind=KIND_ITEM_MOVE,
        proposer=proposer,
        reason=reason,
        payload=payload,
        target=case,
        base_version=case.version,
    )


def apply_item_move(proposal: Proposal) -> int:
    """Apply an approved "case_item_move": change the case's level or set (a "regraded"
    CaseEvent; the content and its version stay) or move it to the history library (a
    "retired" CaseEvent). StaleBaseVersion when the case changed meanwhile (content, level,
    set or status). Returns the case's version."""
    data = proposal.payload
    case = Case.objects.select_for_update().get(pk=proposal.target_id)
    if (
        case.version != proposal.base_version
        or case.status != Case.Status.ACTIVE
        or case.level != data["from_level"]
        or case.split != data["from_split"]
    ):
        raise StaleBaseVersion()
    case._history_user = proposal.proposer
    case._change_reason = f"proposal #{proposal.pk}"
    if data["action"] == ItemMove.RETIRE:
        case.status, case.retired_at = Case.Status.HISTORY, timezone.now()
        case.save(update_fields=["status", "retired_at"])
        RetirementCandidate.objects.filter(
            case=case, status=RetirementCandidate.Status.PENDING
        ).update(status=RetirementCandidate.Status.CONFIRMED, decided_at=case.retired_at)
        case_event_record(
            kind=CaseEvent.Kind.RETIRED,
            case=case,
            actor=proposal.proposer,
            data={"by": "committee", "proposal": proposal.pk, "version": case.version},
        )
    else:
        case.level, case.split = data["to_level"], data["to_split"]
        case.save(update_fields=["level", "split"])
        case_event_record(
            kind=CaseEvent.Kind.REGRADED,
            case=case,
            actor=proposal.proposer,
            data={
                "proposal": proposal.pk,
                "from_level": data["from_level"],
                "to_level": case.level,
                "from_split": data["from_split"],
                "to_split": case.split,
            },
        )
    return case.version


def on_item_move_applied(proposal: Proposal, approvals) -> None:
    """A retirement applied: the case's other open proposals can no longer be applied (they
    are marked stale, as after a maintainer's retirement)."""
    if proposal.payload.get("action") == ItemMove.RETIRE:
        case = Case.objects.get(pk=proposal.target_id)
        stale_open_proposals(case, current_version=case.version)
