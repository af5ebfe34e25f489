"""Declarations for the revenue tests, submitted through the real intake service."""

from __future__ import annotations

import copy
from datetime import timedelta

from django.utils import timezone

from declarations.models import Declaration
from declarations.services import declarations_submit
from revenue.services.assessment import taxes_assess_batch
from tests.conftest import DATASET_EXAMPLE


def border_body(lrn: str, *, value: str = "120.00", hs_code: str = "610910") -> dict:
    """A consignment with no tax-scheme number: VAT and duty are due at the border."""
    body = copy.deepcopy(DATASET_EXAMPLE)
    body["lrn"] = lrn
    body["transport_document"] = {
        "type": "house_waybill",
        "number": f"9{abs(hash(lrn)) % 10**9:09d}",
    }
    body.pop("vendor_tax_scheme")
    body.pop("self_assessed_taxes")
    body["items"] = [dict(body["items"][0], hs_code=hs_code, value=value, quantity=1)]
    body["order"] = {k: v for k, v in body["order"].items() if k != "payment"}
    return body


def submit(operator, bodies: list[dict], *, received_days_from_today: int = 0) -> list[Declaration]:
    """Store declarations (no tasks), optionally received on another day, then assess taxes."""
    outcomes = declarations_submit(operator=operator, bodies=bodies)
    ids = []
    for outcome in outcomes:
        assert outcome.declaration is not None, outcome.errors
        ids.append(outcome.declaration.pk)
    if received_days_from_today:
        Declaration.objects.filter(pk__in=ids).update(
            received_at=timezone.now() + timedelta(days=received_days_from_today)
        )
    taxes_assess_batch(declaration_ids=ids)
    return list(Declaration.objects.filter(pk__in=ids).order_by("pk"))


def under_inspection(declaration_id: int) -> None:
    """Select the consignment for inspection through the lifecycle: values are revised after a
    control, so a revaluation test starts from one."""
    from declarations import lifecycle
    from declarations.models import Declaration
    from declarations.statuses import Status

    if Declaration.objects.get(pk=declaration_id).status == Status.ACCEPTED:
        # Taxed without a risk assessment in these tests: risk assesses it too, which completes
        # the assessment.
        from risk.services.assessment import risk_assess_batch

        risk_assess_batch(declaration_ids=[declaration_id])
    lifecycle.transition(
        declaration_id=declaration_id, to_status=Status.INSPECTION, action="inspect"
    )
