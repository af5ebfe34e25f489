"""A Redis cache that fails open: throttling and login-failure counters must not take the API down.

The cache holds counters only (request throttles, login failures, the assessment drain flag): what
is lost while Redis is unreachable is a few minutes of rate limiting, while a cache that raises
would answer every authenticated call with a 500. So every operation falls back to "nothing
stored" (`get` gives the default, `add` and `incr` succeed without storing), with a warning logged
at most every `WARN_EVERY` seconds, and after a failure Redis is not asked again for
`RETRY_AFTER` seconds, so that a hung server costs one timeout per second, not one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis.exceptions
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

FAULTS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
RETRY_AFTER = 1.0
WARN_EVERY = 30.0


class FailOpenRedisCache(RedisCache):
    _lock = threading.Lock()
    _down_until = 0.0
    _warned_at = -WARN_EVERY

    @classmethod
    def _is_down(cls) -> bool:
        return time.monotonic() < cls._down_until

    @classmethod
    def _failed(cls, operation: str, exc: BaseException) -> None:
        now = time.monotonic()
        with cls._lock:
            cls._down_until = now + RETRY_AFTER
            warn = now - cls._warned_at >= WARN_EVERY
            if warn:
                cls._warned_at = now
        if warn:
            logger.warning(
                "cache unreachable (%s: %s): throttling and login lockout fail open until it "
                "returns",
                operation,
                exc,
            )

    def _guard(self, operation: str, fallback: Any, call, *args, **kwargs) -> Any:
        if self._is_down():
            return fallback
        try:
            return call(*args, **kwargs)
        except FAULTS as exc:
            self._failed(operation, exc)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("add", True, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set", None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard("delete", False, super().delete, key, version)

    def get_and_count(self, get_key, count_key, ttl, version=None) -> tuple[Any, int]:
        """One round trip: the value of ``get_key`` (None when absent) and the counter
        ``count_key`` plus one (created at 1 with ``ttl`` seconds to live). Down: (None, 1)."""
        return self._guard(
            "get_and_count", (None, 1), self._get_and_count, get_key, count_key, ttl, version
        )

    def _get_and_count(self, get_key, count_key, ttl, version) -> tuple[Any, int]:
        read_key = self.make_and_validate_key(get_key, version=version)
        counter = self.make_and_validate_key(count_key, version=version)
        client = self._cache.get_client(counter, write=True)
        pipe = client.pipeline(transaction=True)  # MULTI/EXEC: the counter cannot expire between
        pipe.get(read_key)
        pipe.set(counter, 0, ex=int(ttl), nx=True)
        pipe.incr(counter)
        value, _, count = pipe.execute()
        return (None if value is None else self._cache._serializer.loads(value)), int(count)

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        return self._guard("incr", delta, super().incr, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set_many", [], super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._guard("clear", False, super().clear)
