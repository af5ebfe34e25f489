"""Property tests against the HTTP endpoints: no input gives a 500, a rejection writes nothing, and an
acceptance writes the whole declaration (no partial write)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from declarations.models import Declaration, DeclarationItem, StatusEvent
from tests.conftest import make_operator
from tests.declarations.corpus import VALID_DECLARATIONS

pytestmark = pytest.mark.django_db(transaction=False)
ALLOWED = {200, 201, 400, 409, 413, 415, 422}
HYPOTHESIS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "0", "-1", "1e400", "NaN", "IM2500000015", "RR123456785DE", "CN", "EUR"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@st.composite
def mutated_declarations(draw):
    """A valid declaration of some profile with one to three elements replaced, added or removed."""
    body = copy.deepcopy(VALID_DECLARATIONS[draw(st.sampled_from(sorted(VALID_DECLARATIONS)))])
    body["lrn"] = f"P-{draw(st.integers(0, 10**9))}"
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(body) if p]
        path = draw(st.sampled_from(paths))
        parent = body
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
        else:
            parent[path[-1]] = draw(json_values)
    return body


def _counts():
    return (
        Declaration.objects.count(),
        DeclarationItem.objects.count(),
        StatusEvent.objects.count(),
    )


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError


def _check(response, before, body):
    assert response.status_code in ALLOWED, response.content
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert _counts() == before
        for error in response.json().get("errors", []):
            assert error["code"] and isinstance(error["pointer"], str)
    elif response.status_code == 201:
        declaration = Declaration.objects.get(pk=response.json()["id"])
        assert declaration.items.count() == len(body["items"]) == declaration.item_count
        assert declaration.events.count() == 1


@pytest.fixture
def client(db):
    # A carrier, so that manifests are fuzzed too (other roles are refused them with 403).
    return make_operator("property-operator", role="express_carrier")


@HYPOTHESIS
@given(body=mutated_declarations())
def test_mutated_declaration_never_errors_and_never_writes_partially(client, body):
    before = _counts()
    response = client.post("/api/v1/declarations", json.dumps(body, default=_default))
    _check(response, before, body)


@HYPOTHESIS
@given(body=json_values)
def test_any_json_value_is_answered_with_a_problem_not_a_500(client, body):
    before = _counts()
    response = client.post("/api/v1/declarations", json.dumps(body))
    assert response.status_code in {400, 422}
    assert _counts() == before


@HYPOTHESIS
@given(raw=st.binary(max_size=200))
def test_any_bytes_are_answered_with_a_problem_not_a_500(client, raw):
    before = _counts()
    response = client.post("/api/v1/declarations", raw)
    assert response.status_code in ALLOWED
    assert _counts() == before or response.status_code in {200, 201}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bodies=st.lists(mutated_declarations() | json_values, min_size=1, max_size=6))
def test_batch_of_anything_gives_one_result_per_input_and_stores_only_accepted(client, bodies):
    before = Declaration.objects.count()
    response = client.post(
        "/api/v1/declarations/batch", json.dumps({"declarations": bodies}, default=_default)
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert len(results) == len(bodies)
    created = {r["id"] for r in results if r["http_status"] == 201}
    assert Declaration.objects.count() == before + len(created)
    for result in results:
        assert (result["status"] == "accepted") == (result["http_status"] in (200, 201))


@pytest.mark.parametrize(
    "path",
    ["/api/v1/manifests", "/api/v1/returns", "/api/v1/arrivals", "/api/v1/declarations/batch"],
)
def test_other_endpoints_answer_any_json_with_a_problem_not_a_500(client, path):
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=json_values)
    def run(body):
        before = _counts()
        response = client.post(path, json.dumps(body))
        assert response.status_code in ALLOWED | {404}, response.content
        if response.status_code >= 400:
            assert _counts() == before

    run()


def test_amendment_and_invalidation_answer_any_json_with_a_problem_not_a_500(client):
    created = client.post("/api/v1/declarations", VALID_DECLARATIONS["eu-h7"]).json()

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=json_values | mutated_declarations())
    def run(body):
        for action in ("amendments", "invalidation"):
            response = client.post(
                f"/api/v1/declarations/{created['id']}/{action}",
                json.dumps(body, default=_default),
            )
            assert response.status_code in ALLOWED, response.content

    run()
