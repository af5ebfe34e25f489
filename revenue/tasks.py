"""Celery tasks for revenue: ids in, one service call, safe to run twice."""

from datetime import date

from celery import shared_task

from customs_ecom.platform.faults import RETRY_POLICY

from .services.assessment import taxes_assess_batch
from .services.refunds import refunds_reconcile
from .services.statements import deferred_statements_close


@shared_task(
    name="revenue.assess_batch",
    acks_late=True,
    **RETRY_POLICY,
)
def assess_batch(declaration_ids: list[int]) -> int:
    return taxes_assess_batch(declaration_ids=declaration_ids)


@shared_task(name="revenue.close_deferred_statements", acks_late=True)
def close_deferred_statements(today: str | None = None) -> int:
    """Beat, monthly: close the intermediaries' statements of the months that have ended
    (`today`, ISO date, only to replay a closing as of another day)."""
    return deferred_statements_close(today=date.fromisoformat(today) if today else None)


@shared_task(name="revenue.reconcile_refunds", acks_late=True)
def reconcile_refunds() -> int:
    """Beat, every minute: refunds and cancellations for invalidated and returned declarations."""
    return refunds_reconcile()
