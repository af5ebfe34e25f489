"""docker-compose.yml describes exactly the processes and settings the production-runtime tests run."""

from pathlib import Path

import yaml
from django.core.management import call_command

from customs_ecom.runtime import BEAT_COMMAND, PRODUCTION_ENVIRONMENT, WEB_COMMAND, WORKER_COMMAND

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_tested_commands():
    services = _compose()["services"]
    assert services["web"]["command"] == WEB_COMMAND
    assert services["worker"]["command"] == WORKER_COMMAND
    assert services["beat"]["command"] == BEAT_COMMAND
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)


def test_compose_gives_every_process_the_production_settings():
    compose = _compose()
    for name in ("web", "worker", "beat"):
        environment = compose["services"][name]["environment"]
        assert set(PRODUCTION_ENVIRONMENT) <= set(environment), name
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://")
        assert str(environment["DJANGO_DEBUG"]) == "0"
    for name in ("postgres", "redis", "web"):
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


def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(out), "--validate")
    text = out.read_text()
    assert "/api/v1/declarations" in text and "/api/v1/arrivals" in text
