"""A payment whose ``currency`` is the empty string names no currency: 422 ``required`` at
/currency, as one without ``currency`` (it was refused as ``currency_mismatch``, as if another
currency had been named)."""

from __future__ import annotations

import pytest

from revenue.models import LedgerEntry
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def declaration(operator_b):
    return submit(operator_b.operator, [border_body("PAY-CUR")])[0]


@pytest.mark.parametrize("body", [{"currency": ""}, {}])
def test_an_empty_or_absent_currency_is_required(operator_b, declaration, body):
    answer = operator_b.post(
        "/api/v1/payments", {"declaration_id": declaration.pk, "amount": "1.00", **body}
    )
    assert answer.status_code == 422, answer.content
    assert answer.json()["type"].endswith("payment-invalid")
    errors = [(e["pointer"], e["code"]) for e in answer.json()["errors"]]
    assert errors == [("/currency", "required")]
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_another_currency_is_still_a_mismatch(operator_b, declaration):
    answer = operator_b.post(
        "/api/v1/payments", {"declaration_id": declaration.pk, "amount": "1.00", "currency": "USD"}
    )
    assert answer.status_code == 422, answer.content
    assert [e["code"] for e in answer.json()["errors"]] == ["currency_mismatch"]


@pytest.mark.parametrize("currency", ["eur", "Eur", " EUR", "EUR ", "EU", "EURO"])
def test_a_currency_is_three_capital_letters_as_published(operator_b, declaration, currency):
    # The OpenAPI document says ^[A-Z]{3}$: "eur" was read as EUR and paid, " EUR" refused as
    # another currency than the assessment's.
    answer = operator_b.post(
        "/api/v1/payments",
        {"declaration_id": declaration.pk, "amount": "1.00", "currency": currency},
    )
    assert answer.status_code == 422, answer.content
    assert answer.json()["type"].endswith("payment-invalid")
    errors = [(e["pointer"], e["code"]) for e in answer.json()["errors"]]
    assert errors in ([("/currency", "pattern_mismatch")], [("/currency", "string_too_long")])
    assert not LedgerEntry.objects.filter(kind="payment").exists()
