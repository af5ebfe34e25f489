"""With the cache's Redis unreachable the API keeps working; with the database unreachable it
answers 503 with Retry-After and a problem document; probes report each dependency."""

from __future__ import annotations

import socket

import django.db
import pytest
from celery import current_app

from aeo.models import OperatorAPIKey
from customs_ecom.platform import cache as fail_open
from declarations.models import Declaration


def _closed_port() -> int:
    """A local port nothing listens on: connections are refused at once, like a stopped Redis."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_down(settings, monkeypatch):
    monkeypatch.setattr(fail_open.FailOpenRedisCache, "_down_until", 0.0)
    monkeypatch.setattr(fail_open.FailOpenRedisCache, "_warned_at", -fail_open.WARN_EVERY)
    settings.CACHES = {
        "default": {
            "BACKEND": "customs_ecom.platform.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/10",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }


def test_unreachable_cache_fails_open_and_warns_once(redis_down, caplog):
    from django.core.cache import cache

    assert cache.get("k", "default") == "default"
    assert cache.add("k", 1) is True
    assert cache.incr("k") == 1
    cache.set("k", 2)
    assert cache.delete("k") is False
    warnings = [r for r in caplog.records if "cache unreachable" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.django_db
def test_intake_and_reads_keep_working_with_the_cache_down(
    redis_down, operator_a, example, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = operator_a.post("/api/v1/declarations", example)
    assert created.status_code == 201, created.content

    read = operator_a.get(f"/api/v1/declarations/{created.json()['id']}")
    listing = operator_a.get("/api/v1/declarations")

    assert read.status_code == 200
    assert listing.status_code == 200
    assert "throttling and login lockout fail open" in caplog.text


@pytest.mark.django_db
def test_officer_login_page_works_with_the_cache_down(redis_down, client, customs_user):
    customs_user("officer", username="officer-1")

    response = client.post(
        "/accounts/login/", {"username": "officer-1", "password": "pw-for-tests-1"}
    )

    assert response.status_code == 302


@pytest.mark.django_db
def test_database_unreachable_answers_503_with_retry_after_and_a_problem(
    operator_a, monkeypatch, settings
):
    settings.DATABASE_UNAVAILABLE_RETRY_AFTER = 7

    def unreachable(*args, **kwargs):
        raise django.db.OperationalError(
            'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
        )

    monkeypatch.setattr(OperatorAPIKey.objects, "get_from_key", unreachable)
    response = operator_a.get("/api/v1/declarations")

    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503
    assert body["code"] == "service_unavailable"
    assert body["type"].endswith("/service-unavailable")


@pytest.mark.django_db
def test_database_unreachable_on_a_page_is_503_too(client, customs_user, monkeypatch):
    client.force_login(customs_user("officer"))

    def unreachable(*args, **kwargs):
        raise django.db.OperationalError("the database system is shutting down")

    monkeypatch.setattr(Declaration.objects, "filter", unreachable)
    monkeypatch.setattr(Declaration.objects, "all", unreachable)
    response = client.get("/queue/")

    assert response.status_code == 503
    assert response.has_header("Retry-After")


@pytest.mark.django_db
def test_other_errors_stay_500(operator_a, monkeypatch, client):
    from django.test import Client

    def bug(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(OperatorAPIKey.objects, "get_from_key", bug)
    raising = Client(raise_request_exception=False)
    response = raising.get("/api/v1/declarations", HTTP_AUTHORIZATION=f"Bearer {operator_a.key}")

    assert response.status_code == 500


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")  # no database access is allowed in this test

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


@pytest.mark.django_db
def test_readyz_reports_database_migrations_and_broker(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert checks["migrations"]["detail"] == "applied"
    assert "broker" in checks


@pytest.mark.django_db
def test_readyz_with_the_broker_down_is_degraded_not_unavailable(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/10"
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)

    relaxed = client.get("/readyz")
    strict = client.get("/readyz?strict=1")

    assert relaxed.status_code == 200
    assert relaxed.json()["status"] == "degraded"
    assert relaxed.json()["checks"]["broker"]["ok"] is False
    assert strict.status_code == 503


@pytest.mark.django_db
def test_readyz_with_the_database_down_is_503(client, monkeypatch):
    from customs_ecom.platform import health

    def unreachable():
        raise django.db.OperationalError(
            'connection to server at "db.internal" (10.0.0.7), port 5432 failed: refused'
        )

    monkeypatch.setattr(health, "_database", unreachable)
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"]["ok"] is False
    # A public endpoint: the kind of fault, never the hosts and ports (they are in the log).
    error = response.json()["checks"]["database"]["error"]
    assert error == "OperationalError (details in the server log)"
    assert "10.0.0.7" not in response.content.decode() and "5432" not in response.content.decode()


def test_every_task_has_its_queue():
    from customs_ecom.platform.runtime import QUEUES

    router = current_app.amqp.router
    expected = {
        "customs_ecom.drain_assessments": "assessment",
        "risk.assess_batch": "assessment",
        "revenue.assess_batch": "assessment",
        "aeo.webhooks_tick": "webhooks",
        "declarations.import_file": "imports",
        "customs_ecom.refresh_daily_aggregates": "kpi",
        "declarations.requeue_unassessed": "maintenance",
        "revenue.reconcile_refunds": "maintenance",
    }
    for name, queue in expected.items():
        assert router.route({}, name)["queue"].name == queue, name
        assert queue in QUEUES


@pytest.mark.django_db
def test_database_unreachable_problem_speaks_french(operator_a, monkeypatch):
    def unreachable(*args, **kwargs):
        raise django.db.OperationalError("Connection refused")

    monkeypatch.setattr(OperatorAPIKey.objects, "get_from_key", unreachable)
    response = operator_a.client.get("/api/v1/declarations", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 503
    assert response.json()["title"] == "Service temporairement indisponible"
    assert response.json()["code"] == "service_unavailable"


@pytest.mark.django_db
def test_import_job_whose_start_was_lost_is_sent_by_the_sweeper(
    customs_user, monkeypatch, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from declarations.models import ImportJob
    from declarations.tasks import requeue_unassessed_task
    from tests.conftest import make_operator

    operator = make_operator("import-op")
    user = customs_user("officer")
    job = ImportJob.objects.create(
        operator=operator.operator,
        created_by=user,
        file="imports/none.csv",
        original_name="none.csv",
        created_at=timezone.now() - timezone.timedelta(minutes=5),
    )
    sent = []
    task = current_app.tasks["declarations.import_file"]
    monkeypatch.setattr(task, "apply_async", lambda args, **kw: sent.append(args))

    requeue_unassessed_task()

    assert sent == [[job.pk]]


@pytest.mark.django_db
def test_model_training_request_with_the_broker_down_is_a_message_not_a_500(
    client, customs_user, monkeypatch
):
    import kombu.exceptions

    from customs_ecom.platform.roles import RISK_ANALYST

    client.force_login(customs_user(RISK_ANALYST))
    task = current_app.tasks["risk.train_model"]

    def down(*args, **kwargs):
        raise kombu.exceptions.OperationalError("Error 111 connecting")

    monkeypatch.setattr(task, "delay", down)
    response = client.post("/risk/model/train/", follow=True)

    assert response.status_code == 200
    assert "The task queue is unreachable" in response.content.decode()
