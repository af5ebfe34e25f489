"""Reads for revenue: the taxes an operator or an officer sees."""

from __future__ import annotations

from typing import Any

from .models import TaxAssessment


def current_tax_assessment(*, declaration_id: int) -> TaxAssessment | None:
    return (
        TaxAssessment.objects.filter(declaration_id=declaration_id, is_current=True)
        .select_related("regime")
        .prefetch_related("lines")
        .order_by("-created_at")
        .first()
    )


def taxes_for_operator(*, declaration_id: int) -> dict[str, Any] | None:
    """Assessed duties, taxes and fees with their basis, amounts due and by whom (api.md)."""
    assessment = current_tax_assessment(declaration_id=declaration_id)
    if assessment is None:
        return None
    return {
        "regime": assessment.regime.code,
        "collection_model": assessment.collection_model,
        "currency": assessment.currency,
        "exchange_rate": str(assessment.exchange_rate),
        "lines": [
            {
                "tax_type": line.tax_type,
                "item_line": line.item_line,
                "basis": str(line.basis),
                "rate": None if line.rate is None else str(line.rate.normalize()),
                "amount": str(line.amount),
                "currency": line.currency,
                "payer": line.payer,
                "collection_model": line.collection_model,
                "legal_reason": line.legal_reason,
                "collected_at_border": line.collected_at_border,
            }
            for line in assessment.lines.all()
        ],
        "totals": assessment.totals,
        "due_at_border": str(assessment.due_at_border),
        "pre_collected": str(assessment.pre_collected),
        "deferred": str(assessment.deferred),
        "assessed_at": assessment.created_at.isoformat(),
    }
