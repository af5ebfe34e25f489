"""Foreign-currency values convert exactly to the cent: ``amount * per_eur_to / per_eur_from``,
rounded once where the law rounds (each converted value to the cent), never with a cross rate
rounded to six decimals first. In currencies of many units per euro that rounded rate was off by
up to 0.5 % and moved consignments across the EUR 150 threshold either way. The estimator, the
batch assessment, the assessment one declaration at a time and a revaluation all convert so, and
agree to the cent."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.db import IntegrityError
from django.urls import reverse
from rest_framework.test import APIClient

from declarations.models import ExchangeRate
from declarations.services import declarations_submit
from revenue.calculators import ConsignmentIn, ItemIn, assess
from revenue.models import TaxAssessment
from revenue.money import CrossRate, convert, plain, rate_text
from revenue.regimes import load_shipped_regimes, regime_for
from revenue.services import assessment as assessment_service
from revenue.services.revaluation import taxes_revalue
from tests.revenue.helpers import border_body, under_inspection

CENT = Decimal("0.01")


def _estimate(body: dict) -> dict:
    response = APIClient().generic(
        "POST", "/api/v1/estimates", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _by_hand(amount: str, per_eur: str) -> Decimal:
    return (Decimal(amount) / Decimal(per_eur)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the arithmetic -------------------------------------------------------------------------------


def test_a_cross_rate_converts_with_the_official_figures_unrounded():
    idr = CrossRate(per_eur_to=Decimal(1), per_eur_from=Decimal("20305.82"))
    assert convert(Decimal("3050000.00"), idr) == Decimal("150.20")
    # The rate rounded to six decimals first (0.000049) gave EUR 149.45.
    assert Decimal("3050000.00") * Decimal("0.000049") < 150
    usd = CrossRate(per_eur_to=Decimal(1), per_eur_from=Decimal("1.1411"))
    assert convert(Decimal("9999999.99"), usd) == Decimal("8763473.83")
    # Two currencies other than the euro: crossed through their figures per euro.
    usd_in_gbp = CrossRate(per_eur_to=Decimal("0.8712"), per_eur_from=Decimal("1.1411"))
    assert convert(Decimal("1000.00"), usd_in_gbp) == Decimal("763.47")  # 763.4650...


@pytest.mark.parametrize(
    ("amount", "per_eur", "expected"),
    [
        # Exactly half a cent: rounded half up, as the regime says, however the quotient of
        # the two figures runs on (1/1.2 and 1/1558 never end in decimals).
        ("0.03", "1.2", "0.03"),
        ("7.79", "1558", "0.01"),
        ("23.37", "1558", "0.02"),
        # Just below and above half a cent.
        ("7.78", "1558", "0.00"),
        ("7.80", "1558", "0.01"),
    ],
)
def test_half_a_cent_is_rounded_as_the_regime_rounds_it(amount, per_eur, expected):
    rate = CrossRate(per_eur_to=Decimal(1), per_eur_from=Decimal(per_eur))
    assert convert(Decimal(amount), rate) == Decimal(expected)


def test_a_rate_is_shown_in_plain_notation_with_significant_digits():
    assert rate_text(CrossRate(Decimal(1), Decimal("20305.82"))) == "0.00004924696466"
    assert rate_text(CrossRate(Decimal(1), Decimal("1.1411"))) == "0.8763473841"
    assert rate_text(CrossRate(Decimal("366.33"))) == "366.33"
    assert rate_text(Decimal("0.92")) == "0.92"
    assert plain(Decimal("8E+1")) == "80"
    assert plain(Decimal("80.000000")) == "80"
    assert plain(Decimal("0.120000")) == "0.12"
    assert plain(Decimal("-0.00")) == "0"


def test_the_engine_states_the_official_figures_it_converted_with():
    regime = regime_for(load_shipped_regimes(), "NL", date(2026, 10, 5))
    consignment = ConsignmentIn(
        currency="IDR", items=(ItemIn(line=1, hs_code="610910", value=Decimal("3050000.00")),)
    )
    result = assess(consignment, regime, fx_rate=CrossRate(Decimal(1), Decimal("20305.82")))
    assert (
        "Exchange rate of the day: 1 IDR = 0.00004924696466 EUR (1 EUR = 20305.82 IDR)."
        in result.explanation
    )
    assert result.totals["total"] == Decimal("53.35")


# --- the estimator --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rupiah_just_above_eur_150_pays_the_tariff_duty():
    # ECB 23 September 2026 (the customs rate of October): 20,305.82 IDR per EUR.
    body = _estimate(
        {
            "destination": "NL",
            "date": "2026-10-05",
            "currency": "IDR",
            "origin_country": "CN",
            "items": [{"hs_code": "610910", "value": "3050000.00"}],
        }
    )
    assert _by_hand("3050000.00", "20305.82") == Decimal("150.20")
    duty, vat = body["lines"]
    assert (duty["basis"], duty["rate"], duty["amount"]) == ("150.20", "0.12", "18.02")
    assert (vat["basis"], vat["rate"], vat["amount"]) == ("168.22", "0.21", "35.33")
    assert body["totals"] == {"duty": "18.02", "vat": "35.33", "fee": "0.00", "total": "53.35"}
    # The rate reads with its significant digits, never 0.000049.
    assert body["exchange_rate"] == "0.00004924696466"
    assert "1 EUR = 20305.82 IDR" in " ".join(body["explanation"])


@pytest.mark.django_db
def test_won_just_below_eur_150_pays_the_flat_duty():
    ExchangeRate.objects.create(currency="KRW", valid_from=date(2026, 10, 21), units_per_eur="1558")
    body = _estimate(
        {
            "destination": "NL",
            "date": "2026-11-25",
            "currency": "KRW",
            "origin_country": "CN",
            "items": [{"hs_code": "610910", "value": "233680"}],
        }
    )
    assert _by_hand("233680", "1558") == Decimal("149.99")
    assert body["totals"] == {"duty": "3.00", "vat": "32.13", "fee": "0.00", "total": "35.13"}
    assert any(line["basis"] == "152.99" for line in body["lines"] if line["tax_type"] == "vat")


@pytest.mark.django_db
def test_a_large_dollar_value_converts_to_the_cent():
    body = _estimate(
        {
            "destination": "NL",
            "date": "2026-10-05",
            "currency": "USD",
            "origin_country": "CN",
            "items": [{"hs_code": "940360", "value": "9999999.99"}],
        }
    )
    assert _by_hand("9999999.99", "1.1411") == Decimal("8763473.83")
    assert body["lines"][0]["basis"] == "8763473.83"
    assert body["totals"] == {
        "duty": "350538.95",  # 4 % of 8,763,473.83
        "vat": "1913942.68",  # 21 % of 9,114,012.78
        "fee": "0.00",
        "total": "2264481.63",
    }


# --- a declaration: batch, one at a time, revaluation, and the estimator agree ---------------------

DECEMBER = datetime(2026, 12, 3, 10, tzinfo=UTC)
FORINT_BASKET = {
    "destination": "FR",
    "date": "2026-12-03",
    "currency": "HUF",
    "origin_country": "CN",
    "transport": "express",
    "items": [{"hs_code": "610910", "value": "54949.00"}],
}
# EUR 150.00 (149.9986): the EUR 3 flat duty, VAT 20 % of 153.00 and the small-parcel tax.
FORINT_TOTALS = {"duty": "3.00", "vat": "30.60", "fee": "2.00", "total": "35.60"}


def _forint_body(lrn: str, value: str = "54949.00") -> dict:
    body = border_body(lrn, value=value)
    body["currency"] = "HUF"
    body.pop("transport_cost", None)
    return body


@pytest.fixture
def forint_rate(db):
    # December 2026 takes the customs rate of 18 November (the penultimate Wednesday).
    ExchangeRate.objects.create(
        currency="HUF", valid_from=date(2026, 11, 18), units_per_eur="366.33"
    )


@pytest.mark.django_db
def test_a_declaration_in_forint_accepted_as_h7_keeps_the_flat_duty(
    forint_rate, operator_b, django_capture_on_commit_callbacks, client, customs_user
):
    with time_machine.travel(DECEMBER, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = operator_b.post("/api/v1/declarations", _forint_body("HUF-H7-1"))
        # Intake's check of the H7 ceiling: 149.9986 EUR, not above 150.
        assert response.status_code == 201, response.content
        detail = operator_b.get(f"/api/v1/declarations/{response.json()['id']}").json()
        estimate = _estimate(FORINT_BASKET)
        estimate_page = client.post(
            reverse("revenue:estimate"),
            {
                "destination": "FR",
                "origin_country": "CN",
                "currency": "HUF",
                "transport": "express",
                "shipping_cost": "0.00",
                "items-TOTAL_FORMS": "1",
                "items-INITIAL_FORMS": "0",
                "items-0-hs_code": "610910",
                "items-0-value": "54949.00",
                "items-0-quantity": "1",
            },
            HTTP_HX_REQUEST="true",
        ).content.decode()
    taxes = detail["taxes"]
    assert taxes["totals"] == FORINT_TOTALS
    assert estimate["totals"] == FORINT_TOTALS
    assert taxes["exchange_rate"] == estimate["exchange_rate"] == "0.002729779161"
    stored = TaxAssessment.objects.get(declaration_id=detail["id"])
    assert (stored.rate_from_per_eur, stored.rate_to_per_eur) == (Decimal("366.33"), Decimal(1))
    assert {line["tax_type"]: line["basis"] for line in taxes["lines"]}["vat"] == "153.00"
    # The pages show the rate with its significant digits too (four decimals read 0.0027).
    assert "35.60\u00a0EUR" in estimate_page
    assert "exchange rate 0.002729779161" in estimate_page
    client.force_login(customs_user("officer"))
    page = client.get(f"/consignments/{detail['id']}/").content.decode()
    assert "exchange rate 0.002729779161" in page


@pytest.mark.django_db
def test_the_assessment_one_declaration_at_a_time_converts_as_the_batch(
    forint_rate, operator_b, monkeypatch
):
    def collide(computed):
        raise IntegrityError("stored already")

    with time_machine.travel(DECEMBER, tick=False):
        outcomes = declarations_submit(
            operator=operator_b.operator,
            bodies=[_forint_body("HUF-BATCH-1"), _forint_body("HUF-SINGLE-1")],
        )
        batch, single = (outcome.declaration.pk for outcome in outcomes)
        assessment_service.taxes_assess_batch(declaration_ids=[batch])
        monkeypatch.setattr(assessment_service, "_store_batch", collide)
        assessment_service.taxes_assess_batch(declaration_ids=[single])
    rows = {
        a.declaration_id: a
        for a in TaxAssessment.objects.filter(declaration_id__in=[batch, single])
    }
    for row in rows.values():
        assert {k: row.totals[k] for k in FORINT_TOTALS} == FORINT_TOTALS
        assert (row.rate_from_per_eur, row.rate_to_per_eur) == (Decimal("366.33"), Decimal(1))
        assert "1 EUR = 366.33 HUF" in " ".join(row.explanation)


@pytest.mark.django_db
def test_a_revaluation_converts_with_the_figures_of_the_first_assessment(
    forint_rate, operator_b, customs_user
):
    with time_machine.travel(DECEMBER, tick=False):
        (outcome,) = declarations_submit(
            operator=operator_b.operator, bodies=[_forint_body("HUF-REVAL-1")]
        )
        pk = outcome.declaration.pk
        assessment_service.taxes_assess_batch(declaration_ids=[pk])
        under_inspection(pk)
        # 54,950 HUF is EUR 150.0014, still EUR 150.00 to the cent (at 0.002730 per HUF, the
        # rate rounded to six decimals, it was 150.01: above the ceiling).
        revalued = taxes_revalue(
            declaration_id=pk,
            revised_values_by_line={1: Decimal("54950.00")},
            actor=customs_user("officer"),
            reason="invoice found",
        )
    assert {k: revalued.totals[k] for k in FORINT_TOTALS} == FORINT_TOTALS
    assert (revalued.rate_from_per_eur, revalued.rate_to_per_eur) == (
        Decimal("366.33"),
        Decimal(1),
    )
