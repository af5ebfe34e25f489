"""docker-compose.yml describes exactly the processes and settings the production-runtime tests run."""

from pathlib import Path

import yaml
from django.core.management import call_command

from customs_ecom.platform.runtime import (
    BACKGROUND_WORKER_COMMAND,
    BEAT_COMMAND,
    PRODUCTION_ENVIRONMENT,
    QUEUES,
    WEB_COMMAND,
    WEBHOOK_WORKER_COMMAND,
    WORKER_COMMAND,
)

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_tested_commands():
    services = _compose()["services"]
    assert services["web"]["command"] == WEB_COMMAND
    assert services["worker"]["command"] == WORKER_COMMAND
    assert services["worker-webhooks"]["command"] == WEBHOOK_WORKER_COMMAND
    assert services["worker-background"]["command"] == BACKGROUND_WORKER_COMMAND
    assert services["beat"]["command"] == BEAT_COMMAND
    assert {"proxy", "web", "worker", "beat", "postgres", "redis"} <= set(services)


def test_compose_workers_consume_every_queue_and_are_pinged():
    services = _compose()["services"]
    consumed = set()
    for name in ("worker", "worker-webhooks", "worker-background"):
        command = services[name]["command"]
        consumed |= set(command[command.index("-Q") + 1].split(","))
        assert "inspect ping" in " ".join(services[name]["healthcheck"]["test"]), name
    assert consumed == set(QUEUES)


def test_compose_puts_a_buffering_proxy_in_front_and_checks_readiness():
    services = _compose()["services"]
    assert "ports" not in services["web"]  # reachable only through the proxy
    assert services["proxy"]["ports"] == ["8000:80"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for directive in (
        "client_header_timeout",
        "client_body_timeout",
        "proxy_request_buffering on",
        "proxy_buffering on",
        "proxy_pass http://web",
    ):
        assert directive in conf, directive


def test_compose_gives_every_process_the_production_settings():
    compose = _compose()
    for name in ("web", "worker", "worker-webhooks", "worker-background", "beat"):
        environment = compose["services"][name]["environment"]
        assert set(PRODUCTION_ENVIRONMENT) <= set(environment), name
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://")
        assert str(environment["DJANGO_DEBUG"]) == "0"
    for name in ("postgres", "redis", "web", "proxy", "worker"):
        assert "healthcheck" in compose["services"][name]
    assert {"pgdata", "media"} <= set(compose["volumes"])


def test_settings_read_the_documented_environment(monkeypatch):
    import importlib

    import customs_ecom.settings as settings_module

    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/customs")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://redis:6379/0")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "s" * 50)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "customs.example,api.customs.example")
    monkeypatch.setenv("DJANGO_DEBUG", "0")
    monkeypatch.delenv("CELERY_TASK_ALWAYS_EAGER", raising=False)
    try:
        reloaded = importlib.reload(settings_module)
        assert reloaded.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
        assert reloaded.DATABASES["default"]["HOST"] == "db"
        assert reloaded.CELERY_BROKER_URL == "redis://redis:6379/0"
        assert reloaded.CELERY_TASK_ALWAYS_EAGER is False
        assert reloaded.SECRET_KEY == "s" * 50
        assert reloaded.ALLOWED_HOSTS == ["customs.example", "api.customs.example"]
        assert reloaded.DEBUG is False
        assert reloaded.CELERY_TASK_ACKS_LATE and reloaded.CELERY_TASK_REJECT_ON_WORKER_LOST
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


def test_a_database_url_naming_sqlite_keeps_the_sqlite_options(monkeypatch, tmp_path):
    """Without them two writers fail at once ("database is locked") instead of waiting."""
    import importlib

    import customs_ecom.settings as settings_module

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        reloaded = importlib.reload(settings_module)
        database = reloaded.DATABASES["default"]
        assert database["ENGINE"] == "django.db.backends.sqlite3"
        assert database["NAME"] == str(tmp_path / "other.sqlite3")
        assert database["OPTIONS"]["timeout"] == 20
        assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(out), "--validate")
    text = out.read_text()
    assert "/api/v1/declarations" in text and "/api/v1/arrivals" in text
