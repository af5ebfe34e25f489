"""The operator API of the registry (events, operators/me) and the tenancy matrix over EVERY
operator endpoint under /api/v1/: operator A gets 404 for operator B's objects (or never sees
them in a collection) and no response carries customs' risk reasoning."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from aeo.services import authorisation_apply, authorisation_transition
from declarations.models import Declaration, OfficerNote
from declarations.services import declaration_transition, declarations_submit
from risk.models import RiskHit
from tests.examples import example_for

pytestmark = pytest.mark.django_db

OFFICER_NOTE = "Officer-only: seller linked to a seizure last week"
FORBIDDEN_KEYS = {
    "channel",
    "risk_score",
    "risk",
    "rule_code",
    "rule",
    "hits",
    "risk_hits",
    "note",
    "notes",
    "officer_note",
    "priority",
    "random_selected",
    "claimed_by",
    "risk_score_factor",
    "random_rate_factor",
}


def _submit(operator_client, body, capture) -> Declaration:
    with capture(execute=True):
        outcome = declarations_submit(operator=operator_client.operator, bodies=[body])[0]
    assert outcome.status == 201, outcome.errors
    return Declaration.objects.get(pk=outcome.declaration.pk)


# --- events and operators/me ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def _events_hand_out_at_once(settings):
    """Most tests here read events right after writing them: no settling delay (its own test
    below keeps the default)."""
    settings.EVENT_SETTLE_SECONDS = 0


def test_events_younger_than_the_settling_delay_wait_and_the_cursor_never_passes_them(
    operator_a, example, django_capture_on_commit_callbacks, settings
):
    import time_machine
    from django.utils import timezone

    settings.EVENT_SETTLE_SECONDS = 2
    _submit(operator_a, {**example, "lrn": "SETTLE-1"}, django_capture_on_commit_callbacks)
    page = operator_a.get("/api/v1/events").json()
    assert page == {"events": [], "next_cursor": "0", "has_more": False}
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=3), tick=True):
        page = operator_a.get("/api/v1/events").json()
    assert [e["to_status"] for e in page["events"]] == ["accepted", "assessed"]


def test_events_replay_from_a_cursor_in_pages_without_internal_notes(
    operator_a, example, django_capture_on_commit_callbacks, customs_user
):
    officer = customs_user("officer")
    first = _submit(operator_a, example_for("EV-1", example), django_capture_on_commit_callbacks)
    _submit(operator_a, example_for("EV-2", example), django_capture_on_commit_callbacks)
    declaration_transition(
        declaration_id=first.pk,
        to_status="documents_requested",
        actor=officer,
        public_reason="documents requested: invoice",
        note=OFFICER_NOTE,
    )
    page = operator_a.get("/api/v1/events", limit="2").json()
    assert [e["to_status"] for e in page["events"]] == ["accepted", "assessed"]
    seen = page["events"]
    while True:
        page = operator_a.get("/api/v1/events", cursor=page["next_cursor"], limit="2").json()
        if not page["events"]:
            break
        seen += page["events"]
    assert len(seen) == 5 and len({e["event_id"] for e in seen}) == 5
    last = seen[-1]
    assert last == {
        "event_id": last["event_id"],
        "cursor": last["cursor"],
        "type": "declaration.status_changed",
        "declaration_id": first.pk,
        "lrn": "EV-1",
        "from_status": "assessed",
        "to_status": "documents_requested",
        "at": last["at"],
        "reason": "documents requested: invoice",
    }
    # Polling at the end keeps the cursor where it is.
    again = operator_a.get("/api/v1/events", cursor=last["cursor"]).json()
    assert again == {"events": [], "next_cursor": last["cursor"], "has_more": False}
    assert OFFICER_NOTE not in json.dumps(seen)


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"cursor": "abc"}, "/cursor"),
        ({"cursor": "-1"}, "/cursor"),
        ({"limit": "0"}, "/limit"),
        ({"limit": "1001"}, "/limit"),
        ({"limit": "ten"}, "/limit"),
    ],
)
def test_events_refuse_bad_query_parameters_with_a_problem(operator_a, params, pointer):
    response = operator_a.get("/api/v1/events", **params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "query_invalid" and body["errors"][0]["pointer"] == pointer


def test_operators_me_shows_own_status_and_benefits_without_risk_factors(operator_a, customs_user):
    supervisor = customs_user("supervisor")
    me = operator_a.get("/api/v1/operators/me").json()
    assert me["code"] == "operator-a" and me["aeo_status"] == "none"
    assert me["benefits"] == {
        "is_aeo": False,
        "reduced_controls": False,
        "deferred_payment": False,
        "max_batch": me["benefits"]["max_batch"],
    }
    a = authorisation_apply(operator=operator_a.operator, kind="AEOF", actor=supervisor)
    assert operator_a.get("/api/v1/operators/me").json()["aeo_status"] == "applied"
    authorisation_transition(authorisation_id=a.pk, to_status="under_review", actor=supervisor)
    authorisation_transition(
        authorisation_id=a.pk,
        to_status="authorised",
        actor=supervisor,
        reason="ok",
        certificate_number="FRAEOF9",
    )
    me = operator_a.get("/api/v1/operators/me").json()
    assert me["aeo_status"] == "authorised"
    assert me["benefits"]["is_aeo"] and me["benefits"]["deferred_payment"]
    assert me["authorisations"][0]["certificate_number"] == "FRAEOF9"
    authorisation_transition(
        authorisation_id=a.pk, to_status="suspended", actor=supervisor, reason="audit"
    )
    me = operator_a.get("/api/v1/operators/me").json()
    assert me["aeo_status"] == "suspended" and me["benefits"]["is_aeo"] is False
    assert not FORBIDDEN_KEYS & set(_keys(me))


def test_registry_endpoints_need_a_key():
    from rest_framework.test import APIClient

    for path in ("/api/v1/events", "/api/v1/operators/me"):
        response = APIClient().get(path)
        assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
        # RFC 9110 15.5.2: a 401 says how to authenticate.
        assert response["WWW-Authenticate"] == "Bearer"
    wrong = APIClient().get("/api/v1/operators/me", HTTP_AUTHORIZATION="Bearer nosuch.secret")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"] == "Bearer"


def test_a_key_is_refused_when_its_secret_is_wrong_revoked_expired_or_its_operator_inactive(
    operator_a,
):
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.test import APIClient

    from aeo.models import OperatorAPIKey

    def status(key: str) -> int:
        return (
            APIClient().get("/api/v1/operators/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code
        )

    prefix = operator_a.key.partition(".")[0]
    assert status(operator_a.key) == 200
    assert status(f"{prefix}.not-the-secret") == 401
    assert status("nosuchprefix.secret") == 401
    stored = OperatorAPIKey.objects.get(prefix=prefix)
    stored.expiry_date = timezone.now() - timedelta(seconds=1)
    stored.save(update_fields=["expiry_date"])
    assert status(operator_a.key) == 401
    stored.expiry_date = None
    stored.save(update_fields=["expiry_date"])
    operator_a.operator.is_active = False
    operator_a.operator.save(update_fields=["is_active"])
    assert status(operator_a.key) == 401
    operator_a.operator.is_active = True
    operator_a.operator.save(update_fields=["is_active"])
    assert status(operator_a.key) == 200
    stored.revoked = True
    stored.save(update_fields=["revoked"])
    assert status(operator_a.key) == 401


# --- the tenancy matrix ------------------------------------------------------------------------


def _api_routes() -> set[tuple[str, str]]:
    """Every (route, method) served under /api/v1/, read from the URL resolver."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p

    routes = set()
    for route, pattern in walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        view = getattr(pattern.callback, "view_class", None)
        methods = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
        assert methods, f"{route}: not a class-based API view"
        routes.update((route.removeprefix("api/v1/"), m.upper()) for m in methods)
    return routes


def _keys(data: Any):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _keys(value)
    elif isinstance(data, list):
        for value in data:
            yield from _keys(value)


class World:
    """Operator A and operator B, each with an assessed declaration; B's also has risk hits, an
    officer note and a public reason."""

    def __init__(self, operator_a, operator_b, example, capture, officer) -> None:
        self.a, self.b = operator_a, operator_b
        self.mine = _submit(
            operator_a,
            {
                **example,
                "lrn": "A-OWN-1",
                "transport_document": {"type": "house_waybill", "number": "A-TD-1"},
            },
            capture,
        )
        theirs = {
            **example,
            "lrn": "B-SECRET-LRN",
            "transport_document": {"type": "house_waybill", "number": "B-TD-999"},
            "items": [
                {**example["items"][0], "description": "Rolex Submariner wrist watch"},
                example["items"][1],
            ],
        }
        self.theirs = _submit(operator_b, theirs, capture)
        self.theirs_body = theirs
        declaration_transition(
            declaration_id=self.theirs.pk,
            to_status="inspection",
            actor=officer,
            public_reason="selected for inspection",
            note=OFFICER_NOTE,
        )
        OfficerNote.objects.create(declaration=self.theirs, author=officer, text=OFFICER_NOTE)
        self.theirs.refresh_from_db()
        self.echoed: set[str] = set()  # strings A itself sent, which an answer may echo back
        self.secrets = {"B-SECRET-LRN", "B-TD-999", OFFICER_NOTE} | {
            text
            for hit in RiskHit.objects.all()
            for text in (hit.rule_code, hit.explanation)
            if len(text) > 6
        }


def _own_body(world: World, lrn: str) -> dict:
    return {
        **world.theirs_body,
        "lrn": lrn,
        "transport_document": {"type": "house_waybill", "number": f"TD-{lrn}"},
    }


def _not_found(response) -> None:
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"


def _unchanged(world: World) -> None:
    before = world.theirs
    after = Declaration.objects.get(pk=before.pk)
    assert (after.status, after.revision, after.arrived_at, after.dq_score) == (
        before.status,
        before.revision,
        before.arrived_at,
        before.dq_score,
    )


def list_declarations(w: World):
    listing = w.a.get("/api/v1/declarations")
    by_lrn = w.a.get("/api/v1/declarations", lrn="B-SECRET-LRN")
    by_td = w.a.get("/api/v1/declarations", transport_document="B-TD-999")
    assert [r["lrn"] for r in listing.json()["results"]] == ["A-OWN-1"]
    assert by_lrn.json()["results"] == [] and by_td.json()["results"] == []
    return [listing, by_lrn, by_td]


def submit_declaration(w: World):
    # B's lrn is free for A: A gets a declaration of its own, never B's.
    w.echoed.add("B-SECRET-LRN")
    response = w.a.post("/api/v1/declarations", _own_body(w, "B-SECRET-LRN"))
    assert response.status_code == 201 and response.json()["id"] != w.theirs.pk
    _unchanged(w)
    return [w.a.get(f"/api/v1/declarations/{w.mine.pk}")]


def submit_batch(w: World):
    w.echoed.add("B-SECRET-LRN")
    response = w.a.post(
        "/api/v1/declarations/batch", {"declarations": [_own_body(w, "B-SECRET-LRN")]}
    )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["id"] != w.theirs.pk
    _unchanged(w)
    return [response]


def declaration_detail(w: World):
    _not_found(w.a.get(f"/api/v1/declarations/{w.theirs.pk}"))
    own = w.a.get(f"/api/v1/declarations/{w.mine.pk}")
    assert own.status_code == 200
    return [own]


def amend(w: World):
    response = w.a.post(f"/api/v1/declarations/{w.theirs.pk}/amendments", w.theirs_body)
    _not_found(response)
    _unchanged(w)
    return [response]


def invalidate(w: World):
    response = w.a.post(f"/api/v1/declarations/{w.theirs.pk}/invalidation", {"reason": "x"})
    _not_found(response)
    _unchanged(w)
    return [response]


def upload_document(w: World):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    response = w.a.client.post(
        f"/api/v1/declarations/{w.theirs.pk}/documents",
        {"file": pdf, "type": "invoice"},
        format="multipart",
    )
    _not_found(response)
    return [response]


def report_return(w: World):
    response = w.a.post(
        "/api/v1/returns",
        {
            "lrn": "B-SECRET-LRN",
            "transport_document": {"type": "postal_item", "number": "RR123456785DE"},
        },
    )
    _not_found(response)
    _unchanged(w)
    return [response]


def post_manifest(w: World):
    response = w.a.post(
        "/api/v1/manifests",
        {"lines": [{"transport_document": "B-TD-999", "packages": 9, "gross_mass_kg": "90"}]},
    )
    # A marketplace may not post manifests at all (403); a carrier's would touch nothing of B's.
    assert response.status_code in (200, 201, 403), response.content
    assert response.json().get("declarations_rescored", 0) == 0
    _unchanged(w)
    return [response]


def report_arrival(w: World):
    w.echoed.add("B-TD-999")
    response = w.a.post("/api/v1/arrivals", {"transport_documents": ["B-TD-999"]})
    assert response.json()["arrivals"] == [
        {"transport_document": "B-TD-999", "found": False, "declarations": []}
    ]
    _unchanged(w)
    return [response]


def list_events(w: World):
    response = w.a.get("/api/v1/events", limit="1000")
    ids = {e["declaration_id"] for e in response.json()["events"]}
    assert ids == {w.mine.pk}
    return [response]


def operators_me(w: World):
    response = w.a.get("/api/v1/operators/me")
    assert response.json()["code"] == w.a.operator.code
    return [response]


def estimate(w: World):
    # Public and stateless: it may not reveal any operator's data either.
    response = w.a.post(
        "/api/v1/estimates",
        {
            "origin_country": "CN",
            "currency": "EUR",
            "items": [{"description": "Wrist watch", "hs_code": "910211", "value": "15.00"}],
        },
    )
    assert response.status_code in (200, 422), response.content
    return [response]


def pay(w: World):
    response = w.a.post(
        "/api/v1/payments",
        {"declaration_id": w.theirs.pk, "amount": "1.00", "currency": "EUR", "reference": "x"},
    )
    _not_found(response)
    return [response]


def list_documents(w: World):
    from django.core.files.base import ContentFile

    from declarations.models import Document

    Document.objects.create(
        declaration=w.theirs,
        operator=w.b.operator,
        type="invoice",
        file=ContentFile(b"%PDF-1.4", name="b.pdf"),
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
    )
    response = w.a.get("/api/v1/documents")
    assert response.status_code == 200 and response.json()["results"] == []
    return [response]


def list_payments(w: World):
    from revenue.models import LedgerEntry

    LedgerEntry.objects.create(
        declaration=w.theirs,
        kind=LedgerEntry.Kind.PAYMENT,
        amount="1.00",
        currency="EUR",
        collection_model="consignee_border",
        reference="B-SECRET-LRN",
    )
    response = w.a.get("/api/v1/payments")
    assert response.status_code == 200
    assert all(p["declaration_id"] != w.theirs.pk for p in response.json()["results"])
    return [response]


def list_statements(w: World):
    response = w.a.get("/api/v1/statements")
    assert response.status_code == 200 and response.json()["results"] == []
    return [response]


def list_deliveries(w: World):
    import uuid

    from declarations.models import WebhookDelivery

    WebhookDelivery.objects.create(
        operator=w.b.operator, event_id=uuid.uuid4(), status_event_pk=1, body="B-SECRET-LRN"
    )
    response = w.a.get("/api/v1/webhook-deliveries")
    assert response.status_code == 200 and response.json()["results"] == []
    return [response]


def webhook_get(w: World):
    w.b.operator.webhook_url = "https://b.example/B-SECRET-LRN"
    w.b.operator.save(update_fields=["webhook_url"])
    response = w.a.get("/api/v1/webhook")
    assert response.json()["url"] == ""
    return [response]


def webhook_set(w: World):
    w.echoed.add("https://a.example/hook")
    response = w.a.post("/api/v1/webhook", {"url": "https://a.example/hook"})
    assert response.status_code == 200, response.content
    w.b.operator.refresh_from_db()
    assert w.b.operator.webhook_url == ""
    return [response]


# Every operator endpoint must be here: a new endpoint without a row fails the test below.
MATRIX: dict[tuple[str, str], Callable[[World], list]] = {
    ("declarations", "GET"): list_declarations,
    ("declarations", "POST"): submit_declaration,
    ("declarations/batch", "POST"): submit_batch,
    ("declarations/<int:declaration_id>", "GET"): declaration_detail,
    ("declarations/<int:declaration_id>/amendments", "POST"): amend,
    ("declarations/<int:declaration_id>/invalidation", "POST"): invalidate,
    ("declarations/<int:declaration_id>/documents", "POST"): upload_document,
    ("returns", "POST"): report_return,
    ("manifests", "POST"): post_manifest,
    ("arrivals", "POST"): report_arrival,
    ("events", "GET"): list_events,
    ("operators/me", "GET"): operators_me,
    ("estimates", "POST"): estimate,
    ("payments", "POST"): pay,
    ("documents", "GET"): list_documents,
    ("payments", "GET"): list_payments,
    ("statements", "GET"): list_statements,
    ("webhook-deliveries", "GET"): list_deliveries,
    ("webhook", "GET"): webhook_get,
    ("webhook", "POST"): webhook_set,
}


def test_tenancy_matrix_covers_every_operator_endpoint():
    routes = _api_routes()
    missing = routes - set(MATRIX)
    stale = set(MATRIX) - routes
    assert not missing, f"endpoints without a tenancy check: {sorted(missing)}"
    assert not stale, f"matrix rows for endpoints that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[1]} {e[0]}")
def test_operator_a_never_reaches_operator_bs_objects_nor_risk_reasoning(
    endpoint, operator_a, operator_b, example, django_capture_on_commit_callbacks, customs_user
):
    world = World(
        operator_a,
        operator_b,
        example,
        django_capture_on_commit_callbacks,
        customs_user("officer"),
    )
    assert RiskHit.objects.filter(assessment__declaration=world.theirs).exists()
    with django_capture_on_commit_callbacks(execute=True):
        responses = MATRIX[endpoint](world)
    assert responses
    for response in responses:
        assert response.status_code < 500, response.content
        text = response.content.decode()
        for secret in world.secrets - world.echoed:
            assert secret not in text, f"{endpoint}: leaks {secret!r}"
        if response["Content-Type"].endswith("json") and text:
            leaked = FORBIDDEN_KEYS & set(_keys(response.json()))
            assert not leaked, f"{endpoint}: risk reasoning in keys {leaked}"


@pytest.mark.parametrize(
    "valid_from, valid_to, before_midnight, after_midnight",
    [
        # Validity ends on the 25th: still AEO at 23:30 in Paris, no longer at 00:30 on the 26th,
        # though it is then 23:30 on the 25th in UTC.
        ("2026-01-01", "2026-11-25", "authorised", "expired"),
        # Validity starts on the 26th: AEO from 00:00 in Paris (23:00 UTC on the 25th).
        ("2026-11-26", "2029-11-25", "not_yet_valid", "authorised"),
    ],
)
def test_operators_me_status_and_benefits_agree_across_midnight_of_the_installation(
    operator_a, customs_user, settings, valid_from, valid_to, before_midnight, after_midnight
):
    """`aeo_status` is `authorised` exactly when `benefits.is_aeo`, and both are what risk and
    revenue apply that day, read in the installation's time zone (Paris), not in UTC."""
    from datetime import UTC, date, datetime

    import time_machine

    from aeo.benefits import benefits_for_operators

    settings.TIME_ZONE = "Europe/Paris"
    supervisor = customs_user("supervisor")
    a = authorisation_apply(operator=operator_a.operator, kind="AEOF", actor=supervisor)
    authorisation_transition(authorisation_id=a.pk, to_status="under_review", actor=supervisor)
    authorisation_transition(
        authorisation_id=a.pk,
        to_status="authorised",
        actor=supervisor,
        reason="ok",
        certificate_number="FRAEOF9",
        valid_from=date.fromisoformat(valid_from),
        valid_to=date.fromisoformat(valid_to),
    )
    for at, expected in (
        (datetime(2026, 11, 25, 22, 30, tzinfo=UTC), before_midnight),
        (datetime(2026, 11, 25, 23, 30, tzinfo=UTC), after_midnight),
    ):
        with time_machine.travel(at, tick=False):
            me = operator_a.get("/api/v1/operators/me").json()
            applied = benefits_for_operators([operator_a.operator.pk])[operator_a.operator.pk]
        assert me["aeo_status"] == expected, at
        assert me["benefits"]["is_aeo"] is (expected == "authorised") is applied.is_aeo, at
        assert me["benefits"]["deferred_payment"] is applied.deferred_payment, at


def test_operators_me_never_says_authorised_for_an_authorisation_giving_nothing(
    operator_a, customs_user
):
    """An authorisation recognised from a partner whose arrangement does not cover it gives no
    benefit: the status says so instead of `authorised`."""
    supervisor = customs_user("supervisor")
    a = authorisation_apply(operator=operator_a.operator, kind="AEOF", actor=supervisor)
    authorisation_transition(authorisation_id=a.pk, to_status="under_review", actor=supervisor)
    authorisation_transition(
        authorisation_id=a.pk,
        to_status="authorised",
        actor=supervisor,
        reason="ok",
        certificate_number="JPAEO1",
    )
    type(a).objects.filter(pk=a.pk).update(recognised_from="JP")
    me = operator_a.get("/api/v1/operators/me").json()
    assert (me["aeo_status"], me["benefits"]["is_aeo"]) == ("not_recognised", False)
