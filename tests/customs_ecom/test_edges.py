"""Integrator conventions at the edge: X-Request-ID, RateLimit-* headers, Location on 201, the
client address behind trusted proxies only, and failed API keys throttled per address."""

from __future__ import annotations

import logging

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_request_id_is_echoed_and_logged(operator_a, caplog):
    with caplog.at_level(logging.INFO, logger="customs_ecom.requests"):
        response = operator_a.client.get("/api/v1/operators/me", HTTP_X_REQUEST_ID="abc-123.x")
    assert response["X-Request-ID"] == "abc-123.x"
    assert any(
        getattr(r, "request_id", None) == "abc-123.x" and "/api/v1/operators/me" in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.parametrize("sent", [None, "", "a b", "x" * 129, "<script>"])
def test_request_id_is_generated_when_absent_or_invalid(operator_a, sent):
    extra = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    response = operator_a.client.get("/api/v1/operators/me", **extra)
    generated = response["X-Request-ID"]
    assert generated != sent and len(generated) == 32


def test_rate_limit_headers_count_down(operator_a):
    first = operator_a.client.get("/api/v1/operators/me")
    second = operator_a.client.get("/api/v1/operators/me")
    limit = int(first["RateLimit-Limit"])
    assert int(first["RateLimit-Remaining"]) == limit - 1
    assert int(second["RateLimit-Remaining"]) == limit - 2
    assert 0 <= int(second["RateLimit-Reset"]) <= 86400


def test_operator_throttle_is_one_counter_per_window(operator_a):
    """The operator throttle keeps one integer per window (not a list of timestamps that grows
    with the rate), refuses beyond the rate with the window's end as Retry-After, and starts
    again in the next window."""
    from datetime import timedelta

    import time_machine
    from django.core.cache import cache

    from tests.conftest import FROZEN_NOW

    operator = operator_a.operator
    operator.throttle_rate = "3/min"
    operator.save(update_fields=["throttle_rate"])
    start = FROZEN_NOW + timedelta(minutes=3, seconds=15)
    with time_machine.travel(start, tick=False):
        answers = [operator_a.client.get("/api/v1/operators/me") for _ in range(4)]
        window = int(start.timestamp() // 60)
        assert cache.get(f"throttle_operator_{operator.pk}_60_{window}") == 4
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert answers[0]["RateLimit-Reset"] == "45"
    assert answers[3]["Retry-After"] == "45"
    with time_machine.travel(start + timedelta(seconds=45), tick=False):
        again = operator_a.client.get("/api/v1/operators/me")
    assert again.status_code == 200 and again["RateLimit-Remaining"] == "2"


def test_created_declaration_has_its_location(operator_a, example):
    response = operator_a.post("/api/v1/declarations", example, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201
    location = response["Location"]
    assert location == f"/api/v1/declarations/{response.json()['id']}"
    assert operator_a.client.get(location).status_code == 200
    replay = operator_a.post("/api/v1/declarations", example, HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay["Idempotent-Replayed"] == "true" and replay["Location"] == location


def _estimate(client, **extra):
    body = {
        "origin_country": "CN",
        "currency": "EUR",
        "items": [{"hs_code": "610910", "value": "20"}],
    }
    return client.post("/api/v1/estimates", body, format="json", **extra)


def test_spoofed_forwarded_for_does_not_escape_the_estimate_throttle(settings, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # Patched for this test only: the rates are read once into the class attribute.
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "estimate": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    client = APIClient()
    statuses = [_estimate(client, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(4)]
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]


def test_forwarded_for_is_read_behind_a_trusted_proxy(settings):
    from django.test import RequestFactory

    from customs_ecom.platform.edges import client_address

    factory = RequestFactory()
    spoofed = factory.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="203.0.113.9")
    assert client_address(spoofed) == "203.0.113.9"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxied = factory.get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4, 10.1.1.1", REMOTE_ADDR="10.0.0.2"
    )
    assert client_address(proxied) == "1.2.3.4"
    garbage = factory.get("/", HTTP_X_FORWARDED_FOR="not-an-ip", REMOTE_ADDR="10.0.0.2")
    assert client_address(garbage) == "10.0.0.2"


def test_failed_api_keys_are_throttled_per_address(operator_a, settings):
    settings.API_KEY_MAX_FAILURES = 3
    guesser = APIClient(REMOTE_ADDR="198.51.100.7")
    guesser.credentials(HTTP_AUTHORIZATION="Bearer not-a-key")
    statuses = [guesser.get("/api/v1/operators/me").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    throttled = guesser.get("/api/v1/operators/me")
    assert throttled.json()["code"] == "rate_limited" and int(throttled["Retry-After"]) > 0
    # Another address, and the real key from elsewhere, are unaffected.
    assert operator_a.client.get("/api/v1/operators/me").status_code == 200
    other = APIClient(REMOTE_ADDR="198.51.100.8")
    other.credentials(HTTP_AUTHORIZATION="Bearer not-a-key")
    assert other.get("/api/v1/operators/me").status_code == 401


def test_a_locked_out_address_is_refused_with_a_valid_key_too(operator_a, settings):
    """Over the limit of unknown keys, an address is refused (429) whatever key it sends, by the
    process that saw it locked (without a lookup) and by any other (which reads the count)."""
    from customs_ecom.platform import edges

    settings.API_KEY_MAX_FAILURES = 2
    address = "198.51.100.9"
    guesser = APIClient(REMOTE_ADDR=address)
    guesser.credentials(HTTP_AUTHORIZATION="Bearer not-a-key")
    assert [guesser.get("/api/v1/operators/me").status_code for _ in range(3)] == [401, 401, 429]
    assert address in edges._locked_here
    holder = APIClient(REMOTE_ADDR=address)
    holder.credentials(HTTP_AUTHORIZATION=f"Bearer {operator_a.key}")
    assert holder.get("/api/v1/operators/me").status_code == 429
    edges._locked_here.clear()  # another server process: it learns the lockout from the cache
    refused = holder.get("/api/v1/operators/me")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert operator_a.client.get("/api/v1/operators/me").status_code == 200


def test_lockout_and_throttle_count_in_one_round_trip_on_redis(settings):
    """On Redis the failures of an address and the operator's counter are read and counted in
    one MULTI/EXEC: the counter is created with its time to live and counts up from 1."""
    from django.core.cache import cache

    if not hasattr(cache, "get_and_count"):
        pytest.skip("the embedded default has no Redis cache; CI's PostgreSQL + Redis run has")
    cache.set("failures-x", 7, 60)
    assert cache.get_and_count("failures-x", "counter-x", 30) == (7, 1)
    assert cache.get_and_count("failures-none", "counter-x", 30) == (None, 2)
    client = cache._cache.get_client(cache.make_key("counter-x"), write=True)
    assert 0 < client.ttl(cache.make_key("counter-x")) <= 30
    assert cache.get("counter-x") == 2
