"""Beat task keeping the KPI aggregates fresh (Standard 15)."""

from celery import shared_task

from .kpis import aggregate_recent


@shared_task(name="customs_ecom.refresh_daily_aggregates", ignore_result=True)
def refresh_daily_aggregates() -> int:
    """Recompute today's and yesterday's aggregates; idempotent (each day is replaced whole)."""
    return aggregate_recent(days=2)
