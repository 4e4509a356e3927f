"""Pruning the case libraries to their caps (case_library_prune): the excess of each level +
category, in retirement_order, becomes retirement candidates (or retires at once in the
"move" mode). lock_group is the lock of one library group that every count of it takes."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import Coalesce
from django.utils import timezone

from casebase.models import Case, CaseEvent, CaseLibrarySettings, LevelCap, RetirementCandidate
from casebase.services.events import case_events_record


@dataclass
class PruneResult:
    retired: list[int] = field(default_factory=list)
    proposed: list[int] = field(default_factory=list)
    groups_over_cap: int = 0


def retirement_order(cases, config: CaseLibrarySettings | None = None):
    """Cases in the order they leave a full library: lowest classicness first, then the
    longest constant time (oldest latest change), then the oldest id."""
    return cases.with_indicators(config).order_by(
        "classicness_score", Coalesce("revised_at", "created_at").asc(), "pk"
    )


def lock_group(*, level: int, category_id: int) -> list[int]:
    """Lock the active cases of one level + category (SELECT … FOR UPDATE in pk order) and
    return their pks: a recount that stays true until the transaction ends. Everything that
    decides how many cases a library keeps takes this lock first (each pruning run per
    group, retirement_decide), so two runs, or two experts, wait for each other and the
    second one counts what the first left. Lock order: a group's case rows (by pk) before
    retirement candidates. SQLite ignores FOR UPDATE; it serialises writing transactions."""
    return list(
        Case.objects.filter(level=level, category_id=category_id, status=Case.Status.ACTIVE)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )


def case_library_prune(*, now: datetime | None = None) -> PruneResult:
    """For every level + category with more active cases than its cap, list the excess
    (retirement_order) as retirement candidates for review experts (prune mode "propose",
    the default) — or, in the explicit automatic mode "move", retire them to the history
    library at once.

    Each group is decided in its own transaction under lock_group, recounting its active
    cases and pending candidates under that lock, so overlapping runs (a second beat, a
    manual run, a redelivered message) together retire or propose exactly the excess.
    Running it twice changes nothing the second time."""
    now = now or timezone.now()
    config = CaseLibrarySettings.current()
    caps = {(c.level, c.category_id): c.cap for c in LevelCap.objects.all()}
    result = PruneResult()
    # A first look without locks, only to skip the groups within their caps.
    groups = (
        Case.objects.active()
        .values("level", "category_id")
        .order_by("level", "category_id")
        .annotate(n=Count("pk"))
    )
    for group in groups:
        cap = caps.get((group["level"], group["category_id"]), config.default_cap)
        if group["n"] > cap:
            _prune_group(
                level=group["level"],
                category_id=group["category_id"],
                cap=cap,
                config=config,
                now=now,
                result=result,
            )
    return result


@transaction.atomic
def _prune_group(
    *,
    level: int,
    category_id: int,
    cap: int,
    config: CaseLibrarySettings,
    now: datetime,
    result: PruneResult,
) -> None:
    """Decide one group over its cap in a constant number of statements, whatever its size:
    the group lock, the pending candidates, the excess in retirement order (one ranked
    SELECT), then one bulk write of the candidates or retirements and one of their events."""
    excess = len(lock_group(level=level, category_id=category_id)) - cap
    if excess <= 0:  # another run got here first
        return
    result.groups_over_cap += 1
    in_group = Case.objects.active().filter(level=level, category_id=category_id)
    fields = ("pk", "classicness_score", "revised_at", "created_at")
    if config.prune_mode == CaseLibrarySettings.PruneMode.MOVE:
        chosen = list(retirement_order(in_group, config).values_list(*fields)[:excess])
        # Every case of the group is locked and active, so the update moves exactly these.
        Case.objects.filter(pk__in=[row[0] for row in chosen]).update(
            status=Case.Status.HISTORY, retired_at=now
        )
        case_events_record(
            kind=CaseEvent.Kind.RETIRED,
            events=[
                (pk, {"by": "prune", "cap": cap, "classicness": score})
                for pk, score, _r, _c in chosen
            ],
        )
        result.retired.extend(row[0] for row in chosen)
        return
    pending = list(
        RetirementCandidate.objects.filter(
            case__in=in_group, status=RetirementCandidate.Status.PENDING
        ).values_list("case_id", flat=True)
    )
    needed = excess - len(pending)
    if needed <= 0:
        return
    chosen = retirement_order(in_group.exclude(pk__in=pending), config).values_list(*fields)[
        :needed
    ]
    # No other writer lists candidates of this group while its lock is held; the unique
    # constraint on pending candidates stays the last line of defence.
    candidates = RetirementCandidate.objects.bulk_create(
        RetirementCandidate(
            case_id=pk,
            classicness_snapshot=score,
            created_at=now,
            constant_days_snapshot=max(now - (revised_at or created_at), timedelta(0)).days,
        )
        for pk, score, revised_at, created_at in chosen
    )
    case_events_record(
        kind=CaseEvent.Kind.RETIREMENT_PROPOSED,
        events=[(c.case_id, {"candidate": c.pk}) for c in candidates],
    )
    result.proposed.extend(c.case_id for c in candidates)
