"""Webhook attempts run side by side, each within a hard deadline: a slow or silent receiver holds
neither the other deliveries nor the worker for long."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from aeo.services import operator_set_webhook
from declarations import webhooks
from declarations.models import WebhookAttempt, WebhookDelivery
from declarations.services import declarations_submit
from declarations.webhooks import webhooks_collect, webhooks_deliver
from tests.examples import example_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    # The receivers of these tests listen on 127.0.0.1 (customs_ecom.platform.outbound).
    settings.WEBHOOK_ALLOW_LOCAL_TARGETS = True


class SlowReceiver:
    """Answers 200 after `delay` seconds; with `trickle`, sends its status line a byte at a time."""

    def __init__(self, delay: float, trickle: bool = False) -> None:
        receiver = self
        self.seen = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen += 1
                if trickle:
                    for byte in b"HTTP/1.1 200 OK\r\n":
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(delay)
                    return
                time.sleep(delay)
                self.send_response(200)
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


def _deliveries(operator_client, example, count: int, url: str) -> None:
    operator_set_webhook(
        operator_id=operator_client.operator.pk, url=url, secret="s" * 20, actor=None
    )
    bodies = []
    for n in range(count):
        body = example_for(f"WHC-{n}", example)
        bodies.append(body)
    declarations_submit(operator=operator_client.operator, bodies=bodies)
    webhooks_collect(now=timezone.now())
    assert WebhookDelivery.objects.filter(state="pending").count() == count


def test_slow_receiver_attempts_run_side_by_side(operator_a, example):
    receiver = SlowReceiver(delay=1.0)
    try:
        _deliveries(operator_a, example, 6, receiver.url)
        started = time.monotonic()
        counts = webhooks_deliver(now=timezone.now())
        elapsed = time.monotonic() - started
    finally:
        receiver.close()

    assert counts == {"attempted": 6, "delivered": 6, "failed": 0}
    assert elapsed < 3.0  # one after another: 6 s


def test_each_attempt_has_a_hard_deadline_even_against_a_trickling_receiver(
    operator_a, example, monkeypatch
):
    monkeypatch.setattr(webhooks, "ATTEMPT_DEADLINE_SECONDS", 0.5)
    receiver = SlowReceiver(delay=0.3, trickle=True)  # a byte every 0.3 s: per-read timeouts pass
    try:
        _deliveries(operator_a, example, 2, receiver.url)
        started = time.monotonic()
        counts = webhooks_deliver(now=timezone.now())
        elapsed = time.monotonic() - started
    finally:
        receiver.close()

    assert counts["failed"] == 2
    assert elapsed < 2.0
    errors = set(WebhookAttempt.objects.values_list("error", flat=True))
    assert errors == {"no answer within 0.5 s"}


def test_lease_outlasts_the_longest_tick():
    import math

    longest_tick = (
        math.ceil(200 / webhooks.DELIVERY_CONCURRENCY) * webhooks.ATTEMPT_DEADLINE_SECONDS
    )
    assert webhooks.LEASE.total_seconds() > longest_tick


def test_a_receiver_down_with_a_backlog_delays_no_other_operator(
    operator_a, operator_b, monkeypatch
):
    """Operator A's endpoint is down and its retries pile up; B's one fresh event is attempted in
    the next tick all the same, and among the first attempts handed to the pool."""
    import uuid
    from datetime import timedelta

    now = timezone.now()
    for client, url in (
        (operator_a, "https://a.example.org/h"),
        (operator_b, "https://b.example/h"),
    ):
        operator_set_webhook(operator_id=client.operator.pk, url=url, secret="s" * 20, actor=None)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            operator=operator_a.operator,
            event_id=uuid.uuid4(),
            status_event_pk=n,
            body="{}",
            next_attempt_at=now - timedelta(minutes=30) + timedelta(seconds=n),
        )
        for n in range(30)
    )
    fresh = WebhookDelivery.objects.create(
        operator=operator_b.operator,
        event_id=uuid.uuid4(),
        status_event_pk=100,
        body="{}",
        next_attempt_at=now,
    )
    monkeypatch.setattr(webhooks, "DELIVERY_CONCURRENCY", 1)  # one attempt after another
    calls: list[str] = []

    def post(url, body, headers):
        calls.append(url)
        if "a.example" in url:
            return webhooks.HttpResult(None, "no answer within 5 s")
        return webhooks.HttpResult(200)

    counts = webhooks_deliver(now=now, limit=10, post=post)
    assert counts == {"attempted": 10, "delivered": 1, "failed": 9}
    assert calls.index("https://b.example/h") <= 1
    fresh.refresh_from_db()
    assert fresh.state == "delivered"
    # A's backlog still gets the rest of the tick, oldest first.
    attempted = WebhookDelivery.objects.filter(operator=operator_a.operator, attempts=1)
    assert sorted(attempted.values_list("status_event_pk", flat=True)) == list(range(9))


def test_a_name_with_several_addresses_is_delivered_to_one_that_answers(monkeypatch):
    """The receiver's name resolves to two addresses and the first refuses connections: the
    delivery goes to the second, still pinned to the addresses checked, never to a new lookup."""
    receiver = SlowReceiver(delay=0)
    port = receiver.server.server_address[1]
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port_, *args, **kw):
        if not host.startswith("127."):
            lookups.append(host)
            return [(2, 1, 6, "", ("127.0.0.2", port_)), (2, 1, 6, "", ("127.0.0.1", port_))]
        return real_getaddrinfo(host, port_, *args, **kw)  # connecting to an address

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        result = webhooks.http_post(f"http://hooks.example.org:{port}/h", b"{}", {})
    finally:
        receiver.close()
    assert result == webhooks.HttpResult(200)
    assert receiver.seen == 1 and lookups == ["hooks.example.org"]


@pytest.mark.parametrize("operators", [2, 12])
def test_claiming_due_deliveries_takes_the_same_few_queries_for_any_number_of_operators(
    operators, django_assert_max_num_queries
):
    """Every operator with deliveries due still gets its share, whatever their number, claimed
    in a bounded number of queries (not one per operator)."""
    import uuid

    from tests.conftest import make_operator

    now = timezone.now()
    clients = [make_operator(f"claim-{n}") for n in range(operators)]
    for n, client in enumerate(clients):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                operator=client.operator,
                event_id=uuid.uuid4(),
                status_event_pk=k,
                body="{}",
                # The first operator's backlog is the oldest: it must not take the whole tick.
                next_attempt_at=now - timedelta(hours=1 if n == 0 else 0, seconds=k),
            )
            for k in range(30)
        )
    limit = 24
    with django_assert_max_num_queries(6):
        claimed = webhooks._claim_due(now, limit)
    assert len(claimed) == limit
    per_operator = {c.operator: 0 for c in clients}
    for delivery in claimed:
        per_operator[delivery.operator] += 1
    share = -(-limit // operators)
    assert min(per_operator.values()) >= min(share, limit // operators)
    # Interleaved: one of each operator in turn before anyone's second.
    assert len({d.operator_id for d in claimed[:operators]}) == operators
    # Leased: a second claim right away takes none of them.
    assert not set(webhooks._claim_due(now, limit)) & set(claimed)
