"""What officers, analysts, supervisors, administrators and auditors do, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from customs_ecom.kpis import aggregate_recent
from customs_ecom.platform.roles import ROLES
from declarations.models import Declaration, Status
from declarations.services import declarations_submit

from .conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _risky(example, n):
    body = dict(
        example,
        lrn=f"BRW-{n}",
        transport_document={"type": "house_waybill", "number": f"66{n:06d}"},
    )
    body["items"] = [
        dict(
            example["items"][0], description="Replica Rolex watch", hs_code="910221", value="15.00"
        )
    ]
    body["order"] = {k: v for k, v in example["order"].items() if k != "payment"}
    return body


@pytest.fixture
def consignments(transactional_db, operator_a, example):
    """Four risky consignments, assessed by the real risk and revenue tasks (run in-process)."""
    outcomes = declarations_submit(
        operator=operator_a.operator, bodies=[_risky(example, n) for n in range(4)]
    )
    ids = [o.declaration.pk for o in outcomes]
    assert set(Declaration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.ASSESSED
    }
    return ids


@pytest.fixture
def users(transactional_db, customs_user):
    return {role: customs_user(role) for role in ROLES}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_logs_in_and_sees_only_its_pages(page, live_server, users, consignments, role):
    login(page, live_server, role)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(nav.get_by_role("link", name="Triage queue")).to_be_visible()
    page.goto(f"{live_server.url}/consignments/{consignments[0]}/")
    decision = page.get_by_role("heading", name="Decision")
    if role in ("officer", "supervisor", "administrator"):
        expect(decision).to_be_visible()
    else:
        expect(decision).to_have_count(0)  # risk analysts and auditors read, never decide
    screenshot(page, f"consignment-as-{role}")


def _confirm(page, code: str, reason: str) -> None:
    """An irreversible decision: open it, give the reason, tick the confirmation, submit."""
    page.locator(f"#{code}-start").click()
    page.locator(f"#reason-{code}").fill(reason)
    page.locator(f"#confirm-box-{code}").check()
    page.locator(f"button#{code}").click()


def test_officer_triages_with_the_keyboard_claims_and_cannot_release_unchecked_goods(
    page, live_server, users, consignments
):
    login(page, live_server, "officer")
    expect(page).to_have_url(re.compile(r"/queue/"))
    expect(page.locator("#queue-body tr[data-href]")).to_have_count(4)
    screenshot(page, "queue")
    page.keyboard.press("j")
    expect(page.locator("#queue-body tr.selected")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Decision")).to_be_visible()
    pk = int(re.search(r"/consignments/(\d+)/", page.url).group(1))
    # Red and yellow work is claimed first: only then are decisions offered.
    expect(page.locator("#inspect")).to_have_count(0)
    page.get_by_role("button", name="Claim (work on this consignment)").click()
    expect(page.locator("#claimed-by")).to_have_text("officer")
    # Release is not offered: the page says which guards hold it.
    expect(page.locator("#release-start")).to_have_count(0)
    expect(page.locator('#release-refusals [data-guard="not_arrived"]')).to_be_visible()
    expect(page.locator('#release-refusals [data-guard="risk_not_cleared"]')).to_be_visible()
    page.get_by_label("Note (customs only)").fill("Checked the invoice with the seller")
    page.get_by_role("button", name="Order inspection").click()
    expect(page.locator("#status")).to_have_text("Inspection")
    expect(page.locator("#timeline")).to_contain_text("Checked the invoice with the seller")
    screenshot(page, "consignment-release-held")
    assert Declaration.objects.get(pk=pk).status == Status.INSPECTION


def test_prohibited_goods_need_a_supervisor_after_a_compliant_outcome(
    page, live_server, users, operator_a, example
):
    """Four eyes: the inspecting officer cannot release a red consignment whose hits include
    prohibited goods, even after recording "compliant"; a supervisor then can."""
    from tests.lifecycle_helpers import arrive, pay_at_border

    body = _risky(example, 90)
    body["items"] = [
        dict(example["items"][0], description="Pistol holster and pistol", value="40.00")
    ]
    pk = declarations_submit(operator=operator_a.operator, bodies=[body])[0].declaration.pk
    assert Declaration.objects.get(pk=pk).channel in ("red", "yellow")
    arrive(pk)
    # The carrier collects the IOSS duty due at the border: only the four-eyes rule stands.
    pay_at_border(pk)
    login(page, live_server, "officer")
    page.goto(f"{live_server.url}/consignments/{pk}/")
    page.get_by_role("button", name="Claim (work on this consignment)").click()
    if Declaration.objects.get(pk=pk).status != Status.INSPECTION:
        page.get_by_role("button", name="Order inspection").click()
    expect(page.locator("#status")).to_have_text("Inspection")
    page.locator("#outcome-form select[name=result]").select_option("compliant")
    page.locator("#outcome-form").get_by_role("button", name="Record outcome").click()
    expect(
        page.get_by_role("status").filter(has_text="Inspection outcome recorded.")
    ).to_be_visible()
    # The officer is not offered the release, and the page says why (four eyes).
    expect(page.locator("#release-start")).to_have_count(0)
    expect(page.locator('#release-refusals [data-guard="four_eyes"]')).to_be_visible()
    screenshot(page, "four-eyes-officer-refused")
    # Forcing the request changes nothing.
    page.evaluate(
        """pk => { const f = document.createElement('form'); f.method = 'post';
        f.action = `/consignments/${pk}/actions/release/`;
        for (const [k, v] of [['reason', 'mine'], ['confirm', 'on'],
          ['revision', document.querySelector('[name=revision]').value],
          ['csrfmiddlewaretoken', document.querySelector('[name=csrfmiddlewaretoken]').value]]) {
          const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i); }
        document.body.appendChild(f); f.submit(); }""",
        pk,
    )
    expect(
        page.locator(".messages, [role=status], [role=alert]").filter(has_text="four eyes").first
    ).to_be_visible()
    assert Declaration.objects.get(pk=pk).status == Status.INSPECTION
    # A supervisor takes over and releases, with a reason and a confirmation.
    page.context.clear_cookies()
    login(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/consignments/{pk}/")
    page.get_by_role("button", name="Take over from the officer holding it").click()
    _confirm(page, "release", "Holster and replica only; licence seen")
    expect(page.locator("#status")).to_have_text("Released")
    screenshot(page, "four-eyes-supervisor-released")
    assert Declaration.objects.get(pk=pk).status == Status.RELEASED


def test_officer_requests_documents_the_operator_will_see(page, live_server, users, consignments):
    pk = consignments[1]
    login(page, live_server, "officer")
    page.goto(f"{live_server.url}/consignments/{pk}/")
    page.get_by_role("button", name="Claim (work on this consignment)").click()
    page.get_by_label("Invoice").check()
    page.get_by_label("Proof of payment").check()
    page.get_by_role("button", name="Request documents").click()
    expect(page.locator("#status")).to_have_text("Documents requested")
    expect(page.locator("#timeline")).to_contain_text(
        "documents requested: invoice, proof_of_payment"
    )
    screenshot(page, "documents-requested")
    event = Declaration.objects.get(pk=pk).events.get(to_status=Status.DOCUMENTS_REQUESTED)
    assert event.public_reason == "documents requested: invoice, proof_of_payment"


def test_officer_orders_nii_inspection_and_records_the_outcome(
    page, live_server, users, consignments
):
    from risk.models import InspectionOutcome

    pk = consignments[2]
    login(page, live_server, "officer")
    page.goto(f"{live_server.url}/consignments/{pk}/")
    page.get_by_role("button", name="Claim (work on this consignment)").click()
    page.get_by_label("Non-intrusive inspection (scan)").check()
    page.get_by_role("button", name="Order inspection").click()
    expect(page.locator("#status")).to_have_text("Inspection")
    expect(page.locator("#timeline")).to_contain_text("Non-intrusive inspection (scan)")
    page.locator("#outcome-form select[name=result]").select_option("counterfeit")
    page.locator("#outcome-form textarea[name=note]").fill("Fake watches in the scan image")
    page.locator("#outcome-form").get_by_role("button", name="Record outcome").click()
    expect(
        page.get_by_role("status").filter(has_text="Inspection outcome recorded.")
    ).to_be_visible()
    screenshot(page, "inspection-outcome")
    assert InspectionOutcome.objects.get(declaration_id=pk).result == "counterfeit"
    # A counterfeit finding holds the goods under a seizure case.
    expect(page.locator("#status")).to_have_text("Detained")
    expect(page.locator("#open-cases")).to_contain_text("Seizure")


def test_officer_saves_a_filtered_view_of_the_queue(page, live_server, users, consignments):
    login(page, live_server, "officer")
    page.get_by_role("textbox", name="Origin").fill("CN")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"origin=CN"))
    page.get_by_label("Name of this view").fill("From China")
    page.get_by_role("button", name="Save this view").click()
    expect(page.get_by_role("link", name="From China")).to_be_visible()
    screenshot(page, "queue-saved-view")


def test_analyst_changes_a_rule(page, live_server, users, consignments):
    from risk.models import RuleSet

    drafts = RuleSet.objects.filter(state="draft").count()
    login(page, live_server, "risk_analyst")
    page.goto(f"{live_server.url}/risk/rules/high_risk_origin/")
    page.get_by_label("Score", exact=True).fill("35")
    page.get_by_label("Why (recorded in the audit trail)").fill("More weight to origin risk")
    page.locator("#rule-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/risk/$"))
    screenshot(page, "analyst-rule-changed")
    assert RuleSet.objects.filter(state="draft").count() == drafts + 1


def test_supervisor_reads_the_dashboard_in_french(page, live_server, users, consignments):
    aggregate_recent()
    login(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("heading", name="Indicateurs clés de performance")).to_be_visible()
    expect(page.locator("#kpi-total")).to_have_text("4")
    expect(page.get_by_role("heading", name="Volume par jour").first).to_be_visible()
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 4")
    screenshot(page, "dashboard-fr")
    page.goto(f"{live_server.url}/framework/")
    expect(page.locator("#standard-15")).to_contain_text("Mécanisme de mesure")
    screenshot(page, "framework-fr")
