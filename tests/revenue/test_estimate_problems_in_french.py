"""A refused basket's problem details read in the request's language, as the answer's reasons
do and as the declarations API's problems do: the response said Content-Language: fr over
English sentences. Pointers and codes are the same in every language."""

import json

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _problem(body: dict, language: str) -> dict:
    response = APIClient().generic(
        "POST",
        "/api/v1/estimates",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 422, response.content
    return response.json()


def _basket(**changes) -> dict:
    return {
        "destination": "FR",
        "date": "2026-11-25",
        "origin_country": "CN",
        "currency": "EUR",
        "items": [{"hs_code": "610910", "value": "20.00"}],
        **changes,
    }


def test_the_estimators_own_sentences_read_in_french():
    english = _problem(_basket(origin_country="DE"), "en")["errors"]
    french = _problem(_basket(origin_country="DE"), "fr")["errors"]
    assert [(e["pointer"], e["code"]) for e in french] == [("/origin_country", "not_an_import")]
    assert [(e["pointer"], e["code"]) for e in english] == [("/origin_country", "not_an_import")]
    assert english[0]["detail"].startswith("DE and FR are both in the EU customs and VAT")
    assert french[0]["detail"] != english[0]["detail"] and "DE" in french[0]["detail"]
    region = _problem(_basket(region="ON"), "fr")["errors"][0]
    assert region["code"] == "region_unknown" and "is not a region" not in region["detail"]


def test_the_contracts_sentences_read_in_french_and_stay_as_written_in_english():
    body = _basket(items=[{"hs_code": "610910", "value": "-1.00"}])
    english = _problem(body, "en")["errors"][0]
    assert english["detail"] == 'Input should be greater than or equal to 0, got "-1.00"'
    french = _problem(body, "fr")["errors"][0]
    assert french["pointer"] == "/items/0/value" and french["code"] == "number_too_small"
    assert "Input should" not in french["detail"]


def test_the_page_keeps_the_estimators_own_sentence_in_french(client):
    """A currency withdrawn before the date of import: the French page said "not an ISO 4217
    currency code" (the general sentence of ``currency_unknown``), which the kuna is."""
    from django.urls import reverse

    data = {
        "destination": "FR",
        "date": "2023-06-01",
        "origin_country": "CN",
        "currency": "HRK",
        "shipping_cost": "0",
        "transport": "express",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-hs_code": "610910",
        "items-0-value": "20",
        "items-0-quantity": "1",
    }
    content = client.post(
        reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    problems = content.split("</section>", 1)[0]
    assert "HRK a été retirée de la circulation avant le 2023-06-01" in problems
    assert "ISO 4217" not in problems
    # The contract's own sentences still read by their code.
    data.update({"date": "2026-11-25", "currency": "EUR", "origin_country": "ZZ"})
    content = client.post(
        reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "pas un code pays ISO 3166-1" in content.split("</section>", 1)[0]
