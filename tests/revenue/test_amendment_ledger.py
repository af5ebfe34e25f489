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


@pytest.mark.django_db(transaction=True)
def test_an_amendment_that_lowers_what_was_paid_refunds_the_excess_to_the_payer(
    operator_a, example
):
    from revenue.services.ledger import ledger_payment_record

    body = copy.deepcopy(example)
    body["lrn"] = "AMEND-OVERPAID"
    body["transport_document"] = {"type": "house_waybill", "number": "5590001"}
    body.pop("vendor_tax_scheme")
    body.pop("self_assessed_taxes", None)
    body["order"] = {k: v for k, v in body["order"].items() if k != "payment"}
    pk = declarations_submit(operator=operator_a.operator, bodies=[body])[0].declaration.pk
    owed, _, _ = border_balance(pk)
    ledger_payment_record(
        declaration_id=pk, amount=owed, currency=_current(pk).currency, payer="Swift Express"
    )
    amended = copy.deepcopy(body)
    amended["items"][0]["value"] = "4.00"
    status, _declaration, problems = declaration_amend(
        operator=operator_a.operator, declaration_id=pk, body=amended
    )
    assert status == 200 and not problems, problems
    now_owed, paid, refunded = border_balance(pk)
    assert now_owed < owed and paid == owed
    assert refunded == paid - now_owed  # the excess, no more
    refund = LedgerEntry.objects.get(declaration_id=pk, kind="refund")
    assert refund.payer == "Swift Express" and refund.amount == paid - now_owed
    # Assessed again (the same revision) changes nothing more.
    from revenue.services.refunds import refund_overpayment

    assert refund_overpayment(declaration_id=pk, key=f"{pk}:revision:2") == []
    assert LedgerEntry.objects.filter(declaration_id=pk, kind="refund").count() == 1
