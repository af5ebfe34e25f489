"""Celery tasks for risk: ids in, one service call, safe to run twice."""

from celery import shared_task

from customs_ecom.platform.faults import RETRY_POLICY

from .services.assessment import risk_assess_batch, risk_reassess_batch
from .services.learning import risk_model_train
from .services.reassessment import reassess_pending_fan_out


@shared_task(
    name="risk.assess_batch",
    acks_late=True,
    **RETRY_POLICY,
)
def assess_batch(declaration_ids: list[int]) -> int:
    return risk_assess_batch(declaration_ids=declaration_ids)


@shared_task(
    name="risk.reassess_batch",
    acks_late=True,
    **RETRY_POLICY,
)
def reassess_batch(declaration_ids: list[int]) -> int:
    """Re-assess pending declarations under the active rule set (same result if run twice)."""
    return risk_reassess_batch(declaration_ids=declaration_ids)


@shared_task(name="risk.reassess_pending", acks_late=True)
def reassess_pending(reason: str = "") -> int:
    """Fan out the re-assessment of every not-yet-released declaration, in batches."""
    return reassess_pending_fan_out(reason=reason)


@shared_task(name="risk.train_model", acks_late=True)
def train_model(requested_by: int | None = None) -> int | None:
    """Retrain the learned model on outcome history (beat, and on demand from the rules page:
    ``requested_by`` is then the id of the analyst who asked, the actor of the audit entry)."""
    actor = None
    if requested_by is not None:
        from django.contrib.auth import get_user_model

        actor = get_user_model().objects.filter(pk=requested_by).first()
    model = risk_model_train(actor=actor)
    return model.version if model else None


@shared_task(name="risk.refresh_value_medians", acks_late=True)
def refresh_value_medians() -> int:
    """Learned medians of accepted history into their table, once for all processes (beat)."""
    from .valuation import learned_medians_refresh

    return learned_medians_refresh()
