"""Webhook attempts run side by side, each within a hard deadline: a slow or silent receiver holds
neither the other deliveries nor the worker for long."""

from __future__ import annotations

import threading
import time
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
