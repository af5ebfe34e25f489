"""A refund (after an invalidation or a return) shows in the declaration's `taxes`, where the
operator reads what it owes and paid."""

from __future__ import annotations

import pytest

from revenue.selectors import border_balance
from revenue.services.ledger import ledger_payment_record
from revenue.tasks import reconcile_refunds
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db


def test_invalidation_refund_is_shown_in_taxes(operator_b):
    (declaration,) = submit(operator_b.operator, [border_body("REFUND-SHOWN-1")])
    owed, _, _ = border_balance(declaration.pk)
    assert owed > 0
    before = operator_b.get(f"/api/v1/declarations/{declaration.pk}").json()["taxes"]
    assert before["paid"] == "0.00" and before["refunded"] == "0.00" and before["refunds"] == []
    ledger_payment_record(
        declaration_id=declaration.pk, amount=owed, currency="EUR", reference="cash"
    )
    response = operator_b.post(
        f"/api/v1/declarations/{declaration.pk}/invalidation", {"reason": "order cancelled"}
    )
    assert response.status_code == 200, response.content
    reconcile_refunds.apply().get()
    taxes = operator_b.get(f"/api/v1/declarations/{declaration.pk}").json()["taxes"]
    assert taxes["paid"] == f"{owed:.2f}" and taxes["refunded"] == f"{owed:.2f}"
    (refund,) = taxes["refunds"]
    assert refund["amount"] == f"{owed:.2f}" and refund["currency"] == "EUR"
