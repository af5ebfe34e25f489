"""Beat task keeping the KPI aggregates fresh (Standard 15)."""

from celery import shared_task

from .kpis import aggregate_recent
from .platform.faults import RETRY_POLICY


@shared_task(name="customs_ecom.refresh_daily_aggregates", ignore_result=True)
def refresh_daily_aggregates() -> int:
    """Recompute today's and yesterday's aggregates; idempotent (each day is replaced whole)."""
    return aggregate_recent(days=2)


@shared_task(name="customs_ecom.refresh_aggregate_days", ignore_result=True, **RETRY_POLICY)
def refresh_aggregate_days(days: list[str]) -> int:
    """Recompute the aggregates of older days whose consignments changed (a re-assessment's
    channels, a late release); idempotent."""
    from datetime import date

    from .kpis import aggregate_day

    return sum(aggregate_day(date.fromisoformat(day)) for day in days)


@shared_task(name="customs_ecom.drain_assessments", acks_late=True, **RETRY_POLICY)
def drain_assessments() -> int:
    """Assess the pending single declarations in batches (customs_ecom.assessment)."""
    from .assessment import assessments_drain

    return assessments_drain()
