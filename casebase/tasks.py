from celery import shared_task


@shared_task(
    name="casebase.prune_case_libraries_task", bind=True, max_retries=3, default_retry_delay=300
)
def prune_case_libraries_task(self) -> dict:
    """Daily (03:00 Asia/Shanghai, django-celery-beat): propose retiring the cases over each
    level + category cap for review experts (or, in the explicit "move" mode, retire them).
    Safe to overlap and to run twice: each group is recounted under its lock, so a second
    beat, a manual run or a redelivered message never acts on more than the excess."""
    from casebase.services.pruning import case_library_prune

    try:
        result = case_library_prune()
    except Exception as exc:  # a database hiccup: try again later
        raise self.retry(exc=exc) from exc
    return {
        "retired": result.retired,
        "proposed": result.proposed,
        "groups_over_cap": result.groups_over_cap,
    }


@shared_task(
    name="casebase.recordings_orphan_sweep_task", bind=True, max_retries=3, default_retry_delay=300
)
def recordings_orphan_sweep_task(self) -> dict:
    """Daily (04:30 Asia/Shanghai, django-celery-beat): delete stored recordings that no
    case and no open case proposal refers to, older than the grace period
    (services.recordings_orphan_sweep). Safe to run twice or in overlap."""
    from casebase.services.audio import recordings_orphan_sweep

    try:
        result = recordings_orphan_sweep()
    except Exception as exc:  # storage or database hiccup: try again later
        raise self.retry(exc=exc) from exc
    return {
        "deleted": len(result.deleted),
        "kept_recent": result.kept_recent,
        "kept_in_use": result.kept_in_use,
    }
