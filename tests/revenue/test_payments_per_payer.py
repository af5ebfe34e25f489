"""A border payment belongs to whoever paid it and to the debt it was paid toward: after a
reassessment each payer's balance is computed on its own. An amendment that moves the border
debt from the consignee to the declarant (a consignment declared again under the IOSS), or back,
refunds the one who paid everything they paid beyond what they now owe, leaves the other owing
what they owe (shown as due, holding the release), and never lets one payer's money settle the
other's debt."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from django.urls import reverse

from declarations.models import Declaration, Status
from revenue.models import LedgerEntry, TaxAssessment
from revenue.selectors import border_due_unpaid, release_blockers
from revenue.services.ledger import latest_entry_id
from revenue.tasks import reconcile_refunds
from tests.conftest import DATASET_EXAMPLE

pytestmark = pytest.mark.django_db(transaction=True)

CONSIGNEE = "Marie Dupont"


def _non_ioss(lrn: str) -> dict:
    """France, after 1 July 2026: a EUR 60 T-shirt sold without the IOSS, so the consignee owes
    the flat duty, the VAT and the small-parcel tax at the border."""
    body = copy.deepcopy(DATASET_EXAMPLE)
    body["lrn"] = lrn
    body["transport_document"] = {
        "type": "house_waybill",
        "number": f"8{abs(hash(lrn)) % 10**9:09d}",
    }
    body.pop("vendor_tax_scheme")
    body.pop("self_assessed_taxes")
    body["items"] = [dict(body["items"][0], value="60.00", quantity=1)]
    body["transport_cost"] = "0.00"  # 3.00 duty, VAT 20% of 63.00 = 12.60, 2.00 small-parcel tax
    body["order"] = {k: v for k, v in body["order"].items() if k != "payment"}
    return body


def _ioss(body: dict) -> dict:
    """The same consignment declared under the seller's IOSS number: the VAT is charged at
    checkout; the flat duty and the small-parcel tax stay at the border, owed by the declarant."""
    ioss = copy.deepcopy(body)
    ioss["vendor_tax_scheme"] = {"scheme": "IOSS", "number": "IM2500000015"}
    ioss["self_assessed_taxes"] = [{"type": "vat", "amount": "12.00"}]  # 20% of 60.00
    ioss["order"]["payment"] = {
        "transaction_id": "PAY-60",
        "provider": "ExamplePay",
        "amount": "72.00",
        "currency": "EUR",
    }
    return ioss


def _submit(client, body: dict) -> int:
    response = client.post("/api/v1/declarations", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _amend(client, pk: int, body: dict) -> None:
    response = client.post(f"/api/v1/declarations/{pk}/amendments", body)
    assert response.status_code == 200, response.content
    assert Declaration.objects.get(pk=pk).status == Status.ASSESSED


def _current(pk: int) -> TaxAssessment:
    return TaxAssessment.objects.get(declaration_id=pk, is_current=True)


def _by_payer(pk: int) -> dict[str, tuple[Decimal, Decimal]]:
    """{payer: (what they owe, what was collected from them net of refunds)} at the border, read
    from the ledger entry by entry as an auditor would."""
    balances: dict[str, list[Decimal]] = {}
    for entry in LedgerEntry.objects.filter(declaration_id=pk, collection_model="consignee_border"):
        owed, collected = balances.setdefault(entry.payer, [Decimal("0.00"), Decimal("0.00")])
        if entry.kind in ("assessed", "adjustment"):
            balances[entry.payer][0] += entry.amount
        else:
            balances[entry.payer][1] += entry.amount if entry.kind == "payment" else -entry.amount
    return {payer: (owed, collected) for payer, (owed, collected) in balances.items()}


def _refunds(pk: int) -> dict[str, Decimal]:
    refunded: dict[str, Decimal] = {}
    for entry in LedgerEntry.objects.filter(declaration_id=pk, kind="refund"):
        refunded[entry.payer] = refunded.get(entry.payer, Decimal(0)) + entry.amount
    return refunded


@pytest.mark.parametrize("recorded_by", ["officer", "operator"])
def test_the_consignee_paid_then_the_declarant_owes_after_an_amendment_to_the_ioss(
    operator_a, client, customs_user, recorded_by
):
    body = _non_ioss(f"PER-PAYER-A-{recorded_by}")
    pk = _submit(operator_a, body)
    before = _current(pk)
    assert before.due_at_border == Decimal("17.60")
    assert {line.payer for line in before.lines.all() if line.amount} == {"consignee"}
    # The consignee's payment of what she owes, recorded at the border by an officer, or through
    # the API by the operator that collected it from her.
    if recorded_by == "officer":
        client.force_login(customs_user("officer"))
        response = client.post(
            reverse("revenue:payment", args=[pk]),
            {
                "amount": "17.60",
                "payer": CONSIGNEE,
                "reference": "receipt 1",
                "ledger_seen": latest_entry_id(pk),
            },
        )
        assert response.status_code == 302
    else:
        response = operator_a.post(
            "/api/v1/payments",
            {"declaration_id": pk, "amount": "17.60", "currency": "EUR", "payer": CONSIGNEE},
        )
        assert response.status_code == 201, response.content
    assert border_due_unpaid(Declaration.objects.get(pk=pk)) == Decimal("0.00")

    _amend(operator_a, pk, _ioss(body))

    after = _current(pk)
    assert after.due_at_border == Decimal("5.00")
    assert {
        line.payer
        for line in after.lines.all()
        if line.amount and line.collection_channel == "border"
    } == {"declarant"}
    declarant = operator_a.operator.name
    # Her whole payment comes back to her; the declarant owes its 5.00, paid by nobody.
    assert _refunds(pk) == {CONSIGNEE: Decimal("17.60")}
    assert _by_payer(pk) == {
        CONSIGNEE: (Decimal("0.00"), Decimal("0.00")),
        declarant: (Decimal("5.00"), Decimal("0.00")),
    }
    declaration = Declaration.objects.get(pk=pk)
    assert border_due_unpaid(declaration) == Decimal("5.00")
    (blocker, *_rest) = release_blockers(declaration)
    assert "5.00 EUR" in blocker and declarant in blocker

    # The officer's ledger page and the operator's taxes say the same.
    client.force_login(customs_user("officer"))
    page = client.get(reverse("revenue:ledger", args=[pk])).content.decode()
    assert '<dd id="outstanding"><strong>5.00' in page
    assert "Release blocked" in page
    each = page.split('id="by-payer"', 1)[1].split("</table>", 1)[0]
    assert f"<td>{CONSIGNEE}</td>" in each and f"<td>{declarant}</td>" in each
    taxes = operator_a.get(f"/api/v1/declarations/{pk}").json()["taxes"]
    assert (taxes["paid"], taxes["refunded"], taxes["outstanding"]) == ("17.60", "17.60", "5.00")
    assert {(r["payer"], r["amount"]) for r in taxes["refunds"]} == {(CONSIGNEE, "17.60")}

    # The goods arrive: held for the declarant's 5.00, released once it pays them.
    arrived = operator_a.post(
        "/api/v1/arrivals", {"transport_documents": [body["transport_document"]["number"]]}
    )
    assert arrived.status_code == 200, arrived.content
    assert Declaration.objects.get(pk=pk).status == Status.ASSESSED
    paid = operator_a.post(
        "/api/v1/payments", {"declaration_id": pk, "amount": "5.00", "currency": "EUR"}
    )
    assert paid.status_code == 201, paid.content
    assert Declaration.objects.get(pk=pk).status == Status.RELEASED
    assert _by_payer(pk) == {
        CONSIGNEE: (Decimal("0.00"), Decimal("0.00")),
        declarant: (Decimal("5.00"), Decimal("5.00")),
    }


def test_the_declarant_paid_then_the_consignee_owes_after_an_amendment_out_of_the_ioss(
    operator_a, client, customs_user
):
    body = _non_ioss("PER-PAYER-B")
    pk = _submit(operator_a, _ioss(body))
    assert _current(pk).due_at_border == Decimal("5.00")
    declarant = operator_a.operator.name
    # The declarant pays its own 5.00 through the API.
    response = operator_a.post(
        "/api/v1/payments", {"declaration_id": pk, "amount": "5.00", "currency": "EUR"}
    )
    assert response.status_code == 201, response.content

    _amend(operator_a, pk, body)

    assert _current(pk).due_at_border == Decimal("17.60")
    # The declarant's 5.00 is its own: refunded to it, never counted against the consignee's debt.
    assert _refunds(pk) == {declarant: Decimal("5.00")}
    assert _by_payer(pk) == {
        CONSIGNEE: (Decimal("17.60"), Decimal("0.00")),
        declarant: (Decimal("0.00"), Decimal("0.00")),
    }
    declaration = Declaration.objects.get(pk=pk)
    assert border_due_unpaid(declaration) == Decimal("17.60")
    assert "17.60 EUR" in release_blockers(declaration)[0]
    client.force_login(customs_user("officer"))
    page = client.get(reverse("revenue:ledger", args=[pk])).content.decode()
    assert '<dd id="outstanding"><strong>17.60' in page
    taxes = operator_a.get(f"/api/v1/declarations/{pk}").json()["taxes"]
    assert (taxes["paid"], taxes["refunded"], taxes["outstanding"]) == ("5.00", "5.00", "17.60")

    # The consignee pays part of it; the declaration is then invalidated: she is refunded what she
    # paid, the declarant nothing more, and nothing is owed by anyone.
    client.post(
        reverse("revenue:payment", args=[pk]),
        {
            "amount": "10.00",
            "payer": CONSIGNEE,
            "reference": "receipt 2",
            "ledger_seen": latest_entry_id(pk),
        },
    )
    response = operator_a.post(f"/api/v1/declarations/{pk}/invalidation", {"reason": "cancelled"})
    assert response.status_code == 200, response.content
    reconcile_refunds.apply().get()
    assert _refunds(pk) == {declarant: Decimal("5.00"), CONSIGNEE: Decimal("10.00")}
    assert _by_payer(pk) == {
        CONSIGNEE: (Decimal("0.00"), Decimal("0.00")),
        declarant: (Decimal("0.00"), Decimal("0.00")),
    }


@pytest.mark.django_db
def test_the_payment_guard_reads_each_payer_before_the_excess_is_refunded(
    operator_a, django_capture_on_commit_callbacks
):
    """Between the reassessment and the refund of the consignee's excess (written after the
    commit), the consignee's money must not make the declarant's debt look paid."""
    from declarations.services import declaration_amend, declarations_submit
    from revenue.services.assessment import taxes_assess_batch
    from revenue.services.ledger import ledger_payment_record

    body = _non_ioss("PER-PAYER-GUARD")
    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[body])[0].declaration.pk
    ledger_payment_record(declaration_id=pk, amount="17.60", currency="EUR", payer=CONSIGNEE)
    # In the test's transaction nothing runs after the commit: the amended revision is assessed
    # here, and the refund of the consignee's excess that the assessment schedules is not written.
    status, _declaration, problems = declaration_amend(
        operator=operator_a.operator, declaration_id=pk, body=_ioss(body)
    )
    assert status == 200 and not problems, problems
    taxes_assess_batch(declaration_ids=[pk])
    assert _current(pk).due_at_border == Decimal("5.00")
    assert not LedgerEntry.objects.filter(declaration_id=pk, kind="refund").exists()
    declaration = Declaration.objects.get(pk=pk)
    assert border_due_unpaid(declaration) == Decimal("5.00")
    assert release_blockers(declaration)


@pytest.mark.django_db
def test_payments_and_refunds_stored_before_are_restated_toward_the_debt_they_settled(operator_a):
    """The ledger of a consignment amended into the IOSS before payments named their debtor (the
    consignee refunded 12.60 of her 17.60): the migration replays it, so her payment and refund
    are in her account, which now shows the 5.00 she is still owed, and the declarant's 5.00 is
    due again, holding the release."""
    from importlib import import_module

    from django.apps import apps

    from revenue.selectors import border_accounts
    from revenue.services.refunds import refund_overpayment
    from tests.revenue.helpers import submit

    (declaration,) = submit(operator_a.operator, [_non_ioss("PER-PAYER-RESTATED")])
    declarant = operator_a.operator.name

    def entry(kind: str, amount: str, payer: str) -> None:
        LedgerEntry.objects.create(
            declaration=declaration,
            kind=kind,
            amount=Decimal(amount),
            currency="EUR",
            collection_model="consignee_border",
            payer=payer,
        )

    entry("payment", "17.60", CONSIGNEE)
    entry("adjustment", "-17.60", CONSIGNEE)
    entry("assessed", "5.00", declarant)
    entry("refund", "12.60", CONSIGNEE)
    # A carrier's payment of a consignee's taxes on another consignment: her debt, not its own.
    (other,) = submit(operator_a.operator, [_non_ioss("PER-PAYER-RESTATED-2")])
    LedgerEntry.objects.create(
        declaration=other,
        kind="payment",
        amount=Decimal("17.60"),
        currency="EUR",
        collection_model="consignee_border",
        payer="Swift Express Couriers",
    )
    import_module("revenue.migrations.0012_ledger_entry_debtor").restate(apps, None)

    assert set(
        LedgerEntry.objects.filter(declaration=declaration, kind__in=("payment", "refund"))
        .values_list("debtor", flat=True)
        .distinct()
    ) == {CONSIGNEE}
    assert LedgerEntry.objects.get(declaration=other, kind="payment").debtor == CONSIGNEE
    assert {
        (a.debtor, a.owed, a.outstanding, a.excess) for a in border_accounts(declaration.pk)
    } == {
        (CONSIGNEE, Decimal("0.00"), Decimal("0.00"), Decimal("5.00")),
        (declarant, Decimal("5.00"), Decimal("5.00"), Decimal("0.00")),
    }
    assert border_due_unpaid(declaration) == Decimal("5.00")
    # Her remaining 5.00 is refunded to her once looked at again.
    (refund,) = refund_overpayment(declaration_id=declaration.pk, key="restated")
    assert (refund.payer, refund.debtor, refund.amount) == (CONSIGNEE, CONSIGNEE, Decimal("5.00"))


@pytest.mark.parametrize("renamed", ["Marie Martin", "MARIE DUPONT"])
def test_the_consignee_who_paid_cannot_be_renamed_by_an_amendment(operator_a, renamed):
    """The ledger holds the payment in the consignee's name: renamed, her debt would start
    afresh and every payment be refunded (a carrier's cash on delivery collected again). Before
    any payment the name may still be corrected."""
    body = _non_ioss("RENAMED-1")
    pk = _submit(operator_a, body)
    fixed = copy.deepcopy(body)
    fixed["consignee"]["name"] = "Marie Dupont-Durand"
    _amend(operator_a, pk, fixed)
    paid = operator_a.post(
        "/api/v1/payments",
        {"declaration_id": pk, "amount": "17.60", "currency": "EUR", "payer": "La Poste"},
    )
    assert paid.status_code == 201, paid.content
    again = copy.deepcopy(fixed)
    again["consignee"]["name"] = renamed
    answer = operator_a.post(f"/api/v1/declarations/{pk}/amendments", again)
    assert answer.status_code == 409, answer.content
    (error,) = answer.json()["errors"]
    assert error["pointer"] == "/consignee/name" and error["code"] == "amendment_not_allowed"
    assert not LedgerEntry.objects.filter(declaration_id=pk, kind="refund").exists()
    assert border_due_unpaid(Declaration.objects.get(pk=pk)) == Decimal("0.00")
