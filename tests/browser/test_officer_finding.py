"""Finding and working consignments in a real browser: search by LRN and by a scanned barcode, a
bulk document request, a case file with an inline document, an auditor's filtered log export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from declarations import codelists
from declarations.models import Declaration, Status
from declarations.services import declaration_claim, declarations_submit, document_attach

from .conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
BARCODE = f"RR{'87654321'}{codelists.s10_check_digit('87654321')}FR"


def _body(example, n, **changes):
    body = dict(
        example,
        lrn=f"SRCH-{n}",
        transport_document={"type": "house_waybill", "number": f"44{n:06d}"},
    )
    body["items"] = [
        dict(
            example["items"][0], description="Replica Rolex watch", hs_code="910221", value="15.00"
        )
    ]
    body["order"] = {k: v for k, v in example["order"].items() if k != "payment"}
    body.update(changes)
    return body


@pytest.fixture
def consignments(transactional_db, operator_a, example):
    bodies = [_body(example, n) for n in range(3)]
    bodies.append(_body(example, 3, transport_document={"type": "postal_item", "number": BARCODE}))
    outcomes = declarations_submit(operator=operator_a.operator, bodies=bodies)
    return [o.declaration.pk for o in outcomes]


@pytest.fixture
def officer(transactional_db, customs_user):
    return customs_user("officer")


def test_officer_finds_a_consignment_by_lrn_and_by_scanned_barcode(
    page, live_server, officer, consignments
):
    login(page, live_server, "officer")
    box = page.get_by_role("searchbox", name="Search consignments")
    box.fill("srch-1")
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/consignments/{consignments[1]}/$"))
    expect(page.get_by_role("heading", name=re.compile("SRCH-1"))).to_be_visible()
    # A scanner types the barcode's characters and ends with Enter.
    box = page.get_by_role("searchbox", name="Search consignments")
    box.fill("")
    box.type(BARCODE.lower(), delay=5)
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/consignments/{consignments[3]}/$"))
    box = page.get_by_role("searchbox", name="Search consignments")
    box.fill("no such parcel")
    box.press("Enter")
    expect(page.locator("#no-results")).to_contain_text("No consignment or operator matches")
    screenshot(page, "search-no-results")


def test_officer_requests_documents_for_several_consignments_at_once(
    page, live_server, officer, consignments
):
    login(page, live_server, "officer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="All consignments").click()
    page.locator("#work-unassigned").click()
    expect(page.locator("#consignments-body tr[data-href]")).to_have_count(4)
    page.get_by_label("Select SRCH-0").check()
    page.get_by_label("Select SRCH-2").check()
    # Red and yellow work is claimed before any decision (docs/lifecycle.md).
    page.locator("#bulk-claim").click()
    expect(page.locator(".messages")).to_contain_text("2 consignment(s): claimed.")
    page.locator("#work-mine").click()
    expect(page.locator("#consignments-body tr[data-href]")).to_have_count(2)
    page.get_by_label("Select SRCH-0").check()
    page.get_by_label("Select SRCH-2").check()
    page.locator("#bulk").get_by_label("Invoice").check()
    page.get_by_role("button", name="Request documents").click()
    expect(page.locator(".messages")).to_contain_text("2 consignment(s): documents requested.")
    screenshot(page, "bulk-request-documents")
    statuses = dict(Declaration.objects.values_list("lrn", "status"))
    assert statuses["SRCH-0"] == statuses["SRCH-2"] == Status.DOCUMENTS_REQUESTED
    assert statuses["SRCH-1"] == Status.ASSESSED
    page.locator("#work-waiting").click()
    expect(page.locator("#consignments-body tr[data-href]")).to_have_count(2)


def test_case_file_shows_the_requested_document_inline(
    page, live_server, officer, consignments, operator_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    pk = consignments[0]
    declaration_claim(declaration_id=pk, user=officer)
    from declarations.services import declaration_transition

    declaration_transition(
        declaration_id=pk,
        to_status=Status.DOCUMENTS_REQUESTED,
        actor=officer,
        public_reason="documents requested: invoice, licence",
    )
    document_attach(
        operator=operator_a.operator,
        declaration_id=pk,
        doc_type="invoice",
        content=PDF,
        content_type="application/pdf",
        extension="pdf",
        original_name="invoice-SRCH-0.pdf",
    )
    login(page, live_server, "officer")
    page.goto(f"{live_server.url}/consignments/{pk}/")
    checklist = page.locator("#document-checklist")
    expect(checklist).to_contain_text("requested, received")
    expect(checklist).to_contain_text("requested, not received yet")
    page.get_by_role("link", name="Show here").click()
    frame = page.locator("iframe[title='invoice-SRCH-0.pdf']")
    expect(frame).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Claimed the consignment.")
    screenshot(page, "case-file-inline-document")


def test_auditor_exports_a_filtered_audit_log(
    page, live_server, officer, consignments, customs_user
):
    customs_user("auditor")
    declaration_claim(declaration_id=consignments[0], user=officer)
    login(page, live_server, "auditor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    page.get_by_label("Who").fill("officer")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-log tbody tr")).to_have_count(1)
    expect(page.locator("#audit-log")).to_contain_text("declaration.claim")
    expect(page.locator("#audit-log")).to_contain_text("Claimed by: officer")
    screenshot(page, "audit-log-filtered")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these entries (CSV)").click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()
    assert content[0].startswith("at,who,action")
    assert len(content) == 2 and ",officer,declaration.claim," in content[1]
