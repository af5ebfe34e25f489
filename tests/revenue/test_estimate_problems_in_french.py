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
