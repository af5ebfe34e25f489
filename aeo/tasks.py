"""Celery tasks of the AEO registry: thin, safe to run twice."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from .services import authorisations_expire
from .webhooks import webhooks_collect, webhooks_deliver


@shared_task(name="aeo.expire_authorisations")
def expire_authorisations() -> int:
    """Daily: authorisations past their validity become expired (benefits stop at once)."""
    return authorisations_expire()


@shared_task(name="aeo.webhooks_tick", acks_late=True)
def webhooks_tick(now: str | None = None) -> dict[str, int]:
    """Every few seconds: turn new status events into deliveries, then attempt the due ones.
    `now` (ISO 8601) lets a test advance the backoff clock."""
    moment = parse_datetime(now) if now else None
    created = webhooks_collect(now=moment)
    counts = webhooks_deliver(now=moment)
    return {"collected": created, **counts}
