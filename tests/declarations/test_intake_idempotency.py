"""Concurrent retries on the real database (threads, each with its own connection): one declaration,
one response replayed to everyone, whatever the interleaving."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connections

from customs_ecom.platform.models import IdempotencyRecord
from declarations.models import Declaration
from tests.conftest import make_operator
from tests.declarations.corpus import valid_declaration

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 6


def _race(path: str, body: dict, headers: dict) -> list:
    operator = make_operator("racer")
    barrier = threading.Barrier(THREADS)
    responses: list = [None] * THREADS

    def worker(index: int) -> None:
        try:
            barrier.wait()
            responses[index] = operator.post(path, json.dumps(body), **headers)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_concurrent_retries_with_one_idempotency_key_store_one_declaration():
    responses = _race(
        "/api/v1/declarations", valid_declaration("eu-h7"), {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    )
    statuses = sorted(r.status_code for r in responses)
    # Exactly one request produced; the others replayed its response (or were told to retry while
    # it was still running, never a 500 and never a second declaration).
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    created = [r.json() for r in responses if r.status_code == 201]
    assert len({c["id"] for c in created}) == 1
    replayed = [r for r in responses if r.status_code == 201 and r.get("Idempotent-Replayed")]
    assert len(replayed) == len(created) - 1
    for r in responses:
        if r.status_code == 409:
            assert r.json()["code"] == "idempotency_in_progress" and r["Retry-After"]
    assert Declaration.objects.count() == 1
    assert IdempotencyRecord.objects.get().status_code == 201


def test_concurrent_retries_of_one_lrn_without_key_store_one_declaration():
    responses = _race("/api/v1/declarations", valid_declaration("wco-core"), {})
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert Declaration.objects.count() == 1


def test_concurrent_batches_with_overlapping_lrns_store_each_lrn_once():
    bodies = []
    for n in range(20):
        body = valid_declaration("eu-h7")
        body["lrn"] = f"RACE-{n}"
        body["transport_document"]["number"] = f"RACE{n:06d}"  # each its own parcel
        bodies.append(body)
    responses = _race("/api/v1/declarations/batch", {"declarations": bodies}, {})
    assert all(r.status_code == 200 for r in responses)
    for r in responses:
        assert [x["status"] for x in r.json()["results"]] == ["accepted"] * 20
    assert Declaration.objects.count() == 20
    ids = {tuple(x["id"] for x in r.json()["results"]) for r in responses}
    assert len(ids) == 1


@pytest.mark.parametrize("key", ["a\x00b", "tab\tkey", "del\x7f"])
def test_an_idempotency_key_with_a_control_character_is_refused_before_anything_is_stored(key):
    """PostgreSQL stores no NUL in text: the key is refused as invalid (422), never a 500."""
    operator = make_operator("ctl-key-op")
    answer = operator.post(
        "/api/v1/declarations", valid_declaration("wco-core"), HTTP_IDEMPOTENCY_KEY=key
    )
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"][0]["code"] == "idempotency_key_invalid"
    assert not Declaration.objects.exists() and not IdempotencyRecord.objects.exists()
