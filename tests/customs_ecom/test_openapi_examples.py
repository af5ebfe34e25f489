"""Every operator request body has an example in the published OpenAPI document, and each example
is valid input: the contract's examples are never stale."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from customs_ecom.openapi_examples import PROBLEM_EXAMPLES, REQUEST_EXAMPLES, request_example
from declarations.api_models import ArrivalsIn, BatchIn, InvalidationIn, ManifestIn, ReturnIn
from declarations.api_webhook import WebhookIn
from declarations.schemas import DeclarationIn
from revenue.estimates import EstimateIn

MODELS = {
    "declarations_create": DeclarationIn,
    "declarations_amend": DeclarationIn,
    "declarations_batch": BatchIn,
    "declarations_invalidate": InvalidationIn,
    "arrivals_create": ArrivalsIn,
    "manifests_create": ManifestIn,
    "returns_create": ReturnIn,
    "estimates_create": EstimateIn,
    "webhook_set": WebhookIn,
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for item in schema["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                yield operation["operationId"], operation


def test_every_post_body_of_the_operator_api_has_an_example(schema):
    missing = []
    for operation_id, operation in _operations(schema):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        if not (body.get("examples") or body.get("example") or body["schema"].get("examples")):
            ref = body["schema"].get("$ref", "")
            component = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
            if not component.get("examples"):
                missing.append(operation_id)
    assert missing == []
    for operation_id in PROBLEM_EXAMPLES:
        operation = dict(_operations(schema))[operation_id]
        assert operation["responses"]["422"]["content"]["application/problem+json"]["examples"]


@pytest.mark.parametrize("operation_id", sorted(REQUEST_EXAMPLES))
def test_each_example_is_valid_input(operation_id):
    body = request_example(operation_id)
    assert body is not None
    model = MODELS[operation_id]
    model.model_validate(body)
    if operation_id == "declarations_batch":
        for entry in body["declarations"]:
            DeclarationIn.model_validate(entry)


@pytest.mark.django_db
def test_the_estimate_example_is_answered(client):
    response = client.post(
        "/api/v1/estimates", request_example("estimates_create"), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    lines = response.json()["lines"]
    assert lines and all(line["payer"] and line["collection_channel"] for line in lines)
