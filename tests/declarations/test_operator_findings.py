"""Operators never see risk figures: a data-quality finding that rests on customs' learned medians
says what is wrong with the data through the API, without any number of the engine; the officer's
copy keeps the figures."""

from __future__ import annotations

import copy
import re
from decimal import Decimal

import pytest

from declarations import selectors
from declarations.models import QualityFinding
from risk.models import LearnedValueMedian

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def fresh_benchmarks():
    selectors._benchmarks_cache = None
    yield
    selectors._benchmarks_cache = None


def test_value_per_kg_finding_reaches_the_operator_without_the_benchmark(operator_a, example):
    LearnedValueMedian.objects.create(prefix="610910", level="hs6", median_eur_per_kg=Decimal("123.45"),
                                      samples=87)  # fmt: skip
    body = copy.deepcopy(example)
    body["lrn"] = "CHEAP-TEE"
    del body["order"]["payment"]
    body["self_assessed_taxes"] = []
    body["items"] = [
        {"line": 1, "description": "Women's cotton T-shirt, knitted", "hs_code": "610910",
         "quantity": 1, "value": "2.00", "net_mass_kg": "0.200", "origin_country": "CN"}
    ]  # fmt: skip
    created = operator_a.post("/api/v1/declarations", body)
    assert created.status_code == 201, created.json()
    stored = QualityFinding.objects.get(
        declaration_id=created.json()["id"], code="value_per_kg_low"
    )
    assert "EUR 123/kg" in stored.detail and "87" in stored.detail  # the officer copy

    for answer in (
        created.json(),
        operator_a.get(f"/api/v1/declarations/{created.json()['id']}").json(),
    ):
        (finding,) = [
            f for f in answer["data_quality"]["findings"] if f["code"] == "value_per_kg_low"
        ]
        assert finding == {
            "dimension": "accuracy",
            "code": "value_per_kg_low",
            "pointer": "/items/0/value",
            "detail": "value per kg far below what is usual for this HS code",
        }
        assert not re.search(r"\d", finding["detail"])
        text = str(answer)
        assert "EUR 123" not in text and "median" not in text and "usual for 610910" not in text
