"""A text of whitespace only says nothing: an item described by spaces alone has neither code
nor description, and a business buyer whose number is spaces alone gives no number. Both are
refused at their element, as an empty one is, instead of being estimated."""

import json

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _problems(body: dict) -> list[dict]:
    response = APIClient().generic(
        "POST", "/api/v1/estimates", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422, response.content
    return response.json()["errors"]


BASKET = {"destination": "FR", "date": "2026-11-25", "origin_country": "CN", "currency": "EUR"}


@pytest.mark.parametrize("blank", ["   ", "\u00a0\u00a0", " \u3000 "])
def test_an_item_described_by_whitespace_only_is_refused(blank):
    errors = _problems({**BASKET, "items": [{"description": blank, "value": "20.00"}]})
    assert errors == [
        {
            "pointer": "/items/0/hs_code",
            "code": "hs_code_or_description_required",
            "detail": "give an HS code or a description of the goods",
        }
    ]


def test_a_business_number_of_whitespace_only_is_refused():
    errors = _problems(
        {
            **BASKET,
            "buyer": "business",
            "buyer_number": "    ",
            "items": [{"hs_code": "610910", "value": "20.00"}],
        }
    )
    assert [(e["pointer"], e["code"]) for e in errors] == [("/buyer_number", "required")]


def test_an_item_with_a_code_may_leave_its_description_blank():
    response = APIClient().generic(
        "POST",
        "/api/v1/estimates",
        json.dumps(
            {**BASKET, "items": [{"hs_code": "610910", "description": "  ", "value": "20.00"}]}
        ),
        content_type="application/json",
    )
    assert response.status_code == 200
