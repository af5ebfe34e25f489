"""The malformed corpus and the valid examples through the real HTTP endpoint: the same status, JSON
Pointers and codes as the engine, as problem documents, and nothing stored for a rejection."""

from __future__ import annotations

import copy
import json

import pytest
from django.utils import timezone

from declarations.models import Declaration, DeclarationItem, ExchangeRate, RejectionCount
from declarations.ratedays import eu_customs_rate_day
from tests.declarations.corpus import MALFORMED_CASES, RATES, TODAY, VALID_DECLARATIONS

pytestmark = pytest.mark.django_db(transaction=False)

# The engine tests use a small rate table in which JPY is unknown; over HTTP the ECB history shipped
# offline knows JPY, so that case uses a currency the ECB never published (CFA franc).
_HTTP_SUBSTITUTES = {"h7_exchange_rate_unknown": {"currency": "XAF"}}


@pytest.fixture
def corpus_rates(db):
    """The corpus's official rates, dated today, so the ceilings are checked at the same rates."""
    fixing_day = eu_customs_rate_day(timezone.now().date())
    for (currency, day), rate in RATES.items():
        if day == eu_customs_rate_day(TODAY):
            ExchangeRate.objects.create(
                currency=currency, valid_from=fixing_day, units_per_eur=rate
            )


@pytest.mark.parametrize("case", MALFORMED_CASES, ids=lambda case: case.id)
def test_malformed_declaration_rejected_over_http_with_exact_problems(
    operator_a, corpus_rates, case
):
    body = copy.deepcopy(case.body)
    if isinstance(body, dict):
        body.update(_HTTP_SUBSTITUTES.get(case.id, {}))
    # Always JSON-encoded, so that a body which is a JSON string arrives as one.
    response = operator_a.post("/api/v1/declarations", json.dumps(body))

    assert response.status_code == case.status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == case.status and problem["code"] == "declaration_invalid"
    assert sorted((e["pointer"], e["code"]) for e in problem["errors"]) == sorted(case.expected)
    assert not Declaration.objects.exists() and not DeclarationItem.objects.exists()
    assert RejectionCount.objects.get(operator=operator_a.operator).count == 1


def test_whole_corpus_in_one_batch_rejects_each_item_with_its_own_problems(
    operator_a, corpus_rates
):
    bodies = []
    for case in MALFORMED_CASES:
        body = copy.deepcopy(case.body)
        if isinstance(body, dict):
            body.update(_HTTP_SUBSTITUTES.get(case.id, {}))
        bodies.append(body)
    valid = copy.deepcopy(VALID_DECLARATIONS["wco-core"])
    valid["lrn"] = "BATCH-VALID-1"
    bodies.append(valid)
    response = operator_a.post("/api/v1/declarations/batch", {"declarations": bodies})
    assert response.status_code == 200
    results = response.json()["results"]
    for case, result in zip(MALFORMED_CASES, results, strict=False):
        assert result["status"] == "rejected", case.id
        assert sorted((e["pointer"], e["code"]) for e in result["errors"]) == sorted(
            case.expected
        ), case.id
    assert results[-1]["status"] == "accepted"
    assert Declaration.objects.count() == 1


@pytest.mark.parametrize("profile", sorted(VALID_DECLARATIONS))
def test_valid_example_of_each_profile_is_accepted_over_http(operator_a, profile):
    body = copy.deepcopy(VALID_DECLARATIONS[profile])
    response = operator_a.post("/api/v1/declarations", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["dataset"] == profile and created["profile_version"] == 1
    declaration = Declaration.objects.get(pk=created["id"])
    assert declaration.item_count == len(body["items"])
    assert 0 <= created["data_quality"]["score"] <= 100


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"", 400, "malformed_json"),
        (b"\xff\xfe{", 400, "malformed_json"),
        (b'{"lrn": Infinity}', 400, "malformed_json"),
        (b'{"lrn": "A", "lrn": ', 400, "malformed_json"),
        (b"[" * 100000, 400, "malformed_json"),
    ],
)
def test_broken_json_is_400_with_a_code(operator_a, raw, status, code):
    response = operator_a.post("/api/v1/declarations", raw)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["code"] == code
