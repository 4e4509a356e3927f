"""The notices the review engine sends at its decision points, and who delivers them.

review sits below the app that keeps the in-app notifications (promotion), so it never
imports it: it hands its notices to the sender that app registers from its
AppConfig.ready() (promotion/review_hooks.py), inside the decision's transaction. Without a
registered sender nothing is delivered.

A notice's ``kind`` is one of the codes below; the notification app knows each as a kind of
its own, with its message (promotion.models.Notification.Kind), and renders ``data`` in the
reader's language (the proposal kind's label is stored as its English msgid in "what", why
points were paid in "reason").
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# To the proposer, when the committee decided their proposal…
PROPOSAL_APPLIED = "proposal_applied"
PROPOSAL_REJECTED = "proposal_rejected"
PROPOSAL_STALE = "proposal_stale"
# …or their committee application.
APPLICATION_ACCEPTED = "application_accepted"
APPLICATION_DECLINED = "application_declined"
APPLICATION_LAPSED = "application_lapsed"
# To everyone a kind's hooks paid for the decision, one per payment.
POINTS_RECEIVED = "points_received"

KINDS = (
    PROPOSAL_APPLIED,
    PROPOSAL_REJECTED,
    PROPOSAL_STALE,
    APPLICATION_ACCEPTED,
    APPLICATION_DECLINED,
    APPLICATION_LAPSED,
    POINTS_RECEIVED,
)


@dataclass(frozen=True)
class Notice:
    """One in-app notification to send: to whom, which kind (one of KINDS), its parameters
    and a key unique to what it tells (the sender never delivers a key twice)."""

    recipient_id: int
    kind: str
    data: dict[str, Any]
    key: str


_sender: list[Callable[[list[Notice]], Any]] = []


def register_sender(send: Callable[[list[Notice]], Any]) -> None:
    """Let ``send(notices)`` deliver the engine's notices (from the notification app's
    AppConfig.ready(); registering again replaces the sender)."""
    _sender[:] = [send]


def notices_send(notices: Iterable[Notice]) -> None:
    """Hand ``notices`` to the registered sender (nothing happens without one)."""
    for send in _sender:
        send(list(notices))
