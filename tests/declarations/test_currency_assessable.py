"""Every currency the contract accepts, in every profile: a declaration acknowledged (201) is
assessed, and one the assessment could not convert to EUR is refused at intake, never left
`accepted` without taxes."""

from __future__ import annotations

import copy

import pytest
from django.utils import timezone

from declarations import codelists
from declarations.models import Declaration
from declarations.synthetic import s10_number
from revenue.models import TaxAssessment, TaxAssessmentProblem
from revenue.services.assessment import taxes_assess_batch
from tests.declarations.corpus import VALID_DECLARATIONS

pytestmark = pytest.mark.django_db(transaction=False)

# Every code the code-list layer accepts today (the withdrawn ones it refuses are left out).
CURRENCIES = sorted(
    code for code in codelists._CURRENCIES if codelists.is_currency(code, timezone.now().date())
)


def _bodies(profile: str) -> list[dict]:
    bodies = []
    for index, currency in enumerate(CURRENCIES):
        body = copy.deepcopy(VALID_DECLARATIONS[profile])
        body["lrn"] = f"FX-{profile}-{currency}"
        # Each its own parcel (a parcel is declared once at a time), numbered as its type wants.
        document = body["transport_document"]
        document["number"] = (
            s10_number(index, document["number"][-2:])
            if document["type"] == "postal_item"
            else f"FX{index:08d}"
        )
        body["currency"] = currency
        # Small values, so that no EUR ceiling refuses a currency with few units per euro.
        for item in body["items"]:
            item["value"] = "1.00"
        body.get("order", {}).pop("payment", None)
        body.pop("self_assessed_taxes", None)
        bodies.append(body)
    return bodies


@pytest.mark.parametrize("profile", sorted(VALID_DECLARATIONS))
def test_every_currency_is_refused_at_intake_or_assessed(operator_a, profile):
    response = operator_a.post(
        "/api/v1/declarations/batch", {"declarations": _bodies(profile)}, format="json"
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    accepted, refused = {}, {}
    for currency, result in zip(CURRENCIES, results, strict=True):
        if result["status"] == "accepted":
            accepted[currency] = result["id"]
        else:
            refused[currency] = [(e["pointer"], e["code"]) for e in result["errors"]]

    # Refused for the missing rate alone, and the currencies of the finding among them.
    assert {
        currency: errors
        for currency, errors in refused.items()
        if errors != [("/currency", "exchange_rate_unavailable")]
    } == {}
    assert {"KWD", "BHD", "VND"} <= set(refused)
    # The ECB series, the stale rouble included (the last rate it published, flagged stale).
    assert {"EUR", "USD", "GBP", "JPY", "CHF", "RUB"} <= set(accepted)

    taxes_assess_batch(declaration_ids=list(accepted.values()))
    assessed = set(
        TaxAssessment.objects.filter(
            declaration_id__in=accepted.values(), reason="initial"
        ).values_list("declaration_id", flat=True)
    )
    problems = list(
        TaxAssessmentProblem.objects.filter(declaration_id__in=accepted.values()).values_list(
            "code", "detail"
        )
    )
    assert problems == []
    assert {c for c, pk in accepted.items() if pk not in assessed} == set()
    assert Declaration.objects.filter(pk__in=accepted.values()).count() == len(accepted)
