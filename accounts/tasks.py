from celery import shared_task


@shared_task(name="accounts.celery_ping_task")
def celery_ping_task(token: str) -> str:
    """Echo ``token`` back: proves a worker consumes from the broker and results come back
    (``manage.py celery_ping`` and the real-worker test use it)."""
    return f"pong:{token}"
