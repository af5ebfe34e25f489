"""Every problem document lists its elements sorted by pointer (docs/api.md, "Errors"), list
indexes compared as numbers, not in the order a validator visited the body: the small bodies
(returns, manifests, arrivals, invalidations) as the declaration does."""

from __future__ import annotations

import pytest

from customs_ecom.platform.problems import ProblemError, sorted_by_pointer

pytestmark = pytest.mark.django_db


def _pointers(answer) -> list[str]:
    return [row["pointer"] for row in answer.json()["errors"]]


def test_a_return_lists_its_errors_by_pointer(operator_a):
    answer = operator_a.post(
        "/api/v1/returns",
        {
            "lrn": "RET-1",
            "reason": "x" * 10_000,
            "transport_document": {"type": "house_waybill", "number": "X1", "extra": 1},
        },
    )
    assert answer.status_code == 422, answer.content
    assert _pointers(answer) == ["/reason", "/transport_document/extra"]
    assert answer.json()["detail"].startswith("2 elements failed; the first, /reason:")


def test_a_manifest_lists_its_errors_by_pointer(operator_b):
    line = {
        "transport_document": "1234567891",
        "packages": 1,
        "gross_mass_kg": "0.65",
        "declared_value": "39.80",
        "currency": "EUR",
        "description": "T-shirt",
    }
    lines = [dict(line) for _ in range(11)]
    lines[10]["packages"] = True
    lines[2]["currency"] = "eur"
    lines[2]["packages"] = 0
    answer = operator_b.post("/api/v1/manifests", {"reference": "M\x00", "lines": lines})
    assert answer.status_code == 422, answer.content
    assert _pointers(answer) == [
        "/lines/2/currency",
        "/lines/2/packages",
        "/lines/10/packages",
        "/reference",
    ]


def test_rows_of_one_pointer_keep_their_order_and_indexes_compare_as_numbers():
    rows = [
        {"pointer": "/zzz", "code": "a"},
        {"pointer": "/items/10", "code": "b"},
        {"pointer": "/items/2/value", "code": "c"},
        {"pointer": "/items/2", "code": "d"},
        {"pointer": "/items/2", "code": "e"},
        {"pointer": "", "code": "f"},
    ]
    assert [r["code"] for r in sorted_by_pointer(rows)] == ["f", "d", "e", "c", "b", "a"]
    assert [r["code"] for r in ProblemError(422, "x", "X", errors=rows).body()["errors"]] == [
        "f",
        "d",
        "e",
        "c",
        "b",
        "a",
    ]
