"""Member states outside the euro area assess in their own currency: the amounts the EU fixes in
euro (the EUR 150 relief and scheme ceilings, the EUR 3 flat duty, the gift reliefs) are
converted, customs amounts at the monthly customs rate and tax ceilings at the rate of the first
working day of October of the year before."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from revenue.calculators import ConsignmentIn, ItemIn, assess
from revenue.rates import fixing_date
from revenue.regimes import RegimeSpec, load_shipped_regimes, regime_for

SHIPPED = load_shipped_regimes()
NON_EURO = {
    "BG": "BGN",
    "CZ": "CZK",
    "DK": "DKK",
    "HU": "HUF",
    "PL": "PLN",
    "RO": "RON",
    "SE": "SEK",
}


def _regime(jurisdiction: str, on: date) -> RegimeSpec:
    regime = regime_for(SHIPPED, jurisdiction, on)
    assert regime is not None
    return regime


@pytest.mark.parametrize("jurisdiction,currency", sorted(NON_EURO.items()))
def test_member_states_outside_the_euro_area_assess_in_their_currency(jurisdiction, currency):
    regime = _regime(jurisdiction, date(2025, 11, 20))
    assert (regime.currency, regime.threshold_currency) == (currency, "EUR")
    assert regime.tax_threshold_rate_rule == "eu_annual_october"
    assert "369zc" in regime.legal_ref("threshold_conversion")


@pytest.mark.parametrize(
    "jurisdiction,last_day,currency_before",
    [("BG", date(2025, 12, 31), "BGN"), ("HR", date(2022, 12, 31), "HRK")],
)
def test_the_regime_changes_currency_on_the_day_the_country_adopts_the_euro(
    jurisdiction, last_day, currency_before
):
    before = _regime(jurisdiction, last_day)
    after = _regime(jurisdiction, date(last_day.year + 1, 1, 1))
    assert (before.currency, before.threshold_currency) == (currency_before, "EUR")
    assert (after.currency, after.threshold_currency) == ("EUR", "")
    assert "euro" in after.legal_ref("currency")


def test_conversion_changes_every_amount_the_law_fixes_and_records_the_rates():
    regime = _regime("PL", date(2026, 11, 25))
    converted = regime.in_regime_currency(D("4.3635"), D("4.2583"))
    assert converted.flat_duty_per_hs6 == D("13.09")  # EUR 3 at the customs rate
    assert converted.flat_duty_max_value == D("654.53")  # EUR 150 at the customs rate
    assert converted.vendor_schemes == {"IOSS": D("638.75")}  # EUR 150 at the October rate
    assert converted.deferred_ceiling == D("638.75")
    assert converted.gift_tax_relief == D("191.62")  # EUR 45 at the October rate
    assert converted.gift_duty_relief == D("196.36")  # EUR 45 at the customs rate
    assert (converted.threshold_rate, converted.tax_threshold_rate) == (D("4.3635"), D("4.2583"))
    # Converting again changes nothing; the regime itself is left as the law states it.
    assert converted.in_regime_currency(D("9"), D("9")) is converted
    assert regime.vendor_schemes == {"IOSS": D("150")}


def test_the_engine_refuses_a_regime_whose_amounts_are_still_in_euro():
    regime = _regime("PL", date(2026, 11, 25))
    consignment = ConsignmentIn(
        currency="PLN", items=(ItemIn(line=1, hs_code="610910", value=D("100")),)
    )
    with pytest.raises(ValueError, match="in_regime_currency"):
        assess(consignment, regime, fx_rate=D(1))


@pytest.mark.parametrize(
    "data,message",
    [
        ({"threshold_currency": "PLN"}, "is the regime currency"),
        ({"threshold_currency": "eur"}, "ISO 4217"),
        ({"threshold_currency": "", "tax_threshold_rate_rule": "eu_annual_october"}, "need a"),
        ({"tax_threshold_rate_rule": "yearly"}, "tax_threshold_rate_rule"),
        ({"threshold_rate": "4.2"}, "both threshold rates"),
    ],
)
def test_a_regime_with_an_inconsistent_threshold_currency_is_refused(data, message):
    shipped = _regime("PL", date(2026, 11, 25)).to_dict()
    with pytest.raises(ValueError, match=message):
        RegimeSpec.from_dict({**shipped, **data})


@pytest.mark.parametrize(
    "on,fixed",
    [
        (date(2026, 11, 25), date(2025, 10, 1)),  # a Wednesday
        (date(2026, 1, 1), date(2025, 10, 1)),
        (date(2023, 6, 1), date(2022, 10, 3)),  # 1 October 2022 was a Saturday
    ],
)
def test_the_annual_rate_is_the_first_working_day_of_october_of_the_year_before(on, fixed):
    assert fixing_date("eu_annual_october", on) == fixed


def _estimate(body: dict) -> dict:
    response = APIClient().generic(
        "POST", "/api/v1/estimates", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_the_estimator_answers_in_zloty_for_a_basket_priced_in_euro():
    body = _estimate(
        {
            "destination": "PL",
            "date": "2026-11-25",
            "currency": "EUR",
            "origin_country": "CN",
            "transport": "express",
            "items": [{"hs_code": "610910", "value": "50.00"}],
        }
    )
    assert body["currency"] == "PLN" and body["regime"]["code"] == "EU-PL-2026"
    # EUR 50 at the customs rate of November (ECB rate of 21 October 2026, 4.3635) is
    # PLN 218.18; the EUR 3 flat duty is PLN 13.09; VAT 23 % of 231.27 is PLN 53.19.
    assert body["totals"] == {"duty": "13.09", "vat": "53.19", "fee": "0.00", "total": "66.28"}
    said = " ".join(body["explanation"])
    assert "1 EUR = 4.3635 PLN (eu_monthly_customs)" in said
    assert "1 EUR = 4.2583 PLN (eu_annual_october)" in said


@pytest.mark.django_db
@pytest.mark.parametrize(
    "day,currency,code",
    [("2025-12-31", "BGN", "EU-BG-2021"), ("2026-01-01", "EUR", "EU-BG-2026-01")],
)
def test_bulgaria_estimates_in_leva_until_the_euro_arrives(day, currency, code):
    body = _estimate(
        {
            "destination": "BG",
            "date": day,
            "currency": "EUR",
            "origin_country": "US",
            "transport": "express",
            "items": [{"hs_code": "490199", "value": "20.00"}],
        }
    )
    assert (body["currency"], body["regime"]["code"]) == (currency, code)
    expected_vat = D("20.00") * D("0.09") * (D("1.9558") if currency == "BGN" else 1)
    assert D(body["totals"]["vat"]) == expected_vat.quantize(D("0.01"))


@pytest.mark.django_db
def test_a_declaration_in_poland_is_assessed_and_put_on_the_ledger_in_zloty(settings, operator_b):
    from declarations.services import declarations_submit
    from revenue.models import LedgerEntry, TaxAssessment
    from revenue.services.assessment import taxes_assess_batch
    from tests.revenue.helpers import border_body

    settings.CUSTOMS_JURISDICTION = "PL"
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=UTC), tick=False):
        (outcome,) = declarations_submit(
            operator=operator_b.operator, bodies=[border_body("PL-1", value="50.00")]
        )
        taxes_assess_batch(declaration_ids=[outcome.declaration.pk])
    assessment = TaxAssessment.objects.get(declaration_id=outcome.declaration.pk)
    assert assessment.currency == "PLN" and assessment.regime.code == "EU-PL-2026"
    duty = assessment.lines.get(tax_type="duty")
    assert (duty.amount, duty.currency) == (D("13.09"), "PLN")
    assert any("1 EUR = 4.2583 PLN" in text for text in assessment.explanation)
    assert not assessment.rate_stale
    currencies = set(
        LedgerEntry.objects.filter(declaration_id=outcome.declaration.pk).values_list(
            "currency", flat=True
        )
    )
    assert currencies == {"PLN"}


@pytest.mark.django_db
def test_the_regime_page_shows_the_amounts_in_euro_and_the_currency_rule(client, customs_user):
    from revenue.models import Regime

    client.force_login(customs_user("officer"))
    regime = Regime.objects.get(code="EU-PL-2026", version=1)
    page = client.get(reverse("revenue:regime", args=[regime.pk])).content.decode()
    page = page.replace("\xa0", " ").replace("\u202f", " ")
    assert "≤ EUR 150 (per consignment)" in page and "IOSS ≤ 150.00 EUR" in page
    assert "PLN; amounts fixed in EUR converted" in page
    assert "eu_annual_october" in page and "369zc" in page


@pytest.mark.django_db
def test_a_new_version_of_the_polish_regime_keeps_its_amounts_in_euro(client, customs_user):
    from django.utils import timezone

    from revenue.models import Regime
    from revenue.services.regimes import spec_of

    client.force_login(customs_user("administrator"))
    today = timezone.localdate()
    regime = (
        Regime.objects.filter(jurisdiction="PL", valid_from__lte=today)
        .order_by("-valid_from", "-version")
        .first()
    )
    page = client.get(reverse("revenue:regime_edit", args=[regime.pk]))
    form = page.context["form"]
    assert form.fields["duty_threshold"].help_text == "in EUR"
    data = {name: form.initial.get(name, "") for name in form.fields}
    effective = today + timedelta(days=3)
    data.update(
        {
            "effective_from": effective.isoformat(),
            "reason": "national fee",
            "fee_per_declaration": "1.00",
        }
    )
    data = {k: ("" if v is None else v) for k, v in data.items()}
    response = client.post(reverse("revenue:regime_edit", args=[regime.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    newest = Regime.objects.filter(code=regime.code).order_by("-version").first()
    spec = spec_of(newest)
    assert (spec.currency, spec.threshold_currency) == ("PLN", "EUR")
    assert spec.fee_per_declaration == D("1.00") and spec.threshold_rate is None
    assert form.fields["fee_per_declaration"].help_text == "in PLN"
    converted = spec.in_regime_currency(D("4.3635"), D("4.2583"))
    # A national fee is in zloty already; the EU's flat duty is converted.
    assert converted.fee_per_declaration == D("1.00")
    assert converted.flat_duty_per_hs6 == D("13.09")


@pytest.mark.django_db
def test_an_assessment_in_euro_is_not_revalued_under_the_regime_now_in_zloty(
    settings, operator_b, customs_user
):
    from declarations.services import declarations_submit
    from revenue.models import TaxAssessment
    from revenue.services.assessment import taxes_assess_batch
    from revenue.services.revaluation import RevaluationError, taxes_revalue
    from tests.revenue.helpers import border_body

    settings.CUSTOMS_JURISDICTION = "PL"
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=UTC), tick=False):
        (outcome,) = declarations_submit(
            operator=operator_b.operator, bodies=[border_body("PL-OLD", value="50.00")]
        )
        taxes_assess_batch(declaration_ids=[outcome.declaration.pk])
        # As an earlier release stored it: in euro, at a rate of 1.
        TaxAssessment.objects.filter(declaration_id=outcome.declaration.pk).update(
            currency="EUR", exchange_rate=D(1)
        )
        from tests.revenue.helpers import under_inspection

        under_inspection(outcome.declaration.pk)
        with pytest.raises(RevaluationError, match="now in PLN, the assessment in EUR"):
            taxes_revalue(
                declaration_id=outcome.declaration.pk,
                revised_values_by_line={1: D("80.00")},
                actor=customs_user("officer"),
                reason="invoice found",
            )


@pytest.mark.django_db
@pytest.mark.parametrize("currency,day", [("BGN", "2026-01-01"), ("HRK", "2023-01-01")])
def test_a_withdrawn_currency_prices_nothing_after_its_last_day(currency, day):
    response = APIClient().generic(
        "POST",
        "/api/v1/estimates",
        json.dumps(
            {
                "destination": "DE",
                "date": day,
                "currency": currency,
                "origin_country": "US",
                "items": [{"hs_code": "490199", "value": "20.00"}],
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/currency", "currency_unknown")


def test_a_declaration_in_leva_is_refused_after_bulgaria_adopted_the_euro():
    from declarations import codelists

    assert codelists.is_currency("BGN", date(2025, 12, 31))
    assert not codelists.is_currency("BGN", date(2026, 1, 1))
    assert codelists.is_currency("BGN")  # a code of ISO 4217 still, without a day
