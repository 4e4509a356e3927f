from celery import shared_task


@shared_task(
    name="knowledgebase.query_test_expire_overdue_task",
    bind=True,
    max_retries=3,
    default_retry_delay=60,
)
def query_test_expire_overdue_task(self) -> dict:
    """Every 5 minutes (django-celery-beat): close the query-time tests past their deadline as
    abandoned. Idempotent: each test is re-checked under its row lock, a second run closes
    nothing."""
    from knowledgebase.services import query_test_expire_overdue

    try:
        closed = query_test_expire_overdue()
    except Exception as exc:  # a database hiccup: try again shortly
        raise self.retry(exc=exc) from exc
    return {"closed": closed}


@shared_task(
    name="knowledgebase.search_log_purge_task", bind=True, max_retries=3, default_retry_delay=300
)
def search_log_purge_task(self) -> dict:
    """Nightly (django-celery-beat): delete KB searches older than the retention setting.
    Idempotent: a second run finds nothing older to delete."""
    from knowledgebase.services import search_log_purge

    try:
        deleted = search_log_purge()
    except Exception as exc:  # a database hiccup: try again later
        raise self.retry(exc=exc) from exc
    return {"deleted": deleted}


@shared_task(
    name="knowledgebase.search_vocabulary_rebuild_task",
    bind=True,
    max_retries=3,
    default_retry_delay=300,
)
def search_vocabulary_rebuild_task(self) -> dict:
    """Nightly (django-celery-beat): rebuild the typo-correcting search vocabulary with exact
    counts, dropping tokens no entry holds any more. Idempotent: the same entries give the
    same vocabulary; two runs at once each replace it in one transaction."""
    from knowledgebase.search import vocabulary_rebuild

    try:
        tokens = vocabulary_rebuild()
    except Exception as exc:  # a database hiccup: try again later
        raise self.retry(exc=exc) from exc
    return {"tokens": tokens}
