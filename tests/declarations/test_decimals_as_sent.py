"""Decimals as sent: amounts, masses and quantities are echoed as the operator wrote them, and
compared in normal form for retries (19.8 and 19.80 are the same amount)."""

from __future__ import annotations

import copy
import json

import pytest

from declarations.models import Declaration
from declarations.schemas import body_fingerprint

pytestmark = pytest.mark.django_db


def test_amounts_masses_and_quantities_are_echoed_as_written(operator_a, example):
    # JSON numbers keep their digits too: the body is sent as text with 15.80 unquoted.
    text = json.dumps(example).replace('"value": "15.80"', '"value": 15.80')
    assert '"value": 15.80' in text
    response = operator_a.post("/api/v1/declarations", text)
    assert response.status_code == 201, response.content
    shown = response.json()["declaration"]
    assert shown["order"]["payment"]["amount"] == "47.80"
    assert shown["transport_cost"] == "4.00"
    assert shown["total_gross_mass_kg"] == "0.650"
    assert [item["value"] for item in shown["items"]] == ["24.00", "15.80"]
    again = operator_a.get(f"/api/v1/declarations/{response.json()['id']}").json()
    assert again["declaration"]["order"]["payment"]["amount"] == "47.80"


def test_retry_with_the_same_amounts_spelt_otherwise_replays(operator_a, example):
    first = operator_a.post("/api/v1/declarations", example)
    assert first.status_code == 201
    respelt = copy.deepcopy(example)
    respelt["order"]["payment"]["amount"] = "47.8"
    respelt["transport_cost"] = "4"
    respelt["items"][0]["value"] = "24.0"
    respelt["total_gross_mass_kg"] = "0.65"
    retry = operator_a.post("/api/v1/declarations", respelt)
    assert retry.status_code == 200, retry.content
    assert retry.json()["id"] == first.json()["id"]
    # The first spelling is kept.
    assert retry.json()["declaration"]["order"]["payment"]["amount"] == "47.80"


def test_retry_with_another_amount_is_a_conflict(operator_a, example):
    assert operator_a.post("/api/v1/declarations", example).status_code == 201
    changed = copy.deepcopy(example)
    changed["order"]["payment"]["amount"] = "47.81"
    response = operator_a.post("/api/v1/declarations", changed)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "lrn_conflict"


def test_batch_repeats_with_respelt_amounts_are_the_same_declaration(operator_a, example):
    respelt = copy.deepcopy(example)
    respelt["items"][1]["value"] = "15.8"
    response = operator_a.post("/api/v1/declarations/batch", {"declarations": [example, respelt]})
    results = response.json()["results"]
    assert [r["http_status"] for r in results] == [201, 200]
    assert Declaration.objects.count() == 1


def test_amendment_with_respelt_amounts_changes_nothing(operator_a, example):
    created = operator_a.post("/api/v1/declarations", example).json()
    respelt = copy.deepcopy(example)
    respelt["self_assessed_taxes"][0]["amount"] = "8.8"
    response = operator_a.post(f"/api/v1/declarations/{created['id']}/amendments", respelt)
    assert response.status_code == 200, response.content
    assert Declaration.objects.get(pk=created["id"]).revision == 1


def test_declarations_fingerprinted_before_normal_form_still_replay(operator_a, example):
    """A declaration stored under the earlier fingerprint (hash of the body as sent) still
    recognises its exact retry."""
    created = operator_a.post("/api/v1/declarations", example).json()
    Declaration.objects.filter(pk=created["id"]).update(fingerprint=body_fingerprint(example))
    retry = operator_a.post("/api/v1/declarations", example)
    assert retry.status_code == 200
    other = copy.deepcopy(example)
    other["items"][0]["value"] = "25.00"
    assert operator_a.post("/api/v1/declarations", other).status_code == 409


def test_a_negative_zero_json_number_is_refused(operator_a, example):
    body = json.dumps(example).replace('"value": "24.00"', '"value": -0.00', 1)
    assert '"value": -0.00' in body
    answer = operator_a.post("/api/v1/declarations", body)
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert error["pointer"] == "/items/0/value" and error["code"] == "number_too_small"


def test_counts_written_with_a_zero_fraction_are_the_integers_json_schema_says(operator_a, example):
    # JSON has one number type: 2.0 and 1e0 are the integers 2 and 1 (the OpenAPI `integer`),
    # as a manifest line's packages already read them; stored and shown as integers.
    text = json.dumps(example).replace('"packages": 1', '"packages": 2.0', 1)
    text = text.replace('"line": 1,', '"line": 1e0,', 1)
    assert '"packages": 2.0' in text and '"line": 1e0' in text
    response = operator_a.post("/api/v1/declarations", text)
    assert response.status_code == 201, response.content
    stored = operator_a.get(f"/api/v1/declarations/{response.json()['id']}").json()["declaration"]
    assert stored["packages"] == 2 and isinstance(stored["packages"], int)
    assert [item["line"] for item in stored["items"]] == [1, 2]
    assert Declaration.objects.get(pk=response.json()["id"]).payload["packages"] == 2
    # The same declaration written with plain integers is a retry of it.
    plain = copy.deepcopy(example)
    plain["packages"] = 2
    assert operator_a.post("/api/v1/declarations", plain).status_code == 200


@pytest.mark.parametrize("value", ["2.5", '"2"', "true"])
def test_a_count_that_is_not_an_integer_is_still_refused(operator_a, example, value):
    text = json.dumps(example).replace('"packages": 1', f'"packages": {value}', 1)
    answer = operator_a.post("/api/v1/declarations", text)
    assert answer.status_code == 422
    assert [(e["pointer"], e["code"]) for e in answer.json()["errors"]] == [
        ("/packages", "type_invalid")
    ]
