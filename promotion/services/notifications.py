"""In-app notifications: one (idempotent per key), many in two queries, marked read."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from promotion.models import Notification


def notification_send(
    *,
    recipient,
    kind: str,
    data: dict[str, Any] | None = None,
    key: str | None = None,
    at: datetime | None = None,
) -> Notification | None:
    """Write an in-app notification; with ``key`` a second call for the same key writes
    nothing and returns None (scheduled reminders stay idempotent)."""
    if key and Notification.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(
                recipient=recipient,
                kind=kind,
                data=data or {},
                key=key or "",
                created_at=at or timezone.now(),
            )
    except IntegrityError:
        return None


def notifications_send(notifications: Iterable[Notification]) -> list[Notification]:
    """notification_send for many unsaved notifications in two queries: those whose key was
    already used are skipped (the keyed ones stay idempotent); returns the ones sent to the
    database (the unique key drops one that a concurrent call wrote meanwhile; bulk rows carry
    no primary key)."""
    notifications = list(notifications)
    keys = [n.key for n in notifications if n.key]
    used = (
        set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
        if keys
        else set()
    )
    fresh = [n for n in notifications if not n.key or n.key not in used]
    if not fresh:
        return []
    with transaction.atomic():
        return Notification.objects.bulk_create(fresh, ignore_conflicts=True)


@transaction.atomic
def notifications_mark_read(*, employee, ids: list[int] | None = None) -> int:
    """Mark ``employee``'s notifications read (all unread ones when ``ids`` is None)."""
    unread = Notification.objects.filter(recipient=employee, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
