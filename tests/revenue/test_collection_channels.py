"""Every assessed amount has a payer and a collection channel on the ledger: the EU flat duty on
IOSS consignments (which the IOSS return does not carry) is owed by the declarant at import, the
scheme's VAT is recorded against its return, and under special arrangements the duty is deferred
with the VAT. The release guard reads the same facts."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aeo.models import AEOAuthorisation
from revenue.models import LedgerEntry, TaxAssessment
from revenue.selectors import border_due_unpaid, channel_balances, collection_gaps, release_blockers
from revenue.services.ledger import ledger_payment_record
from tests.conftest import DATASET_EXAMPLE, make_operator
from tests.revenue.helpers import border_body, submit

pytestmark = pytest.mark.django_db


def _ioss_body(lrn: str) -> dict:
    body = copy.deepcopy(DATASET_EXAMPLE)
    body["lrn"] = lrn
    body["transport_document"] = {
        "type": "house_waybill",
        "number": f"7{abs(hash(lrn)) % 10**9:09d}",
    }
    body["vendor_tax_scheme"] = {"scheme": "IOSS", "number": "IM2500000015"}
    return body


def _assessed_by_channel(declaration) -> dict[str, Decimal]:
    return {k: v for k, v in channel_balances(declaration.pk).items() if v}


def test_ioss_flat_duty_is_owed_by_the_declarant_and_vat_recorded_against_the_return(operator_a):
    (declaration,) = submit(operator_a.operator, [_ioss_body("CH-IOSS-1")])
    assessment = TaxAssessment.objects.get(declaration=declaration)
    duty = assessment.lines.filter(tax_type="duty")
    assert {(line.payer, line.collection_channel, line.amount) for line in duty} == {
        ("declarant", "border", Decimal("3.00"))
    } and duty.count() == 2
    # Beside the EUR 3 per subheading, France's small-parcel tax of EUR 2 per subheading is owed by
    # the declarant too: the IOSS return carries neither.
    tpc = assessment.lines.filter(tax_type="fee")
    assert {(line.payer, line.collection_channel, line.amount) for line in tpc} == {
        ("declarant", "border", Decimal("4.00"))
    }
    assert "petits colis" in tpc.get().legal_reason
    assert assessment.due_at_border == Decimal("10.00")
    assert assessment.pre_collected == Decimal(assessment.totals["vat"]) > 0
    # Every assessed amount is on the ledger under exactly one channel.
    assert _assessed_by_channel(declaration) == {
        "border": Decimal("10.00"),
        "scheme_return": assessment.pre_collected,
    }
    assert sum(_assessed_by_channel(declaration).values()) == assessment.total
    declarant = LedgerEntry.objects.get(source_key=f"assessment:{assessment.pk}:border-declarant")
    assert declarant.payer == operator_a.operator.name and declarant.amount == Decimal("10.00")
    scheme = LedgerEntry.objects.get(source_key=f"assessment:{assessment.pk}:scheme")
    assert scheme.payer == "IOSS IM2500000015"
    assert scheme.collection_model == assessment.collection_model
    assert collection_gaps(declaration) == []
    # The goods wait for the declarant's duty, not for the VAT charged at checkout.
    assert border_due_unpaid(declaration) == Decimal("10.00")
    assert "10.00 EUR" in release_blockers(declaration)[0]
    ledger_payment_record(declaration_id=declaration.pk, amount="10.00", currency="EUR")
    assert border_due_unpaid(declaration) == Decimal("0.00")
    assert release_blockers(declaration) == []


def test_special_arrangements_defer_the_flat_duty_with_the_vat(db):
    carrier = make_operator("aeo-carrier-ch", role="express_carrier")
    AEOAuthorisation.objects.create(
        operator=carrier.operator,
        kind="AEOF",
        status="authorised",
        valid_from=timezone.localdate() - timedelta(days=30),
    )
    (declaration,) = submit(carrier.operator, [border_body("CH-DEF-1", value="60.00")])
    assessment = TaxAssessment.objects.get(declaration=declaration)
    assert assessment.collection_model == "intermediary_deferred"
    duty = assessment.lines.get(tax_type="duty")
    assert (duty.amount, duty.payer, duty.collection_channel) == (
        Decimal("3.00"),
        "intermediary",
        "deferred_statement",
    )
    assert _assessed_by_channel(declaration) == {"deferred_statement": assessment.total}
    assert collection_gaps(declaration) == [] and release_blockers(declaration) == []


def test_an_amount_missing_from_the_ledger_blocks_release(operator_a):
    (declaration,) = submit(operator_a.operator, [_ioss_body("CH-GAP-1")])
    ledger_payment_record(declaration_id=declaration.pk, amount="10.00", currency="EUR")
    assessment = TaxAssessment.objects.get(declaration=declaration)
    # As if the scheme-return entry had never been written (the defect this guards against).
    LedgerEntry.objects.create(
        declaration=declaration,
        kind="adjustment",
        amount=-assessment.pre_collected,
        currency="EUR",
        collection_model="marketplace_deemed_supplier",
        reference="test: entry lost",
    )
    gaps = collection_gaps(declaration)
    assert len(gaps) == 1 and "scheme return" in gaps[0]
    assert release_blockers(declaration) == gaps


def test_the_operator_sees_payer_and_collection_channel_of_every_line(operator_a):
    (declaration,) = submit(operator_a.operator, [_ioss_body("CH-API-1")])
    body = operator_a.get(f"/api/v1/declarations/{declaration.pk}").json()
    lines = body["taxes"]["lines"]
    assert {(line["tax_type"], line["payer"], line["collection_channel"]) for line in lines} == {
        ("duty", "declarant", "border"),
        ("fee", "declarant", "border"),
        ("vat", "marketplace", "scheme_return"),
    }
    assert body["taxes"]["exchange_rate_rule"] == "eu_monthly_customs"
    assert body["taxes"]["exchange_rate_stale"] is False


def test_a_declaration_sent_from_guadeloupe_owes_vat_and_no_duty(operator_a):
    """A French outermost region is inside the Union's customs territory and outside its VAT
    territory: the assessment of a declaration dispatched from there has no duty, only VAT."""
    body = border_body("GP-1", value="120.00")
    body["country_of_dispatch"] = "GP"
    (declaration,) = submit(operator_a.operator, [body])
    assessment = TaxAssessment.objects.get(declaration=declaration, is_current=True)
    duty = list(assessment.lines.filter(tax_type="duty"))
    assert duty and all(line.amount == 0 for line in duty)
    assert "No customs duty on goods sent from GP" in duty[0].legal_reason
    assert assessment.lines.get(tax_type="vat").amount > 0


def test_a_declaration_sent_from_monaco_to_france_is_not_an_import(operator_a):
    body = border_body("MC-1", value="40.00")
    body["country_of_dispatch"] = "MC"
    (declaration,) = submit(operator_a.operator, [body])
    assessment = TaxAssessment.objects.get(declaration=declaration, is_current=True)
    assert [line.amount for line in assessment.lines.all()] == [0, 0]
    assert all("Not an import" in line.legal_reason for line in assessment.lines.all())


def test_a_buyer_identified_by_a_vat_number_is_a_business_outside_ioss(operator_a):
    body = _ioss_body("B2B-1")
    body["consignee"] = dict(
        body["consignee"], identifiers=[{"scheme": "VAT", "value": "FR40303265045"}]
    )
    body.pop("buyer", None)
    (declaration,) = submit(operator_a.operator, [body])
    assessment = TaxAssessment.objects.get(declaration=declaration, is_current=True)
    vat = list(assessment.lines.filter(tax_type="vat"))
    assert vat and all(
        line.payer == "consignee" and line.collection_channel == "border" for line in vat
    )
    assert "business" in vat[0].legal_reason or assessment.collection_model == "consignee_border"


@pytest.mark.django_db(transaction=True)
def test_an_invalidated_ioss_consignment_cancels_the_declarants_border_debt_in_its_name(
    operator_a,
):
    from declarations.services import declaration_invalidate
    from revenue.services.refunds import refunds_reconcile

    (declaration,) = submit(operator_a.operator, [_ioss_body("CH-IOSS-CANCEL")])
    declaration_invalidate(
        operator=operator_a.operator, declaration_id=declaration.pk, reason="not shipped"
    )
    refunds_reconcile()
    cancelled = LedgerEntry.objects.filter(
        declaration=declaration, kind="adjustment", collection_model="consignee_border"
    )
    # The EUR 10 at the border was the declarant's debt (flat duty and small-parcel tax), so its
    # cancellation is in the declarant's name, not the consignee's.
    assert {(entry.payer, entry.amount) for entry in cancelled} == {
        (operator_a.operator.name, Decimal("-10.00"))
    }
    assert border_due_unpaid(declaration) == Decimal("0.00")
    assert {k: v for k, v in channel_balances(declaration.pk).items() if v} == {}
