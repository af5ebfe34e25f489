"""An amendment before release re-assesses the declaration: the ledger owes what the current
assessment says on each collection channel, never the old and the new amounts together."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from django.db.models import Sum

from declarations.services import declaration_amend, declarations_submit
from revenue.models import LedgerEntry, TaxAssessment
from revenue.selectors import border_balance


def _owed_by_channel(declaration_id: int) -> dict[str, Decimal]:
    rows = (
        LedgerEntry.objects.filter(
            declaration_id=declaration_id, kind__in=("assessed", "adjustment")
        )
        .values("collection_model")
        .annotate(total=Sum("amount"))
    )
    return {
        r["collection_model"]: Decimal(r["total"]).quantize(Decimal("0.01"))
        for r in rows
        if r["total"]
    }


def _current(declaration_id: int) -> TaxAssessment:
    return TaxAssessment.objects.get(declaration_id=declaration_id, is_current=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", [False, True], ids=["consignee-border", "ioss"])
def test_amending_twice_leaves_the_ledger_owing_the_current_assessment(operator_a, example, scheme):
    body = copy.deepcopy(example)
    body["lrn"] = f"AMEND-{int(scheme)}"
    body["transport_document"] = {"type": "house_waybill", "number": f"55{int(scheme)}0001"}
    if not scheme:
        body.pop("vendor_tax_scheme")
        body.pop("self_assessed_taxes", None)
        body["order"] = {k: v for k, v in body["order"].items() if k != "payment"}
    pk = declarations_submit(operator=operator_a.operator, bodies=[body])[0].declaration.pk
    first = _current(pk)
    for value in ("60.00", "90.00"):
        amended = copy.deepcopy(body)
        amended["items"][0]["value"] = value
        payment = amended["order"].get("payment")
        if payment:  # the paid price follows the corrected value
            delta = Decimal(value) - Decimal(body["items"][0]["value"])
            payment["amount"] = str(Decimal(payment["amount"]) + delta)
        status, _declaration, problems = declaration_amend(
            operator=operator_a.operator, declaration_id=pk, body=amended
        )
        assert status == 200 and not problems, problems
    current = _current(pk)
    assert current.pk != first.pk and current.total != first.total
    owed, paid, refunded = border_balance(pk)
    assert owed == current.due_at_border
    channels = _owed_by_channel(pk)
    assert sum(channels.values(), Decimal(0)) == current.total
    assert TaxAssessment.objects.filter(declaration_id=pk).count() == 3
