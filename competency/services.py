"""State changes of the competency app: Q-sort rounds and publishing weights.

Every state change of a round locks the round row (select_for_update), re-checks its status
and writes a QSortRoundEvent, so two managers pressing "close" or "publish" at the same time
cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Position
from competency import qsort
from competency.models import (
    CompetencyItem,
    PositionCompetency,
    QSortRound,
    QSortRoundEvent,
    QSortSubmission,
)
from config.errors import ConflictError, PermissionDeniedError, ValidationFailedError


class QSortError(ValidationFailedError):
    """A domain rule refused the input (HTTP 400). ``errors`` maps a field (or "__all__") to
    messages."""

    def __init__(self, message: str | None = None, *, errors: dict[str, list[str]] | None = None):
        self.errors = errors or {"__all__": [message or ""]}
        super().__init__(
            message or "; ".join(m for ms in self.errors.values() for m in ms), fields=self.errors
        )


class QSortConflict(ConflictError):
    """The round is not in the state the action needs (HTTP 409): not a draft, not open, not
    closed, nothing submitted yet."""


class QSortNotInvited(PermissionDeniedError):
    """The user is not a rater of the round (HTTP 403)."""


def _event(
    *, round: QSortRound, action: str, actor, details: dict | None = None
) -> QSortRoundEvent:
    return QSortRoundEvent.objects.create(
        round=round, action=action, actor=actor, details=details or {}
    )


def _locked(round_id: int) -> QSortRound:
    # no_key: the lock only has to serialise status changes, not block rows referencing the round.
    return (
        QSortRound.objects.select_for_update(no_key=True)
        .select_related("position")
        .get(pk=round_id)
    )


@transaction.atomic
def qsort_round_create(
    *,
    position: Position,
    items: Iterable[CompetencyItem],
    important_count: int,
    neutral_count: int,
    unimportant_count: int,
    raters: Iterable,
    created_by,
    title: str = "",
    max_score: int = 3,
) -> QSortRound:
    """Create a draft round over the benchmark ``items`` with fixed pile sizes and invited
    raters."""
    items = list(items)
    sizes = {
        qsort.IMPORTANT: important_count,
        qsort.NEUTRAL: neutral_count,
        qsort.UNIMPORTANT: unimportant_count,
    }
    try:
        qsort.validate_pile_sizes(len(items), sizes)
    except qsort.SortInvalid as exc:
        raise QSortError(errors=exc.errors) from exc
    round = QSortRound.objects.create(
        position=position,
        title=title,
        important_count=important_count,
        neutral_count=neutral_count,
        unimportant_count=unimportant_count,
        max_score=max_score,
        created_by=created_by,
    )
    round.items.set(items)
    round.raters.set(list(raters))
    _event(
        round=round,
        action=QSortRoundEvent.Action.CREATED,
        actor=created_by,
        details={"items": len(items), "pile_sizes": sizes},
    )
    return round


@transaction.atomic
def qsort_round_open(*, round_id: int, actor) -> QSortRound:
    """Open a draft round to its raters. Needs ≥ 1 rater and pile sizes matching the items."""
    round = _locked(round_id)
    if round.status != QSortRound.Status.DRAFT:
        raise QSortConflict(
            _("Only a draft round can be opened; this one is %(status)s.")
            % {"status": round.get_status_display()}
        )
    if not round.raters.exists():
        raise QSortError(_("Invite at least one rater before opening the round."))
    try:
        qsort.validate_pile_sizes(round.items.count(), round.pile_sizes())
    except qsort.SortInvalid as exc:
        raise QSortError(errors=exc.errors) from exc
    round.status = QSortRound.Status.OPEN
    round.opened_at = timezone.now()
    round.save(update_fields=["status", "opened_at"])
    _event(round=round, action=QSortRoundEvent.Action.OPENED, actor=actor)
    return round


@transaction.atomic
def qsort_submission_save(
    *, round_id: int, rater, placements: Sequence[qsort.Placement]
) -> tuple[QSortSubmission, bool]:
    """Validate and store ``rater``'s sort; returns (submission, created).

    Raises QSortNotInvited when the rater is not invited, QSortConflict when the round is not
    open, QSortError when the sort breaks a rule (errors keyed by pile / "placements").
    """
    round = _locked(round_id)
    if not round.raters.filter(pk=rater.pk).exists():
        raise QSortNotInvited(_("You are not a rater of this Q-sort round."))
    if round.status != QSortRound.Status.OPEN:
        raise QSortConflict(_("This Q-sort round is not open for sorting."))
    items = list(round.items.all())
    try:
        ranking = qsort.validate_sort(
            items=[item.pk for item in items],
            pile_sizes=round.pile_sizes(),
            placements=placements,
            labels={item.pk: item.name for item in items},
        )
    except qsort.SortInvalid as exc:
        raise QSortError(errors=exc.errors) from exc
    data = [{"item": p.item, "pile": p.pile, "rank": p.rank} for p in placements]
    now = timezone.now()
    submission, created = QSortSubmission.objects.update_or_create(
        round=round,
        rater=rater,
        defaults={"placements": data, "ranking": ranking, "updated_at": now},
        create_defaults={
            "placements": data,
            "ranking": ranking,
            "submitted_at": now,
            "updated_at": now,
        },
    )
    return submission, created


def _aggregate(round: QSortRound) -> dict:
    items = list(round.items.order_by("module__order", "order", "code"))
    rankings = [s.ranking for s in round.submissions.all()]
    rows = qsort.aggregate_rankings(
        items=[i.pk for i in items], rankings=rankings, half_width=round.max_score
    )
    k = qsort.effective_half_width(len(items), round.max_score)
    decimals = qsort.round_weights([r.weight for r in rows])
    return {
        "raters": len(rankings),
        "half_width": k,
        "columns": qsort.forced_distribution(len(items), k),
        "rows": [
            {
                "item": r.item,
                "mean_rank": r.mean_rank,
                "position": r.position,
                "score": r.score,
                "weight": str(d),
                "ranks": r.ranks,
            }
            for r, d in zip(rows, decimals, strict=True)
        ],
    }


@transaction.atomic
def qsort_round_close(*, round_id: int, actor) -> QSortRound:
    """Close an open round and store the aggregated result. Needs at least one submission."""
    round = _locked(round_id)
    if round.status != QSortRound.Status.OPEN:
        raise QSortConflict(
            _("Only an open round can be closed; this one is %(status)s.")
            % {"status": round.get_status_display()}
        )
    if not round.submissions.exists():
        raise QSortConflict(_("No rater has submitted a sort yet; the round cannot be closed."))
    round.result = _aggregate(round)
    round.status = QSortRound.Status.CLOSED
    round.closed_at = timezone.now()
    round.save(update_fields=["result", "status", "closed_at"])
    _event(
        round=round,
        action=QSortRoundEvent.Action.CLOSED,
        actor=actor,
        details={"raters": round.result["raters"]},
    )
    return round


@transaction.atomic
def qsort_round_publish(*, round_id: int, actor) -> QSortRound:
    """Write a closed round's weights into the position competency model.

    Items of the round get their weight (rows are created when missing, keeping existing
    behavioural indicators and target scores); items of the model outside the round get
    weight 0, so the position's weights sum to 1. Writes a "published" audit event.
    """
    round = _locked(round_id)
    if round.status != QSortRound.Status.CLOSED:
        raise QSortConflict(
            _("Only a closed round can be published; this one is %(status)s.")
            % {"status": round.get_status_display()}
        )
    # Two rounds of the same position published at once must not interleave their writes.
    Position.objects.select_for_update().get(pk=round.position_id)
    weights = {row["item"]: Decimal(row["weight"]) for row in round.result_rows()}
    existing = {
        pc.item_id: pc for pc in PositionCompetency.objects.filter(position_id=round.position_id)
    }
    for item_id, weight in weights.items():
        pc = existing.get(item_id)
        if pc is None:
            PositionCompetency.objects.create(
                position_id=round.position_id, item_id=item_id, weight=weight, source_round=round
            )
        else:
            pc.weight = weight
            pc.source_round = round
            pc.save(update_fields=["weight", "source_round"])
    PositionCompetency.objects.filter(position_id=round.position_id).exclude(
        item_id__in=weights
    ).update(weight=0, source_round=round)
    round.status = QSortRound.Status.PUBLISHED
    round.published_at = timezone.now()
    round.save(update_fields=["status", "published_at"])
    _event(
        round=round,
        action=QSortRoundEvent.Action.PUBLISHED,
        actor=actor,
        details={
            "position": round.position.code,
            "weights": {str(k): str(v) for k, v in weights.items()},
        },
    )
    return round


@transaction.atomic
def position_competency_set_indicators(
    *, position: Position, item: CompetencyItem, indicators: str
) -> PositionCompetency:
    """Set the behavioural indicators of ``item`` in ``position``'s model (row created with weight
    0)."""
    pc, _created = PositionCompetency.objects.get_or_create(position=position, item=item)
    pc.behavioural_indicators = indicators
    pc.save(update_fields=["behavioural_indicators"])
    return pc
