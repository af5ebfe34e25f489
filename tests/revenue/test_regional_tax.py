"""Canada's harmonized sales tax: goods delivered in a participating province pay the HST (13 % in
Ontario, 14 or 15 % in the Atlantic provinces) instead of the GST of 5 %; the province comes from
the estimator's `region` or the first letter of the consignee's postcode."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
import time_machine
from rest_framework.test import APIClient

from revenue.calculators import ConsignmentIn, ItemIn, assess
from revenue.regimes import RegimeSpec, load_shipped_regimes, regime_for

SHIPPED = load_shipped_regimes()


def _canada(on: date = date(2026, 11, 25)) -> RegimeSpec:
    regime = regime_for(SHIPPED, "CA", on)
    assert regime is not None
    return regime


def _tax(regime: RegimeSpec, **where: str):
    consignment = ConsignmentIn(
        currency="CAD",
        items=(ItemIn(line=1, hs_code="610910", value=D("100.00")),),
        transport="postal",
        operator_role="postal_operator",
        origin_country="CN",
        **where,
    )
    result = assess(consignment, regime, fx_rate=D(1))
    (line,) = [line for line in result.lines if line.tax_type == "vat"]
    return line, result


@pytest.mark.parametrize(
    "where,rate",
    [
        ({"region": "ON"}, D("0.13")),
        ({"region": "NS"}, D("0.14")),
        ({"region": "AB"}, D("0.05")),
        ({"postcode": "K1A 0B1"}, D("0.13")),  # Ottawa
        ({"postcode": "b3h 4r2"}, D("0.14")),  # Halifax, written in lower case
        ({"postcode": "T2P 1J9"}, D("0.05")),  # Calgary
        ({"postcode": "X0A 0H0"}, D("0.05")),  # Nunavut and the Northwest Territories share X
        ({}, D("0.05")),
    ],
)
def test_the_tax_rate_follows_the_province_of_delivery(where, rate):
    line, result = _tax(_canada(), **where)
    assert line.rate == rate
    assert line.amount == (D("118.00") * rate).quantize(D("0.01"))
    if rate != D("0.05"):
        assert "212.1" in line.legal_reason and line.legal_reason.startswith("HST")
    said = " ".join(result.explanation)
    assert ("instead of the standard rate" in said) == (rate != D("0.05"))


def test_nova_scotia_pays_15_percent_until_31_march_2025():
    line, _ = _tax(_canada(date(2025, 3, 31)), region="NS")
    assert line.rate == D("0.15")


def test_without_a_province_the_explanation_names_the_hst_provinces():
    _, result = _tax(_canada())
    said = " ".join(result.explanation)
    assert "No HST region of delivery known" in said and "ON 13%" in said and "NS 14%" in said


def test_an_unknown_region_is_refused_by_the_engine():
    with pytest.raises(ValueError, match="unknown region"):
        _tax(_canada(), region="ZZ")


@pytest.mark.parametrize(
    "change,message",
    [
        ({"regional_tax_rates": {"XX": "0.1"}}, "not listed in regions"),
        ({"regional_tax_rates": {"ON": "1.3"}}, "fractions"),
        ({"postcode_regions": {"KL": "ON"}}, "single characters"),
        ({"regional_tax_name": ""}, "regional_tax_name"),
    ],
)
def test_inconsistent_regional_data_is_refused(change, message):
    data = {**_canada().to_dict(), **change}
    with pytest.raises(ValueError, match=message):
        RegimeSpec.from_dict(data)


def _estimate(body: dict):
    return APIClient().generic(
        "POST", "/api/v1/estimates", json.dumps(body), content_type="application/json"
    )


BASKET = {
    "destination": "CA",
    "date": "2026-11-25",
    "currency": "CAD",
    "origin_country": "CN",
    "transport": "postal",
    "items": [{"hs_code": "610910", "value": "100.00"}],
}


@pytest.mark.django_db
def test_the_estimator_takes_the_province_and_says_which_it_used():
    body = _estimate({**BASKET, "region": "ON"}).json()
    assert body["region"] == "ON"
    assert body["totals"] == {"duty": "18.00", "vat": "15.34", "fee": "0.00", "total": "33.34"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change", [{"region": "ZZ"}, {"destination": "FR", "currency": "EUR", "region": "ON"}]
)
def test_the_estimator_refuses_a_region_the_destination_does_not_have(change):
    response = _estimate({**BASKET, **change})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/region", "region_unknown")


def _assessed_in_canada(settings, operator, lrn: str, address: dict):
    """A CAD 100 declaration delivered to ``address``, submitted and assessed in a Canadian
    installation on 25 November 2026; its current assessment."""
    from declarations.services import declarations_submit
    from revenue.models import TaxAssessment
    from revenue.services.assessment import taxes_assess_batch
    from tests.revenue.helpers import border_body

    settings.CUSTOMS_JURISDICTION = "CA"
    body = border_body(lrn, value="100.00")
    body["currency"] = "CAD"
    body["consignee"]["address"] = address
    with time_machine.travel(datetime(2026, 11, 25, 15, tzinfo=UTC), tick=False):
        (outcome,) = declarations_submit(operator=operator.operator, bodies=[body])
        assert outcome.declaration is not None, outcome.errors
        taxes_assess_batch(declaration_ids=[outcome.declaration.pk])
    return TaxAssessment.objects.get(declaration_id=outcome.declaration.pk)


@pytest.mark.django_db
def test_a_declaration_delivered_in_ontario_pays_the_hst(settings, operator_b):
    ottawa = {"street": "24 Sussex Drive", "city": "Ottawa", "postcode": "K1M 1M4", "country": "CA"}
    assessment = _assessed_in_canada(settings, operator_b, "CA-ON-1", ottawa)
    assert assessment.regime.code == "CA-2025-04"
    vat = assessment.lines.get(tax_type="vat")
    assert vat.rate == D("0.13") and vat.legal_reason.startswith("HST")


@pytest.mark.django_db
def test_a_postcode_abroad_gives_no_province(settings, operator_b):
    # A Manchester postcode starts with M, the letter of Toronto.
    manchester = {
        "street": "1 Piccadilly",
        "city": "Manchester",
        "postcode": "M1 1AE",
        "country": "GB",
    }
    assessment = _assessed_in_canada(settings, operator_b, "CA-GB-1", manchester)
    assert assessment.lines.get(tax_type="vat").rate == D("0.05")


@pytest.mark.django_db
def test_the_canadian_regime_page_lists_the_hst_of_each_province(client, customs_user):
    from django.urls import reverse

    from revenue.models import Regime

    client.force_login(customs_user("officer"))
    regime = Regime.objects.get(code="CA-2025-04", version=1)
    page = client.get(reverse("revenue:regime", args=[regime.pk])).content.decode()
    assert "HST by region of delivery" in page
    assert "NS 14%" in page and "ON 13%" in page and "Schedule VIII" in page
