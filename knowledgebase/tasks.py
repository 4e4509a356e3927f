from celery import shared_task


@shared_task(name="knowledgebase.query_test_expire_overdue_task", bind=True, max_retries=3, default_retry_delay=60)
def query_test_expire_overdue_task(self) -> dict:
    """Every 5 minutes (django-celery-beat): close the query-time tests past their deadline as
    abandoned. Idempotent: each test is re-checked under its row lock, a second run closes nothing."""
    from knowledgebase.services import query_test_expire_overdue

    try:
        closed = query_test_expire_overdue()
    except Exception as exc:  # a database hiccup: try again shortly
        raise self.retry(exc=exc) from exc
    return {"closed": closed}
