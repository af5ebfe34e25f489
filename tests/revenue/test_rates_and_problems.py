"""Exchange-rate rules per regime (the EU monthly customs rate, stale rates flagged, never used
silently) and declarations that cannot be assessed (a visible error, never a silent skip)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from declarations.models import Declaration, ExchangeRate
from revenue.models import TaxAssessment, TaxAssessmentProblem
from revenue.rates import fixing_date
from revenue.services.assessment import taxes_assess_batch
from tests.revenue.helpers import border_body, submit


@pytest.mark.parametrize(
    ("rule", "on", "fixed"),
    [
        # Wednesdays of October 2026: 7, 14, 21, 28; the penultimate fixes November's rate.
        ("eu_monthly_customs", date(2026, 11, 25), date(2026, 10, 21)),
        ("eu_monthly_customs", date(2026, 11, 1), date(2026, 10, 21)),
        # November 2026: 4, 11, 18, 25.
        ("eu_monthly_customs", date(2026, 12, 3), date(2026, 11, 18)),
        # A month ending on a Wednesday: September 2026 ends Wednesday 30th -> 23rd.
        ("eu_monthly_customs", date(2026, 10, 5), date(2026, 9, 23)),
        ("hmrc_monthly", date(2026, 11, 25), date(2026, 11, 1)),
        ("daily", date(2026, 11, 25), date(2026, 11, 25)),
    ],
)
def test_each_rule_fixes_its_own_day(rule, on, fixed):
    assert fixing_date(rule, on) == fixed


def _usd_body(lrn: str) -> dict:
    body = border_body(lrn)
    body["currency"] = "USD"
    body["order"] = {k: v for k, v in body["order"].items() if k != "payment"}
    return body


@pytest.mark.django_db
def test_a_rate_older_than_the_rule_allows_is_flagged_on_the_assessment_and_queue(
    operator_b, client, customs_user
):
    # Only an official USD rate of 1 September is loaded: the EU rule wants the rate of
    # 21 October for a parcel of 25 November.
    ExchangeRate.objects.create(currency="USD", valid_from=date(2026, 9, 1), units_per_eur="1.25")
    (declaration,) = submit(operator_b.operator, [_usd_body("FX-STALE-1")])
    assessment = TaxAssessment.objects.get(declaration=declaration)
    assert assessment.exchange_rate == Decimal("0.8")
    assert assessment.rate_rule == "eu_monthly_customs"
    assert (assessment.rate_fixed_on, assessment.rate_published_on) == (
        date(2026, 10, 21),
        date(2026, 9, 1),
    )
    assert assessment.rate_stale is True
    assert any("STALE" in line for line in assessment.explanation)
    client.force_login(customs_user("officer"))
    page = client.get(reverse("revenue:verification")).content.decode()
    assert "1 current assessment used an exchange rate older" in page
    assert "FX-STALE-1" in page


@pytest.mark.django_db
def test_a_rate_of_the_fixing_day_is_not_stale(operator_b):
    ExchangeRate.objects.create(currency="USD", valid_from=date(2026, 10, 21), units_per_eur="1.10")
    (declaration,) = submit(operator_b.operator, [_usd_body("FX-FRESH-1")])
    assessment = TaxAssessment.objects.get(declaration=declaration)
    assert assessment.exchange_rate == Decimal("0.909091")
    assert assessment.rate_stale is False
    assert not any("STALE" in line for line in assessment.explanation)


@pytest.mark.django_db
def test_no_regime_in_force_is_a_visible_problem_not_a_silent_skip(
    operator_b, client, customs_user
):
    from declarations.services import declarations_submit

    (outcome,) = declarations_submit(operator=operator_b.operator, bodies=[border_body("OLD-1")])
    declaration = outcome.declaration
    # Received before the EU e-commerce package (1 July 2021, Paris time): no FR regime.
    Declaration.objects.filter(pk=declaration.pk).update(
        received_at=datetime(2021, 6, 30, 12, 0, tzinfo=UTC)
    )
    assert taxes_assess_batch(declaration_ids=[declaration.pk]) == 0
    assert taxes_assess_batch(declaration_ids=[declaration.pk]) == 0
    (problem,) = TaxAssessmentProblem.objects.filter(declaration=declaration)
    assert problem.code == "regime_missing" and "2021-06-30" in problem.detail
    assert not TaxAssessment.objects.filter(declaration=declaration).exists()
    client.force_login(customs_user("officer"))
    page = client.get(reverse("revenue:verification")).content.decode()
    assert "OLD-1" in page and "No regime in force" in page


def test_swiss_and_new_zealand_rate_days_follow_their_own_rules():
    # Switzerland: the last trading day before the import (Monday -> Friday before).
    assert fixing_date("previous_business_day", date(2026, 11, 23)) == date(2026, 11, 20)
    assert fixing_date("previous_business_day", date(2026, 11, 25)) == date(2026, 11, 24)
    # New Zealand: fortnights from 17 July 2017, rates published 11 days before each starts.
    assert fixing_date("nz_fortnightly", date(2017, 7, 17)) == date(2017, 7, 6)
    assert fixing_date("nz_fortnightly", date(2017, 7, 30)) == date(2017, 7, 6)
    assert fixing_date("nz_fortnightly", date(2017, 7, 31)) == date(2017, 7, 20)
    # 2026-11-25 falls in the fortnight that starts on Monday 2026-11-23.
    assert fixing_date("nz_fortnightly", date(2026, 11, 25)) == date(2026, 11, 12)


def test_the_export_day_rule_fixes_the_day_of_export_when_it_is_known():
    assert fixing_date("export_day", date(2026, 3, 20), date(2026, 3, 2)) == date(2026, 3, 2)
    assert fixing_date("export_day", date(2026, 3, 20)) == date(2026, 3, 20)
    assert fixing_date("daily", date(2026, 3, 20), date(2026, 3, 2)) == date(2026, 3, 20)


def test_an_unknown_rate_rule_is_refused_in_the_regime_data():
    from dataclasses import replace

    from revenue.regimes import load_shipped_regimes

    regime = load_shipped_regimes()[0]
    with pytest.raises(ValueError, match="exchange_rate_rule"):
        replace(regime, exchange_rate_rule="whenever")
