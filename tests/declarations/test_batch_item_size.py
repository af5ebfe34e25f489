"""One declaration of a batch is held to the bound of a single POST; an Accept header the API
cannot honour gets JSON, never a 406 that hides the answer."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def test_a_batch_declaration_larger_than_a_single_post_is_rejected_alone(
    operator_a, example, settings
):
    settings.INTAKE_MAX_BODY_BYTES = 4096
    big = dict(example, lrn="BIG-1")
    big["items"] = [dict(item) for item in example["items"]]
    big["items"][0]["description"] = "x" * 3000 + " T-shirt"
    big["items"][1]["description"] = "y" * 3000 + " phone case"
    small = dict(example, lrn="SMALL-1")
    answer = operator_a.post("/api/v1/declarations/batch", {"declarations": [big, small]})
    assert answer.status_code == 200, answer.content
    first, second = answer.json()["results"]
    assert first["status"] == "rejected" and first["http_status"] == 413
    assert first["errors"][0]["code"] == "body_too_large" and first["errors"][0]["pointer"] == ""
    assert second["status"] == "accepted" and second["index"] == 1


def test_an_accept_header_the_api_cannot_honour_gets_json(operator_a):
    answer = operator_a.client.get("/api/v1/declarations", HTTP_ACCEPT="application/problem+json")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/json")
    refused = operator_a.client.generic(
        "POST",
        "/api/v1/declarations",
        json.dumps({"lrn": 1}),
        content_type="application/json",
        HTTP_ACCEPT="text/html",
    )
    assert refused.status_code == 422
    assert refused["Content-Type"].startswith("application/problem+json")
