"""The estimator in French leaves no English of its own: the names of every shipped regime, the
source of the exchange rate and the stale warning of the rate that converts the law's euro
amounts read in French (legal citations stay as written)."""

import json
from importlib import resources

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from declarations.generated_text import legal_reason, regime_name

pytestmark = pytest.mark.django_db


def _french(body: dict) -> dict:
    response = APIClient().post("/api/v1/estimates", body, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200, response.content
    return response.json()


def test_every_shipped_regime_name_reads_in_french():
    document = json.loads(
        resources.files("revenue").joinpath("data", "regimes.json").read_text(encoding="utf-8")
    )
    with translation.override("fr"):
        for regime in document["regimes"]:
            name = regime["name"]
            rules = name.split("): ", 1)[1] if name.startswith("European") else name.split(": ")[1]
            assert rules not in regime_name(name), regime["code"]


@pytest.mark.parametrize(
    ("body", "english"),
    [
        (
            {"destination": "FR", "date": "2028-07-01", "currency": "EUR"},
            "no duty relief, the tariff from the first euro",
        ),
        (
            {"destination": "US", "date": "2025-05-02", "currency": "USD"},
            "except for goods of China and Hong Kong",
        ),
    ],
)
def test_the_regime_of_the_estimate_is_named_in_french(body, english):
    answer = _french(
        {**body, "origin_country": "CN", "items": [{"hs_code": "610910", "value": "20.00"}]}
    )
    assert not any(english in line for line in answer["explanation"])


def test_the_source_of_the_rate_reads_in_french():
    answer = _french(
        {
            "destination": "FR",
            "date": "2026-11-25",
            "origin_country": "CN",
            "currency": "EUR",
            "items": [{"hs_code": "610910", "value": "20.00"}],
        }
    )
    (rate,) = [line for line in answer["explanation"] if "taux" in line and "publié" in line]
    assert "(même devise)" in rate and "identity" not in rate


def test_the_stale_rate_of_the_law_amounts_reads_in_french():
    text = (
        "Amounts fixed in law, rule eu_annual_october: rate fixed for 2028-10-02, published "
        "2026-11-24 (ECB daily reference rate). STALE: the last known rate is used."
    )
    with translation.override("fr"):
        french = legal_reason(text)
    assert "STALE" not in french and "le dernier taux connu est utilisé" in french
    assert "taux de référence quotidien de la BCE" in french
