"""Reads of the competency app."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, QuerySet

from accounts.models import Position
from competency.models import (
    CompetencyItem,
    CompetencyModule,
    PositionCompetency,
    QSortRound,
    QSortSubmission,
)


def item_list() -> QuerySet[CompetencyItem]:
    """Dictionary items in dictionary order (the dictionary page and API filter them through
    competency.filters.ItemFilter)."""
    return CompetencyItem.objects.select_related("module")


def module_list() -> QuerySet[CompetencyModule]:
    return CompetencyModule.objects.annotate(item_count=Count("items"))


def position_list() -> QuerySet[Position]:
    """Positions with the number of items in their competency model."""
    return (
        Position.objects.select_related("family")
        .annotate(model_size=Count("competencies"))
        .order_by("family__code", "code")
    )


def position_model(position: Position) -> QuerySet[PositionCompetency]:
    """The position's competency model, heaviest item first."""
    return (
        PositionCompetency.objects.filter(position=position)
        .select_related("item", "item__module")
        .order_by("-weight", "item__module__order", "item__order")
    )


def round_list() -> QuerySet[QSortRound]:
    return (
        QSortRound.objects.select_related("position", "created_by")
        .annotate(
            item_count=Count("items", distinct=True),
            rater_count=Count("raters", distinct=True),
            submission_count=Count("submissions", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def invitations_for(user) -> QuerySet[QSortRound]:
    """Rounds ``user`` is invited to that are open or finished (drafts stay hidden), each with
    ``submitted`` telling whether the user has a stored sort."""
    return (
        QSortRound.objects.filter(raters=user)
        .exclude(status=QSortRound.Status.DRAFT)
        .select_related("position")
        .annotate(
            submitted=Exists(QSortSubmission.objects.filter(round=OuterRef("pk"), rater=user))
        )
        .order_by("-created_at", "-id")
    )


def round_result_table(round: QSortRound) -> list[dict]:
    """The stored result rows of a closed/published round joined with their items (combined
    order); [] before the round is closed. Each row: item, mean_rank, position, score, weight
    (Decimal string), ranks."""
    rows = round.result_rows()
    items = CompetencyItem.objects.select_related("module").in_bulk([row["item"] for row in rows])
    return [{**row, "item": items.get(row["item"])} for row in rows if row["item"] in items]
