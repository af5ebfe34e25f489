"""An analyst's proposal approved by a supervisor, and a walk through the pages in French with
no English sentence left and the navigation on one line at 1366 px, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from customs_ecom.kpis import aggregate_recent
from customs_ecom.platform.roles import ROLES
from declarations.models import Declaration, Status
from declarations.services import declarations_submit
from tests.customs_ecom.test_french_pages import english_left, english_msgids

from .conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def consignments(transactional_db, operator_a, example):
    bodies = []
    for n in range(3):
        body = dict(
            example,
            lrn=f"BRW-FR-{n}",
            transport_document={"type": "house_waybill", "number": f"77{n:06d}"},
        )
        body["items"] = [dict(example["items"][0], description="gift", value="1")]
        body["order"] = {k: v for k, v in example["order"].items() if k != "payment"}
        bodies.append(body)
    outcomes = declarations_submit(operator=operator_a.operator, bodies=bodies)
    ids = [o.declaration.pk for o in outcomes]
    assert set(Declaration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.ASSESSED
    }
    return ids


@pytest.fixture
def users(transactional_db, customs_user):
    return {role: customs_user(role) for role in ROLES}


def test_analyst_proposal_is_approved_by_a_supervisor(page, live_server, users, consignments):
    from customs_ecom.platform.models import AuditEvent
    from risk.models import RuleSet

    login(page, live_server, "risk_analyst")
    page.goto(f"{live_server.url}/risk/rules/splitting/")
    page.get_by_label("Window (hours)").fill("96")
    page.get_by_label("Why (recorded in the audit trail)").fill("Sellers split over four days")
    page.locator("#rule-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/risk/$"))
    draft = RuleSet.objects.order_by("-version").first()
    assert draft.state == RuleSet.State.DRAFT

    page.goto(f"{live_server.url}/risk/versions/{draft.version}/")
    expect(page.locator("#diff-table")).to_contain_text("params.window_hours")
    page.get_by_label("Why activate this version").fill("Splitting over four days seen in audits")
    page.get_by_label("I have read the differences").check()
    page.get_by_role("button", name="Propose for activation").click()
    expect(page.locator("#proposal")).to_contain_text("Splitting over four days")
    expect(page.locator("#awaiting-approval")).to_be_visible()
    screenshot(page, "analyst-proposal")

    page.context.clear_cookies()
    login(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/risk/versions/{draft.version}/")
    page.get_by_label("Why activate this version").fill("Back-test reviewed: 0 changes today")
    page.get_by_label("I have read the differences").check()
    page.get_by_role("button", name="Approve and activate").click()
    expect(page).to_have_url(re.compile(r"/risk/$"))
    expect(page.locator("#active-version")).to_have_text(f"v{draft.version}")
    screenshot(page, "supervisor-approved")
    draft.refresh_from_db()
    assert draft.state == RuleSet.State.ACTIVE
    actions = set(
        AuditEvent.objects.filter(object_type="ruleset", object_id=str(draft.version)).values_list(
            "action", "actor_label"
        )
    )
    assert {("ruleset.propose", "risk_analyst"), ("ruleset.approve", "supervisor")} <= actions


def test_pages_in_french_have_no_english_and_one_line_of_navigation(
    page, live_server, users, consignments
):
    aggregate_recent()
    msgids = english_msgids()
    login(page, live_server, "administrator")
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_label("Language").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    pages = [
        "/queue/",
        f"/consignments/{consignments[0]}/",
        "/dashboard/",
        "/risk/",
        "/risk/rules/high_risk_origin/",
        "/risk/versions/1/",
        "/revenue/verification/",
        f"/revenue/declarations/{consignments[0]}/",
        "/registry/",
    ]
    problems = {}
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        left = english_left(page.content(), msgids)
        if left:
            problems[path] = left
        tops = page.eval_on_selector_all(
            "header.top nav a", "links => links.map(a => Math.round(a.getBoundingClientRect().top))"
        )
        assert len(set(tops)) == 1, (path, tops)  # one line of navigation at 1366 px
    page.goto(f"{live_server.url}/consignments/{consignments[0]}/")
    expect(page.locator("main")).to_contain_text("n'identifie pas les marchandises")
    expect(page.locator(".finding").first).to_contain_text("exhaustivité")
    screenshot(page, "consignment-fr")
    assert problems == {}, problems
