"""What each kind of AEO authorisation gives (risk and random-selection factors, deferred payment,
batch size), changed by administrators and effective for the next assessment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customs_ecom.platform.audit import audit_record

from ..models import BenefitPolicy
from .registry import RegistryError, _snapshot

BENEFIT_FIELDS = ("risk_score_factor", "random_rate_factor", "deferred_payment", "max_batch")


@transaction.atomic
def benefit_policy_update(
    *,
    kind: str,
    risk_score_factor: Decimal,
    random_rate_factor: Decimal,
    deferred_payment: bool,
    max_batch: int,
    actor: Any,
    reason: str = "",
) -> BenefitPolicy:
    """Change what an authorisation kind gives; effective for the next assessment."""
    for name, value in (
        ("risk_score_factor", risk_score_factor),
        ("random_rate_factor", random_rate_factor),
    ):
        if not Decimal(0) <= value <= Decimal(1):
            raise RegistryError(_("A factor is between 0 and 1."), field=name)
    if max_batch < 1:
        raise RegistryError(_("At least 1."), field="max_batch")
    from ..benefits import ensure_benefit_policies

    ensure_benefit_policies()
    policy = BenefitPolicy.objects.select_for_update().get(kind=kind)
    before = _snapshot(policy, BENEFIT_FIELDS)
    policy.risk_score_factor = risk_score_factor
    policy.random_rate_factor = random_rate_factor
    policy.deferred_payment = deferred_payment
    policy.max_batch = max_batch
    policy.updated_at = timezone.now()
    policy.save()
    audit_record(
        actor=actor,
        action="aeo.benefit_policy_update",
        object_type="benefit_policy",
        object_id=kind,
        before=before,
        after=_snapshot(policy, BENEFIT_FIELDS),
        reason=reason,
    )
    return policy
