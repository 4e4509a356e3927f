"""promotion's hooks into the review engine: the engine's decision notices (review.notices)
are delivered as in-app notifications. Registered from PromotionConfig.ready()."""

from promotion.models import Notification
from promotion.services.notifications import notifications_send
from review.notices import Notice, register_sender


def review_notices_send(notices: list[Notice]) -> list:
    """Deliver the review engine's notices as Notifications of the same kinds (keyed: a key
    already used is skipped, promotion.services.notifications.notifications_send)."""
    return notifications_send(
        Notification(recipient_id=n.recipient_id, kind=n.kind, data=n.data, key=n.key)
        for n in notices
    )


def register() -> None:
    register_sender(review_notices_send)
