"""AEO benefits as the other modules read them, the moment an authorisation's status changes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import AEOAuthorisation, Operator


@dataclass(frozen=True)
class Benefits:
    """What an operator's standing gives it. Non-AEO operators get the neutral values."""

    is_aeo: bool = False
    risk_score_factor: Decimal = Decimal("1")
    random_rate_factor: Decimal = Decimal("1")
    deferred_payment: bool = False
    max_batch: int = 1000


def operator_benefits(operator: Operator) -> Benefits:
    today = timezone.localdate()
    authorised = (
        AEOAuthorisation.objects.filter(
            operator=operator, status=AEOAuthorisation.Status.AUTHORISED
        )
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .exists()
    )
    if not authorised:
        return Benefits(max_batch=settings.INTAKE_MAX_BATCH)
    return Benefits(
        is_aeo=True,
        risk_score_factor=Decimal("0.5"),
        random_rate_factor=Decimal("0.2"),
        deferred_payment=True,
        max_batch=settings.INTAKE_MAX_BATCH,
    )
