"""What counts as a transient fault: the database or the broker unreachable for a while.

Tasks retry on these with backoff (a PostgreSQL restart, a Redis restart); the API answers them
with 503 and `Retry-After` (customs_ecom.platform.middleware). Anything else is a bug and is not retried
blindly."""

from __future__ import annotations

import django.db
import kombu.exceptions
import redis.exceptions

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    django.db.OperationalError,
    django.db.InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    django.db.OperationalError,
    django.db.InterfaceError,
)

# Celery retry policy shared by the tasks that retry on TRANSIENT_ERRORS: 1, 2, 4 ... 60 s with
# jitter, for about ten minutes.
RETRY_POLICY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 12,
}
