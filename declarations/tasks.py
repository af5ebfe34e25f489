"""Periodic housekeeping for declarations, run by Celery beat."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from customs_ecom.platform.faults import RETRY_POLICY, TRANSIENT_ERRORS
from customs_ecom.platform.models import IdempotencyRecord

from .models import ImportJob
from .services.completion import purge_spent_stamps, requeue_unassessed
from .webhooks import webhooks_collect, webhooks_deliver


@shared_task(name="declarations.requeue_unassessed")
def requeue_unassessed_task() -> int:
    """The database is the source of truth: anything still unassessed after a while is sent again,
    and declarations still waiting in the pending table get a drain signal (one that intake could
    not send while the broker was down)."""
    from .coalesce import drain_signal
    from .models import PendingAssessment

    older_than = timezone.now() - settings.ASSESSMENT_STALE_AFTER
    count = requeue_unassessed(older_than=older_than)
    if PendingAssessment.objects.exists():
        drain_signal(force=True)
    # Import jobs whose start could not be sent (broker down): running one twice is safe.
    for job_id in ImportJob.objects.filter(
        state=ImportJob.State.PENDING, created_at__lt=older_than
    ).values_list("pk", flat=True):
        try:
            import_file.apply_async(args=[job_id])
        except Exception:  # still down: next sweep
            break
    return count


@shared_task(name="declarations.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Nightly housekeeping: idempotency records past their 24 hours (kept 48), and assessment
    stamps that no completion will read."""
    cutoff = timezone.now() - timezone.timedelta(hours=48)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted + purge_spent_stamps()


@shared_task(name="declarations.import_file", bind=True, acks_late=True, **RETRY_POLICY)
def import_file(self, job_id: int) -> int:
    """Run an officer's file import; the job row carries progress and the per-row error report.
    A database or broker fault is retried with backoff (a job runs safely twice: rows already
    stored are replays); any other fault, or the last retry's, ends the job as failed with a
    message, never "running" for ever."""
    from .services.imports import import_job_failed, import_job_run

    try:
        job = import_job_run(job_id=job_id)
    except TRANSIENT_ERRORS:
        if self.request.retries >= self.max_retries:
            import_job_failed(job_id=job_id)
        raise
    except Exception:
        import_job_failed(job_id=job_id)
        raise
    return job.accepted if job else 0


# Webhooks read status events, so they live with them (the task keeps its name: routes and the
# beat schedule refer to it).
@shared_task(name="aeo.webhooks_tick", acks_late=True)
def webhooks_tick(now: str | None = None) -> dict[str, int]:
    """Every few seconds: turn new status events into deliveries, then attempt the due ones.
    `now` (ISO 8601) lets a test advance the backoff clock."""
    moment = parse_datetime(now) if now else None
    created = webhooks_collect(now=moment)
    counts = webhooks_deliver(now=moment)
    return {"collected": created, **counts}
