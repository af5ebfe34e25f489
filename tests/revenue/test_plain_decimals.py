"""Every decimal in an API answer is written in plain notation: a US specific duty of USD 80 per
postal item read ``"rate": "8E+1"`` (``Decimal.normalize`` writes trailing zeros of a whole
number as an exponent). Each worked example of revenue/data/examples, in every regime, is
estimated and declared, and both answers are scanned."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from revenue.regimes import load_shipped_regimes, regime_for
from tests.conftest import make_operator
from tests.revenue.test_worked_examples import EXAMPLES

pytestmark = pytest.mark.django_db

SHIPPED = load_shipped_regimes()
# A number with an exponent, as str(Decimal) writes some: "8E+1", "1E-7", "0E-15".
EXPONENT = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
# A valid tax-scheme number per scheme (declarations refuse a malformed one).
SCHEME_NUMBERS = {
    "IOSS": "IM2500000015",
    "VOEC": "VOEC2048743",
    "UK_VAT": "GB980780684",
    "AU_GST": "51824753556",
    "NZ_GST": "49091850",
}


def _exponents(value: Any, path: str = "") -> list[str]:
    """The places in a decoded JSON answer where a string or number is written with an exponent."""
    if isinstance(value, dict):
        return [hit for key, item in value.items() for hit in _exponents(item, f"{path}/{key}")]
    if isinstance(value, list):
        return [hit for n, item in enumerate(value) for hit in _exponents(item, f"{path}/{n}")]
    if isinstance(value, str) and EXPONENT.match(value.strip()):
        return [f"{path}: {value}"]
    if isinstance(value, float) and "e" in repr(value).lower():
        return [f"{path}: {value!r}"]
    return []


def test_the_scan_finds_an_exponent():
    assert _exponents({"lines": [{"rate": "8E+1", "amount": "80.00"}], "x": "0E-15"}) == [
        "/lines/0/rate: 8E+1",
        "/x: 0E-15",
    ]
    assert _exponents({"lines": [{"rate": "80", "reason": "EUR 1E+1 is text"}]}) == []


def _local_noon(example: dict) -> datetime:
    day = date.fromisoformat(example["date"])
    regime = regime_for(SHIPPED, example["request"]["destination"], day)
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(regime.timezone))


def _s10(country: str) -> str:
    """A UPU S10 item identifier with its check digit (weights 8 6 4 2 3 5 9 7, mod 11)."""
    digits = "12345678"
    total = sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    check = 0 if check == 10 else 5 if check == 11 else check
    return f"RR{digits}{check}{country}"


def _declaration(example: dict) -> tuple[dict, str]:
    """The example's basket as a declaration, and the role of the operator that lodges it."""
    request = example["request"]
    origin = request["origin_country"]
    postal = request.get("transport") == "postal"
    scheme = request.get("tax_scheme")
    address = {
        "street": "1 Main Street",
        "city": "Capital",
        "postcode": "10001",
        "country": request["destination"],
    }
    body: dict[str, Any] = {
        "lrn": example["id"][:35],
        "dataset": "upu-cn23" if postal else "wco-core",
        "category": request.get("category", "sale_of_goods"),
        "transport_document": (
            {"type": "postal_item", "number": _s10(origin)}
            if postal
            else {"type": "house_waybill", "number": "9123456780"}
        ),
        "transport_mode": "post" if postal else "air",
        "country_of_dispatch": origin,
        "order": {"number": "O-1", "date": f"{example['date']}T00:00:00Z", "platform": "X"},
        "seller": {
            "name": "Seller Ltd",
            "address": {"street": "1 Road", "city": "X", "postcode": "1", "country": origin},
        },
        "consignee": {"name": "Jane Doe", "address": address},
        "currency": request["currency"],
        "total_gross_mass_kg": "5.000",
        "packages": 1,
        "items": [
            {
                "line": n,
                "description": f"Goods of HS {item['hs_code']}",
                "hs_code": item["hs_code"],
                "quantity": item.get("quantity", 1),
                "value": item["value"],
                "origin_country": item.get("origin_country", origin),
                **({"net_mass_kg": "0.100"} if postal else {}),
            }
            for n, item in enumerate(request["items"], 1)
        ],
    }
    for cost in ("shipping_cost", "insurance_cost"):
        if request.get(cost):
            body["transport_cost" if cost == "shipping_cost" else cost] = request[cost]
    if postal:
        body["sender"] = body["seller"]
    if scheme:
        body["vendor_tax_scheme"] = {"scheme": scheme, "number": SCHEME_NUMBERS[scheme]}
    role = "postal_operator" if postal else "marketplace" if scheme else "express_carrier"
    return body, role


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_estimates_and_declarations_write_decimals_plainly(
    example, settings, django_capture_on_commit_callbacks
):
    request = example["request"]
    settings.CUSTOMS_JURISDICTION = request["destination"]
    body, role = _declaration(example)
    with time_machine.travel(_local_noon(example), tick=False):
        estimate = APIClient().generic(
            "POST", "/api/v1/estimates", json.dumps(request), content_type="application/json"
        )
        assert estimate.status_code == 200, estimate.content
        assert _exponents(estimate.json()) == []

        operator = make_operator("lodger", role=role)
        with django_capture_on_commit_callbacks(execute=True):
            response = operator.post("/api/v1/declarations", body)
        assert response.status_code == 201, response.content
        detail = operator.get(f"/api/v1/declarations/{response.json()['id']}")
    answer = detail.json()
    assert answer["taxes"] is not None, answer
    assert all(Decimal(line["rate"]) >= 0 for line in answer["taxes"]["lines"])
    assert _exponents(answer) == []


def test_a_stored_whole_rate_reads_without_exponent(operator_b, django_capture_on_commit_callbacks):
    from revenue.models import TaxLine
    from tests.revenue.helpers import border_body

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_b.post("/api/v1/declarations", border_body("PLAIN-RATE-1"))
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    # As a specific duty of USD 80 per postal item is stored: 80.000000.
    TaxLine.objects.filter(assessment__declaration_id=pk, tax_type="duty").update(
        basis=1, basis_unit="postal_item", rate=Decimal("80"), amount=Decimal("80")
    )
    answer = operator_b.get(f"/api/v1/declarations/{pk}").json()
    duty = next(line for line in answer["taxes"]["lines"] if line["tax_type"] == "duty")
    assert (duty["basis"], duty["rate"], duty["amount"]) == ("1.00", "80", "80.00")
    assert _exponents(answer) == []
