"""The public estimate page sends the basket the reader typed, row for row: a row that names goods
without a price is refused at that row, not left out of the estimate; a problem names the row of
the page it is about; and the seller's scheme is that of the regime on the date asked for."""

from datetime import date

import pytest
from django.urls import reverse

from revenue.models import Regime
from revenue.services.regimes import regime_new_version

pytestmark = pytest.mark.django_db


def _basket(rows: dict[str, str]) -> dict:
    data = {
        "destination": "FR",
        "origin_country": "CN",
        "currency": "EUR",
        "shipping_cost": "0",
        "transport": "express",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        # An untouched row still sends its initial quantity.
        "items-0-quantity": "1",
        "items-1-quantity": "1",
        "items-2-quantity": "1",
    }
    data.update(rows)
    return data


def _post(client, data: dict, language: str = "en") -> str:
    return client.post(
        reverse("revenue:estimate"), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()


def test_a_row_naming_goods_without_a_price_is_refused_not_left_out(client):
    # Shoes without a price and a T-shirt of EUR 20: the page answered 9.60 EUR, the T-shirt's
    # taxes alone, as if the shoes were not in the parcel.
    content = _post(
        client,
        _basket(
            {"items-0-description": "Shoes", "items-1-hs_code": "610910", "items-1-value": "20"}
        ),
        "fr",
    )
    assert 'id="you-pay"' not in content
    problems = content.split("</section>", 1)[0]
    assert "Prix de la ligne (toutes les unités ensemble) 1" in problems
    assert "Un élément obligatoire" in problems


def test_a_problem_names_the_row_of_the_page_after_an_empty_row(client):
    # Row 1 left empty, row 2 with a price but neither code nor description: the problem was
    # put on row 1, which the reader had not filled in.
    content = _post(client, _basket({"items-1-value": "20"}))
    problems = content.split("</section>", 1)[0]
    assert "HS code (optional) 2" in problems
    assert "HS code (optional) 1" not in problems


def test_the_seller_collects_under_the_regime_of_the_date_asked_for(client, customs_user):
    # From 2029 an administrator's version of France's regime has no vendor scheme: a basket for
    # that date whose seller says it charged the VAT is estimated under that version (taxed at
    # the border), not refused for a scheme the page took from today's regime.
    current = Regime.objects.get(code="EU-FR-2028-07", version=1)
    regime_new_version(
        regime_id=current.pk,
        changes={"vendor_schemes": {}},
        effective_from=date(2029, 1, 1),
        actor=customs_user("administrator"),
        reason="test: no scheme",
    )
    data = _basket({"items-0-hs_code": "610910", "items-0-value": "20"})
    data.update({"date": "2029-06-01", "seller_collects": "on"})
    content = _post(client, data)
    assert 'id="you-pay"' in content, content.split("</section>", 1)[0]
    assert "tax_scheme" not in content


def test_a_request_claiming_thousands_of_rows_draws_twenty_at_most(client):
    """The public page builds and draws at most its 20 rows, whatever the management form
    claims: 5,000 made it draw about a thousand rows for one anonymous request."""
    data = _basket({"items-0-hs_code": "610910", "items-0-value": "20.00"})
    data["items-TOTAL_FORMS"] = "5000"
    content = _post(client, data)
    assert content.count('name="items-') <= 20 * 6 + 4
    assert "items-20-" not in content
    assert "at most 20" in content  # the formset's own message
