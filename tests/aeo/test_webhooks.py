"""Webhooks through the outbox, against a real local HTTP server: signed, retried with backoff,
every attempt logged, every event received exactly once by event id."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from aeo.services import operator_set_webhook
from customs_ecom.platform.models import AuditEvent
from declarations.models import Declaration, StatusEvent, WebhookAttempt, WebhookDelivery
from declarations.services import declaration_transition, declarations_submit
from declarations.tasks import webhooks_tick
from declarations.webhooks import RETRY_WINDOW, backoff, webhooks_collect, webhooks_deliver
from tests.examples import example_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    # The receivers of these tests listen on 127.0.0.1 (customs_ecom.platform.outbound).
    settings.WEBHOOK_ALLOW_LOCAL_TARGETS = True


SECRET = "a-webhook-secret-of-some-length"


class FlakyReceiver:
    """An operator's endpoint: answers 500 to the first `failures` requests, then 200. It checks the
    signature, and records the event ids it accepted (answered 2xx) and every request it saw."""

    def __init__(self, failures: int, secret: str = SECRET) -> None:
        self.failures = failures
        self.secret = secret
        self.requests: list[dict] = []
        self.accepted: list[str] = []
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = (
                    "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                )
                event = json.loads(body)
                receiver.requests.append({"headers": dict(self.headers), "event": event})
                if not hmac.compare_digest(self.headers.get("X-Signature", ""), expected):
                    receiver.bad_signatures += 1
                    status = 401
                elif len(receiver.requests) <= receiver.failures:
                    status = 500
                else:
                    if event["event_id"] not in receiver.accepted:
                        receiver.accepted.append(event["event_id"])
                    status = 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/customs"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _submit(operator_client, body, capture, lrn):
    body = example_for(lrn, body)  # its own parcel
    with capture(execute=True):
        outcome = declarations_submit(operator=operator_client.operator, bodies=[body])[0]
    assert outcome.status == 201, outcome.errors
    return Declaration.objects.get(pk=outcome.declaration.pk)


def test_flaky_receiver_gets_every_event_exactly_once_after_recovering(
    operator_a, operator_b, example, django_capture_on_commit_callbacks, customs_user
):
    officer = customs_user("officer")
    with FlakyReceiver(failures=7) as receiver:
        operator_set_webhook(
            operator_id=operator_a.operator.pk, url=receiver.url, secret=SECRET, actor=officer
        )
        declarations = [
            _submit(operator_a, example, django_capture_on_commit_callbacks, f"WH-{n}")
            for n in range(3)
        ]
        # Another operator's events never reach this receiver.
        _submit(operator_b, example, django_capture_on_commit_callbacks, "WH-B")
        declaration_transition(
            declaration_id=declarations[0].pk,
            to_status="inspection",
            actor=officer,
            public_reason="selected for inspection",
            note="CONFIDENTIAL officer note",
        )
        expected = set(
            StatusEvent.objects.filter(operator=operator_a.operator).values_list(
                "event_id", flat=True
            )
        )
        assert len(expected) == 7  # accepted + assessed for three, and one inspection

        clock = timezone.now()
        rounds = 0
        # The beat task, run repeatedly with the backoff clock advanced instead of sleeping.
        while WebhookDelivery.objects.filter(state="pending").exists() or rounds == 0:
            webhooks_tick(now=clock.isoformat())
            rounds += 1
            clock += backoff(rounds) + timedelta(seconds=1)
            assert rounds < 20
        # Collecting again finds nothing new: the cursor has moved past every event.
        assert webhooks_collect(now=clock) == 0
        webhooks_tick(now=(clock + timedelta(hours=1)).isoformat())

    assert receiver.bad_signatures == 0
    assert sorted(receiver.accepted) == sorted(str(e) for e in expected)
    assert len(receiver.accepted) == len(set(receiver.accepted))
    assert len(receiver.requests) == 7 + 7  # seven failed attempts, then each event once
    assert all(r["event"]["lrn"].startswith("WH-") for r in receiver.requests)
    assert not any("CONFIDENTIAL" in json.dumps(r["event"]) for r in receiver.requests)
    assert not any(
        key in r["event"] for r in receiver.requests for key in ("channel", "risk_score", "note")
    )
    # The same event id travels in the header and the body on every attempt.
    for r in receiver.requests:
        assert r["headers"]["X-Event-Id"] == r["event"]["event_id"]
    deliveries = WebhookDelivery.objects.filter(operator=operator_a.operator)
    assert deliveries.count() == 7 and set(deliveries.values_list("state", flat=True)) == {
        "delivered"
    }
    assert WebhookAttempt.objects.filter(delivery__operator=operator_a.operator).count() == 14
    assert WebhookAttempt.objects.filter(status_code=500).count() == 7
    assert not WebhookDelivery.objects.filter(operator=operator_b.operator).exists()


def test_delivery_is_retried_with_growing_delays_for_more_than_a_day_then_given_up(
    operator_a, example, django_capture_on_commit_callbacks
):
    with FlakyReceiver(failures=10_000) as receiver:
        operator_set_webhook(
            operator_id=operator_a.operator.pk, url=receiver.url, secret=SECRET, actor=None
        )
        _submit(operator_a, example, django_capture_on_commit_callbacks, "WH-DOWN")
        start = timezone.now()
        webhooks_collect(now=start)
        WebhookDelivery.objects.update(created_at=start)
        clock = start
        for _ in range(40):
            due = WebhookDelivery.objects.filter(state="pending").order_by("next_attempt_at")
            if not due.exists():
                break
            clock = max(clock, due.first().next_attempt_at)
            webhooks_deliver(now=clock)
    attempts = list(WebhookAttempt.objects.order_by("delivery_id", "number"))
    by_delivery: dict[int, list] = {}
    for a in attempts:
        by_delivery.setdefault(a.delivery_id, []).append(a.at)
    for times in by_delivery.values():
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert gaps == sorted(gaps)  # exponential, then capped
        assert times[-1] - times[0] >= timedelta(hours=24)
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"gave_up"}
    assert all(d.attempts > 10 for d in WebhookDelivery.objects.all())
    assert max(a.at for a in attempts) - start <= RETRY_WINDOW


def test_unreachable_receiver_is_logged_as_an_attempt_without_status(
    operator_a, example, django_capture_on_commit_callbacks
):
    operator_set_webhook(
        operator_id=operator_a.operator.pk,
        url="http://127.0.0.1:9/unreachable",
        secret=SECRET,
        actor=None,
    )
    _submit(operator_a, example, django_capture_on_commit_callbacks, "WH-UNREACH")
    now = timezone.now()
    webhooks_collect(now=now)
    counts = webhooks_deliver(now=now)
    assert counts["failed"] == counts["attempted"] > 0
    attempt = WebhookAttempt.objects.first()
    assert attempt.status_code is None and attempt.error
    delivery = attempt.delivery
    assert delivery.state == "pending" and delivery.next_attempt_at == now + backoff(1)
    # Not due yet: a second run right away attempts nothing.
    assert webhooks_deliver(now=now)["attempted"] == 0


def test_registering_a_webhook_is_audited_without_the_secret_and_starts_from_now(
    operator_a, example, django_capture_on_commit_callbacks, customs_user
):
    admin = customs_user("administrator")
    _submit(operator_a, example, django_capture_on_commit_callbacks, "WH-BEFORE")
    operator_set_webhook(
        operator_id=operator_a.operator.pk,
        url="https://hooks.example.org/customs",
        secret="",
        actor=admin,
        reason="integration go-live",
    )
    operator_a.operator.refresh_from_db()
    assert len(operator_a.operator.webhook_secret) >= 32  # generated
    audit = AuditEvent.objects.get(action="operator.webhook")
    assert audit.actor == admin and audit.reason == "integration go-live"
    assert operator_a.operator.webhook_secret not in json.dumps([audit.before, audit.after])
    # Events before registration are not pushed (they remain available from GET /api/v1/events).
    assert webhooks_collect(now=timezone.now()) == 0


def test_changing_the_url_carries_on_the_subscription_without_losing_an_event(
    operator_a, example, django_capture_on_commit_callbacks, customs_user
):
    officer = customs_user("officer")
    operator_id = operator_a.operator.pk
    operator_set_webhook(
        operator_id=operator_id, url="https://old.example.org/hooks", secret=SECRET, actor=officer
    )
    first = _submit(operator_a, example, django_capture_on_commit_callbacks, "WH-MOVE-1")
    webhooks_collect(now=timezone.now())
    # An event between two ticks, then the operator moves its endpoint before the next tick.
    second = _submit(operator_a, example, django_capture_on_commit_callbacks, "WH-MOVE-2")
    operator_set_webhook(
        operator_id=operator_id, url="https://new.example.org/hooks", secret="", actor=officer
    )
    webhooks_collect(now=timezone.now())
    events = set(
        StatusEvent.objects.filter(declaration__in=[first, second]).values_list(
            "event_id", flat=True
        )
    )
    delivered = set(
        WebhookDelivery.objects.filter(operator_id=operator_id).values_list("event_id", flat=True)
    )
    assert len(events) == 4 and delivered == events
    # Clearing the URL ends the subscription: registering again starts from then.
    operator_set_webhook(operator_id=operator_id, url="", secret="", actor=officer)
    _submit(operator_a, example, django_capture_on_commit_callbacks, "WH-MOVE-3")
    operator_set_webhook(
        operator_id=operator_id, url="https://new.example.org/hooks", secret="", actor=officer
    )
    assert webhooks_collect(now=timezone.now()) == 0
