from celery import shared_task


@shared_task(
    name="promotion.retention_daily_task", bind=True, max_retries=3, default_retry_delay=300
)
def retention_daily_task(self) -> dict:
    """Daily (02:30 Asia/Shanghai, django-celery-beat): open re-test windows, remind, keep or
    demote (promotion.services.retention.retention_run_daily). Safe to run twice: each period
    is claimed with a conditional update."""
    from promotion.services.retention import retention_run_daily

    try:
        return retention_run_daily()
    except Exception as exc:  # a database hiccup: try again later
        raise self.retry(exc=exc) from exc
