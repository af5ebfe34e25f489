"""A receiver answering 410 Gone disables the webhook until it is registered again; an inactive
operator is sent nothing, its deliveries held until it is active again; after a secret rotation
deliveries carry a signature made with each secret for a grace period."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from aeo.services import operator_set_webhook, operator_update
from aeo.services.access import webhook_disable_gone
from customs_ecom.platform.models import AuditEvent
from declarations.models import WebhookDelivery
from declarations.services import declarations_submit
from declarations.webhooks import HttpResult, webhooks_collect, webhooks_deliver
from tests.examples import example_for

pytestmark = pytest.mark.django_db
SECRET = "a-secret-of-the-operator-0123456789"


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_LOCAL_TARGETS = True


class Receiver:
    """A local HTTP receiver answering `status` to every POST."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.seen: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen.append(dict(self.headers))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _register(operator_client, url: str, secret: str = SECRET) -> None:
    operator_set_webhook(
        operator_id=operator_client.operator.pk, url=url, secret=secret, actor=None
    )


def _events(operator_client, example, prefix: str, count: int) -> None:
    bodies = [example_for(f"{prefix}-{n}", example) for n in range(count)]
    declarations_submit(operator=operator_client.operator, bodies=bodies)


def _pending(operator, n: int = 1) -> list[WebhookDelivery]:
    return [
        WebhookDelivery.objects.create(
            operator=operator, event_id=uuid.uuid4(), status_event_pk=k, body="{}"
        )
        for k in range(n)
    ]


# --- 410 Gone ------------------------------------------------------------------------------------


def test_a_receiver_answering_410_gone_disables_the_webhook_until_it_is_registered_again(
    operator_a, example, customs_user, client
):
    receiver = Receiver(410)
    try:
        _register(operator_a, receiver.url)
        _events(operator_a, example, "GONE", 3)
        webhooks_collect(now=timezone.now())
        now = timezone.now()
        counts = webhooks_deliver(now=now, limit=1)
        assert counts == {"attempted": 1, "delivered": 0, "failed": 1}
        assert len(receiver.seen) == 1
        gone = WebhookDelivery.objects.get(attempts=1)
        # Not retried for 30 hours: stopped at once.
        assert gone.state == "gave_up"
        assert "410" in gone.last_error

        # The other deliveries are held, and new events are not collected, however late.
        held = set(
            WebhookDelivery.objects.filter(state="pending").values_list("event_id", flat=True)
        )
        assert held
        _events(operator_a, example, "GONE-LATER", 1)
        later = now + timedelta(hours=1)
        assert webhooks_collect(now=later) == 0
        assert webhooks_deliver(now=later)["attempted"] == 0
        assert len(receiver.seen) == 1

        # Audited as a system action with before and after.
        audit = AuditEvent.objects.get(action="operator.webhook_disabled")
        assert audit.actor is None and audit.actor_label == "system"
        assert audit.object_id == str(operator_a.operator.pk)
        assert audit.before["webhook_disabled"] is False and audit.after["webhook_disabled"] is True

        # The operator sees it through the API ...
        shown = operator_a.get("/api/v1/webhook").json()
        assert shown["status"] == "disabled" and shown["url"] == receiver.url
        assert "410" in shown["disabled_reason"] and shown["disabled_at"]
        # ... and customs on the operator's access page.
        client.force_login(customs_user("administrator"))
        page = client.get(reverse("aeo:access", args=[operator_a.operator.pk]))
        assert b'id="webhook-disabled"' in page.content
        assert b"410 Gone" in page.content

        # Registering again (the same URL, through the API) resumes: the held deliveries and the
        # events of the meantime go out.
        receiver.status = 204
        again = operator_a.post("/api/v1/webhook", {"url": receiver.url})
        assert again.status_code == 200 and again.json()["status"] == "active"
        assert again.json()["disabled_reason"] is None
        enabled = AuditEvent.objects.filter(action="operator.webhook").latest("id")
        assert (
            enabled.before["webhook_disabled"] is True
            and enabled.after["webhook_disabled"] is False
        )
        assert webhooks_collect(now=later) > 0
        counts = webhooks_deliver(now=later)
        assert counts["delivered"] == counts["attempted"] > len(held)
        assert held <= set(
            WebhookDelivery.objects.filter(state="delivered").values_list("event_id", flat=True)
        )
        assert not WebhookDelivery.objects.filter(state="pending").exists()
        assert WebhookDelivery.objects.get(pk=gone.pk).state == "gave_up"  # stays stopped
    finally:
        receiver.close()
    page = client.get(reverse("aeo:access", args=[operator_a.operator.pk]))
    assert b'id="webhook-disabled"' not in page.content


def test_a_410_from_a_url_the_operator_has_left_disables_nothing(operator_a):
    _register(operator_a, "https://new.example.org/hooks")
    assert not webhook_disable_gone(
        operator_id=operator_a.operator.pk,
        url="https://old.example.org/hooks",
        status_code=410,
        at=timezone.now(),
    )
    operator_a.operator.refresh_from_db()
    assert operator_a.operator.webhook_disabled_at is None
    assert not AuditEvent.objects.filter(action="operator.webhook_disabled").exists()


def test_another_failure_status_is_still_retried(operator_a):
    _register(operator_a, "https://hooks.example.org/h")
    (delivery,) = _pending(operator_a.operator)
    webhooks_deliver(now=timezone.now(), post=lambda url, body, headers: HttpResult(404))
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.attempts == 1
    operator_a.operator.refresh_from_db()
    assert operator_a.operator.webhook_disabled_at is None


# --- inactive operator ---------------------------------------------------------------------------


def test_an_inactive_operator_is_sent_nothing_and_its_deliveries_resume_when_reactivated(
    operator_a, operator_b, example, customs_user
):
    admin = customs_user("administrator")
    _register(operator_a, "https://a.example.org/h")
    _register(operator_b, "https://b.example.org/h")
    _events(operator_a, example, "INACTIVE-A", 1)
    webhooks_collect(now=timezone.now())
    waiting = set(
        WebhookDelivery.objects.filter(operator=operator_a.operator).values_list("pk", flat=True)
    )
    assert waiting
    (other,) = _pending(operator_b.operator)
    operator_update(operator_id=operator_a.operator.pk, actor=admin, is_active=False)
    _events(operator_a, example, "INACTIVE-A2", 1)  # while inactive
    calls: list[str] = []

    def post(url, body, headers):
        calls.append(url)
        return HttpResult(200)

    later = timezone.now() + timedelta(hours=2)
    assert webhooks_collect(now=later) == 0
    counts = webhooks_deliver(now=later, post=post)
    assert calls == ["https://b.example.org/h"]  # only the active operator's
    assert counts == {"attempted": 1, "delivered": 1, "failed": 0}
    held = WebhookDelivery.objects.filter(pk__in=waiting)
    assert set(held.values_list("state", flat=True)) == {"pending"}
    assert set(held.values_list("attempts", flat=True)) == {0}  # held, no attempt spent
    other.refresh_from_db()
    assert other.state == "delivered"

    # Active again: what was held and what happened meanwhile is delivered.
    operator_update(operator_id=operator_a.operator.pk, actor=admin, is_active=True)
    assert webhooks_collect(now=later) > 0
    webhooks_deliver(now=later, post=post)
    assert set(held.values_list("state", flat=True)) == {"delivered"}
    assert not WebhookDelivery.objects.filter(state="pending").exists()


# --- secret rotation -----------------------------------------------------------------------------


def _signed(operator_client) -> tuple[bytes, dict[str, str]]:
    _pending(operator_client.operator)
    sent = []

    def post(url, body, headers):
        sent.append((body, headers))
        return HttpResult(204)

    webhooks_deliver(now=timezone.now(), post=post)
    ((body, headers),) = sent
    return body, headers


def test_after_a_rotation_both_secrets_sign_for_the_grace_period(operator_a):
    first = operator_a.post("/api/v1/webhook", {"url": "https://shop.example/hooks"}).json()
    old = first["secret"]
    rotated = operator_a.post(
        "/api/v1/webhook", {"url": "https://shop.example/hooks", "rotate_secret": True}
    ).json()
    new = rotated["secret"]
    assert new != old
    until = rotated["previous_secret_valid_until"]
    expected = timezone.now() + timedelta(hours=24)
    assert abs(datetime.fromisoformat(until) - expected) < timedelta(minutes=1)
    assert operator_a.get("/api/v1/webhook").json()["previous_secret_valid_until"] == until

    body, headers = _signed(operator_a)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new.encode()).verify(body, headers) is not None
    assert Webhook(old.encode()).verify(body, headers) is not None  # not yet switched
    with pytest.raises(WebhookVerificationError):
        Webhook(b"another-secret-0123456789").verify(body, headers)

    # After the grace period only the new secret signs.
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        body, headers = _signed(operator_a)
        assert len(headers["webhook-signature"].split(" ")) == 1
        assert Webhook(new.encode()).verify(body, headers) is not None
        with pytest.raises(WebhookVerificationError):
            Webhook(old.encode()).verify(body, headers)
        assert operator_a.get("/api/v1/webhook").json()["previous_secret_valid_until"] is None


def test_the_grace_period_is_a_setting(operator_a, settings):
    settings.WEBHOOK_SECRET_GRACE = timedelta(hours=1)
    _register(operator_a, "https://shop.example/hooks", secret="first-secret-0123456789")
    _register(operator_a, "https://shop.example/hooks", secret="second-secret-0123456789")
    with time_machine.travel(timezone.now() + timedelta(minutes=59)):
        _body, headers = _signed(operator_a)
        assert len(headers["webhook-signature"].split(" ")) == 2
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        _body, headers = _signed(operator_a)
        assert len(headers["webhook-signature"].split(" ")) == 1


def test_a_first_registration_or_a_changed_url_is_no_rotation(operator_a):
    _register(operator_a, "https://shop.example/hooks")
    _register(operator_a, "https://shop.example/v2", secret="")  # the secret kept
    _body, headers = _signed(operator_a)
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert operator_a.get("/api/v1/webhook").json()["previous_secret_valid_until"] is None


def test_the_disabled_and_inactive_notices_read_in_french(operator_a, customs_user, client):
    _register(operator_a, "https://shop.example/hooks")
    webhook_disable_gone(
        operator_id=operator_a.operator.pk,
        url="https://shop.example/hooks",
        status_code=410,
        at=timezone.now(),
    )
    operator_update(operator_id=operator_a.operator.pk, actor=None, is_active=False)
    client.force_login(customs_user("administrator"))
    page = client.get(
        reverse("aeo:access", args=[operator_a.operator.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "le destinataire a répondu 410 Gone" in page
    assert "L&#x27;opérateur est inactif" in page or "L'opérateur est inactif" in page
    assert "Nothing is sent" not in page and "The operator is inactive" not in page
