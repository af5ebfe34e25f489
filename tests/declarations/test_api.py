"""The intake API end to end on the real database: 201 with taxes, tenancy, problem details, idempotency."""

import json

import pytest

from declarations.models import Declaration, RejectionCount, Status
from revenue.selectors import border_due_unpaid
from tests.examples import example_for

pytestmark = pytest.mark.django_db(transaction=False)
CONFIDENTIAL_KEYS = {
    "channel",
    "risk_score",
    "hits",
    "rule_code",
    "explanation",
    "note",
    "priority",
}


def _keys(obj):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield key
            yield from _keys(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _keys(value)


def test_dataset_example_is_accepted_assessed_and_taxed(
    operator_a, example, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_a.post("/api/v1/declarations", example)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["lrn"] == example["lrn"] and created["status"] == "accepted"
    # The 201 shows the declaration as stored: accepted, taxes not assessed yet.
    assert created["taxes"] is None
    detail = operator_a.get(f"/api/v1/declarations/{created['id']}").json()
    assert detail["status"] == "assessed"
    assert [h["status"] for h in detail["status_history"]] == ["accepted", "assessed"]
    taxes = detail["taxes"]
    # A marketplace with an IOSS number: VAT was charged at checkout, none is collected at the border.
    assert taxes["collection_model"] in {"vendor_point_of_sale", "marketplace_deemed_supplier"}
    vat = [line for line in taxes["lines"] if line["tax_type"] == "vat"]
    assert vat and not any(line["collected_at_border"] for line in vat)
    for line in taxes["lines"]:
        assert line["basis"] and line["legal_reason"] and line["payer"]
    assert CONFIDENTIAL_KEYS.isdisjoint(set(_keys(detail))), CONFIDENTIAL_KEYS & set(_keys(detail))


def test_consignee_border_model_computes_vat_and_duty_lines(
    operator_a, example, django_capture_on_commit_callbacks
):
    del example["vendor_tax_scheme"]
    del example["self_assessed_taxes"]
    del example["order"]["payment"]
    with django_capture_on_commit_callbacks(execute=True):
        created = operator_a.post("/api/v1/declarations", example).json()
    taxes = operator_a.get(f"/api/v1/declarations/{created['id']}").json()["taxes"]
    assert taxes["collection_model"] == "consignee_border"
    vat = [line for line in taxes["lines"] if line["tax_type"] == "vat"]
    assert vat and all(line["collected_at_border"] for line in vat)
    assert any(line["tax_type"] == "duty" for line in taxes["lines"])
    assert taxes["totals"]["total"] == taxes["due_at_border"]


def test_other_operators_declaration_is_404_like_a_missing_one(operator_a, operator_b, example):
    created = operator_a.post("/api/v1/declarations", example).json()
    foreign = operator_b.get(f"/api/v1/declarations/{created['id']}")
    missing = operator_b.get("/api/v1/declarations/999999")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["code"] == missing.json()["code"] == "not_found"
    assert foreign["Content-Type"] == "application/problem+json"


def test_invalid_declaration_names_elements_and_stores_nothing(operator_a, example):
    example["items"][1]["hs_code"] = "999999"
    example["consignee"]["address"]["country"] = "XX"
    response = operator_a.post("/api/v1/declarations", example)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422 and body["type"].endswith("/declaration-invalid")
    pairs = {(e["pointer"], e["code"]) for e in body["errors"]}
    assert ("/items/1/hs_code", "hs_code_unknown") in pairs
    assert ("/consignee/address/country", "country_unknown") in pairs
    assert not Declaration.objects.exists()
    assert RejectionCount.objects.get(operator=operator_a.operator).count == 1


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ('{"lrn": NaN}', 400, "malformed_json"),
        ("[1, 2]", 422, None),
        ('"just a string"', 422, None),
    ],
)
def test_broken_bodies_get_problem_details(operator_a, raw, status, code):
    response = operator_a.post("/api/v1/declarations", raw)
    assert response.status_code == status
    body = response.json()
    assert body["status"] == status
    if code:
        assert body["errors"][0]["code"] == code


def test_oversized_body_is_413(operator_a, example, settings):
    settings.INTAKE_MAX_BODY_BYTES = 2000
    example["items"][0]["description"] = "x" * 500
    example["items"] = example["items"] * 4
    response = operator_a.post("/api/v1/declarations", example)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_missing_or_revoked_key_is_401(operator_a, example):
    from rest_framework.test import APIClient

    from aeo.models import OperatorAPIKey
    from aeo.services import api_key_revoke

    anonymous = APIClient().post("/api/v1/declarations", example, format="json")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    api_key_revoke(key_obj=OperatorAPIKey.objects.get(operator=operator_a.operator))
    assert operator_a.post("/api/v1/declarations", example).status_code == 401


def test_same_lrn_same_body_replays_and_different_body_conflicts(operator_a, example):
    first = operator_a.post("/api/v1/declarations", example)
    again = operator_a.post("/api/v1/declarations", example)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    example["items"][0]["value"] = "25.00"
    conflict = operator_a.post("/api/v1/declarations", example)
    assert conflict.status_code == 409
    assert conflict.json()["errors"][0] == {
        "pointer": "/lrn",
        "code": "lrn_conflict",
        "detail": f"lrn {example['lrn']!r} was already used by this operator with a different body",
    }
    assert Declaration.objects.count() == 1


def test_same_lrn_is_independent_between_operators(operator_a, operator_b, example):
    assert operator_a.post("/api/v1/declarations", example).status_code == 201
    assert operator_b.post("/api/v1/declarations", example).status_code == 201


def test_idempotency_key_replays_first_response_and_refuses_another_body(operator_a, example):
    first = operator_a.post("/api/v1/declarations", example, HTTP_IDEMPOTENCY_KEY="k-1")
    replay = operator_a.post("/api/v1/declarations", example, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    other = dict(example, lrn="OTHER-1")
    refused = operator_a.post("/api/v1/declarations", other, HTTP_IDEMPOTENCY_KEY="k-1")
    assert refused.status_code == 422 and refused.json()["code"] == "idempotency_key_reused"


def test_decimal_amounts_are_exact_when_sent_as_numbers(operator_a, example):
    example["items"][0]["value"] = 24.1
    raw = json.dumps(example)
    response = operator_a.post("/api/v1/declarations", raw)
    assert response.status_code == 201
    item = Declaration.objects.get().items.get(line=1)
    assert str(item.value.normalize()) == "24.1"


def test_arrival_releases_green_and_leaves_red_to_officers(
    operator_a, example, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        green = operator_a.post("/api/v1/declarations", example).json()
    risky = dict(
        example, lrn="RISKY-1", transport_document={"type": "house_waybill", "number": "5550001"}
    )
    risky["items"] = [
        dict(example["items"][0], description="Pistol with ammunition", hs_code="930200")
    ]
    risky["order"] = {k: v for k, v in example["order"].items() if k != "payment"}
    with django_capture_on_commit_callbacks(execute=True):
        red = operator_a.post("/api/v1/declarations", risky)
    assert red.status_code == 201, red.content
    # The example is an IOSS parcel: the EU flat duty is not carried by the IOSS return, so the
    # declarant pays it at import before the goods can be released.
    due = border_due_unpaid(Declaration.objects.get(pk=green["id"]))
    assert due > 0
    paid = operator_a.post(
        "/api/v1/payments", {"declaration_id": green["id"], "amount": str(due), "currency": "EUR"}
    )
    assert paid.status_code == 201, paid.content
    response = operator_a.post(
        "/api/v1/arrivals", {"transport_documents": ["1234567890", "5550001", "404"]}
    )
    assert response.status_code == 200
    results = {r["transport_document"]: r for r in response.json()["arrivals"]}
    assert results["1234567890"]["declarations"][0]["status"] == Status.RELEASED
    assert results["5550001"]["declarations"][0]["status"] == Status.INSPECTION
    assert results["404"]["found"] is False
    assert Declaration.objects.get(pk=green["id"]).released_at is not None


def test_arrivals_body_is_validated(operator_a):
    response = operator_a.post("/api/v1/arrivals", {"transport_documents": [], "extra": 1})
    assert response.status_code == 422
    details = {(e["pointer"], e["code"]): e["detail"] for e in response.json()["errors"]}
    # Worded as the declaration's problems are, not in pydantic's words.
    assert details == {
        ("/extra", "unknown_element"): "'extra' is not an element of this request",
        ("/transport_documents", "list_too_short"): "The list has too few entries, got []",
    }
    response = operator_a.post("/api/v1/arrivals", {})
    assert response.json()["errors"] == [
        {
            "pointer": "/transport_documents",
            "code": "required",
            "detail": "/transport_documents is mandatory",
        }
    ]


@pytest.mark.parametrize(
    "document",
    [
        {"type": "house_waybill", "number": "1234-567 890"},
        {"type": "house_waybill", "number": "ab-12/34.5"},
    ],
)
def test_listing_shows_the_transport_document_as_the_detail_does(operator_a, example, document):
    """The element validation accepted reads back the same in the list and in the detail: an
    object with its type and its number as written, not the number alone."""
    body = dict(example_for("TD-1", example), transport_document=document)
    created = operator_a.post("/api/v1/declarations", body)
    assert created.status_code == 201, created.json()
    detail = operator_a.get(f"/api/v1/declarations/{created.json()['id']}").json()
    listed = operator_a.get("/api/v1/declarations", lrn="TD-1").json()["results"]
    assert detail["transport_document"] == document
    assert [r["transport_document"] for r in listed] == [detail["transport_document"]]


def test_listing_is_own_declarations_with_cursor(operator_a, operator_b, example):
    for n in range(5):
        operator_a.post("/api/v1/declarations", example_for(f"A-{n}", example))
    operator_b.post("/api/v1/declarations", dict(example, lrn="B-0"))
    page = operator_a.get("/api/v1/declarations", limit=3).json()
    assert len(page["results"]) == 3 and page["next_cursor"]
    rest = operator_a.get("/api/v1/declarations", limit=3, cursor=page["next_cursor"]).json()
    lrns = [r["lrn"] for r in page["results"] + rest["results"]]
    assert sorted(lrns) == [f"A-{n}" for n in range(5)] and rest["next_cursor"] is None
    bad = operator_a.get("/api/v1/declarations", cursor="garbage")
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "/cursor"
