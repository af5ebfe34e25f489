"""The published OpenAPI document is exact at its edges: every operation documents its error
statuses as problem+json with a real schema and its headers; problem types resolve to pages;
unmatched API paths answer problem+json."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from customs_ecom.platform.problem_types import PROBLEM_TYPES

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_every_operation_documents_its_error_statuses_as_problems(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code"} <= set(problem["required"])
    for path, method, operation in _operations(schema):
        statuses = set(operation["responses"])
        expected = {"400", "405", "406", "429", "503"}
        if operation.get("security") not in ([], [{}]):
            expected |= {"401", "403", "404"}
        if method == "post":
            expected |= {"413", "415", "422"}
        assert expected <= statuses, (path, method, expected - statuses)
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                content = response["content"]
                assert list(content) == ["application/problem+json"], (path, status)
                assert content["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }


def test_every_answer_documents_request_id_and_rate_limit_headers(schema):
    for path, method, operation in _operations(schema):
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "X-Request-ID" in names, (path, method)
        if method == "post":
            assert "Idempotency-Key" in names, (path, method)
        for status, response in operation["responses"].items():
            headers = set(response.get("headers", {}))
            assert "X-Request-ID" in headers, (path, method, status)
            if status == "201":
                assert "Location" in headers, (path, method)
            if status in ("429", "503"):
                assert "Retry-After" in headers, (path, method)


def test_every_problem_type_the_code_answers_has_a_page():
    """Each slug given to ProblemError in the code is in the catalogue of problem types."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    used = set()
    for folder in ("aeo", "customs_ecom", "declarations", "revenue", "risk"):
        for source in (root / folder).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            used |= set(re.findall(r"ProblemError\(\s*\d{3},\s*\"([a-z-]+)\"", text))
    assert used, "the scan found no problem types"
    assert used <= set(PROBLEM_TYPES), used - set(PROBLEM_TYPES)


@pytest.mark.parametrize("slug", sorted(PROBLEM_TYPES))
def test_problem_type_pages_resolve(slug):
    response = Client().get(f"/problems/{slug}")
    assert response.status_code == 200
    assert slug.replace("-", "_") in response.content.decode()


def test_problem_documents_link_to_their_page(operator_a):
    response = operator_a.post("/api/v1/declarations", "{")
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "/problems/malformed-json"
    assert Client().get(problem["type"]).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing", "/api/v1/declarations/abc", "/api/v2/declarations", "/api/"]
)
def test_unmatched_api_paths_answer_problem_404(path):
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found" and body["status"] == 404
    assert "urlpatterns" not in response.content.decode()


@pytest.mark.parametrize("value", ["xml", "yaml", "openapi", "api"])
def test_a_format_query_parameter_is_ignored_like_any_other(operator_a, value):
    # Not a 404 not_found for a path that exists, nor an answer in another format.
    response = operator_a.client.get(f"/api/v1/declarations?format={value}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert "results" in response.json()


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_schema_answers_its_problems_as_json(method):
    response = getattr(Client(), method)("/api/schema/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"]) == (405, "method_not_allowed")


def test_the_interactive_documentation_opens_with_an_operator_key(operator_a):
    """An operator's tool that sends its key on every request opens /api/docs/ like anyone (it
    answered 500: the page's navigation took the operator for a customs user)."""
    answer = operator_a.client.get("/api/docs/")
    assert answer.status_code == 200, answer.content[:300]
    assert b"swagger" in answer.content.lower()


def test_the_schema_is_served_as_yaml_or_json():
    assert Client().get("/api/schema/")["Content-Type"].startswith("application/vnd.oai.openapi")
    answer = Client().get("/api/schema/?format=json")
    assert answer["Content-Type"].endswith("json") and "paths" in json.loads(answer.content)
    answer = Client().get("/api/schema/?format=xml")
    assert answer.status_code == 200 and b"paths:" in answer.content


def test_request_amounts_are_published_as_read_strings_or_numbers(schema):
    """docs/dataset.md: an amount is a JSON string or a JSON number. The request schemas say
    both (pydantic's validation mode); the answers give strings."""
    components = schema["components"]["schemas"]
    estimate_in = components["EstimateInRequest"]["properties"]["insurance_cost"]
    assert {part.get("type") for part in estimate_in["anyOf"]} == {"number", "string"}
    item_in = components["EstimateItemIn"]["properties"]["value"]
    assert {part.get("type") for part in item_in["anyOf"]} == {"number", "string"}
    line_out = components["EstimateLineOut"]["properties"]["amount"]
    assert line_out["type"] == "string"


def test_the_estimate_answer_publishes_every_field_it_carries(schema):
    """docs/revenue.md: the estimate names the regime's validity and time zone, the category,
    buyer and transport read, the rate's publication day and staleness, what the declarant owes,
    and each line's collection channel. The published schema lists exactly the fields the
    answer carries, at every level."""
    from rest_framework.test import APIClient

    answer = APIClient().post(
        "/api/v1/estimates",
        {
            "origin_country": "CN",
            "currency": "EUR",
            "items": [{"hs_code": "610910", "value": "20.00"}],
        },
        format="json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    components = schema["components"]["schemas"]
    assert set(components["EstimateOut"]["properties"]) == set(body)
    assert set(components["EstimateRegimeOut"]["properties"]) == set(body["regime"])
    assert set(components["EstimateItemOut"]["properties"]) == set(body["items"][0])
    assert set(components["EstimateLineOut"]["properties"]) == set(body["lines"][0])
