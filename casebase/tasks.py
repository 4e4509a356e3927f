from celery import shared_task


@shared_task(name="casebase.prune_case_libraries_task", bind=True, max_retries=3, default_retry_delay=300)
def prune_case_libraries_task(self) -> dict:
    """Daily (03:00 Asia/Shanghai, django-celery-beat): propose retiring the cases over each
    level + category cap for review experts (or, in the explicit "move" mode, retire them).
    Safe to overlap and to run twice: each group is recounted under its lock, so a second
    beat, a manual run or a redelivered message never acts on more than the excess."""
    from casebase.services import case_library_prune

    try:
        result = case_library_prune()
    except Exception as exc:  # a database hiccup: try again later
        raise self.retry(exc=exc) from exc
    return {"retired": result.retired, "proposed": result.proposed, "groups_over_cap": result.groups_over_cap}
