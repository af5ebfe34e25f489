"""A fee charged as a percentage of the value (the US merchandise processing fee of a formal
entry) reads as a money basis at its whole rate, on the estimate page as on the officer's:
not as a count at an amount per unit."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_fee_in_percent_of_the_value_reads_as_money_at_its_whole_rate(client):
    # The US merchandise processing fee of a formal entry, 0.3464 % of USD 50,000 = 173.20: the
    # page showed it "on 50,000" at "0.00 USD".
    data = {
        "destination": "US",
        "date": "2026-11-25",
        "origin_country": "CN",
        "currency": "USD",
        "shipping_cost": "0",
        "transport": "express",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-hs_code": "610910",
        "items-0-value": "50000",
        "items-0-quantity": "1",
    }
    content = _post(client, data)
    fee = content.split("<td>Fee</td>", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">50,000.00\u00a0USD</td><td class="num">0.3464\u00a0%</td>' in fee
    assert "173.20\u00a0USD" in fee
    french = _post(client, data, "fr").split("<td>Redevance</td>", 1)[1].split("</tr>", 1)[0]
    assert "50\u202f000,00\u00a0USD" in french or "50\u00a0000,00\u00a0USD" in french
    assert "0,3464\u00a0%" in french


def _post(client, data: dict, language: str = "en") -> str:
    return client.post(
        reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()


def test_a_fee_line_stored_before_units_were_named_still_reads_as_a_count():
    from customs_ecom.platform.templatetags.human import line_basis, line_rate

    # France's small-parcel tax stored before lines named what they count: 2 subheadings at
    # EUR 2.00 each.
    legacy = {"tax_type": "fee", "basis": "2.00", "basis_unit": "", "rate": "2.000000"}
    assert line_basis(legacy, "EUR") == "2" and line_rate(legacy, "EUR") == "2.00\u00a0EUR"
    counted = {"tax_type": "fee", "basis": "1.00", "basis_unit": "entry", "rate": "34.58"}
    assert line_rate(counted, "USD") == "34.58\u00a0USD"
    ad_valorem = {"tax_type": "vat", "basis": "100.00", "basis_unit": "", "rate": "0.081"}
    assert line_rate(ad_valorem, "CHF") == "8.1\u00a0%"
