"""The bare JSON integer ``-0`` is an amount, mass or quantity written with a minus sign: refused
as ``number_too_small`` at its pointer, exactly as ``-0.0`` and ``"-0"`` are, on every intake
endpoint (single, batch, amendment), never stored as "0". Bodies without it are read with the
plain integers of the JSON scanner."""

from __future__ import annotations

import json
import re

import pytest

from customs_ecom.platform import bounds
from declarations.models import Declaration

pytestmark = pytest.mark.django_db


def _with(example: dict, pointer: str, written: str) -> str:
    """The example as JSON text with the element at ``pointer`` written as ``written``."""
    marker = "__NUMBER__"
    body = json.loads(json.dumps(example))
    target = body
    *path, last = [int(p) if p.isdigit() else p for p in pointer.strip("/").split("/")]
    for part in path:
        target = target[part]
    target[last] = marker
    text = json.dumps(body).replace(f'"{marker}"', written)
    assert written in text
    return text


AMOUNTS = [
    "/items/0/value",
    "/items/0/quantity",
    "/transport_cost",
    "/total_gross_mass_kg",
    "/order/payment/amount",
]


def test_plain_decimal_problem_refuses_the_negative_zero_integer_only():
    assert bounds.plain_decimal_problem(bounds.NEGATIVE_ZERO_INT, 2) == (
        "greater_than_equal",
        "Input should not be negative",
    )
    assert bounds.plain_decimal_problem(0, 2) is None
    assert bounds.plain_decimal_problem(12, 2) is None


def test_the_scanner_keeps_the_sign_of_an_integer_zero_only():
    assert bounds.MAY_HOLD_NEGATIVE_ZERO.search('{"a": -0}')
    assert bounds.MAY_HOLD_NEGATIVE_ZERO.search("[-0]")
    assert bounds.MAY_HOLD_NEGATIVE_ZERO.search("-0")
    for text in ('{"a": -0.0}', '{"a": -01}', '{"a": -0e1}', '{"d": "2026-01-05"}'):
        assert not bounds.MAY_HOLD_NEGATIVE_ZERO.search(text), text
    assert bounds.json_int("-0") is bounds.NEGATIVE_ZERO_INT
    assert type(bounds.json_int("0")) is int and type(bounds.json_int("-12")) is int


@pytest.mark.parametrize("pointer", AMOUNTS)
@pytest.mark.parametrize("written", ["-0", "-0.0", '"-0"'])
def test_a_negative_zero_amount_is_refused_as_too_small(operator_a, example, pointer, written):
    answer = operator_a.post("/api/v1/declarations", _with(example, pointer, written))
    assert answer.status_code == 422, answer.content
    errors = [(e["pointer"], e["code"]) for e in answer.json()["errors"]]
    assert errors == [(pointer, "number_too_small")]
    assert not Declaration.objects.exists()


def test_a_negative_zero_amount_with_spaces_around_it_is_refused(operator_a, example):
    text = _with(example, "/items/0/value", "-0").replace(": -0,", ":\n  -0 ,")
    assert re.search(r":\n  -0 ,", text)
    answer = operator_a.post("/api/v1/declarations", text)
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"][0]["pointer"] == "/items/0/value"


def test_a_body_with_a_negative_zero_elsewhere_still_reads_its_integers(operator_a, example):
    # A "-0" in a text makes the scanner keep signs; integers are still read as integers.
    example = json.loads(json.dumps(example))
    example["items"][0]["description"] = "Cotton T-shirt -0 defects"
    answer = operator_a.post("/api/v1/declarations", example)
    assert answer.status_code == 201, answer.content
    assert answer.json()["declaration"]["items"][0]["quantity"] == "2"


def test_the_batch_refuses_a_negative_zero_amount_with_the_same_problem(operator_a, example):
    first = _with(example, "/items/0/value", "-0")
    second = json.loads(json.dumps(example))
    second["lrn"] = example["lrn"] + "-2"
    second["transport_document"]["number"] = "999000111"
    text = '{"declarations": [' + first + ", " + json.dumps(second) + "]}"
    answer = operator_a.post("/api/v1/declarations/batch", text)
    results = answer.json()["results"]
    assert results[0]["http_status"] == 422, results[0]
    refused = [(e["pointer"], e["code"], e["detail"]) for e in results[0]["errors"]]
    assert refused == [
        ("/items/0/value", "number_too_small", "Input should not be negative, got -0")
    ]
    assert results[1]["http_status"] == 201, results[1]


def test_an_amendment_refuses_a_negative_zero_amount(operator_a, example):
    created = operator_a.post("/api/v1/declarations", example)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    answer = operator_a.post(
        f"/api/v1/declarations/{pk}/amendments", _with(example, "/transport_cost", "-0")
    )
    assert answer.status_code == 422, answer.content
    errors = [(e["pointer"], e["code"]) for e in answer.json()["errors"]]
    assert errors == [("/transport_cost", "number_too_small")]
    assert Declaration.objects.get(pk=pk).revision == 1
