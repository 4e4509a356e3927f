from celery import shared_task


@shared_task(name="casebase.prune_case_libraries_task", bind=True, max_retries=3, default_retry_delay=300)
def prune_case_libraries_task(self) -> dict:
    """Daily (03:00 Asia/Shanghai, django-celery-beat): retire or propose retiring the cases
    over each level + category cap. Idempotent: a second run finds every library at its cap."""
    from casebase.services import case_library_prune

    try:
        result = case_library_prune()
    except Exception as exc:  # a database hiccup: try again later
        raise self.retry(exc=exc) from exc
    return {"retired": result.retired, "proposed": result.proposed, "groups_over_cap": result.groups_over_cap}
