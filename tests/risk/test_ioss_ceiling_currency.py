"""In a member state outside the euro area the IOSS ceiling of EUR 150 is converted at the rate of
the first working day of October (Directive 2006/112/EC art. 369zc) while the goods' value is
converted at the customs rate of the month: risk's "IOSS above its ceiling" flags exactly the
consignments the assessment keeps out of the IOSS, not those above EUR 150 at the month's rate."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from declarations.services import declarations_submit
from revenue.providers import ioss_ceiling_factor
from risk.models import RiskHit
from tests.examples import DATASET_EXAMPLE

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)


def _ioss_body(lrn: str, value: Decimal) -> dict:
    body = copy.deepcopy(DATASET_EXAMPLE)
    body["lrn"] = lrn
    body["transport_document"] = {"type": "house_waybill", "number": f"77{lrn[-6:]}"}
    body.pop("self_assessed_taxes")
    body["order"] = {k: v for k, v in body["order"].items() if k != "payment"}
    body["items"] = [dict(body["items"][0], value=str(value), quantity=1)]
    return body


def _submit(operator, body, capture) -> int:
    with capture(execute=True):
        (outcome,) = declarations_submit(operator=operator.operator, bodies=[body])
    assert outcome.declaration is not None, outcome.errors
    return outcome.declaration.pk


def _flagged_over_ceiling(pk: int) -> bool:
    return RiskHit.objects.filter(
        assessment__declaration_id=pk, rule_code="tax_scheme_misuse", data__reason="over_ceiling"
    ).exists()


def _under_the_scheme(pk: int) -> bool:
    from revenue.models import TaxAssessment

    model = TaxAssessment.objects.get(declaration_id=pk, is_current=True).collection_model
    return model in ("vendor_point_of_sale", "marketplace_deemed_supplier")


def test_the_euro_area_compares_with_eur_150(settings):
    settings.CUSTOMS_JURISDICTION = "FR"
    assert ioss_ceiling_factor(NOW) == Decimal(1)


def test_risk_flags_what_the_assessment_keeps_out_of_the_ioss_in_zloty(
    settings, operator_a, django_capture_on_commit_callbacks
):
    settings.CUSTOMS_JURISDICTION = "PL"
    with time_machine.travel(NOW, tick=False):
        factor = ioss_ceiling_factor(NOW)
        assert factor != 1  # the October rate and November's customs rate differ
        worth = Decimal(150) * factor
        # A value between EUR 150 and the ceiling's worth at the month's rate: on one side of
        # the ceiling for the law, on the other at the month's rate.
        between = ((Decimal(150) + worth) / 2).quantize(Decimal("0.01"))
        below = Decimal("100.00")
        pks = {
            value: _submit(
                operator_a,
                _ioss_body(f"PL-IOSS-{i:06d}", value),
                django_capture_on_commit_callbacks,
            )
            for i, value in enumerate((between, below))
        }
    for value, pk in pks.items():
        assert _flagged_over_ceiling(pk) == (not _under_the_scheme(pk)), value
    assert not _flagged_over_ceiling(pks[below])
    # The consignment between the two is outside the IOSS exactly when the ceiling is worth less
    # than EUR 150 at the month's rate.
    assert _flagged_over_ceiling(pks[between]) == (worth < 150)
