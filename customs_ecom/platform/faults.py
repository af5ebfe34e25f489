"""What counts as a transient fault: the database or the broker unreachable for a while.

Tasks retry on these with backoff (a PostgreSQL restart, a Redis restart); the API answers them
with 503 and `Retry-After` (customs_ecom.platform.middleware). Anything else is a bug and is not retried
blindly.

A transaction PostgreSQL aborted because of concurrent ones (a deadlock victim, a serialization
failure) is no outage: `retry_on_conflict` runs it again in a fresh transaction, and what still
fails answers 503 saying the request conflicted with concurrent work."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import django.db
import kombu.exceptions
import redis.exceptions
from django.db import transaction

logger = logging.getLogger(__name__)
T = TypeVar("T")

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

# SQLSTATE of a transaction aborted for the sake of concurrent ones: deadlock_detected and
# serialization_failure. Nothing of it was stored; the same work in a new transaction may pass.
CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})
# Attempts of a write that PostgreSQL aborted so (the first and two retries).
CONFLICT_ATTEMPTS = 3


def conflict_fault(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what it was raised from) is a deadlock or a serialization failure."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
        if code in CONFLICT_SQLSTATES:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def retry_on_conflict(work: Callable[[], T], *, attempts: int = CONFLICT_ATTEMPTS) -> T:
    """Run ``work``, which opens its own transaction, again when PostgreSQL aborted it as a
    deadlock victim or for a serialization failure, up to ``attempts`` times in all, after a short
    random pause. Called inside a transaction it never retries: the outer transaction is lost
    too, and only its owner can start again."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as exc:
            if (
                attempt >= attempts
                or transaction.get_connection().in_atomic_block
                or not conflict_fault(exc)
            ):
                raise
            logger.info(
                "write aborted by a concurrent one (%s); attempt %d again", exc, attempt + 1
            )
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
