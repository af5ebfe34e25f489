"""Revenue API: the public estimator (nothing stored, RFC 9457 errors) and payments (tenancy,
idempotency, refusals by JSON Pointer)."""

import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from declarations.models import Declaration
from revenue.models import LedgerEntry, TaxAssessment
from revenue.selectors import release_blockers
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db

BASKET = {
    "origin_country": "CN",
    "currency": "EUR",
    "shipping_cost": "5.00",
    "items": [
        {"hs_code": "610910", "value": "20.00", "quantity": 2},
        {"description": "Bluetooth headphones", "value": "30.00"},
    ],
}


def _post(client, path, body, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.generic("POST", path, data, content_type="application/json", **extra)


def _counts():
    return (
        Declaration.objects.count(),
        TaxAssessment.objects.count(),
        LedgerEntry.objects.count(),
    )


def test_estimate_answers_lines_with_basis_rate_and_reason_and_stores_nothing():
    before = _counts()
    response = _post(APIClient(), "/api/v1/estimates", BASKET)
    assert response.status_code == 200, response.content
    body = response.json()
    assert _counts() == before and body["stored"] is False
    assert body["regime"]["code"] == "EU-FR-2026" and body["regime"]["sample_rates"] is True
    duty = [line for line in body["lines"] if line["tax_type"] == "duty"]
    # EUR 50 + 5 shipping <= 150: EUR 3 flat duty per distinct HS subheading (two here).
    assert [line["amount"] for line in duty] == ["3.00", "3.00"]
    assert "Flat-rate duty" in duty[0]["reason"]
    vat = [line for line in body["lines"] if line["tax_type"] == "vat"]
    assert {line["rate"] for line in vat} == {"0.2"}
    assert sum(float(line["amount"]) for line in vat) > 0
    assert body["items"][1]["classification"].startswith("HS chapter 85 inferred")
    assert body["you_pay_on_delivery"] == body["totals"]["total"]


def test_estimate_with_seller_scheme_moves_vat_to_checkout():
    response = _post(APIClient(), "/api/v1/estimates", {**BASKET, "tax_scheme": "IOSS"})
    body = response.json()
    assert response.status_code == 200
    assert body["collection_model"] == "vendor_point_of_sale"
    # The seller charges the VAT at checkout; the IOSS return carries VAT only, so the two EUR 3
    # flat duties, and France's small-parcel tax of EUR 2 per subheading, are a customs debt of
    # the declarant, paid at import.
    assert body["totals"]["total"] == "22.20"
    assert body["charged_at_checkout"] == "12.20"
    assert body["due_from_declarant"] == "10.00"
    assert body["you_pay_on_delivery"] == "0.00"
    duty = [line for line in body["lines"] if line["tax_type"] == "duty"]
    assert {(line["payer"], line["collection_channel"]) for line in duty} == {
        ("declarant", "border")
    }


def test_estimate_errors_are_problem_documents_with_pointers():
    body = {
        "origin_country": "cn",
        "currency": "EUR",
        "items": [{"value": "-1"}, {"hs_code": "12", "value": "3.00"}],
        "colour": "red",
    }
    response = _post(APIClient(), "/api/v1/estimates", body)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "estimate_invalid"
    pointers = {(e["pointer"], e["code"]) for e in problem["errors"]}
    assert ("/origin_country", "pattern_mismatch") in pointers
    assert ("/colour", "unknown_element") in pointers
    assert any(p == "/items/0/value" for p, _ in pointers)
    assert any(p == "/items/1/hs_code" for p, _ in pointers)


def test_estimate_unknown_currency_and_scheme_name_the_element():
    response = _post(APIClient(), "/api/v1/estimates", {**BASKET, "currency": "XYZ"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/currency"
    response = _post(APIClient(), "/api/v1/estimates", {**BASKET, "tax_scheme": "VOEC"})
    assert response.json()["errors"][0] == {
        "pointer": "/tax_scheme",
        "code": "tax_scheme_unknown",
        "detail": "VOEC is not a scheme of regime EU-FR-2026; known: IOSS",
    }


def test_estimate_malformed_json_is_400_and_no_key_is_needed():
    response = _post(APIClient(), "/api/v1/estimates", "{not json")
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"


def test_estimate_answer_matches_its_published_shape_and_bounds_the_idempotency_key():
    from revenue.api_models import EstimateOut

    response = _post(APIClient(), "/api/v1/estimates", BASKET)
    EstimateOut.model_validate(response.json())  # the OpenAPI answer schema, sample_rates a bool
    long_key = _post(APIClient(), "/api/v1/estimates", BASKET, HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert long_key.status_code == 422
    assert long_key.json()["errors"][0]["code"] == "idempotency_key_invalid"
    assert (
        _post(APIClient(), "/api/v1/estimates", BASKET, HTTP_IDEMPOTENCY_KEY="k").status_code == 200
    )


def test_estimate_for_another_destination_uses_its_regime():
    body = {**BASKET, "destination": "NO", "currency": "NOK"}
    body["items"] = [{"hs_code": "610910", "value": "2999.00"}]
    response = _post(APIClient(), "/api/v1/estimates", body)
    assert response.status_code == 200
    assert response.json()["regime"]["code"] == "NO-VOEC-2024"


# --- Payments ------------------------------------------------------------------------------


@pytest.fixture
def border_declaration(operator_b):
    return submit(operator_b.operator, [border_body("PAY-1")])[0]


def test_a_payment_reference_is_recorded_once_per_declaration(operator_b, border_declaration):
    """A carrier retries its COD payment without the Idempotency-Key, or with a new one: the
    same receipt is refused, not recorded twice (which would show half the taxes as paid twice
    and release goods whose taxes nobody paid). Another receipt is recorded."""
    due = TaxAssessment.objects.get(declaration=border_declaration).due_at_border
    half = (due / 2).quantize(Decimal("0.01"))
    body = {
        "declaration_id": border_declaration.pk,
        "amount": str(half),
        "currency": "EUR",
        "reference": "COD-555",
    }
    assert operator_b.post("/api/v1/payments", body, HTTP_IDEMPOTENCY_KEY="a").status_code == 201
    for again in (
        operator_b.post("/api/v1/payments", body, HTTP_IDEMPOTENCY_KEY="b"),
        operator_b.post("/api/v1/payments", {**body, "reference": " COD-555 "}),
    ):
        assert again.status_code == 409, again.content
        (error,) = again.json()["errors"]
        assert (error["code"], error["pointer"]) == ("duplicate_reference", "/reference")
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    assert release_blockers(border_declaration)
    other = operator_b.post(
        "/api/v1/payments", {**body, "amount": str(due - half), "reference": "COD-556"}
    )
    assert other.status_code == 201, other.content
    assert release_blockers(border_declaration) == []


def test_payment_by_the_declarant_clears_the_release_blocker(
    operator_b, border_declaration, customs_user
):
    assessment = TaxAssessment.objects.get(declaration=border_declaration)
    assert assessment.collection_model == "consignee_border" and assessment.due_at_border > 0
    assert release_blockers(border_declaration)
    response = operator_b.post(
        "/api/v1/payments",
        {
            "declaration_id": border_declaration.pk,
            "amount": str(assessment.due_at_border),
            "currency": "EUR",
            "reference": "COD-123",
        },
        HTTP_IDEMPOTENCY_KEY="pay-1",
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == str(assessment.due_at_border)
    assert release_blockers(border_declaration) == []
    replay = operator_b.post(
        "/api/v1/payments",
        {
            "declaration_id": border_declaration.pk,
            "amount": str(assessment.due_at_border),
            "currency": "EUR",
            "reference": "COD-123",
        },
        HTTP_IDEMPOTENCY_KEY="pay-1",
    )
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    # Audited as the operator's own action, found in the log by its code or its name.
    from django.test import Client

    from customs_ecom.platform.models import AuditEvent

    operator = operator_b.operator
    event = AuditEvent.objects.get(action="ledger.payment")
    assert event.actor_label == f"operator {operator.code} (API)"
    auditor = Client()
    auditor.force_login(customs_user("auditor"))
    for who in (operator.code, operator.name, event.actor_label):
        page = auditor.get("/audit/", {"who": who, "what": "ledger.payment"})
        assert page.status_code == 200 and "No audit entry matches" not in page.content.decode()


def test_the_release_blocker_states_the_amount_as_the_reader_writes_money(border_declaration):
    from django.utils import translation

    due = TaxAssessment.objects.get(declaration=border_declaration).due_at_border
    with translation.override("en"):
        (english,) = release_blockers(border_declaration)
    with translation.override("fr"):
        (french,) = release_blockers(border_declaration)
    places = f"{due:.2f}"  # two places for EUR, never the ledger's four
    assert english.startswith(f"{places} EUR "), english
    assert french.startswith(f"{places.replace('.', ',')}\u00a0EUR ") or french.startswith(
        f"{places.replace('.', ',')} EUR "
    ), french


def test_operator_cannot_pay_for_another_operators_declaration(operator_a, border_declaration):
    response = operator_a.post(
        "/api/v1/payments",
        {"declaration_id": border_declaration.pk, "amount": "1.00", "currency": "EUR"},
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_overpayment_and_bad_bodies_are_refused_with_pointers(operator_b, border_declaration):
    response = operator_b.post(
        "/api/v1/payments",
        {"declaration_id": border_declaration.pk, "amount": "100000.00", "currency": "EUR"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/amount"
    assert response.json()["errors"][0]["code"] == "payment_exceeds_due"
    response = operator_b.post(
        "/api/v1/payments",
        {"declaration_id": border_declaration.pk, "amount": "1.00", "currency": "USD"},
    )
    assert response.json()["errors"][0]["code"] == "currency_mismatch"
    response = operator_b.post(
        "/api/v1/payments", {"declaration_id": "x", "amount": "1.001", "tip": 1}
    )
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/declaration_id", "/currency", "/tip", "/amount"}
    response = operator_b.post(
        "/api/v1/payments",
        {"declaration_id": border_declaration.pk, "amount": "1.001", "currency": "EUR"},
    )
    assert response.json()["errors"][0] == {
        "pointer": "/amount",
        "code": "amount_invalid",
        "detail": "at most two decimals",
    }
    assert not LedgerEntry.objects.filter(kind="payment").exists()


@pytest.mark.parametrize(
    "amount", ["1_0", " 10", "10 ", "10.000", "+10", "010", "1e1", "١٠", "0x10", "10.", ".5"]
)
def test_a_payment_amount_is_a_plain_decimal_or_refused(operator_b, border_declaration, amount):
    body = {"declaration_id": border_declaration.pk, "amount": amount, "currency": "EUR"}
    response = operator_b.post("/api/v1/payments", body)
    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["code"] == "payment_invalid" and problem["title"] == "Payment failed validation"
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [("/amount", "amount_invalid")]
    as_number = operator_b.post(
        "/api/v1/payments",
        f'{{"declaration_id": {border_declaration.pk}, "amount": 1e1, "currency": "EUR"}}',
    )
    assert (
        as_number.status_code == 422 and as_number.json()["errors"][0]["code"] == "amount_invalid"
    )
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_payments_need_a_key():
    response = _post(APIClient(), "/api/v1/payments", {"declaration_id": 1, "amount": "1"})
    assert response.status_code == 401


def test_estimates_are_throttled_per_address_with_retry_after(monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"estimate": "2/min"})
    client = APIClient()
    statuses = [_post(client, "/api/v1/estimates", BASKET).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = _post(client, "/api/v1/estimates", BASKET)
    assert response.json()["code"] == "rate_limited" and int(response["Retry-After"]) >= 1
    cache.clear()


def test_a_declaration_id_written_with_a_zero_fraction_is_that_integer(
    operator_b, border_declaration
):
    text = json.dumps({"amount": "1.00", "currency": "EUR", "declaration_id": 0}).replace(
        '"declaration_id": 0', f'"declaration_id": {border_declaration.pk}.0'
    )
    response = operator_b.post("/api/v1/payments", text)
    assert response.status_code == 201, response.content
    assert response.json()["declaration_id"] == border_declaration.pk
    half = text.replace(f"{border_declaration.pk}.0", f"{border_declaration.pk}.5")
    refused = operator_b.post("/api/v1/payments", half)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/declaration_id"
    assert LedgerEntry.objects.filter(kind="payment").count() == 1


def test_a_declaration_id_with_an_enormous_exponent_names_no_declaration_at_once(
    operator_b, border_declaration
):
    import time

    started = time.monotonic()
    text = '{"declaration_id": 1e999999999, "amount": "1.00", "currency": "EUR"}'
    response = operator_b.post("/api/v1/payments", text)
    assert time.monotonic() - started < 5
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not LedgerEntry.objects.filter(kind="payment").exists()


@pytest.mark.parametrize(
    ("body", "pointer", "code"),
    [
        ([], "", "not_an_object"),
        (
            {"declaration_id": "406", "amount": "1.00", "currency": "EUR"},
            "/declaration_id",
            "type_invalid",
        ),
        (
            {"statement_id": 406.5, "amount": "1.00", "currency": "EUR"},
            "/statement_id",
            "type_invalid",
        ),
        ({"declaration_id": 1, "amount": "1.00", "currency": 978}, "/currency", "type_invalid"),
        (
            {"declaration_id": 1, "amount": "1.00", "currency": "EUR", "reference": 7},
            "/reference",
            "type_invalid",
        ),
        ({"declaration_id": 1, "amount": True, "currency": "EUR"}, "/amount", "type_invalid"),
    ],
)
def test_a_payment_of_the_wrong_json_type_answers_the_codes_of_the_rest_of_the_api(
    operator_a, body, pointer, code
):
    """One code, one meaning: the wrong JSON type is `type_invalid` and a body that is not an
    object `not_an_object` (docs/dataset.md, "Intake error codes"), for a payment as for a
    declaration, an arrival or a webhook."""
    response = operator_a.post("/api/v1/payments", body)
    assert response.status_code == 422, response.content
    assert (pointer, code) in [(e["pointer"], e["code"]) for e in response.json()["errors"]]
    assert "type_mismatch" not in response.content.decode()
