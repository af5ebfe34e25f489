"""Celery tasks of the AEO registry: thin, safe to run twice."""

from celery import shared_task

from .services.authorisations import authorisations_expire


@shared_task(name="aeo.expire_authorisations")
def expire_authorisations() -> int:
    """Daily: authorisations past their validity become expired (benefits stop at once)."""
    return authorisations_expire()
