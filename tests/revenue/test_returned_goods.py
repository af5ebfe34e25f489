"""Returned goods: in the EU, goods exported and coming back unaltered are relieved of duty (UCC
art. 203) and of import VAT (VAT Directive art. 143(1)(e)) on a claim that an officer grants or
refuses on the evidence of export before release; a refusal holds for every later revision;
the United Kingdom, Switzerland and the United States relieve them too under their own law;
elsewhere (no relief modelled) they are taxed like any import at the border. A relief is claimed
only for a tax that would otherwise be owed."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from declarations import lifecycle
from declarations.models import Declaration, Status, StatusEvent
from declarations.services import declarations_submit
from revenue.regimes import RegimeSpec, load_shipped_regimes
from tests.lifecycle_helpers import arrive, pay_at_border
from tests.lifecycle_helpers import decision as page_decision

pytestmark = pytest.mark.django_db


def _estimate(
    category: str, destination: str, currency: str, date: str, value: str = "90.00", **changes
) -> dict:
    body = {
        "destination": destination,
        "date": date,
        "currency": currency,
        "origin_country": "CN",
        "category": category,
        "shipping_cost": "10.00",
        "items": [{"hs_code": "610910", "value": value}],
        **changes,
    }
    response = APIClient().generic(
        "POST", "/api/v1/estimates", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("date", "sold_duty"),
    [("2026-06-30", "0.00"), ("2026-11-25", "3.00"), ("2028-07-03", "12.00")],
)
def test_goods_returned_to_germany_owe_no_duty_and_no_vat_on_a_claim(date, sold_duty):
    sold = _estimate("sale_of_goods", "DE", "EUR", date)
    assert sold["totals"]["duty"] == sold_duty  # relief up to 150, EUR 3 flat, then the tariff
    assert Decimal(sold["totals"]["vat"]) > 0
    returned = _estimate("returned_goods", "DE", "EUR", date)
    assert returned["totals"]["total"] == "0.00"
    by_type = {line["tax_type"]: line for line in returned["lines"]}
    assert set(by_type) == {"duty", "vat"}
    assert by_type["vat"]["basis"] == "100.00"  # goods and transport: the VAT base it relieves
    assert "Directive 2006/112/EC art. 143(1)(e)" in by_type["vat"]["reason"]
    claimed = {"vat"} if sold_duty == "0.00" else {"duty", "vat"}
    for tax_type, line in by_type.items():
        assert line["reason"].startswith("Returned goods relief, ") == (tax_type in claimed)
        assert line["payer"] == "consignee" and line["collection_channel"] == "border"
    if "duty" in claimed:
        assert "Reg. (EU) 952/2013 (Union Customs Code) art. 203" in by_type["duty"]["reason"]
    else:  # the EUR 150 relief already frees the duty: no claim on it, nothing for an officer
        assert by_type["duty"]["reason"].startswith("Duty relief: ")
    assert any("an officer grants or refuses it" in text for text in returned["explanation"])


def test_the_uk_relieves_returned_goods_too():
    returned = _estimate("returned_goods", "GB", "GBP", "2026-11-25")
    assert returned["totals"]["total"] == "0.00"
    reasons = " ".join(line["reason"] for line in returned["lines"])
    assert "UK Reliefs document" in reasons and "reg. 121D" in reasons


def test_where_no_relief_is_modelled_returned_goods_are_taxed_at_the_border():
    returned = _estimate("returned_goods", "NO", "NOK", "2026-11-25")
    sold = _estimate("sale_of_goods", "NO", "NOK", "2026-11-25")  # no VOEC number: at the border
    assert returned["totals"] == sold["totals"]
    assert Decimal(returned["totals"]["vat"]) > 0
    assert not any(line["reason"].startswith("Returned goods") for line in returned["lines"])


def test_switzerland_relieves_the_import_tax_of_goods_returned_on_a_claim():
    sold = _estimate("sale_of_goods", "CH", "CHF", "2026-11-25")
    assert sold["totals"]["duty"] == "0.00"  # industrial goods are duty-free since 2024
    assert sold["totals"]["vat"] == "8.10"  # 8.1% of goods and transport, CHF 100
    returned = _estimate("returned_goods", "CH", "CHF", "2026-11-25")
    assert returned["totals"]["total"] == "0.00"
    claims = [line for line in returned["lines"] if line["reason"].startswith("Returned goods")]
    # Only the tax that would be owed is claimed: a zero duty needs no officer's decision.
    assert [line["tax_type"] for line in claims] == ["vat"]
    assert "MWSTG, SR 641.20) art. 53(1)(f)" in claims[0]["reason"]
    assert "unless exempted from the tax because of their" in claims[0]["reason"]


def test_goods_that_would_owe_nothing_claim_no_relief_and_wait_for_no_officer():
    goods = {"value": "40.00", "origin_country": "DE", "shipping_cost": "0.00"}
    returned = _estimate("returned_goods", "CH", "CHF", "2026-11-25", **goods)
    assert returned["totals"]["total"] == "0.00"  # CHF 3.24 of import tax, not levied
    assert not any(line["reason"].startswith("Returned goods") for line in returned["lines"])
    assert any("no relief is claimed" in text for text in returned["explanation"])
    # Below the US de minimis (goods of Germany, the day before its suspension) nothing was owed.
    before = _estimate("returned_goods", "US", "USD", "2025-08-28", **goods)
    assert before["totals"]["total"] == "0.00"
    assert not any(line["reason"].startswith("Returned goods") for line in before["lines"])


@pytest.mark.parametrize(("transport", "fee"), [("express", "2.77"), ("postal", "0.00")])
def test_the_united_states_relieves_the_duty_of_goods_returned_but_not_the_entry_fee(
    transport, fee
):
    returned = _estimate("returned_goods", "US", "USD", "2026-11-25", transport=transport)
    assert returned["totals"]["duty"] == "0.00"
    (duty,) = [line for line in returned["lines"] if line["tax_type"] == "duty"]
    assert duty["reason"].startswith("Returned goods relief, duty, claimed")
    assert "HTSUS heading 9801.00.10" in duty["reason"]
    # The goods are entered under the relief: the processing fee of an informal entry is owed
    # (never on a postal item), which a de minimis release would have spared.
    assert returned["totals"]["fee"] == fee


def test_every_swiss_and_us_regime_relieves_returned_goods_and_cites_the_law():
    shipped = load_shipped_regimes()
    for spec in shipped:
        if spec.jurisdiction == "CH":
            assert spec.returned_goods_relief == ("duty", "vat"), spec.code
            assert "ZG, SR 631.0) art. 10" in spec.legal_ref("returned_goods"), spec.code
        elif spec.jurisdiction == "US":
            assert spec.returned_goods_relief == ("duty",), spec.code
            assert "9801.00.10" in spec.legal_ref("returned_goods"), spec.code


def test_every_eu_regime_relieves_returned_goods_and_cites_the_law():
    eu = [spec for spec in load_shipped_regimes() if spec.code.startswith("EU-")]
    assert len({spec.jurisdiction for spec in eu}) == 27
    for spec in eu:
        assert spec.returned_goods_relief == ("duty", "vat"), spec.code
        assert "art. 203" in spec.legal_ref("returned_goods"), spec.code


def test_a_relief_without_its_legal_source_or_of_an_unknown_tax_is_refused():
    shipped = next(s for s in load_shipped_regimes() if s.code == "EU-DE-2026").to_dict()
    without_source = {**shipped, "legal_refs": {**shipped["legal_refs"]}}
    del without_source["legal_refs"]["returned_goods"]
    with pytest.raises(ValueError, match="needs legal_refs.returned_goods"):
        RegimeSpec.from_dict(without_source)
    with pytest.raises(ValueError, match="duty and vat only"):
        RegimeSpec.from_dict({**shipped, "returned_goods_relief": ["duty", "fee"]})


@pytest.fixture
def returned(operator_a, example, django_capture_on_commit_callbacks):
    example["category"] = "returned_goods"
    example.pop("vendor_tax_scheme")
    example.pop("self_assessed_taxes")
    example["order"]["payment"]["amount"] = "43.80"  # no VAT charged at checkout
    with django_capture_on_commit_callbacks(execute=True):
        outcome = declarations_submit(operator=operator_a.operator, bodies=[example])[0]
    assert outcome.declaration is not None, outcome
    pk = outcome.declaration.pk
    Declaration.objects.filter(pk=pk).update(channel="green")
    return pk


def _refusal_codes(pk: int, actor=None, action: str = "") -> set[str]:
    declaration = Declaration.objects.get(pk=pk)
    refusals = lifecycle.guard_refusals(
        [declaration], Status.RELEASED, lifecycle.GuardContext(actor, action)
    )
    return {r.code for r in refusals.get(pk, [])}


def _amend(operator_a, example, pk: int, capture) -> None:
    from declarations.services import declaration_amend

    body = dict(example, category="returned_goods")
    body.pop("vendor_tax_scheme", None)
    body.pop("self_assessed_taxes", None)
    body["order"] = dict(body["order"], payment=dict(body["order"]["payment"], amount="43.80"))
    body["items"] = [dict(item) for item in body["items"]]
    body["items"][0]["description"] = body["items"][0]["description"] + " (amended)"
    with capture(execute=True):
        status, _declaration, problems = declaration_amend(
            operator=operator_a.operator, declaration_id=pk, body=body
        )
    assert status == 200, problems


def test_a_green_consignment_claiming_the_relief_waits_for_an_officer_who_grants_it(
    client, returned, customs_user
):
    from revenue.models import TaxAssessment

    assessment = TaxAssessment.objects.get(declaration_id=returned, is_current=True)
    assert assessment.totals["duty"] == assessment.totals["vat"] == "0.00"
    # France's small-parcel tax is a national fee, not relieved (docs/revenue.md).
    assert {line.tax_type for line in assessment.lines.all()} == {"duty", "vat", "fee"}
    pay_at_border(returned)
    declaration = arrive(returned)
    assert declaration.status == Status.INSPECTION  # put before an officer, not released
    event = StatusEvent.objects.filter(declaration_id=returned).order_by("-at", "-id").first()
    assert "relief_unverified" in event.note
    officer = customs_user("officer")
    # Being a person is not enough: nobody releases before the relief is granted, one by one or
    # in bulk.
    assert "relief_unverified" in _refusal_codes(returned, officer, "release")
    from declarations.workload import bulk_apply

    revision = Declaration.objects.get(pk=returned).revision
    bulk_apply(
        action="release",
        declaration_ids=[returned],
        user=officer,
        params={"reason": "bulk", "revisions": {returned: revision}},
    )
    assert Declaration.objects.get(pk=returned).status == Status.INSPECTION
    client.force_login(officer)
    page = client.get(reverse("declarations:consignment", args=[returned])).content.decode()
    assert 'id="relief-form"' in page and "Returned goods relief" in page
    client.post(
        reverse("revenue:relief", args=[returned]),
        {
            "decision": "granted",
            "reason": "export declaration 26DE000000000001 seen",
            "revision": 1,
        },
    )
    assert "relief_unverified" not in _refusal_codes(returned)
    page = client.get(reverse("declarations:consignment", args=[returned])).content.decode()
    assert 'id="relief-granted"' in page
    lifecycle.claim(declaration_id=returned, user=officer)
    lifecycle.transition(
        declaration_id=returned,
        to_status=Status.RELEASED,
        actor=officer,
        action="release",
        note="relief granted",
    )
    assert Declaration.objects.get(pk=returned).status == Status.RELEASED


def test_a_grant_holds_for_its_revision_only(
    returned, operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    from revenue.services.reliefs import relief_decide

    relief_decide(
        declaration_id=returned, decision="granted", actor=customs_user("officer"), reason="seen"
    )
    assert "relief_unverified" not in _refusal_codes(returned)
    _amend(operator_a, example, returned, django_capture_on_commit_callbacks)
    assert Declaration.objects.get(pk=returned).revision == 2
    assert "relief_unverified" in _refusal_codes(returned)


def test_an_officer_who_finds_no_evidence_refuses_the_relief_for_good(
    client, returned, customs_user, operator_a, example, django_capture_on_commit_callbacks
):
    from customs_ecom.platform.models import AuditEvent
    from revenue.models import TaxAssessment

    officer = customs_user("officer")
    client.force_login(officer)
    page = client.get(
        reverse("declarations:consignment", args=[returned]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Refuser : pas de preuve de l'exportation" in page
    assert "Franchise des marchandises en retour, droits, demandée" in page
    client.post(
        reverse("revenue:relief", args=[returned]),
        {"decision": "refused", "reason": "no export declaration shown", "revision": 1},
    )
    refused = TaxAssessment.objects.get(declaration_id=returned, is_current=True)
    assert refused.reason == "revaluation"
    assert Decimal(refused.totals["duty"]) == Decimal("6.00")  # EUR 3 per tariff code, two codes
    assert Decimal(refused.totals["vat"]) > 0
    assert not refused.lines.filter(legal_reason__startswith="Returned goods relief").exists()
    assert any("relief refused" in text for text in refused.explanation)
    decided = AuditEvent.objects.get(action="relief.refused", object_id=str(returned))
    assert decided.actor_id == officer.pk and decided.reason == "no export declaration shown"
    assert decided.before["returned_goods_relief"] == "claimed"
    assert decided.after["returned_goods_relief"] == "refused"
    assert AuditEvent.objects.filter(action="taxes.revalue", object_id=str(returned)).exists()
    assert "relief_unverified" not in _refusal_codes(returned)
    assert "taxes_unpaid" in _refusal_codes(returned, officer, "release")
    page = client.get(reverse("declarations:consignment", args=[returned])).content.decode()
    assert 'id="relief-refused"' in page and 'id="relief-form"' not in page
    page = client.get(
        reverse("declarations:consignment", args=[returned]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "A refusé la franchise des marchandises en retour" in page
    # An amendment does not bring the relief back, nor does a revaluation of the values.
    _amend(operator_a, example, returned, django_capture_on_commit_callbacks)
    amended = TaxAssessment.objects.get(declaration_id=returned, is_current=True)
    assert amended.revision == 2 and Decimal(amended.totals["duty"]) == Decimal("6.00")
    assert not amended.lines.filter(legal_reason__startswith="Returned goods relief").exists()
    from revenue.services.revaluation import taxes_revalue
    from tests.revenue.helpers import under_inspection

    under_inspection(returned)
    again = taxes_revalue(
        declaration_id=returned,
        revised_values_by_line={1: Decimal("30.00")},
        actor=officer,
        reason="value found on the invoice",
    )
    assert Decimal(again.totals["duty"]) == Decimal("6.00")
    assert Decimal(again.totals["vat"]) > Decimal(amended.totals["vat"])


def test_a_relief_is_decided_only_where_one_is_claimed(
    operator_a, example, django_capture_on_commit_callbacks, customs_user
):
    from revenue.services.reliefs import ReliefError, relief_decide

    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration.pk
    for decision in ("granted", "refused"):
        with pytest.raises(ReliefError, match="No returned goods relief is claimed"):
            relief_decide(
                declaration_id=pk, decision=decision, actor=customs_user("officer"), reason="x"
            )
    with pytest.raises(ReliefError, match="Only an officer"):
        relief_decide(declaration_id=pk, decision="granted", actor=None, reason="x")


def test_a_sale_is_not_held_by_the_relief_guard(
    operator_a, example, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pk = declarations_submit(operator=operator_a.operator, bodies=[example])[0].declaration.pk
    Declaration.objects.filter(pk=pk).update(channel="green", arrived_at=timezone.now())
    pay_at_border(pk)
    assert "relief_unverified" not in _refusal_codes(pk)


def test_goods_sent_from_inside_the_territory_claim_no_relief():
    from datetime import date

    from revenue.calculators import ConsignmentIn, ItemIn, assess
    from revenue.regimes import regime_for

    regime = regime_for(load_shipped_regimes(), "FR", date(2026, 11, 25))
    result = assess(
        ConsignmentIn(
            currency="EUR",
            items=(ItemIn(line=1, hs_code="610910", value=Decimal("90")),),
            category="returned_goods",
            dispatch_country="MC",
        ),
        regime,
        fx_rate=Decimal(1),
    )
    assert all(line.legal_reason.startswith("Not an import") for line in result.lines)
    assert not any("Returned goods" in text for text in result.explanation)


def test_the_regime_page_shows_the_relief_with_its_sources(client, customs_user):
    from revenue.models import Regime

    client.force_login(customs_user("auditor"))
    regime = Regime.objects.get(code="EU-DE-2026", version=1)
    page = client.get(reverse("revenue:regime", args=[regime.pk])).content.decode()
    assert "Returned goods relief" in page and "art. 143(1)(e)" in page
    page = client.get(
        reverse("revenue:regime", args=[regime.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Franchise des marchandises en retour" in page


def test_a_decision_on_a_revision_the_officer_did_not_see_is_refused(
    returned, operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    from revenue.services.reliefs import ReliefError, relief_decide

    _amend(operator_a, example, returned, django_capture_on_commit_callbacks)
    with pytest.raises(ReliefError, match="amended since you opened it"):
        relief_decide(
            declaration_id=returned,
            decision="granted",
            actor=customs_user("officer"),
            reason="seen",
            revision=1,
        )
    assert "relief_unverified" in _refusal_codes(returned)


def test_a_refusal_keeps_the_values_found_at_inspection_and_names_the_earlier_grant(
    returned, customs_user
):
    from customs_ecom.platform.models import AuditEvent
    from revenue.models import TaxAssessment
    from revenue.services.reliefs import relief_decide
    from revenue.services.revaluation import taxes_revalue

    officer = customs_user("officer")
    relief_decide(declaration_id=returned, decision="granted", actor=officer, reason="seen")
    from tests.revenue.helpers import under_inspection

    under_inspection(returned)
    taxes_revalue(
        declaration_id=returned,
        revised_values_by_line={1: Decimal("400.00")},
        actor=officer,
        reason="the T-shirts are silk",
    )
    relief_decide(
        declaration_id=returned, decision="refused", actor=officer, reason="the INF3 is forged"
    )
    refused = TaxAssessment.objects.get(declaration_id=returned, is_current=True)
    assert refused.revised_values == {"1": "400.00"}
    vat_bases = [line.basis for line in refused.lines.filter(tax_type="vat", item_line=1)]
    assert vat_bases and vat_bases[0] > Decimal("400.00")  # the silk value, not 24.00
    decided = AuditEvent.objects.get(action="relief.refused", object_id=str(returned))
    assert decided.before["earlier_decision"] == "granted"


def test_a_supervisor_reopens_a_refusal_made_by_mistake(client, returned, customs_user):
    from customs_ecom.platform.models import AuditEvent
    from revenue.services.reliefs import ReliefError, relief_decide

    officer = customs_user("officer")
    relief_decide(declaration_id=returned, decision="refused", actor=officer, reason="none")
    with pytest.raises(ReliefError, match="Only a supervisor"):
        relief_decide(declaration_id=returned, decision="reopened", actor=officer, reason="oops")
    client.force_login(officer)
    page = client.get(reverse("declarations:consignment", args=[returned])).content.decode()
    assert 'id="relief-refused"' in page and 'id="relief-reopen-form"' not in page
    supervisor = customs_user("supervisor")
    client.force_login(supervisor)
    page = client.get(reverse("declarations:consignment", args=[returned])).content.decode()
    assert 'id="relief-reopen-form"' in page
    client.post(
        reverse("revenue:relief", args=[returned]),
        {"decision": "reopened", "reason": "the INF3 was filed under the wrong LRN", "revision": 1},
    )
    page = client.get(reverse("declarations:consignment", args=[returned])).content.decode()
    assert 'id="relief-form"' in page  # the claim is open again, for an officer to decide
    assert "relief_unverified" in _refusal_codes(returned)
    reopened = AuditEvent.objects.get(action="relief.reopened", object_id=str(returned))
    assert reopened.before["returned_goods_relief"] == "refused"
    assert reopened.actor_id == supervisor.pk
    relief_decide(declaration_id=returned, decision="granted", actor=officer, reason="INF3 seen")
    assert "relief_unverified" not in _refusal_codes(returned)
    with pytest.raises(ReliefError, match="Only a refused relief"):
        relief_decide(declaration_id=returned, decision="reopened", actor=supervisor, reason="x")


def test_only_the_officer_holding_the_consignment_decides(returned, customs_user):
    from revenue.services.reliefs import ReliefError, relief_decide

    holder, other = customs_user("officer"), customs_user("officer", "other-officer")
    lifecycle.claim(declaration_id=returned, user=holder)
    with pytest.raises(ReliefError, match="Another officer holds this consignment"):
        relief_decide(declaration_id=returned, decision="granted", actor=other, reason="seen")
    relief_decide(declaration_id=returned, decision="granted", actor=holder, reason="seen")
    assert "relief_unverified" not in _refusal_codes(returned)


def test_an_officer_requests_the_proof_of_exit_and_the_operator_reads_it(
    client, returned, customs_user, operator_a
):
    Declaration.objects.filter(pk=returned).update(channel="yellow")
    client.force_login(customs_user("officer"))
    act = "declarations:consignment_action"
    client.post(reverse(act, args=[returned, "claim"]), page_decision(returned))
    client.post(
        reverse(act, args=[returned, "request_documents"]),
        page_decision(returned, {"documents": ["proof_of_exit"]}),
    )
    assert Declaration.objects.get(pk=returned).status == Status.DOCUMENTS_REQUESTED
    seen = operator_a.get(f"/api/v1/declarations/{returned}").json()
    assert seen["status_history"][-1]["reason"] == "documents requested: proof_of_exit"
    # The document type the operator uploads it with is the code it read.
    from declarations.models import Document

    assert "proof_of_exit" in Document.Type.values


def test_a_grant_sent_twice_is_recorded_and_audited_once(returned, customs_user):
    from customs_ecom.platform.models import AuditEvent
    from revenue.models import ReliefDecision
    from revenue.services.reliefs import relief_decide

    officer = customs_user("officer")
    first = relief_decide(declaration_id=returned, decision="granted", actor=officer, reason="INF3")
    again = relief_decide(declaration_id=returned, decision="granted", actor=officer, reason="INF3")
    assert again.pk == first.pk
    assert ReliefDecision.objects.filter(declaration_id=returned).count() == 1
    assert AuditEvent.objects.filter(action="relief.granted", object_id=str(returned)).count() == 1
