"""Registry pages: who may see and do what, forms with field errors, audited changes, the compliance
profile on the operator page, API keys shown once, query counts of the list pages."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from aeo.models import (
    AEOAuthorisation,
    BenefitPolicy,
    Operator,
    OperatorAPIKey,
    OperatorIdentifier,
    OperatorLink,
)
from aeo.selectors import compliance_profile
from aeo.services import operator_create
from customs_ecom.platform.models import AuditEvent
from declarations.models import Declaration, QualityFinding
from declarations.services import declaration_transition, declarations_submit
from tests.examples import example_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(customs_user):
    def make(role: str) -> Client:
        client = Client()
        client.force_login(customs_user(role, username=f"{role}-user"))
        return client

    return make


@pytest.mark.parametrize("role", ["officer", "risk_analyst"])
def test_registry_is_closed_to_roles_other_than_supervisors_administrators_and_auditors(
    login, role, operator_a
):
    client = login(role)
    for url in (
        "/registry/",
        f"/registry/operators/{operator_a.operator.pk}/",
        "/registry/authorisations/",
        "/registry/benefits/",
    ):
        assert client.get(url).status_code == 403


def test_auditors_read_the_registry_and_change_nothing(login, operator_a):
    client = login("auditor")
    for url in (
        "/registry/",
        f"/registry/operators/{operator_a.operator.pk}/",
        "/registry/authorisations/",
        "/registry/benefits/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/registry/operators/{operator_a.operator.pk}/access/").status_code == 403
    response = client.post("/registry/operators/new/", {"code": "x", "name": "X", "role": "vendor"})
    assert response.status_code == 403
    assert b"You are not allowed to do this" in response.content
    # The pages offer an auditor no form to change the registry, and its form pages are closed.
    page = client.get(f"/registry/operators/{operator_a.operator.pk}/").content.decode()
    assert 'method="post"' not in page.split('id="main"', 1)[1].split("</main>", 1)[0]
    assert "/edit/" not in page and "/apply/" not in page and "/recognise/" not in page
    assert "/registry/operators/new/" not in client.get("/registry/").content.decode()
    pk = operator_a.operator.pk
    for url in (
        "/registry/operators/new/",
        f"/registry/operators/{pk}/edit/",
        f"/registry/operators/{pk}/apply/",
        f"/registry/operators/{pk}/recognise/",
    ):
        assert client.get(url).status_code == 403, url
    supervisor = login("supervisor")
    assert supervisor.get("/registry/operators/new/").status_code == 200
    assert (
        'action="/registry/operators/'
        in supervisor.get(f"/registry/operators/{pk}/").content.decode()
    )


def test_anonymous_users_are_sent_to_the_login_page():
    response = Client().get("/registry/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_registry_list_searches_by_identifier_in_constant_queries(
    login, django_assert_max_num_queries
):
    for n in range(30):
        operator_create(code=f"vendor-{n}", name=f"Vendor {n}", role="vendor", country="CN")
    target = Operator.objects.get(code="vendor-7")
    OperatorIdentifier.objects.create(operator=target, scheme="platform_id", value="S-5521")
    client = login("supervisor")
    with django_assert_max_num_queries(12):
        response = client.get("/registry/")
    assert response.status_code == 200 and response.content.count(b"/registry/operators/") >= 30
    with django_assert_max_num_queries(12):
        response = client.get("/registry/", {"q": "s-5521"})
    assert b"Vendor 7" in response.content and b"Vendor 8" not in response.content
    response = client.get("/registry/", {"role": "marketplace"})
    assert b"Vendor 7" not in response.content


def test_supervisor_registers_and_edits_an_operator_with_field_errors_and_audit(login):
    client = login("supervisor")
    response = client.post(
        "/registry/operators/new/",
        {"code": "fwd-one", "name": "", "role": "freight_forwarder", "country": "XX"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"name", "country"}
    response = client.post(
        "/registry/operators/new/",
        {
            "code": "fwd-one",
            "name": "Forward One",
            "role": "freight_forwarder",
            "country": "nl",
            "eori": "nl123456789",
            "is_active": "on",
        },
    )
    operator = Operator.objects.get(code="fwd-one")
    assert response.status_code == 302 and operator.country == "NL"
    assert operator.eori == "NL123456789"
    response = client.post(
        f"/registry/operators/{operator.pk}/edit/",
        {
            "code": "fwd-one",
            "name": "Forward One BV",
            "role": "freight_forwarder",
            "country": "NL",
            "eori": "NL123456789",
            "is_active": "on",
            "reason": "legal form changed",
        },
    )
    assert response.status_code == 302
    audit = AuditEvent.objects.get(action="operator.update")
    assert audit.before == {"name": "Forward One"} and audit.after == {"name": "Forward One BV"}
    assert audit.reason == "legal form changed" and audit.actor.username == "supervisor-user"


def test_identifiers_contacts_and_links_are_added_from_the_operator_page(login, operator_a):
    client = login("administrator")
    vendor = operator_create(code="vendor-x", name="Vendor X", role="vendor")
    base = f"/registry/operators/{vendor.pk}"
    client.post(f"{base}/identifiers/add/", {"scheme": "vat", "value": "GB123456789"})
    client.post(f"{base}/contacts/add/", {"name": "Customs desk", "email": "desk@vx.example"})
    client.post(f"{base}/links/add/", {"kind": "sells_on", "target": operator_a.operator.pk})
    # The same identifier on another operator is refused with a message, not a 500.
    response = client.post(
        f"/registry/operators/{operator_a.operator.pk}/identifiers/add/",
        {"scheme": "vat", "value": "GB123456789"},
        follow=True,
    )
    assert b"already registered" in response.content
    page = client.get(f"{base}/")
    assert b"GB123456789" in page.content and b"Customs desk" in page.content
    assert b"sells on" in page.content
    link = OperatorLink.objects.get()
    assert (link.source, link.target) == (vendor, operator_a.operator)
    marketplace_page = client.get(f"/registry/operators/{operator_a.operator.pk}/")
    assert b"Vendor X" in marketplace_page.content  # the link shows on both sides
    client.post(f"{base}/links/{link.pk}/remove/")
    assert not OperatorLink.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "operator.identifier_add",
        "operator.contact_add",
        "operator.link_add",
        "operator.link_remove",
    } <= actions


def test_application_and_review_workflow_in_the_browser(login, operator_a):
    client = login("supervisor")
    op = operator_a.operator
    response = client.post(f"/registry/operators/{op.pk}/apply/", {"kind": "AEOF", "note": "x"})
    authorisation = AEOAuthorisation.objects.get(operator=op)
    assert response["Location"] == f"/registry/authorisations/{authorisation.pk}/"
    queue = client.get("/registry/authorisations/")
    assert op.name.encode() in queue.content
    url = f"/registry/authorisations/{authorisation.pk}/"
    client.post(url, {"action": "review"})
    response = client.post(url, {"action": "authorise", "reason": "audit passed"})
    assert response.status_code == 200
    assert "certificate_number" in response.context["form"].errors
    client.post(
        url,
        {"action": "authorise", "reason": "audit passed", "certificate_number": "FRAEOF77"},
    )
    authorisation.refresh_from_db()
    assert authorisation.status == "authorised"
    page = client.get(url)
    assert [a for a, _ in page.context["actions"]] == ["suspend", "revoke"]
    client.post(url, {"action": "suspend", "reason": "investigation"})
    authorisation.refresh_from_db()
    assert authorisation.status == "suspended"
    history = [e.action for e in page.context["history"]]
    assert history[:3] == ["aeo.apply", "aeo.under_review", "aeo.authorised"]


def test_operator_page_shows_the_compliance_profile_and_its_chart(
    login, operator_a, example, django_capture_on_commit_callbacks, customs_user
):
    officer = customs_user("officer")
    ids = []
    for n in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            outcome = declarations_submit(
                operator=operator_a.operator, bodies=[example_for(f"CP-{n}", example)]
            )[0]
        ids.append(outcome.declaration.pk)
    declaration_transition(declaration_id=ids[0], to_status="inspection", actor=officer)
    QualityFinding.objects.create(
        declaration_id=ids[1],
        dimension="timeliness",
        code="late_submission",
        detail="late",
        penalty=15,
    )
    profile = compliance_profile(operator=operator_a.operator)
    assert profile.declarations == 4 and profile.last_30_days == 4
    assert profile.inspections == 1 and str(profile.inspection_rate) == "25.0"
    assert profile.late_submissions == 1 and str(profile.late_rate) == "25.0"
    average = sum(Declaration.objects.values_list("dq_score", flat=True)) / 4
    assert float(profile.dq_average) == pytest.approx(average, abs=0.05)
    this_month = timezone.localdate().strftime("%Y-%m")
    chart = profile.chart_data()
    assert chart["labels"][-1] == this_month and chart["declarations"][-1] == 4
    assert len(chart["labels"]) == 12
    page = login("supervisor").get(f"/registry/operators/{operator_a.operator.pk}/")
    assert b'id="profile-chart"' in page.content and b'id="profile-data"' in page.content
    assert b"chart-4.6.1.umd.min.js" in page.content


def test_compliance_profile_takes_a_fixed_number_of_queries(
    operator_a, example, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        declarations_submit(
            operator=operator_a.operator,
            bodies=[example_for(f"Q-{n}", example) for n in range(20)],
        )
    with django_assert_max_num_queries(8):
        compliance_profile(operator=operator_a.operator)


def test_administrator_creates_a_key_shown_once_then_revokes_it(login, operator_a):
    client = login("administrator")
    url = f"/registry/operators/{operator_a.operator.pk}/access/"
    seen = OperatorAPIKey.objects.filter(operator=operator_a.operator).count()
    response = client.post(url, {"form": "key", "name": "erp", "keys_seen": seen})
    key = response.context["new_key"]
    assert key and key.encode() in response.content
    assert response["Cache-Control"] == "no-store"
    assert key.encode() not in client.get(url).content  # never shown again
    stored = OperatorAPIKey.objects.get(operator=operator_a.operator, name="erp")
    assert key not in stored.hashed_key
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/operators/me").status_code == 200
    assert b"erp" in client.get(url).content  # listed with its last use
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    client.post(url, {"form": "revoke", "prefix": stored.prefix})
    assert api.get("/api/v1/operators/me").status_code == 401
    assert AuditEvent.objects.filter(action="api_key.revoke").count() == 1


def test_a_key_created_and_revoked_on_the_access_page_is_audited_with_its_reason(login, operator_a):
    """Who, when, before, after and why: the reason given on the page is the audit's reason."""
    client = login("administrator")
    url = f"/registry/operators/{operator_a.operator.pk}/access/"
    seen = OperatorAPIKey.objects.filter(operator=operator_a.operator).count()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'aria-label="Motif de la révocation de ' in page
    client.post(url, {"form": "key", "name": "erp", "keys_seen": seen, "reason": "ticket 4711"})
    stored = OperatorAPIKey.objects.get(operator=operator_a.operator, name="erp")
    created = AuditEvent.objects.get(action="api_key.create", after__prefix=stored.prefix)
    assert created.actor.username and created.at and created.reason == "ticket 4711"
    assert created.before is None and created.after["name"] == "erp"
    client.post(url, {"form": "revoke", "prefix": stored.prefix, "reason": "key leaked"})
    revoked = AuditEvent.objects.get(action="api_key.revoke")
    assert revoked.reason == "key leaked" and revoked.actor == created.actor
    assert (revoked.before["revoked"], revoked.after["revoked"]) == (False, True)


def test_access_page_is_for_administrators_only(login, operator_a):
    assert (
        login("supervisor").get(f"/registry/operators/{operator_a.operator.pk}/access/").status_code
        == 403
    )


def test_throttle_set_per_operator_answers_429_with_retry_after(login, operator_a):
    client = login("administrator")
    url = f"/registry/operators/{operator_a.operator.pk}/access/"
    response = client.post(url, {"form": "throttle", "throttle_rate": "lots"})
    assert "throttle_rate" in response.context["throttle_form"].errors
    client.post(url, {"form": "throttle", "throttle_rate": "2/min", "reason": "abuse"})
    operator_a.operator.refresh_from_db()
    assert operator_a.operator.throttle_rate == "2/min"
    from django.core.cache import cache

    cache.clear()
    # Within one throttle window (the counter is per minute): no tick between the calls.
    with time_machine.travel(timezone.now().replace(second=10), tick=False):
        statuses = [operator_a.get("/api/v1/operators/me").status_code for _ in range(3)]
        throttled = operator_a.get("/api/v1/operators/me")
    assert statuses == [200, 200, 429]
    assert int(throttled["Retry-After"]) >= 1
    assert throttled.json()["code"] == "rate_limited"
    audit = AuditEvent.objects.get(action="operator.throttle")
    assert audit.after == {"throttle_rate": "2/min"} and audit.reason == "abuse"
    cache.clear()


def test_webhook_registered_from_the_page_and_deliveries_listed(login, operator_a):
    client = login("administrator")
    url = f"/registry/operators/{operator_a.operator.pk}/access/"
    response = client.post(url, {"form": "webhook", "webhook_url": "ftp://nope"})
    assert "webhook_url" in response.context["webhook_form"].errors
    client.post(
        url,
        {
            "form": "webhook",
            "webhook_url": "https://erp.example.org/hooks",
            "webhook_secret": "short",
        },
    )
    operator_a.operator.refresh_from_db()
    assert operator_a.operator.webhook_url == ""  # refused: secret too short
    client.post(
        url,
        {
            "form": "webhook",
            "webhook_url": "https://erp.example.org/hooks",
            "webhook_secret": "s3cret-long-enough-for-hmac",
        },
    )
    operator_a.operator.refresh_from_db()
    assert operator_a.operator.webhook_secret == "s3cret-long-enough-for-hmac"
    page = client.get(url)
    assert b"s3cret-long-enough-for-hmac" not in page.content
    assert b"https://erp.example.org/hooks" in page.content


def test_benefit_policies_edited_by_administrators_only_and_audited(login):
    supervisor = login("supervisor")
    assert supervisor.get("/registry/benefits/").status_code == 200
    data = {
        "kind": "AEOS",
        "AEOS-risk_score_factor": "0.3",
        "AEOS-random_rate_factor": "0.1",
        "AEOS-max_batch": "3000",
        "AEOS-reason": "new national policy",
    }
    assert supervisor.post("/registry/benefits/", data).status_code == 403
    admin = login("administrator")
    response = admin.post("/registry/benefits/", {**data, "AEOS-risk_score_factor": "2"})
    assert response.status_code == 200
    admin.post("/registry/benefits/", data)
    policy = BenefitPolicy.objects.get(kind="AEOS")
    assert str(policy.risk_score_factor) == "0.300" and policy.max_batch == 3000
    assert policy.deferred_payment is False
    assert AuditEvent.objects.filter(action="aeo.benefit_policy_update").count() == 1


def test_a_mutual_recognition_arrangement_is_saved_with_its_reason_audited(login):
    from aeo.models import MutualRecognition

    admin = login("administrator")
    data = {
        "partner_country": "JP",
        "partner_name": "Japan Customs",
        "kinds": ["AEOS"],
        "valid_from": "2026-01-01",
    }
    refused = admin.post("/registry/benefits/", data)
    assert refused.status_code == 200 and "reason" in refused.context["mra_form"].errors
    assert not MutualRecognition.objects.exists()
    assert admin.post("/registry/benefits/", {**data, "reason": "MRA signed"}).status_code == 302
    event = AuditEvent.objects.get(action="aeo.mra_save")
    assert event.reason == "MRA signed" and event.after["partner_name"] == "Japan Customs"


def test_pages_render_in_french(login, operator_a):
    client = login("supervisor")
    client.cookies["django_language"] = "fr"
    response = client.get("/registry/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200 and response.headers.get("Content-Language") == "fr"


def test_a_registry_refusal_reads_in_the_readers_language(login, operator_a):
    """The registry's refusals are shown on its forms in French to a French reader."""
    client = login("administrator")
    client.cookies["django_language"] = "fr"
    base = f"/registry/operators/{operator_a.operator.pk}"
    client.post(f"{base}/identifiers/add/", {"scheme": "vat", "value": "FR12345678901"})
    other = operator_create(code="vendor-fr", name="Vendor FR", role="vendor")
    response = client.post(
        f"/registry/operators/{other.pk}/identifiers/add/",
        {"scheme": "vat", "value": "FR12345678901"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    text = response.content.decode()
    assert "Cet identifiant est déjà enregistré pour un opérateur." in text
    assert "already registered" not in text


def test_the_key_form_sent_twice_issues_one_key(login, operator_a):
    """Reloading the page that shows a new key sends its form again: no second key is issued
    that nobody was shown."""
    client = login("administrator")
    url = f"/registry/operators/{operator_a.operator.pk}/access/"
    seen = OperatorAPIKey.objects.filter(operator=operator_a.operator).count()
    form = {"form": "key", "name": "erp", "keys_seen": seen}
    first = client.post(url, form)
    assert first.context["new_key"]
    again = client.post(url, form)
    assert again.context["new_key"] is None
    assert "A key was created since you opened the page" in again.content.decode()
    assert OperatorAPIKey.objects.filter(operator=operator_a.operator, name="erp").count() == 1
    # Without the count the page showed, nothing is created either, and the page says why.
    bare = client.post(url, {"form": "key", "name": "erp"})
    assert "which keys you saw" in bare.content.decode()
    assert OperatorAPIKey.objects.filter(operator=operator_a.operator, name="erp").count() == 1
    # The page after a creation offers the next key from the new count.
    assert f'name="keys_seen" value="{seen + 1}"' in first.content.decode()


def test_audit_log_names_registry_objects_in_the_readers_language(login, operator_a, customs_user):
    """An auditor reading the registry's changes sees what each row is about in words, in
    French too: never "Aeo authorisation 1"."""
    from aeo.services import authorisation_apply

    authorisation_apply(
        operator=operator_a.operator,
        kind="AEOC",
        note="application",
        actor=customs_user("supervisor", username="applicant"),
    )
    auditor = login("auditor")
    english = auditor.get("/audit/?object_type=aeo_authorisation").content.decode()
    assert "AEO authorisation " in english and "Aeo authorisation" not in english
    french = auditor.get(
        "/audit/?object_type=aeo_authorisation", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Autorisation OEA " in french
