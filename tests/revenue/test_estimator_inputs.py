"""The public estimator answers for any shipped destination, date, origin, category, buyer and
transport: regime and version, every line with its legal reason, payer and collection channel;
and refuses what it cannot estimate with a problem document."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _estimate(body: dict, status: int = 200) -> dict:
    response = APIClient().generic(
        "POST", "/api/v1/estimates", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == status, response.content
    return response.json()


def _basket(destination: str, currency: str, value: str, hs: str = "610910", **extra) -> dict:
    return {
        "destination": destination,
        "currency": currency,
        "origin_country": extra.pop("origin_country", "CN"),
        "items": [{"hs_code": hs, "value": value}],
        **extra,
    }


def _lines(body: dict, tax_type: str) -> list[dict]:
    return [line for line in body["lines"] if line["tax_type"] == tax_type]


def _total(body: dict, tax_type: str) -> Decimal:
    return Decimal(body["totals"][tax_type])


def test_the_date_asked_picks_the_regime_in_force_that_day():
    before = _estimate(_basket("FR", "EUR", "40.00", date="2026-06-30"))
    after = _estimate(_basket("FR", "EUR", "40.00", date="2026-07-01"))
    assert (before["regime"]["code"], after["regime"]["code"]) == ("EU-FR-2026-03", "EU-FR-2026")
    assert before["regime"]["version"] == 1 and after["regime"]["timezone"] == "Europe/Paris"
    assert _total(before, "duty") == Decimal("0.00")
    assert _total(after, "duty") == Decimal("3.00")


def test_the_default_date_is_today_in_the_destinations_time_zone():
    # 22:30 UTC on 30 June is already 1 July in Paris.
    with time_machine.travel(datetime(2026, 6, 30, 22, 30, tzinfo=UTC), tick=False):
        body = _estimate(_basket("FR", "EUR", "40.00"))
    assert body["date"] == "2026-07-01" and body["regime"]["code"] == "EU-FR-2026"


def test_intra_eu_movements_are_not_imports():
    problem = _estimate(_basket("FR", "EUR", "40.00", origin_country="DE"), status=422)
    (error,) = problem["errors"]
    assert (error["pointer"], error["code"]) == ("/origin_country", "not_an_import")


def test_germany_taxes_at_19_percent_and_books_at_7():
    body = _estimate(
        {
            "destination": "DE",
            "currency": "EUR",
            "origin_country": "US",
            "date": "2026-11-25",
            "items": [
                {"hs_code": "610910", "value": "50.00"},
                {"hs_code": "490199", "value": "20.00"},
            ],
        }
    )
    assert body["regime"]["code"] == "EU-DE-2026"
    assert [line["rate"] for line in _lines(body, "vat")] == ["0.19", "0.07"]
    assert "Umsatzsteuergesetz" in _lines(body, "vat")[0]["reason"]


def test_us_duty_depends_on_the_origin_and_postal_items_pay_no_processing_fee():
    china = _estimate(_basket("US", "USD", "100.00", date="2026-11-25", transport="express"))
    other = _estimate(
        _basket("US", "USD", "100.00", date="2026-11-25", transport="express", origin_country="GB")
    )
    postal = _estimate(_basket("US", "USD", "100.00", date="2026-11-25", transport="postal"))
    assert china["regime"]["code"] == "US-2026-10"
    # 16% sample tariff + 20% sample additional duty for CN; 10% for other origins.
    assert _total(china, "duty") == Decimal("36.00")
    assert _total(other, "duty") == Decimal("26.00")
    assert _total(china, "fee") == Decimal("2.77")
    assert _total(postal, "fee") == Decimal("0.00")


@pytest.mark.parametrize(
    ("day", "code", "fee", "year"),
    [
        ("2026-09-30", "US-2026", "2.69", "fiscal year 2026"),
        ("2026-10-01", "US-2026-10", "2.77", "fiscal year 2027"),
        ("2027-07-01", "US-2027", "2.77", "fiscal year 2027"),
    ],
)
def test_us_processing_fee_follows_the_fiscal_year_adjustment(day, code, fee, year):
    """COBRA fees are adjusted for inflation each 1 October (19 CFR 24.22(k)): an express
    entry the day before pays the old fiscal year's fee, the day itself the new one."""
    body = _estimate(_basket("US", "USD", "100.00", date=day, transport="express"))
    assert body["regime"]["code"] == code
    (line,) = _lines(body, "fee")
    assert Decimal(line["amount"]) == Decimal(fee) and year in line["reason"]


def test_us_postal_items_pay_the_duty_by_origin_alone_and_express_items_both_duties():
    """EO 14324 sec. 3(a): a postal item's ad valorem duty is its origin's IEEPA rate on its
    value (CBP's mail duty worksheet: USD 45 from Brazil at 50% owes USD 22.50); a courier
    shipment pays the tariff duty and the duty by origin on top."""
    postal = _estimate(
        _basket("US", "USD", "45.00", date="2026-11-25", transport="postal", origin_country="BR")
    )
    express = _estimate(
        _basket("US", "USD", "45.00", date="2026-11-25", transport="express", origin_country="BR")
    )
    tariff, by_origin = _lines(postal, "duty")
    assert (Decimal(tariff["rate"]), tariff["amount"]) == (0, "0.00")
    assert "No tariff duty on a postal item of origin BR" in tariff["reason"]
    assert (Decimal(by_origin["rate"]), by_origin["amount"]) == (Decimal("0.5"), "22.50")
    assert "Executive Order 14324 sec. 3(a)" in by_origin["reason"]
    assert _total(postal, "duty") == Decimal("22.50")
    # 16% sample tariff + 50% for Brazil (10% + 40% under Executive Order 14323).
    assert [line["amount"] for line in _lines(express, "duty")] == ["7.20", "22.50"]
    assert "Executive Order 14323" in _lines(express, "duty")[1]["reason"]


@pytest.mark.parametrize(
    ("origin", "per_item"),
    [
        ("CN", "200.00"),  # IEEPA rate 30% until 9 November 2025: above 25%
        ("GB", "80.00"),  # 10%: below 16%
        ("BR", "200.00"),  # 50% (10% + 40% under Executive Order 14323): above 25%
    ],
)
def test_us_postal_items_may_pay_the_specific_duty_during_the_transition(origin, per_item):
    body = _estimate(
        _basket(
            "US",
            "USD",
            "30.00",
            date="2025-10-01",
            transport="postal",
            postal_duty_method="specific",
            origin_country=origin,
        )
    )
    assert body["regime"]["code"] == "US-2025-10"
    (duty,) = _lines(body, "duty")
    assert duty["amount"] == per_item and "per postal item" in duty["reason"]
    assert _total(body, "duty") == Decimal(per_item)


@pytest.mark.parametrize(
    ("destination", "currency", "hs", "rate"),
    [
        ("NO", "NOK", "030211", "0.15"),  # fish: food at 15% (mval. § 5-2)
        ("NO", "NOK", "080810", "0.15"),  # apples
        ("NO", "NOK", "220300", "0.25"),  # beer: alcohol stays at 25%
        ("GB", "GBP", "080810", "0"),  # apples: zero-rated food (VATA 1994 Sch. 8 Group 1)
        ("GB", "GBP", "190590", "0"),  # bread
        ("GB", "GBP", "180690", "0.2"),  # chocolate: an excepted item
        ("GB", "GBP", "200520", "0.2"),  # potato crisps: an excepted item
        ("GB", "GBP", "220210", "0.2"),  # soft drinks
        ("DE", "EUR", "190590", "0.07"),  # bread: UStG Anlage 2
        ("DE", "EUR", "200912", "0.19"),  # orange juice: heading 2009 is excepted
        ("FR", "EUR", "040690", "0.055"),  # cheese: CGI art. 278-0 bis A
        ("FR", "EUR", "170490", "0.2"),  # sugar confectionery: excepted
        ("SE", "SEK", "080810", "0.06"),  # apples: the temporary food rate of 2026-2027
        ("SE", "SEK", "220300", "0.25"),  # beer
        ("ES", "EUR", "040690", "0.04"),  # cheese: a basic food (Ley 37/1992 art. 91.Dos.1.1º)
        ("ES", "EUR", "180632", "0.1"),  # chocolate: other food
        ("ES", "EUR", "220210", "0.21"),  # soft drinks
        ("PL", "PLN", "040690", "0.05"),  # cheese: załącznik nr 10
        ("PL", "PLN", "090121", "0.23"),  # coffee
        ("IE", "EUR", "040690", "0"),  # cheese: zero-rated food (VATCA 2010 Sch. 2 para. 8)
        ("IE", "EUR", "180632", "0.23"),  # chocolate: excepted
        ("MT", "EUR", "190219", "0"),  # pasta: food exempt with credit
        ("MT", "EUR", "180632", "0.05"),  # chocolate: confectionery at 5%
        ("IT", "EUR", "040690", "0.22"),  # not mapped: the standard rate
    ],
)
def test_food_takes_the_food_rate_where_the_law_gives_one(destination, currency, hs, rate):
    body = _estimate(_basket(destination, currency, "400.00", hs=hs, date="2026-11-25"))
    (vat,) = _lines(body, "vat")
    assert Decimal(vat["rate"]) == Decimal(rate)


def test_swiss_agricultural_duties_are_said_to_be_outside_the_model():
    body = _estimate(_basket("CH", "CHF", "300.00", hs="020130", date="2026-11-25"))
    (duty,) = _lines(body, "duty")
    assert "chapters 1-24" in duty["reason"] and "does not model" in duty["reason"]


def test_a_specific_postal_duty_asked_where_none_is_offered_is_said_to_be_replaced():
    body = _estimate(
        _basket("US", "USD", "30.00", date="2026-11-25", transport="postal",
                postal_duty_method="specific")
    )  # fmt: skip
    assert not any("per postal item" in line["reason"] for line in _lines(body, "duty"))
    assert any("ad valorem duty applies" in text for text in body["explanation"])
    french = APIClient().generic(
        "POST", "/api/v1/estimates",
        json.dumps(_basket("US", "USD", "30.00", date="2026-11-25", transport="postal",
                           postal_duty_method="specific")),
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="fr",
    ).json()  # fmt: skip
    assert any("le droit ad valorem s'applique" in text for text in french["explanation"])


def test_the_specific_postal_duty_does_not_reach_informational_materials():
    # The specific duty is the duty by origin (IEEPA) per postal item: books are outside it
    # (50 U.S.C. 1702(b)(3)); a parcel of books alone pays none, a mixed parcel pays it once.
    books = _basket(
        "US",
        "USD",
        "50.00",
        hs="490199",
        date="2025-09-15",
        transport="postal",
        postal_duty_method="specific",
    )
    body = _estimate(books)
    (duty,) = _lines(body, "duty")
    assert duty["amount"] == "0.00" and "50 U.S.C. 1702(b)(3)" in duty["reason"]
    mixed = {**books, "items": [*books["items"], {"hs_code": "610910", "value": "20.00"}]}
    body = _estimate(mixed)
    assert _total(body, "duty") == Decimal("200.00")
    assert sum("per postal item" in line["reason"] for line in _lines(body, "duty")) == 1


@pytest.mark.parametrize(
    ("category", "value", "vat"),
    [
        ("gift", "39.00", "0.00"),  # gift relief up to GBP 39
        ("gift", "40.00", "8.00"),  # import VAT at the border: GBP 135 covers sales only
        ("sale_of_goods", "40.00", "0.00"),  # VAT moved to the point of sale
    ],
)
def test_uk_gift_relief_and_the_135_rule(category, value, vat):
    body = _estimate(_basket("GB", "GBP", value, date="2026-11-25", category=category))
    assert _total(body, "vat") == Decimal(vat)
    assert _total(body, "duty") == Decimal("0.00")


def test_a_business_buyer_gives_its_number():
    problem = _estimate(_basket("AU", "AUD", "100.00", buyer="business"), status=422)
    assert problem["errors"][0]["pointer"] == "/buyer_number"
    body = _estimate(
        _basket(
            "AU", "AUD", "100.00", buyer="business", buyer_number="51824753556", tax_scheme="AU_GST"
        )
    )
    assert any("the buyer is a business" in line for line in body["explanation"])
    assert body["charged_at_checkout"] == "0.00"


def test_canada_courier_shipments_from_the_us_use_the_cusma_thresholds():
    courier = _estimate(
        _basket("CA", "CAD", "100.00", origin_country="US", transport="express", date="2026-11-25")
    )
    postal = _estimate(
        _basket("CA", "CAD", "100.00", origin_country="US", transport="postal", date="2026-11-25")
    )
    assert _total(courier, "duty") == Decimal("0.00")  # <= CAD 150
    assert _total(courier, "vat") == Decimal("5.00")  # > CAD 40: GST 5%
    assert _total(postal, "duty") > 0 and _total(postal, "vat") > 0  # CAD 20 for postal


def test_small_amounts_are_not_levied_in_switzerland_and_new_zealand():
    small = _estimate(_basket("CH", "CHF", "50.00", date="2026-11-25"))
    larger = _estimate(_basket("CH", "CHF", "100.00", date="2026-11-25"))
    assert _total(small, "vat") == Decimal("0.00")  # 8.1% of 50 = 4.05 <= CHF 5
    assert _total(larger, "vat") == Decimal("8.10")
    nz = _estimate(_basket("NZ", "NZD", "100.00", date="2026-11-25", category="gift"))
    # Duty 5% (sample) 5.00 + GST 15.75 = 20.75 < NZD 60: not collected. The low-value goods
    # levy (NZD 2.21 + GST, billed to the declarant) is not waived by that minimum.
    assert _total(nz, "duty") == Decimal("0.00")
    assert _total(nz, "total") == Decimal("2.54") == Decimal(nz["due_from_declarant"])
    assert Decimal(nz["you_pay_on_delivery"]) == Decimal("0.00")


def test_france_small_parcel_tax_counts_subheadings_from_1_march_2026():
    eve = _estimate(_basket("FR", "EUR", "40.00", date="2026-02-28"))
    first = _estimate(_basket("FR", "EUR", "40.00", date="2026-03-01"))
    assert (eve["regime"]["code"], first["regime"]["code"]) == ("EU-FR-2021", "EU-FR-2026-03")
    assert _total(eve, "fee") == Decimal("0.00") and _total(first, "fee") == Decimal("2.00")
    (fee,) = _lines(first, "fee")
    assert fee["payer"] == "consignee" and fee["collection_channel"] == "border"
    assert "Loi n° 2026-103" in fee["reason"] and fee["basis"] == "1.00" and fee["rate"] == "2"
    two = _estimate(
        {
            "destination": "FR",
            "currency": "EUR",
            "origin_country": "CN",
            "date": "2026-11-25",
            "items": [
                {"hs_code": "610910", "value": "10.00"},
                {"hs_code": "610910", "value": "10.00"},
                {"hs_code": "420232", "value": "10.00"},
            ],
        }
    )
    assert _total(two, "fee") == Decimal("4.00")  # two subheadings, not three lines
    above = _estimate(_basket("FR", "EUR", "150.01", date="2026-11-25"))
    gift = _estimate(_basket("FR", "EUR", "45.00", date="2026-11-25", category="gift"))
    assert _total(above, "fee") == _total(gift, "fee") == Decimal("0.00")
    # Transitional: it ends on 31 December 2026 at the latest.
    last = _estimate(_basket("FR", "EUR", "40.00", date="2026-12-31"))
    after = _estimate(_basket("FR", "EUR", "40.00", date="2027-01-01"))
    assert _total(last, "fee") == Decimal("2.00") and after["regime"]["code"] == "EU-FR-2027"
    assert _total(after, "fee") == Decimal("0.00") and _total(after, "duty") == Decimal("3.00")


def test_new_zealand_levy_is_billed_to_the_declarant_by_air_not_per_postal_item():
    eve = _estimate(_basket("NZ", "NZD", "100.00", date="2026-03-31", transport="express"))
    first = _estimate(_basket("NZ", "NZD", "100.00", date="2026-04-01", transport="express"))
    postal = _estimate(_basket("NZ", "NZD", "100.00", date="2026-11-25", transport="postal"))
    high = _estimate(_basket("NZ", "NZD", "1000.01", date="2026-11-25", transport="express"))
    assert _total(eve, "total") == Decimal("0.00")
    assert [
        (line["amount"], line["payer"], line["collection_channel"])
        for line in first["lines"]
        if line["tax_type"] == "fee"
    ] == [("2.21", "declarant", "deferred_statement")]
    (gst,) = [line for line in _lines(first, "vat") if "levy" in line["reason"]]
    assert gst["amount"] == "0.33" and gst["payer"] == "declarant"
    assert _total(postal, "fee") == _total(high, "fee") == Decimal("0.00")


def test_the_public_page_asks_for_destination_date_category_buyer_and_transport(client):
    from django.urls import reverse

    html = client.get(reverse("revenue:estimate")).content.decode()
    for name in ("destination", "date", "category", "buyer", "transport"):
        assert f'name="{name}"' in html, name
    response = client.post(
        reverse("revenue:estimate"),
        {
            "destination": "GB",
            "date": "2026-11-25",
            "origin_country": "US",
            "currency": "GBP",
            "shipping_cost": "0",
            "category": "gift",
            "buyer": "consumer",
            "transport": "postal",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-0-hs_code": "610910",
            "items-0-value": "40.00",
            "items-0-quantity": "1",
        },
    )
    html = response.content.decode()
    assert "GB-2021" in html and 'id="you-pay">8.00\u00a0GBP' in html


def test_australia_and_canada_convert_at_the_rate_of_the_day_of_export():
    """Customs Act 1901 s. 161J; CBSA Memorandum D13-2-3: the rate of the day the goods left
    (or were posted, or were shipped directly), not of the day they arrive."""
    for destination in ("AU", "CA"):
        exported = _estimate(
            _basket(destination, "USD", "100.00", date="2026-03-20", export_date="2026-03-02")
        )
        arrived = _estimate(_basket(destination, "USD", "100.00", date="2026-03-20"))
        assert exported["exchange_rate_rule"] == "export_day"
        assert exported["export_date"] == "2026-03-02"
        assert exported["exchange_rate_fixed_on"] == "2026-03-02"
        assert arrived["export_date"] is None
        assert arrived["exchange_rate_fixed_on"] == "2026-03-20"
        assert exported["exchange_rate"] != arrived["exchange_rate"], "two days, two rates"
        # Without the day of export the import day's rate is used, and the answer says so.
        assert not any("day of export" in line for line in exported["explanation"])
        assert any("day of export" in line for line in arrived["explanation"])


def test_the_day_of_export_is_not_used_where_the_rule_is_the_import_day():
    with_export = _estimate(
        _basket("NO", "EUR", "100.00", date="2026-03-20", export_date="2026-03-02")
    )
    assert with_export["exchange_rate_rule"] == "daily"
    assert with_export["exchange_rate_fixed_on"] == "2026-03-20"


def test_goods_are_not_exported_after_they_are_imported():
    problem = _estimate(
        _basket("AU", "USD", "100.00", date="2026-03-20", export_date="2026-03-21"), status=422
    )
    error = problem["errors"][0]
    assert (error["pointer"], error["code"]) == ("/export_date", "export_after_import")


def test_the_public_page_takes_the_day_the_parcel_was_sent(client):
    from django.urls import reverse

    form = {
        "destination": "AU",
        "date": "2026-03-20",
        "export_date": "2026-03-02",
        "origin_country": "US",
        "currency": "USD",
        "shipping_cost": "0",
        "category": "sale_of_goods",
        "buyer": "consumer",
        "transport": "express",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-hs_code": "610910",
        "items-0-value": "1500.00",
        "items-0-quantity": "1",
    }
    assert 'name="export_date"' in client.get(reverse("revenue:estimate")).content.decode()
    html = client.post(reverse("revenue:estimate"), form).content.decode()
    assert "rate fixed for 03/02/2026" in html  # the day of export, as the reader writes it
    french = client.post(reverse("revenue:estimate"), form, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Date d&#x27;expédition du colis" in french.content.decode()


@pytest.mark.parametrize("field", ["date", "export_date"])
@pytest.mark.parametrize("sent", [0, 1764633600, "1764633600", "2026-1-5", "05/12/2026", True])
def test_estimator_dates_are_iso_calendar_dates_only(field, sent):
    """A JSON number (or digits) is not read as a Unix timestamp: the contract says YYYY-MM-DD."""
    body = {**_basket("AU", "AUD", "100.00", date="2026-11-25"), field: sent}
    response = APIClient().post("/api/v1/estimates", body, format="json")
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["pointer"], error["code"]) == (f"/{field}", "date_invalid")


# --- Territories, inputs named precisely, and the rules an auditor probed --------------------------


@pytest.mark.parametrize(
    ("destination", "currency", "sent_from"),
    [
        ("FR", "EUR", "MC"),
        ("DE", "EUR", "MC"),
        ("CH", "CHF", "LI"),
        ("GB", "GBP", "IM"),
        ("US", "USD", "PR"),
        ("GB", "GBP", "GB"),
        ("CA", "CAD", "CA"),
        ("NO", "NOK", "NO"),
    ],
)
def test_goods_moving_inside_one_customs_and_vat_territory_are_not_imports(
    destination, currency, sent_from
):
    problem = _estimate(
        _basket(destination, currency, "100.00", origin_country=sent_from, date="2026-05-15"),
        status=422,
    )
    (error,) = problem["errors"]
    assert (error["pointer"], error["code"]) == ("/origin_country", "not_an_import")


@pytest.mark.parametrize(
    ("destination", "currency", "sent_from", "vat"),
    [
        ("FR", "EUR", "GP", "10.00"),
        ("FI", "EUR", "AX", "12.75"),
        ("IT", "EUR", "SM", "11.00"),
        ("GB", "GBP", "JE", "40.00"),
    ],
)
def test_goods_from_inside_the_customs_territory_but_outside_the_vat_territory_owe_vat_only(
    destination, currency, sent_from, vat
):
    value = "200.00" if destination == "GB" else "50.00"
    body = _estimate(
        _basket(destination, currency, value, origin_country=sent_from, date="2026-02-16")
    )
    assert _total(body, "duty") == Decimal("0.00")
    assert _total(body, "vat") == Decimal(vat)
    (duty,) = _lines(body, "duty")
    assert f"No customs duty on goods sent from {sent_from}" in duty["reason"]


def test_each_element_at_fault_is_named():
    def error_of(body):
        (error,) = _estimate(body, status=422)["errors"]
        return error["pointer"], error["code"]

    assert error_of(_basket("XX", "EUR", "10.00")) == ("/destination", "country_unknown")
    assert error_of(_basket("JP", "JPY", "10.00")) == ("/destination", "regime_unknown")
    assert error_of(_basket("NZ", "NZD", "10.00", date="2019-01-01")) == ("/date", "regime_unknown")
    assert error_of(_basket("DE", "EUR", "10.00", hs="999999")) == (
        "/items/0/hs_code",
        "hs_code_unknown",
    )
    assert error_of(_basket("AU", "USD", "10.00", date="2026-11-25", export_date="1990-01-01")) == (
        "/export_date",
        "exchange_rate_unknown",
    )


def test_goods_classified_from_their_descriptions_count_as_one_tariff_code_each():
    body = _estimate(
        {
            "destination": "DE",
            "currency": "EUR",
            "origin_country": "CN",
            "date": "2026-11-25",
            "items": [
                {"description": "wireless earbuds", "value": "20.00"},
                {"description": "phone charger", "value": "10.00"},
            ],
        }
    )
    # Two goods of chapter 85 may be two subheadings: EUR 3 each, never one for both.
    assert [line["amount"] for line in _lines(body, "duty")] == ["3.00", "3.00"]
    assert all("inferred" in line["reason"] for line in _lines(body, "duty"))


@pytest.mark.parametrize(
    ("destination", "currency", "hs", "rate"),
    [
        ("DE", "EUR", "490210", "0.07"),
        ("DE", "EUR", "490300", "0.07"),
        ("AT", "EUR", "490210", "0.1"),
        ("IT", "EUR", "490210", "0.04"),
        ("GB", "GBP", "490300", "0"),
        ("CH", "CHF", "490300", "0.026"),
    ],
)
def test_newspapers_and_childrens_books_take_the_reduced_rate_of_books(
    destination, currency, hs, rate
):
    body = _estimate(_basket(destination, currency, "300.00", hs=hs, date="2026-05-15"))
    assert [line["rate"] for line in _lines(body, "vat")] == [rate]


@pytest.mark.parametrize(
    ("hs", "under_the_scheme"),
    [("220110", True), ("220210", True), ("220300", False), ("220421", False)],
)
def test_only_alcoholic_drinks_of_chapter_22_are_excise_goods(hs, under_the_scheme):
    body = _estimate(_basket("DE", "EUR", "20.00", hs=hs, date="2026-05-15", tax_scheme="IOSS"))
    assert (Decimal(body["charged_at_checkout"]) > 0) is under_the_scheme
    assert (_total(body, "duty") > 0) is not under_the_scheme


def test_us_goods_of_china_lost_de_minimis_on_2_may_2025_other_origins_on_29_august():
    def duty(origin, day):
        body = _estimate(
            _basket("US", "USD", "100.00", origin_country=origin, date=day, transport="express")
        )
        return body["regime"]["code"], _total(body, "duty")

    assert duty("CN", "2025-05-01") == ("US-2016", Decimal("0.00"))
    # 16% sample tariff + 145% by origin until 13 May 2025, 30% from 14 May.
    assert duty("CN", "2025-05-13") == ("US-2025-05", Decimal("161.00"))
    assert duty("CN", "2025-06-15") == ("US-2025-05-14", Decimal("46.00"))
    assert duty("HK", "2025-06-15") == ("US-2025-05-14", Decimal("46.00"))
    assert duty("GB", "2025-06-15") == ("US-2025-05-14", Decimal("0.00"))
    assert duty("GB", "2025-08-29") == ("US-2025", Decimal("26.00"))


def test_us_bona_fide_gifts_up_to_100_dollars_stay_free_after_the_suspension():
    gift = _estimate(
        _basket(
            "US",
            "USD",
            "50.00",
            origin_country="GB",
            date="2026-11-15",
            transport="express",
            category="gift",
        )
    )
    sale = _estimate(
        _basket("US", "USD", "50.00", origin_country="GB", date="2026-11-15", transport="express")
    )
    larger = _estimate(
        _basket(
            "US",
            "USD",
            "150.00",
            origin_country="GB",
            date="2026-11-15",
            transport="express",
            category="gift",
        )
    )
    assert (_total(gift, "duty"), _total(gift, "fee")) == (Decimal("0.00"), Decimal("0.00"))
    assert "1321(a)(2)(A)" in _lines(gift, "duty")[0]["reason"]
    assert _total(sale, "duty") > 0 and _total(larger, "duty") > 0


@pytest.mark.parametrize("transport", ["postal", "express"])
def test_us_duty_by_origin_does_not_reach_books(transport):
    body = _estimate(
        _basket("US", "USD", "30.00", hs="490199", date="2025-11-15", transport=transport)
    )
    assert _total(body, "duty") == Decimal("0.00")
    assert any("1702(b)(3)" in line["reason"] for line in _lines(body, "duty"))


def test_us_converts_at_the_rate_of_the_day_of_export():
    body = _estimate(
        _basket(
            "US",
            "EUR",
            "100.00",
            origin_country="DE",
            date="2025-12-10",
            export_date="2025-11-20",
            transport="express",
        )
    )
    assert body["exchange_rate_rule"] == "export_day"
    assert body["exchange_rate_fixed_on"] == "2025-11-20"


def test_australian_sellers_charge_gst_on_their_price_not_on_the_border_duty():
    body = _estimate(
        {
            "destination": "AU",
            "currency": "AUD",
            "origin_country": "CN",
            "date": "2026-11-25",
            "tax_scheme": "AU_GST",
            "items": [
                {"hs_code": "610910", "value": "800.00"},
                {"hs_code": "620342", "value": "800.00"},
            ],
        }
    )
    assert [line["basis"] for line in _lines(body, "vat")] == ["800.00", "800.00"]
    assert body["charged_at_checkout"] == "160.00"


@pytest.mark.parametrize(
    ("value", "duty"), [("40.00", "0.00"), ("45.01", "1.13"), ("100.00", "2.50")]
)
def test_eu_gifts_from_july_2026_pay_the_gift_rate_not_the_flat_duty(value, duty):
    body = _estimate(
        _basket("FR", "EUR", value, origin_country="US", date="2026-11-25", category="gift")
    )
    sale = _estimate(_basket("FR", "EUR", value, origin_country="US", date="2026-11-25"))
    assert _total(body, "duty") == Decimal(duty)
    assert _total(sale, "duty") == Decimal("3.00")  # a sale pays the flat duty per code


@pytest.mark.parametrize(
    ("value", "day", "fee"),
    [
        ("2500.00", "2026-11-25", "2.77"),
        ("2500.01", "2026-11-25", "34.58"),
        ("20000.00", "2026-11-25", "69.28"),
        ("300000.00", "2026-11-25", "670.86"),
        ("3000.00", "2025-11-25", "33.58"),
    ],
)
def test_us_entries_above_2500_dollars_are_formal_and_pay_the_ad_valorem_fee(value, day, fee):
    body = _estimate(
        _basket("US", "USD", value, origin_country="GB", date=day, transport="express")
    )
    assert _total(body, "fee") == Decimal(fee)
    if Decimal(value) > 2500:
        assert "19 CFR 24.23(b)(1)(i)(A)" in _lines(body, "fee")[0]["reason"]


def test_a_day_without_a_publication_takes_the_last_rate_published_not_a_blend():
    """Sunday 25 October 2026: the ECB published nothing; Friday's rate applies, and the answer
    names Friday as the day it was published."""
    sunday = _estimate(
        _basket("NO", "EUR", "1000.00", hs="420222", origin_country="DE", date="2026-10-25")
    )
    friday = _estimate(
        _basket("NO", "EUR", "1000.00", hs="420222", origin_country="DE", date="2026-10-23")
    )
    assert sunday["exchange_rate"] == friday["exchange_rate"]
    assert sunday["exchange_rate_published_on"] == "2026-10-23"
    assert _total(sunday, "vat") == _total(friday, "vat")


@pytest.mark.parametrize(
    ("destination", "currency", "value", "relieved"),
    [
        ("CH", "CHF", "100.00", True),
        ("CH", "CHF", "100.05", False),
        ("NO", "NOK", "1000.00", True),
        ("NO", "NOK", "1001.00", False),
    ],
)
def test_swiss_and_norwegian_gifts_between_private_persons_are_relieved(
    destination, currency, value, relieved
):
    body = _estimate(
        _basket(
            destination,
            currency,
            value,
            hs="610910",
            origin_country="DE",
            date="2026-11-25",
            category="gift",
        )
    )
    assert (_total(body, "total") == Decimal("0.00")) is relieved


@pytest.mark.parametrize(
    ("hs", "rate"), [("190531", "0.026"), ("300490", "0.026"), ("610910", "0.081")]
)
def test_switzerland_taxes_food_and_medicines_at_the_reduced_rate(hs, rate):
    body = _estimate(_basket("CH", "CHF", "300.00", hs=hs, origin_country="DE", date="2026-11-25"))
    assert [line["rate"] for line in _lines(body, "vat")] == [rate]


def test_the_french_small_parcel_tax_counts_described_goods_one_code_each():
    body = _estimate(
        {
            "destination": "FR",
            "currency": "EUR",
            "origin_country": "CN",
            "date": "2026-07-01",
            "items": [
                {"description": "cotton T-shirt", "value": "20.00"},
                {"description": "cotton T-shirt", "value": "20.00"},
            ],
        }
    )
    assert _total(body, "duty") == Decimal("6.00")
    assert _total(body, "fee") == Decimal("4.00")


def test_relief_lines_carry_a_rate_of_zero():
    body = _estimate(
        _basket("GB", "GBP", "30.00", origin_country="US", date="2026-05-15", category="gift")
    )
    assert body["lines"] and all(line["rate"] == "0" for line in body["lines"])


def test_the_estimator_zero_rates_a_babies_garment_in_ireland_and_cites_why():
    body = _estimate(
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
        }
    )
    vat = {line["item_line"]: line for line in _lines(body, "vat")}
    assert (Decimal(vat[1]["rate"]), Decimal(vat[1]["amount"])) == (Decimal("0"), Decimal("0.00"))
    assert "children's clothing and footwear" in vat[1]["reason"]
    # The EUR 3 flat duty per tariff code is in the VAT base of the adult's T-shirt: 23 % of 23.00.
    assert (Decimal(vat[2]["rate"]), Decimal(vat[2]["amount"])) == (
        Decimal("0.23"),
        Decimal("5.29"),
    )


def test_a_stored_line_keeps_its_whole_legal_reason(settings, operator_b):
    from revenue.models import TaxLine
    from tests.revenue.helpers import border_body, submit

    settings.CUSTOMS_JURISDICTION = "IE"
    (declaration,) = submit(operator_b.operator, [border_body("IE-BABY", hs_code="611120")])
    line = TaxLine.objects.get(assessment__declaration=declaration, tax_type="vat")
    assert line.rate == 0 and line.amount == 0
    assert len(line.legal_reason) > 400
    assert "Annex III point 6 (books)" in line.legal_reason
    # The citation of the food rates comes last and is kept to its end.
    assert line.legal_reason.endswith("bakery products other than bread, 13.5%))")


@pytest.mark.parametrize("value", ["4_0", "\u0664.00", "2.4E+1", "+4.00", " 4.00", "0004.00"])
def test_the_estimator_takes_plain_decimals_only(value):
    body = {
        "destination": "FR",
        "origin_country": "CN",
        "currency": "EUR",
        "items": [{"hs_code": "610910", "value": value}],
    }
    answer = APIClient().generic(
        "POST", "/api/v1/estimates", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 422, answer.content
    error = answer.json()["errors"][0]
    assert error["pointer"] == "/items/0/value" and error["code"] == "decimal_invalid"


@pytest.mark.parametrize(
    ("element", "text"),
    [
        ("/items/0/description", "Cotton T-shirt\u0007"),
        ("/items/0/description", "Phone\u0000case"),
        ("/buyer_number", "DE123\u001b456789"),
    ],
)
def test_the_estimator_refuses_control_characters_as_declarations_do(element, text):
    body = {
        "destination": "FR",
        "origin_country": "CN",
        "currency": "EUR",
        "items": [{"description": "Cotton T-shirt", "value": "10.00"}],
    }
    if element == "/buyer_number":
        body.update(buyer="business", buyer_number=text)
    else:
        body["items"][0]["description"] = text
    (error,) = _estimate(body, status=422)["errors"]
    assert (error["pointer"], error["code"]) == (element, "control_character")
    assert error["detail"].startswith("The text holds the control character U+00")


# --- The bounds of the basket's dates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("destination", "currency"), [("FR", "EUR"), ("AU", "AUD"), ("US", "USD"), ("PL", "PLN")]
)
def test_an_export_more_than_a_year_before_the_import_is_refused_at_export_date(
    destination, currency
):
    """Accepted before whatever the year (0001-01-01 too), echoed back as if it meant
    something; a parcel is posted days or weeks before it arrives."""
    error = _estimate(
        _basket(destination, currency, "100.00", date="2026-11-25", export_date="2025-11-24"),
        status=422,
    )["errors"]
    assert [(e["pointer"], e["code"]) for e in error] == [("/export_date", "export_too_early")]
    assert "2025-11-24" in error[0]["detail"] and "2026-11-25" in error[0]["detail"]
    for far in ("0001-01-01", "1900-01-01"):
        body = _basket(destination, currency, "100.00", date="2026-11-25", export_date=far)
        (error,) = _estimate(body, status=422)["errors"]
        assert (error["pointer"], error["code"]) == ("/export_date", "export_too_early")
    # A year to the day is still answered, with that day's rate where the rule takes it.
    body = _estimate(
        _basket(destination, currency, "100.00", date="2026-11-25", export_date="2025-11-25")
    )
    assert body["export_date"] == "2025-11-25"


def test_an_import_more_than_five_years_ahead_is_refused_at_date():
    """Open-ended regimes answered any year (9999-12-31 included) with today's law and rates."""
    for date in ("2031-11-26", "2999-12-31", "9999-12-31"):
        (error,) = _estimate(_basket("FR", "EUR", "100.00", date=date), status=422)["errors"]
        assert (error["pointer"], error["code"]) == ("/date", "date_too_far_ahead")
        assert date in error["detail"] and "2031-11-25" in error["detail"]
    # Five years to the day (today is 2026-11-25 in Paris) is still estimated.
    assert _estimate(_basket("FR", "EUR", "100.00", date="2031-11-25"))["date"] == "2031-11-25"


def test_the_date_bounds_read_in_french_on_the_api():
    response = APIClient().generic(
        "POST",
        "/api/v1/estimates",
        json.dumps(_basket("FR", "EUR", "100.00", date="2026-11-25", export_date="2020-01-01")),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["code"] == "export_too_early"
    assert "plus d'un an avant" in error["detail"], error
