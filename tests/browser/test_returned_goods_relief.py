"""An officer decides a returned goods relief in a real browser: the goods wait until the relief
is granted, then leave; a refusal taxes them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from declarations.models import Declaration, Status
from declarations.services import declarations_submit
from tests.lifecycle_helpers import arrive, pay_at_border

from .conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _returned(operator_a, example, lrn: str, number: str) -> int:
    body = dict(example, lrn=lrn, category="returned_goods")
    body["transport_document"] = {"type": "house_waybill", "number": number}
    body.pop("vendor_tax_scheme")
    body.pop("self_assessed_taxes")
    body["order"] = dict(body["order"], payment=dict(body["order"]["payment"], amount="43.80"))
    (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[body])
    pk = outcome.declaration.pk
    Declaration.objects.filter(pk=pk).update(channel="green")
    pay_at_border(pk)  # France's small-parcel tax
    assert arrive(pk).status == Status.INSPECTION  # held for the relief
    return pk


def test_an_officer_grants_the_relief_then_releases(
    page, live_server, transactional_db, operator_a, example, customs_user
):
    customs_user("officer")
    pk = _returned(operator_a, example, "RET-1", "55000001")
    login(page, live_server, "officer")
    page.goto(f"{live_server.url}/consignments/{pk}/")
    expect(page.locator("#release-refusals")).to_contain_text("Returned goods relief claimed")
    page.get_by_role("button", name="Claim (work on this consignment)").click()
    page.locator("#relief-grant").check()
    page.get_by_label("Evidence seen, or what is missing").fill("EX 26DE0000001 seen")
    page.locator("#relief-decide").click()
    expect(page.locator("#relief-granted")).to_be_visible()
    screenshot(page, "returned-goods-relief-granted")
    page.locator("#release-start").click()
    page.locator("#reason-release").fill("relief granted, goods as exported")
    page.locator("#confirm-box-release").check()
    page.locator("button#release").click()
    expect(page.locator("#status")).to_have_text("Released")
    assert Declaration.objects.get(pk=pk).status == Status.RELEASED


def test_an_officer_refuses_the_relief_and_the_goods_are_taxed(
    page, live_server, transactional_db, operator_a, example, customs_user
):
    from revenue.models import TaxAssessment

    customs_user("officer")
    pk = _returned(operator_a, example, "RET-2", "55000002")
    login(page, live_server, "officer")
    page.goto(f"{live_server.url}/consignments/{pk}/")
    page.locator("#relief-refuse").check()
    page.get_by_label("Evidence seen, or what is missing").fill("no export declaration")
    page.locator("#relief-decide").click()
    expect(page.locator("#relief-refused")).to_be_visible()
    assessment = TaxAssessment.objects.get(declaration_id=pk, is_current=True)
    assert assessment.totals["duty"] != "0.00" and assessment.totals["vat"] != "0.00"
