"""Payments and the estimator read the bare JSON integer ``-0`` as a negative amount, refused with
the same problem as ``-0.0`` (same code, same pointer), not as zero."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from revenue.models import LedgerEntry, TaxAssessment
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db


def _estimate(text: str):
    return APIClient().generic("POST", "/api/v1/estimates", text, content_type="application/json")


def _basket(**numbers: str) -> str:
    body = {
        "destination": "FR",
        "currency": "EUR",
        "origin_country": "CN",
        "shipping_cost": "__shipping_cost__",
        "items": [{"hs_code": "610910", "value": "__value__", "quantity": "__quantity__"}],
    }
    text = json.dumps(body)
    for name, default in (("shipping_cost", '"5.00"'), ("value", '"20.00"'), ("quantity", "1")):
        text = text.replace(f'"__{name}__"', numbers.get(name, default))
    return text


def test_the_basket_as_written_is_estimated():
    assert _estimate(_basket()).status_code == 200


@pytest.mark.parametrize(
    ("name", "pointer"),
    [
        ("value", "/items/0/value"),
        ("quantity", "/items/0/quantity"),
        ("shipping_cost", "/shipping_cost"),
    ],
)
def test_an_estimate_refuses_a_negative_zero_integer_as_it_refuses_negative_zero(name, pointer):
    problems = []
    for written in ("-0", "-0.0"):
        answer = _estimate(_basket(**{name: written}))
        assert answer.status_code == 422, answer.content
        problems.append([(e["pointer"], e["code"]) for e in answer.json()["errors"]])
    assert problems[0] == problems[1]
    assert problems[0][0][0] == pointer


def test_a_payment_of_negative_zero_is_refused_as_the_amount_minus_zero_point_zero_is(operator_b):
    declaration = submit(operator_b.operator, [border_body("PAY-NZ")])[0]
    assert TaxAssessment.objects.get(declaration=declaration).due_at_border > 0
    answers = []
    for written in ("-0", "-0.0"):
        text = json.dumps(
            {"declaration_id": declaration.pk, "amount": "__A__", "currency": "EUR"}
        ).replace('"__A__"', written)
        answer = operator_b.post("/api/v1/payments", text)
        assert answer.status_code == 422, answer.content
        answers.append([(e["pointer"], e["code"], e["detail"]) for e in answer.json()["errors"]])
    assert (
        answers[0] == answers[1] == [("/amount", "amount_invalid", "Input should not be negative")]
    )
    assert not LedgerEntry.objects.filter(kind="payment").exists()
