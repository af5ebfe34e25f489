"""Celery tasks for risk: ids in, one service call, safe to run twice."""

from celery import shared_task

from .services import risk_assess_batch


@shared_task(
    name="risk.assess_batch",
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=8,
)
def assess_batch(declaration_ids: list[int]) -> int:
    return risk_assess_batch(declaration_ids=declaration_ids)
