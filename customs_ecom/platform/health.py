"""`/healthz` (the process answers) and `/readyz` (what it depends on, each reported).

`/readyz` answers 503 when this process cannot serve: the database unreachable or migrations not
all applied. The broker is reported too, but its outage answers 200 with `"status": "degraded"`:
intake and reads keep working without it (the database is the source of truth and the sweeper
re-enqueues), so a proxy or orchestrator must not take every web process out of service for it.
`?strict=1` counts the broker as well, for checks that want to know about it.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .faults import TRANSIENT_ERRORS

_migrations_applied = False
logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "alive"})


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        detail = check()
        result = {"ok": True, **({"detail": detail} if detail else {})}
    except _Pending as exc:
        result = {"ok": False, "error": str(exc)[:200]}
    except TRANSIENT_ERRORS as exc:
        # The endpoint is public (behind the proxy): a driver's message names hosts, ports and
        # user names, which go to the log, not to whoever asks.
        logger.warning("readiness check %s failed: %s: %s", check.__name__, type(exc).__name__, exc)
        result = {"ok": False, "error": f"{type(exc).__name__} (details in the server log)"}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _migrations() -> str:
    """Applied once seen applied: migrations are not unapplied under a running process."""
    global _migrations_applied
    if _migrations_applied:
        return "applied"
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise _Pending(f"{len(plan)} migration(s) not applied")
    _migrations_applied = True
    return "applied"


class _Pending(ConnectionError):
    """Reported like an unreachable dependency: the process is not ready."""


def _broker() -> str:
    from celery import current_app

    if current_app.conf.task_always_eager:
        return "tasks run in-process"
    url = settings.CELERY_BROKER_URL
    if url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
        return "redis"
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=1)
    return conn.transport_cls if isinstance(conn.transport_cls, str) else "broker"


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _timed(_database)}
    checks["migrations"] = (
        _timed(_migrations) if checks["database"]["ok"] else {"ok": False, "error": "no database"}
    )
    checks["broker"] = _timed(_broker)
    serving = checks["database"]["ok"] and checks["migrations"]["ok"]
    strict = request.GET.get("strict") in {"1", "true", "yes"}
    if serving and checks["broker"]["ok"]:
        status = "ready"
    elif serving and not strict:
        status = "degraded"
    else:
        status = "unavailable"
    return JsonResponse(
        {"status": status, "checks": checks}, status=200 if status != "unavailable" else 503
    )
