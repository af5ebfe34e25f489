"""Reads for risk: the latest assessment of a declaration with its hits (customs only)."""

from __future__ import annotations

from .models import RiskAssessment


def latest_assessment(*, declaration_id: int) -> RiskAssessment | None:
    return (
        RiskAssessment.objects.filter(declaration_id=declaration_id)
        .select_related("ruleset")
        .prefetch_related("hits")
        .order_by("-created_at", "-id")
        .first()
    )
