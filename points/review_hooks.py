"""points' hooks into the review app: the ledger the reviewer insights read and reverse
(review.ledger). Registered from PointsConfig.ready().

The rewards themselves are paid by the kinds' own hooks (on_applied, on_decided: the owning
apps' review_kinds.py, through points.services)."""

from django.db.models import Exists, OuterRef

from points.models import PointsEntry
from points.serializers import PointsEntrySerializer
from points.services import points_reverse, review_source
from review import ledger


def review_vote_sources(votes) -> list[str]:
    """The ledger sources the review kinds pay for these votes: the voter's review points
    (review_source) and the proposer's reward ("proposal:<pk>:proposer")."""
    sources = []
    for vote in votes:
        sources.append(review_source(proposal_id=vote.proposal_id, reviewer_id=vote.reviewer_id))
        sources.append(f"proposal:{vote.proposal_id}:proposer")
    return sources


def review_vote_entries(votes):
    """The entries paid for ``votes`` (review points and proposer rewards), each annotated
    ``reversed`` (a reversal row exists). One query."""
    return (
        PointsEntry.objects.filter(source__in=review_vote_sources(votes))
        .select_related("employee", "rule")
        .annotate(reversed=Exists(PointsEntry.objects.filter(reverses=OuterRef("pk"))))
        .order_by("created_at", "pk")
    )


def paid_for_review(entry: PointsEntry) -> bool:
    """Whether ``entry`` was paid for a review decision: a member's review points
    ("review:…") or a proposer's reward ("proposal:…:proposer")."""
    source = entry.source
    return source.startswith("review:") or (
        source.startswith("proposal:") and source.endswith(":proposer")
    )


def register() -> None:
    ledger.register(
        ledger.Ledger(
            vote_entries=review_vote_entries,
            entry=lambda entry_id: PointsEntry.objects.get(pk=entry_id),
            paid_for_review=paid_for_review,
            reverse=points_reverse,
            entry_serializer=PointsEntrySerializer,
        )
    )
