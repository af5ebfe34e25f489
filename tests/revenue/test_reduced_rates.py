"""Reduced rates reach the estimator and the stored assessment with their whole legal source."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_estimator_zero_rates_a_babies_garment_in_ireland_and_cites_why():
    response = APIClient().post(
        "/api/v1/estimates",
        {
            "destination": "IE",
            "date": "2026-11-25",
            "currency": "EUR",
            "origin_country": "CN",
            "transport": "express",
            "items": [
                {"hs_code": "611120", "value": "40.00"},
                {"hs_code": "610910", "value": "20.00"},
            ],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    vat = {
        line["item_line"]: line for line in response.json()["lines"] if line["tax_type"] == "vat"
    }
    assert (D(vat[1]["rate"]), D(vat[1]["amount"])) == (D("0"), D("0.00"))
    assert "children's clothing and footwear" in vat[1]["reason"]
    # The EUR 3 flat duty per tariff code is in the VAT base of the adult's T-shirt: 23 % of 23.00.
    assert (D(vat[2]["rate"]), D(vat[2]["amount"])) == (D("0.23"), D("5.29"))


def test_a_stored_line_keeps_its_whole_legal_reason(settings, operator_b):
    from revenue.models import TaxLine
    from tests.revenue.helpers import border_body, submit

    settings.CUSTOMS_JURISDICTION = "IE"
    (declaration,) = submit(operator_b.operator, [border_body("IE-BABY", hs_code="611120")])
    line = TaxLine.objects.get(assessment__declaration=declaration, tax_type="vat")
    assert line.rate == 0 and line.amount == 0
    assert len(line.legal_reason) > 400
    assert line.legal_reason.endswith("Annex III point 6 (books))")
