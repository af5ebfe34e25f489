"""Reading a JSON body the one way every reader would: an object naming a member twice is refused
(400 ``duplicate_member`` at the member's pointer) on every JSON endpoint and at every depth,
instead of the last value silently winning; in a batch, that and a lone surrogate are the result
of the one declaration they are in, the others answered as usual (docs/api.md, docs/dataset.md)."""

from __future__ import annotations

import json
import re

import pytest
from rest_framework.test import APIClient

from declarations.models import Declaration
from tests.declarations.corpus import valid_declaration

pytestmark = pytest.mark.django_db(transaction=False)

DUPLICATE_DETAIL_START = "the member 'value' appears more than once"


def _declaration(lrn: str, number: str) -> dict:
    body = valid_declaration("eu-h7")
    body["lrn"] = lrn
    body["transport_document"]["number"] = number
    return body


def _with_duplicate_value(raw: str) -> str:
    """The first item's value written twice: 10.00 first, 999.00 last."""
    written, count = re.subn(r'"value": "[0-9.]+"', '"value": "10.00", "value": "999.00"', raw, 1)
    assert count == 1
    return written


def _rows(response) -> list[tuple[str, str]]:
    return [(e["pointer"], e["code"]) for e in response.json()["errors"]]


def test_a_declaration_naming_a_member_twice_is_400_at_that_member_and_nothing_is_stored(
    operator_a,
):
    raw = _with_duplicate_value(json.dumps(_declaration("DUP-1", "HWB0000001")))
    response = operator_a.post("/api/v1/declarations", raw)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "malformed_json"
    assert _rows(response) == [("/items/0/value", "duplicate_member")]
    assert problem["errors"][0]["detail"].startswith(DUPLICATE_DETAIL_START)
    assert problem["detail"].startswith("/items/0/value: ")
    assert not Declaration.objects.exists()


def test_duplicates_are_named_at_every_depth_root_included_each_once(operator_a):
    body = _declaration("DUP-2", "HWB0000002")
    raw = json.dumps(body)
    raw = raw.replace('"lrn": "DUP-2"', '"lrn": "DUP-2", "lrn": "DUP-2"', 1)
    raw = raw.replace('"country": "FR"', '"country": "FR", "country": "DE", "country": "FR"', 1)
    response = operator_a.post("/api/v1/declarations", raw)
    assert response.status_code == 400
    rows = _rows(response)
    assert ("/lrn", "duplicate_member") in rows
    assert sum(code == "duplicate_member" and "/country" in p for p, code in rows) == 1
    assert all(code == "duplicate_member" for _p, code in rows)
    assert not Declaration.objects.exists()


def test_a_name_that_needs_escaping_is_named_by_its_escaped_pointer(operator_a):
    raw = json.dumps(_declaration("DUP-3", "HWB0000003"))
    raw = raw[:-1] + ', "a/b~c": 1, "a/b~c": 2}'
    response = operator_a.post("/api/v1/declarations", raw)
    assert response.status_code == 400
    assert _rows(response) == [("/a~1b~0c", "duplicate_member")]


def test_the_same_member_in_two_objects_is_no_duplicate(operator_a):
    # Two items each with their own "value": nothing repeated within one object.
    body = _declaration("DUP-4", "HWB0000004")
    assert len(body["items"]) > 1
    assert operator_a.post("/api/v1/declarations", body).status_code == 201


def test_every_json_endpoint_refuses_a_member_named_twice(operator_a, operator_b):
    created = operator_a.post("/api/v1/declarations", _declaration("DUP-5", "HWB0000005")).json()
    declaration_id = created["id"]
    cases = [
        (
            operator_a,
            f"/api/v1/declarations/{declaration_id}/amendments",
            "/lrn",
            '{"lrn": "DUP-5", "lrn": "DUP-5"}',
        ),
        (
            operator_a,
            f"/api/v1/declarations/{declaration_id}/invalidation",
            "/reason",
            '{"reason": "a", "reason": "b"}',
        ),
        (
            operator_a,
            "/api/v1/returns",
            "/transport_document/number",
            '{"lrn": "DUP-5", "transport_document": {"type": "house_waybill", '
            '"number": "X1", "number": "X2"}}',
        ),
        (
            operator_a,
            "/api/v1/arrivals",
            "/arrived_at",
            '{"transport_documents": ["HWB0000005"], "arrived_at": "2026-11-25T08:00:00Z", '
            '"arrived_at": "2026-11-20T08:00:00Z"}',
        ),
        (
            operator_a,
            "/api/v1/payments",
            "/amount",
            f'{{"declaration_id": {declaration_id}, "amount": "1.00", "amount": "2.00", '
            '"currency": "EUR"}',
        ),
        (
            operator_a,
            "/api/v1/webhook",
            "/url",
            '{"url": "https://a.example/h", "url": "https://b.example/h"}',
        ),
        (
            operator_b,
            "/api/v1/manifests",
            "/lines/0/packages",
            '{"lines": [{"transport_document": "HWB0000005", "packages": 1, "packages": 2}]}',
        ),
        (
            operator_a,
            "/api/v1/declarations/batch",
            "/declarations",
            '{"declarations": [], "declarations": []}',
        ),
    ]
    for client, path, pointer, raw in cases:
        response = client.post(path, raw)
        assert response.status_code == 400, (path, response.content)
        assert _rows(response) == [(pointer, "duplicate_member")], path
    estimate = APIClient().generic(
        "POST",
        "/api/v1/estimates",
        '{"origin_country": "CN", "currency": "EUR", "currency": "USD", '
        '"items": [{"hs_code": "610910", "value": "20.00"}]}',
        content_type="application/json",
    )
    assert estimate.status_code == 400
    assert _rows(estimate) == [("/currency", "duplicate_member")]
    # Nothing of any of them happened: the declaration is as it was, not invalidated.
    assert Declaration.objects.get(pk=declaration_id).status == created["status"]


def test_the_detail_reads_in_french_with_accept_language(operator_a):
    raw = _with_duplicate_value(json.dumps(_declaration("DUP-6", "HWB0000006")))
    response = operator_a.post("/api/v1/declarations", raw, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "duplicate_member"
    assert "plus d’une fois" in error["detail"], error


def test_the_problem_type_page_lists_the_codes_of_reading_a_body(client):
    page = client.get("/problems/malformed-json").content.decode()
    assert "duplicate_member" in page


# --- one declaration of a batch ----------------------------------------------------------------


def _batch_raw(*bodies: dict) -> str:
    return json.dumps({"declarations": list(bodies)})


def test_a_lone_surrogate_in_one_declaration_of_a_batch_is_that_declarations_result(operator_a):
    first = _declaration("SUR-0", "HWB1000000")
    second = _declaration("SUR-1", "HWB1000001")
    second["consignee"]["name"] = "Zoe Martin"
    third = _declaration("SUR-2", "HWB1000002")
    raw = _batch_raw(first, second, third).replace('"Zoe Martin"', '"Zoe \\ud800Martin"')
    response = operator_a.post("/api/v1/declarations/batch", raw)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["accepted"], data["rejected"]) == (2, 1)
    assert [r["status"] for r in data["results"]] == ["accepted", "rejected", "accepted"]
    rejected = data["results"][1]
    assert rejected["http_status"] == 400
    assert rejected["errors"] == [
        {
            "pointer": "/consignee/name",
            "code": "malformed_json",
            "detail": "a \\u escape encodes half of a UTF-16 surrogate pair, not a character",
        }
    ]
    assert sorted(Declaration.objects.values_list("lrn", flat=True)) == ["SUR-0", "SUR-2"]
    # What was accepted reads back.
    for result in (data["results"][0], data["results"][2]):
        got = operator_a.get(f"/api/v1/declarations/{result['id']}")
        assert got.status_code == 200


def test_a_member_named_twice_in_one_declaration_of_a_batch_is_that_declarations_result(
    operator_a,
):
    bodies = [_declaration(f"DB-{n}", f"HWB200000{n}") for n in range(3)]
    second = _with_duplicate_value(json.dumps(bodies[1])).replace(
        '"lrn": "DB-1"', '"lrn": "DB-1", "lrn": "DB-1"'
    )
    raw = json.dumps(bodies[0]) + "," + second
    raw = '{"declarations": [' + raw + "," + json.dumps(bodies[2]) + "]}"
    response = operator_a.post("/api/v1/declarations/batch", raw)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["status"], r["http_status"]) for r in results] == [
        ("accepted", 201),
        ("rejected", 400),
        ("accepted", 201),
    ]
    # Every defect of that declaration, in pointer order as any problem's errors.
    assert [(e["pointer"], e["code"]) for e in results[1]["errors"]] == [
        ("/items/0/value", "duplicate_member"),
        ("/lrn", "duplicate_member"),
    ]
    assert not Declaration.objects.filter(lrn="DB-1").exists()


def test_a_whole_declaration_that_is_a_lone_surrogate_is_named_at_its_root(operator_a):
    raw = '{"declarations": [' + json.dumps(_declaration("W-0", "HWB3000000")) + ', "\\udfff"]}'
    response = operator_a.post("/api/v1/declarations/batch", raw)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert results[1]["http_status"] == 400
    assert [(e["pointer"], e["code"]) for e in results[1]["errors"]] == [("", "malformed_json")]
    assert results[0]["status"] == "accepted"


def test_a_defect_outside_the_declarations_list_refuses_the_whole_batch(operator_a):
    raw = '{"declarations": [' + json.dumps(_declaration("X-0", "HWB4000000")) + '], "\\ud800": 1}'
    response = operator_a.post("/api/v1/declarations/batch", raw)
    assert response.status_code == 400
    assert [code for _p, code in _rows(response)] == ["malformed_json"]
    # Declarations under an object, not a list: refused whole, even with an item-like pointer.
    raw = '{"declarations": {"0": {"lrn": "a", "lrn": "b"}}}'
    response = operator_a.post("/api/v1/declarations/batch", raw)
    assert response.status_code == 400
    assert _rows(response) == [("/declarations/0/lrn", "duplicate_member")]
    assert not Declaration.objects.exists()


def test_a_batch_with_an_item_defect_replays_under_its_idempotency_key(operator_a):
    bodies = [_declaration(f"IK-{n}", f"HWB500000{n}") for n in range(2)]
    raw = _batch_raw(*bodies).replace('"lrn": "IK-1"', '"lrn": "IK-1", "lrn": "IK-1"')
    first = operator_a.post("/api/v1/declarations/batch", raw, HTTP_IDEMPOTENCY_KEY="k-dup")
    again = operator_a.post("/api/v1/declarations/batch", raw, HTTP_IDEMPOTENCY_KEY="k-dup")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert [r["http_status"] for r in first.json()["results"]] == [201, 400]
