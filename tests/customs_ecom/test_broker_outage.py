"""Fault test on a real broker: Redis stopped while singles are posted, started again empty; every
acknowledged declaration is assessed once by a real worker, with no manual action (the sweeper's
signal, as beat sends it every 30 s). Runs on whichever database the suite uses; it starts its own
redis-server on a free port, so the shared broker is never stopped."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from celery import current_app

from customs_ecom.stack import free_port
from declarations.models import Declaration, PendingAssessment, Status
from risk.models import RiskAssessment
from tests.conftest import make_operator, wait_for
from tests.declarations.corpus import valid_declaration

pytestmark = [pytest.mark.worker]


class OwnRedis:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("this fault test needs redis-server (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _use_broker(url: str) -> None:
    """Point this process's Celery publisher at another broker (fresh connection pools)."""
    current_app.conf.broker_url = url
    if current_app._pool is not None:
        current_app._pool.force_close_all()
    current_app._pool = None
    current_app.amqp._producer_pool = None


@pytest.fixture
def worker_on_own_redis(request, settings, monkeypatch, transactional_db):
    own = OwnRedis()
    own.start()
    previous = current_app.conf.broker_url
    settings.CELERY_BROKER_URL = own.url
    monkeypatch.setenv("CELERY_BROKER_URL", own.url)  # Celery reads it before its settings
    _use_broker(own.url)
    try:
        request.getfixturevalue("celery_worker_process")
        yield own
    finally:
        own.stop()
        monkeypatch.undo()
        _use_broker(previous)


def test_singles_posted_while_redis_is_down_are_assessed_once_after_it_returns(
    worker_on_own_redis, caplog
):
    from declarations.tasks import requeue_unassessed_task

    operator = make_operator("outage-op")
    worker_on_own_redis.stop()
    ids = []
    for n in range(5):
        body = valid_declaration("eu-h7")
        body["lrn"] = f"OUT-{n}"
        body["transport_document"]["number"] = f"HWBOUT{n:04d}"
        response = operator.post("/api/v1/declarations", body)
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
        assert operator.get(f"/api/v1/declarations/{ids[-1]}").status_code == 200
    assert PendingAssessment.objects.filter(declaration_id__in=ids).count() == 5
    assert "could not send the assessment drain signal" in caplog.text

    worker_on_own_redis.start()  # empty: the drain signals sent before are gone
    requeue_unassessed_task()  # what beat runs every 30 s

    wait_for(
        lambda: Declaration.objects.filter(pk__in=ids, status=Status.ASSESSED).count() == 5,
        timeout=60,
    )
    assert not PendingAssessment.objects.filter(declaration_id__in=ids).exists()
    for pk in ids:
        assert RiskAssessment.objects.filter(declaration_id=pk).count() == 1
